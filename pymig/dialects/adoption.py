"""The SQL of adopting a database: history rows for migrations recorded without running them
(`pymig mark` / `unmark`, baseline, import --adopt-history), and where other tools keep theirs.
The same text serves PostgreSQL and SQLite: both history tables have these columns."""

from __future__ import annotations

# (table, query) of the history other tools keep, for `pymig import --adopt-history`
FOREIGN_HISTORY = {
    "seed": ("schema_migrations", "SELECT version FROM schema_migrations"),
    "dbmate": ("schema_migrations", "SELECT version FROM schema_migrations"),
    "golang-migrate": ("schema_migrations", "SELECT version, dirty FROM schema_migrations"),
    "flyway": ("flyway_schema_history", "SELECT version, type FROM flyway_schema_history "
               "WHERE success AND version IS NOT NULL ORDER BY installed_rank"),
}


def drop_created(kind: str, name: str, table: str | None) -> str:
    """What undoes a CREATE (or an ADD COLUMN) kept as SQL by `pymig import` (name and table as
    the file wrote them)."""
    if kind == "COLUMN":
        return f"ALTER TABLE {table} DROP COLUMN {name}"
    return f"DROP {kind} {name}" + (f" ON {table}" if table else "")


def record_marked(dialect, version, name, checksum, user, inverse_json) -> list[str]:
    """A history row for a migration that was not run, and a `mark` log row."""
    lit = dialect.literal
    return [
        f"INSERT INTO {dialect.migrations_table} (version, name, checksum, duration_ms, applied_by, inverse) "
        f"VALUES ({int(version)}, {lit(name)}, {lit(checksum)}, 0, {lit(user)}, {lit(inverse_json)})",
        f"INSERT INTO {dialect.log_table} (version, name, direction, by, duration_ms) "
        f"VALUES ({int(version)}, {lit(name)}, 'mark', {lit(user)}, 0)",
    ]


def record_unmarked(dialect, version, name, user) -> list[str]:
    """Forget a migration without running its inverse, with an `unmark` log row."""
    return [
        f"DELETE FROM {dialect.migrations_table} WHERE version = {int(version)}",
        f"INSERT INTO {dialect.log_table} (version, name, direction, by, duration_ms) "
        f"VALUES ({int(version)}, {dialect.literal(name)}, 'unmark', {dialect.literal(user)}, 0)",
    ]
