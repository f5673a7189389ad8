"""Initial schema: users, chapters, chatbot_messages, sessions, personalized_content.

The seed document starts at 002 and only shows how later migrations and indexes use these
tables, so their columns are inferred from that use: users.email is widened in 005 and
users.role converted in 007; chatbot_messages is looked up by conversation_id and created_at;
sessions by user_id and expires_at; personalized_content by user_id, chapter_id and expires_at.
"""

from pymig import column, create_table, sql

operations = [
    create_table(
        "users",
        column("id", "serial", primary_key=True),
        column("email", "varchar(255)", nullable=False, unique=True),
        column("name", "varchar(255)"),
        column("role", "varchar(50)", nullable=False, default="user"),
        column("created_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
        column("updated_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
    ),
    create_table(
        "chapters",
        column("id", "serial", primary_key=True),
        column("slug", "varchar(255)", nullable=False, unique=True),
        column("title", "varchar(255)", nullable=False),
        column("position", "integer", nullable=False, default=0),
        column("content", "text"),
        column("created_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
        column("updated_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
    ),
    create_table(
        "chatbot_messages",
        column("id", "bigserial", primary_key=True),
        column("conversation_id", "uuid", nullable=False),
        column("user_id", "integer", references="users(id)", on_delete="set null"),
        column("chapter_id", "integer", references="chapters(id)", on_delete="set null"),
        column("sender", "varchar(20)", nullable=False,
               check="sender IN ('user', 'assistant', 'system')"),
        column("content", "text", nullable=False),
        column("created_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
    ),
    create_table(
        "sessions",
        column("id", "serial", primary_key=True),
        column("user_id", "integer", nullable=False, references="users(id)", on_delete="cascade"),
        column("token", "varchar(255)", nullable=False, unique=True),
        column("created_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
        column("expires_at", "timestamp", nullable=False),
    ),
    create_table(
        "personalized_content",
        column("id", "serial", primary_key=True),
        column("user_id", "integer", nullable=False, references="users(id)", on_delete="cascade"),
        column("chapter_id", "integer", nullable=False, references="chapters(id)", on_delete="cascade"),
        column("content", "text", nullable=False),
        column("created_at", "timestamp", nullable=False, default=sql("CURRENT_TIMESTAMP")),
        column("expires_at", "timestamp"),
    ),
]
