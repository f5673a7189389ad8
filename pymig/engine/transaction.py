"""A migration's transactions: open one with the short lock timeout, run actions in it, replay it
after a lock timeout, close it with the history record that says how far the migration got."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ..errors import LockError
from .sessions import Live

PROGRESS = "pymig records how far the migration got, in the same transaction"


def retry_delay(attempt: int, jitter: float = 1.0) -> float:
    """Seconds to wait before replaying a transaction after its `attempt`-th lock timeout:
    exponential from 0.2 s, capped at 10 s, jittered (0.5..1 of that) so runners do not collide."""
    return min(0.2 * 2 ** min(attempt, 6), 10.0) * (0.5 + 0.5 * jitter)


class Transaction:
    """The open transaction of one migration run (or none), through a Live or Preview session.

    `do` remembers each action, so that after a lock timeout the whole transaction is rolled back
    and replayed; `commit` sends the history record given to it in the same transaction."""

    def __init__(self, session, dialect, label: str, lock_timeout: str | None, retry_for: float,
                 report: Callable | None = None, blockers: Callable[[], str] | None = None):
        self.s, self.d, self.label = session, dialect, label
        self.lock_timeout, self.retry_for = lock_timeout, retry_for
        self.report, self.blockers = report, blockers
        self.open = False
        self.dirty = False  # something ran outside a transaction since the last record
        self.segments = 0  # transactions committed so far
        self.holds_live_lock = False  # a statement of this transaction changed a table in use
        self.holds_loss = False  # ... or dropped something
        self.began = time.monotonic()
        self.replay: list[Callable] = []
        self.speculative = False  # statements may wait for later ones while nothing committed (Live.sql)

    def begin(self) -> None:
        if self.open:
            return
        self.s.sql(self.d.begin)
        self.began = time.monotonic()
        setting = self.d.lock_timeout_sql(self.lock_timeout) if self.lock_timeout else None
        if setting:
            self.s.sql(setting)
        self.open = True
        self.holds_live_lock = self.holds_loss = False
        self.replay = []

    def do(self, action: Callable) -> None:
        """Run one action of the open transaction. On a lock timeout, roll back, wait with
        jittered backoff (other sessions go on meanwhile), and replay the transaction."""
        self.replay.append(action)
        started, attempt = time.monotonic(), 0
        while True:
            try:
                if attempt:
                    self.open = False
                    replay, self.replay = self.replay, []
                    self.begin()
                    self.replay = replay
                    for a in replay:
                        a()
                else:
                    action()
                return
            except Exception as e:
                if not self.s.is_lock_timeout(e):
                    raise
                self.s.rollback()
                attempt += 1
                waited = time.monotonic() - started
                if waited > self.retry_for:
                    raise LockError(
                        f"{self.label}: gave up after {attempt} lock timeouts over {waited:.0f} s; "
                        f"{self.blockers() if self.blockers else 'another session holds the lock'}",
                        hint="end or wait out those sessions, or raise --lock-timeout / [tool.pymig] lock_retry_for",
                    ) from e
                delay = retry_delay(attempt, random.random())
                if self.report:
                    self.report(f"{self.label}: lock not available (attempt {attempt}); retrying in {delay:.1f} s")
                time.sleep(min(delay, max(self.retry_for - waited, 0) + 0.01))

    def sql(self, text: str, last: bool = False) -> None:
        """One statement in the open transaction (opened if needed), replayed after a lock timeout;
        `last`: the migration's last, which may go out with its history record (Live.sql)."""
        self.begin()
        speculative = self.speculative and not (self.segments or self.dirty)
        self.do(lambda: self.s.sql(text, last, speculative))

    def commit(self, record: list[str]) -> bool:
        """Close the segment with `record` (the history statements) in the same transaction.
        False when there was nothing to commit."""
        if not self.open and not self.dirty:
            return False
        self.begin()
        self._record_and_commit(record, PROGRESS)
        self.open = self.dirty = False
        self.segments += 1
        return True

    def close(self) -> None:
        """Commit an open transaction that holds no change needing a record (an empty last batch)."""
        if self.open:
            self.s.sql(self.d.commit)
            self.open = False

    def groupable(self) -> bool:
        """The migration is this one transaction, on no table in use, and nothing of it was sent yet:
        it may join a group of migrations that commits as one (engine.batch, Live.can_hold)."""
        return not (self.segments or self.dirty or self.holds_live_lock) and isinstance(self.s, Live) \
            and self.s.can_hold()

    def finish(self, record: list[str], what: str, hold=None) -> bool:
        """The migration's last transaction: its history record (`what` says what it records) and
        COMMIT, in one round trip where the dialect takes several statements at once. `hold`: a
        pymig.engine.batch.HeldCommit, to let the message wait for later migrations'; True when
        it waits (it is reported once committed)."""
        self.begin()
        held = self._record_and_commit(record, what, hold)
        self.open = self.dirty = False
        return held

    def _record_and_commit(self, record: list[str], what: str, hold=None) -> bool:
        """Live: the record and COMMIT in one round trip where possible. A preview prints them apart
        (the history write as `what` says it, in the form for reading)."""
        if isinstance(self.s, Live):
            if hold is not None:
                held: list[bool] = []
                self.do(lambda: held.append(self.s.commit_later(record, hold)))
                return held[-1]
            for text in self.d.with_commit(record):
                self.do(lambda text=text: self.s.sql(text))
            return False
        if record:
            self.do(lambda: self.s.history(record, what))
        self.s.sql(self.d.commit)
        return False

    def rollback(self) -> None:
        self.s.rollback()
        self.open = False

    def elapsed_ms(self) -> float:
        """How long the open transaction has run, for dialects with no transaction clock (SQLite)."""
        return (time.monotonic() - self.began) * 1000
