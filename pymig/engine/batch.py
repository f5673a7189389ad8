"""Groups of migrations in one transaction: a migration whose whole run is one transaction, on no
table in use (one this run created, or one a `down` drops anyway, engine/doomed.py), of which
nothing was sent yet, joins a group instead of committing on its own; up to BATCH_SIZE of them go to
the server in one message and commit together (PostgresDatabase.hold_commit). That takes out of
each migration but the last of a group its wait for the server and its COMMIT (a WAL flush): most of
what a long history costs on a busy machine (docs/benchmarks.md). Each migration stays all or
nothing, with its history record in the same transaction as its changes, and timed on its own.

A migration is reported ("applied ...") once its group has committed. Should a group fail, none of
it committed: the command runs its migrations again one by one, each in its own transaction as
without groups, so the ones before the failing one commit, and that one fails (or not: a lock
timeout retried) with its own message, rollback and hint. A migration that changes a table in use
is never grouped: its locks are held for its own transaction only."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import BatchFailed, ConnectionLost

BATCH_SIZE = 32  # migrations per group at most


@dataclass
class HeldCommit:
    """One migration held in a group; `done(seconds, plan)` reports it once the group committed."""

    version: int
    label: str
    direction: str  # "up" or "down"
    query: str  # its record's state (PostgresDialect.record_state)
    done: Callable[[float], None]
    started: float = field(default_factory=time.monotonic)
    ran: float = 0.0  # seconds pymig worked on it before it was held
    plan: dict | None = None  # its stored inverse plan (up), for the report

    def is_committed(self, rows) -> bool:
        """Up: its record is there and complete; down: its record is gone (the group committed)."""
        return rows == [(True,)] if self.direction == "up" else not rows

    def committed(self, share: float) -> None:
        self.done(self.ran + share, self.plan)


def run_each(executor, items: list, run_one: Callable, version: Callable[[object], int], again: str) -> None:
    """`run_one(item)` for each item in order, in groups; after a BatchFailed, the failed group's items
    again, one by one. `again`: the command that continues after a lost connection."""
    i, alone = 0, set()
    while True:
        try:
            while i < len(items):
                executor.batching(version(items[i]) not in alone)
                run_one(items[i])
                i += 1
            executor.batching(True)
            executor.flush()
            return
        except BatchFailed as failed:
            if failed.lost is not None:
                text = executor.db.error_text(failed.error) or str(failed.error)
                raise ConnectionLost(
                    f"the database connection was lost while {failed.lost[0]} to {failed.lost[-1]} were "
                    f"being committed together: {text}",
                    hint=f"`pymig status` shows whether they committed; run `{again}` again") from None
            executor.schema = None  # what the group would have changed is not there: read it again
            alone = set(failed.versions)
            i = next(n for n, item in enumerate(items) if version(item) in alone)
