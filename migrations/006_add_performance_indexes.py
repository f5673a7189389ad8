"""Add indexes to improve query performance."""

from pymig import create_index

operations = [
    # chatbot conversation lookups, newest messages first
    create_index("chatbot_messages", ["conversation_id"], name="idx_chatbot_messages_conversation"),
    create_index("chatbot_messages", ["created_at DESC"], name="idx_chatbot_messages_created"),
    # personalized content cache
    create_index("personalized_content", ["user_id", "chapter_id"], name="idx_personalized_user_chapter"),
    create_index("personalized_content", ["expires_at"], name="idx_personalized_expires"),
    # Active sessions. The seed wrote `ON sessions(user_id) WHERE expires_at > NOW()`, which
    # PostgreSQL cannot build: functions in an index predicate must be IMMUTABLE, and now() is
    # not (the index would also freeze the moment it was built). pymig refuses that predicate
    # when it loads the file. Indexing (user_id, expires_at) serves
    # `WHERE user_id = $1 AND expires_at > now()` with an index range scan instead.
    create_index("sessions", ["user_id", "expires_at"], name="idx_active_sessions"),
]
