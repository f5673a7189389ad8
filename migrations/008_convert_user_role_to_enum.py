"""Convert user role from string to enum.

The seed's 007 has this title but keeps a varchar with a CHECK (migration 007 here does the
same); this migration finishes the job: the role vocabulary becomes the enum type user_role, and
the CHECK, which the type now enforces, goes. `pymig down` converts the column back to
varchar(50) and restores the CHECK. PostgreSQL only: SQLite has no enum types, and pymig refuses
this migration there when it loads it (run the example on SQLite with `pymig up --to 7`).
"""

from pymig import alter_column, create_enum, drop_constraint

operations = [
    create_enum("user_role", ["administrator", "regular_user", "moderator"]),
    drop_constraint("users", "check_role"),
    alter_column("users", "role", type="user_role", using="role::user_role", default="regular_user"),
]
