"""Add reading progress tracking."""

from pymig import column, create_index, create_table, sql

operations = [
    create_table(
        "reading_progress",
        column("id", "serial", primary_key=True),
        column("user_id", "integer", references="users(id)", on_delete="cascade"),
        column("chapter_id", "integer", references="chapters(id)", on_delete="cascade"),
        column("progress_percentage", "integer", default=0, check="progress_percentage BETWEEN 0 AND 100"),
        column("last_position", "jsonb"),  # {"section": 3, "scroll": 0.5}
        column("completed_at", "timestamp"),
        column("updated_at", "timestamp", default=sql("CURRENT_TIMESTAMP")),
        unique=[("user_id", "chapter_id")],
    ),
    create_index("reading_progress", ["user_id"], name="idx_reading_progress_user"),
    create_index("reading_progress", ["chapter_id"], name="idx_reading_progress_chapter"),
    create_index("reading_progress", ["completed_at"], name="idx_reading_progress_completed",
                 where="completed_at IS NOT NULL"),
]
