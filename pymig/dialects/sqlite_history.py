"""SQLite's history tables, pymig_migrations and pymig_log, and the statements that write and read
them. SQLite has no clock for the start of a transaction: the executor measures each migration."""

from __future__ import annotations


class SqliteHistory:
    """Mixin of SqliteDialect; uses Dialect's literal."""

    _now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    history_ddl = [
        f"""CREATE TABLE IF NOT EXISTS pymig_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT ({_now}),
    duration_ms REAL NOT NULL,
    applied_by TEXT NOT NULL,
    inverse TEXT NOT NULL,
    progress TEXT
)""",
        f"""CREATE TABLE IF NOT EXISTS pymig_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    direction TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT ({_now}),
    by TEXT NOT NULL,
    duration_ms REAL NOT NULL
)""",
    ]

    def _upsert(self, version, name, checksum, user, inverse_json, progress_json, elapsed_ms) -> str:
        lit = self.literal
        return (
            "INSERT INTO pymig_migrations (version, name, checksum, duration_ms, applied_by, inverse, progress) "
            f"VALUES ({version}, {lit(name)}, {lit(checksum)}, {elapsed_ms:.3f}, {lit(user)}, {lit(inverse_json)}, "
            f"{lit(progress_json)}) ON CONFLICT (version) DO UPDATE SET inverse = excluded.inverse, "
            f"progress = excluded.progress, applied_at = {self._now}, "
            "duration_ms = pymig_migrations.duration_ms + excluded.duration_ms"
        )

    def record_applied(self, version, name, checksum, user, inverse_json, elapsed_ms=0.0) -> list[str]:
        """`elapsed_ms`: how long the migration's transaction took, as the executor measured it
        (SQLite has no clock for the start of a transaction)."""
        return [
            self._upsert(version, name, checksum, user, inverse_json, None, elapsed_ms),
            "INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
            f"SELECT version, name, 'up', applied_by, duration_ms FROM pymig_migrations WHERE version = {version}",
        ]

    def record_progress(self, version, name, checksum, user, inverse_json, progress_json, elapsed_ms=0.0) -> list[str]:
        return [self._upsert(version, name, checksum, user, inverse_json, progress_json, elapsed_ms)]

    def record_reverted(self, version, name, user, elapsed_ms=0.0) -> list[str]:
        lit = self.literal
        return [
            "INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
            f"SELECT version, {lit(name)}, 'down', {lit(user)}, {elapsed_ms:.3f} FROM pymig_migrations "
            f"WHERE version = {version}",
            f"DELETE FROM pymig_migrations WHERE version = {version}",
        ]

    history_select = (
        "SELECT version, name, checksum, applied_at, duration_ms, applied_by, inverse, progress "
        "FROM pymig_migrations ORDER BY version"
    )
    history_exists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'pymig_migrations'"
