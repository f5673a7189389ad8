"""Add user profiles with background information.

The seed's version ends with `GRANT SELECT, INSERT, UPDATE ON user_profiles TO authenticated_user`.
pymig does not create roles (they belong to the whole server, not to one database): the role
must exist where this runs, and pymig refuses the migration, naming the role, where it does not.
`pymig down` revokes only what this grant added. SQLite has no roles: there the grant does nothing.
"""

from pymig import column, create_index, create_table, grant, sql

operations = [
    create_table(
        "user_profiles",
        column("id", "serial", primary_key=True),
        column("user_id", "integer", unique=True, references="users(id)", on_delete="cascade"),
        column("software_background", "text"),
        column("hardware_background", "text"),
        column("experience_level", "varchar(50)", default="beginner",
               check="experience_level IN ('beginner', 'intermediate', 'advanced')"),
        column("preferred_topics", "text[]"),
        column("created_at", "timestamp", default=sql("CURRENT_TIMESTAMP")),
        column("updated_at", "timestamp", default=sql("CURRENT_TIMESTAMP")),
    ),
    create_index("user_profiles", ["user_id"], name="idx_user_profiles_user_id"),
    create_index("user_profiles", ["experience_level"], name="idx_user_profiles_experience_level"),
    grant(["SELECT", "INSERT", "UPDATE"], "user_profiles", "authenticated_user"),
]
