"""PostgreSQL's history tables, pymig_migrations and pymig_log, and the statements that write and
read them: the record of a migration is written in its own last transaction, timed by the server."""

from __future__ import annotations


class PostgresHistory:
    """Mixin of PostgresDialect; uses Dialect's literal, migrations_table and log_table."""

    @property
    def history_ddl(self) -> list[str]:
        return [f"""CREATE TABLE IF NOT EXISTS {self.migrations_table} (
    version bigint PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision NOT NULL,
    applied_by text NOT NULL,
    inverse jsonb NOT NULL,
    progress jsonb
)""",
        f"""CREATE TABLE IF NOT EXISTS {self.log_table} (
    id bigserial PRIMARY KEY,
    version bigint NOT NULL,
    name text NOT NULL,
    direction text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    by text NOT NULL,
    duration_ms double precision NOT NULL
)""",
        ]

    _elapsed = "1000 * extract(epoch FROM clock_timestamp() - now())"
    # in a group of migrations sharing one transaction: since the migration's GROUP_MARK
    _elapsed_in_group = "1000 * extract(epoch FROM clock_timestamp() - current_setting('pymig.began')::timestamptz)"

    def _upsert(self, version, name, checksum, user, inverse_json, progress_json, grouped=False) -> str:
        lit = self.literal
        return (
            f"INSERT INTO {self.migrations_table} AS pymig_migrations "
            "(version, name, checksum, duration_ms, applied_by, inverse, progress) VALUES "
            f"({version}, {lit(name)}, {lit(checksum)}, {self._elapsed_in_group if grouped else self._elapsed}, "
            f"{lit(user)}, {lit(inverse_json)}, "
            f"{lit(progress_json)}) ON CONFLICT (version) DO UPDATE SET inverse = EXCLUDED.inverse, "
            "progress = EXCLUDED.progress, applied_at = now(), "
            "duration_ms = pymig_migrations.duration_ms + EXCLUDED.duration_ms"
        )

    def record_applied(self, version, name, checksum, user, inverse_json, elapsed_ms=None, grouped=False) -> list[str]:
        """`elapsed_ms` (the executor's measure) is not needed: PostgreSQL times the transaction itself
        (`grouped`: the migration shares it with others, PostgresDatabase.hold_commit)."""
        return [
            f"WITH m AS ({self._upsert(version, name, checksum, user, inverse_json, None, grouped)} "
            "RETURNING version, name, applied_by, duration_ms) "
            f"INSERT INTO {self.log_table} (version, name, direction, by, duration_ms) "
            "SELECT version, name, 'up', applied_by, duration_ms FROM m"
        ]

    def record_progress(self, version, name, checksum, user, inverse_json, progress_json, elapsed_ms=None) -> list[str]:
        """How far a migration split into transactions got; written with each part's changes."""
        return [self._upsert(version, name, checksum, user, inverse_json, progress_json)]

    def record_reverted(self, version, name, user, elapsed_ms=None, grouped=False) -> list[str]:
        lit = self.literal
        return [
            f"WITH m AS (DELETE FROM {self.migrations_table} WHERE version = {version} RETURNING version) "
            f"INSERT INTO {self.log_table} (version, name, direction, by, duration_ms) "
            f"SELECT version, {lit(name)}, 'down', {lit(user)}, "
            f"{self._elapsed_in_group if grouped else self._elapsed} FROM m"
        ]

    @property
    def history_select(self) -> str:
        return ("SELECT version, name, checksum, applied_at, duration_ms, applied_by, inverse::text, progress::text "
                f"FROM {self.migrations_table} ORDER BY version")

    @property
    def history_exists(self) -> str:
        return f"SELECT to_regclass({self.literal(self.migrations_table)}) IS NOT NULL"
