"""Convert users.role to the new role vocabulary (administrator, regular_user, moderator).

The old values map as in the seed: admin -> administrator, user -> regular_user, anything else
-> regular_user; 'moderator', which the new vocabulary keeps, stays moderator. `pymig down` maps
back with the backfill's reverse: administrator -> admin, regular_user -> user, moderator stays.
So admin and user survive up-then-down, every new value survives down-then-up, and an old role
that was none of admin, user, moderator comes back from a round trip as 'user'.
"""

from pymig import add_check, add_column, alter_column, backfill, drop_column, rename_column

operations = [
    add_column("users", "role_new", "varchar(50)"),
    backfill(
        "users",
        set={"role_new": "CASE role WHEN 'admin' THEN 'administrator' WHEN 'user' THEN 'regular_user' "
                         "WHEN 'moderator' THEN 'moderator' ELSE 'regular_user' END"},
        # runs on `down` once the old column is back: restores role from role_new
        reverse={"role": "CASE role_new WHEN 'administrator' THEN 'admin' "
                         "WHEN 'regular_user' THEN 'user' ELSE role_new END"},
    ),
    alter_column("users", "role_new", nullable=False, default="regular_user"),
    add_check("users", "check_role", "role_new IN ('administrator', 'regular_user', 'moderator')"),
    drop_column("users", "role", allow_data_loss=True),
    rename_column("users", "role_new", "role"),
]
