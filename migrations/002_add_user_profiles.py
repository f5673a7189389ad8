"""Add user profiles with background information.

The seed's version also ran `GRANT SELECT, INSERT, UPDATE ON user_profiles TO authenticated_user`.
That role exists only on some deployments and the GRANT fails where it does not, so it is left
out here: grant privileges where the role is managed, or in a run_sql(up=..., down=...) migration
of its own on databases that have the role.
"""

from pymig import column, create_index, create_table, sql

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
]
