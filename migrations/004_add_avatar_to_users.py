"""Add avatar URL and last login time to users."""

from pymig import add_column, create_index

operations = [
    add_column("users", "avatar_url", "varchar(500)"),
    add_column("users", "last_login_at", "timestamp"),
    # for "recently active users" queries; rows that never logged in stay out of the index
    create_index("users", ["last_login_at DESC"], name="idx_users_last_login",
                 where="last_login_at IS NOT NULL"),
]
