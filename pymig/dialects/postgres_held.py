"""What PostgreSQL holds back for the next message (PostgresDatabase): a preflight check as an
assertion that goes out with the statements after it, and whole migrations that join a group
committing as one transaction (pymig.engine.batch)."""

from __future__ import annotations

from ..errors import BatchFailed

ASSERTION_FAILED = "PMCHK"  # the SQLSTATE of a preflight check assertion that found a row
# Starts the clock of one migration in a group sharing a transaction (its now() is the group's)
GROUP_MARK = "SELECT set_config('pymig.began', clock_timestamp()::text, true)"


class HeldSql:
    """PostgresDialect's part: the assertion form of a check, and whether a record committed."""

    def check_assertion(self, check):
        """A DO block raising SQLSTATE PMCHK when the check's query returns a row; a check with setup
        (a probe function, rolled back with its savepoint) runs on its own instead."""
        if check.setup:
            return None
        from ..sqltext import dollar_tag

        tag = dollar_tag(check.query)
        return (f"DO {tag}BEGIN IF EXISTS ({check.query}) THEN RAISE EXCEPTION 'pymig preflight check' "
                f"USING ERRCODE = '{ASSERTION_FAILED}'; END IF; END{tag}")

    def record_state(self, version: int) -> str:
        """Whether a migration's record is there, and complete (a group that failed: did it commit)."""
        return f"SELECT progress IS NULL FROM {self.migrations_table} WHERE version = {int(version)}"


class HeldMessages:
    """PostgresDatabase's part: `_held` (the next message's leading statements), `_batch` and
    `_batched` (the held group and its migrations), `batch_size`; `_send` sends them."""

    groups_migrations = True
    batch_size = 0  # the executor sets it while a group may form (Executor.batching)

    def hold_assertion(self, sql: str) -> None:
        """A check as an assertion (PostgresDialect.check_assertion): it goes out with the next
        statement, and a failure of that message is AssertedCheckFailed."""
        self._held.append(sql)
        self._asserting = True

    def flush(self) -> None:
        """Send the held group of migrations (hold_commit): they commit, and are reported, now."""
        if self._batch:
            self._send(None)

    def can_hold(self) -> bool:
        """Whether a migration's last transaction may join the held group (hold_commit): batching
        is on and nothing of the migration was sent yet (no transaction open on the server)."""
        return (self.batch_size > 1 and bool(self._held) and self._held[0] == "BEGIN"
                and self.conn.info.transaction_status == self._psycopg.pq.TransactionStatus.IDLE)

    def hold_commit(self, statements: list[str], held) -> bool:
        """A migration's whole transaction (BEGIN, its statements and history record, without the
        COMMIT), held to join the group of migrations that goes out in one message and commits as
        one transaction, up to batch_size of them (PostgresDialect.group_mark starts each one's
        clock). False: it cannot (can_hold), send it on its own."""
        if not self.can_hold():
            return False
        own = self._held[1:]  # after its BEGIN; the group's BEGIN is the first one's
        self._batch += [*([] if self._batch else ["BEGIN"]), GROUP_MARK, *own, *statements]
        self._held, self._asserting = [], False  # its assertions: a failure of it is BatchFailed
        self._batched.append(held)
        if len(self._batched) >= self.batch_size:
            self.flush()
        return True

    def _settle(self, batched: list, error: Exception) -> None:
        """A message holding a group of migrations failed. If the group's record of its last
        migration is there, the group committed (reported now) and the error is in what came after
        it (returns); otherwise none of it committed: BatchFailed, and the command runs them again
        one by one."""
        if self.conn.closed or self.conn.broken:
            raise BatchFailed([h.version for h in batched], error, lost=[h.label for h in batched]) from error
        if self.conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")
        if not batched[-1].is_committed(self.conn.execute(batched[-1].query).fetchall()):
            raise BatchFailed([h.version for h in batched], error) from error
        for held in batched:
            held.committed(0.0)
