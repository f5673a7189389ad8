"""The SQL of a run's transactions and of its records beyond the history rows (pymig_log entries,
repairs, what a down would delete), shared by the dialects as a base of Dialect."""

from __future__ import annotations


class RunSql:
    """Spelled for PostgreSQL and SQLite alike; a dialect overrides what it spells otherwise. Uses
    Dialect's quote, literal, forget, lock_timeout and multi_statement."""

    commit = "COMMIT"

    def lock_timeout_sql(self, value: str) -> str | None:
        """What sets the lock timeout of the open transaction; None when the database has none."""
        return f"SET LOCAL lock_timeout = {self.literal(value)}" if self.lock_timeout else None

    def with_commit(self, statements: list[str]) -> list[str]:
        """A transaction's last statements and its COMMIT as they are sent: one message where the
        database takes several statements at once (a history record and its COMMIT, one round trip)."""
        if self.multi_statement and statements:
            return [*statements[:-1], f"{statements[-1]};\n{self.commit}"]
        return [*statements, self.commit]


    transaction_id_query: str | None = None  # the open transaction's id, to ask later how it ended

    def transaction_status_query(self, xid) -> str | None:
        """'committed' or 'aborted' for a transaction that has ended (transaction_id_query's id)."""
        return None

    def count_values(self, table: str, columns: list[str]) -> str:
        """One scan of a table: its rows, then the non-NULL values of each of `columns` (what dropping
        the table or those columns deletes), in one row."""
        counts = ["count(*)", *(f"count({self.quote(c)})" for c in columns)]
        return f"SELECT {', '.join(counts)} FROM {self.qname(table)}"

    def log_entry(self, version: int, name: str, direction: str, user: str, elapsed_ms: float = 0.0) -> str:
        """A row of pymig_log: what was done to a migration ("abort", "repair", ...), by whom."""
        lit = self.literal
        return (f"INSERT INTO {self.log_table} (version, name, direction, by, duration_ms) "
                f"VALUES ({int(version)}, {lit(name)}, {lit(direction)}, {lit(user)}, {float(elapsed_ms):.3f})")

    def record_aborted(self, version: int, name: str, user: str, elapsed_ms: float = 0.0) -> list[str]:
        """A partial migration whose committed part was taken back on request: gone, and logged."""
        return [*self.forget(version), self.log_entry(version, name, "abort", user, elapsed_ms)]

    def record_repaired(self, version: int, name: str, checksum: str, user: str, inverse_json: str) -> list[str]:
        """`pymig repair`: the stored inverse and checksum of an applied migration replaced, and logged."""
        lit = self.literal
        return [f"UPDATE {self.migrations_table} SET checksum = {lit(checksum)}, inverse = {lit(inverse_json)} "
                f"WHERE version = {int(version)} AND progress IS NULL",
                self.log_entry(version, name, "repair", user)]

    def record_completed(self, version: int, name: str, user: str, inverse_json: str,
                         elapsed_ms: float = 0.0) -> list[str]:
        """`pymig complete`: the contract of an expanded migration ran; the stored inverse becomes the
        one that applies after it (an ordinary record again), and the complete is logged."""
        return [f"UPDATE pymig_migrations SET inverse = {self.literal(inverse_json)}, progress = NULL "
                f"WHERE version = {int(version)}",
                self.log_entry(version, name, "complete", user, elapsed_ms)]
