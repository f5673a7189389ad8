"""Online backfills: keyset batches, each committed on its own with the migration's progress, sized
to a time budget so that row locks stay short."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..steps import Batched
from .progress import Meter, Progress

MAX_BATCH = 100_000


def next_batch_size(limit: int, elapsed: float, budget: float) -> int:
    """The next batch's size: aimed at `budget` seconds from how long `limit` rows took, but at most
    doubled or halved per batch (one slow batch, e.g. a checkpoint, must not collapse the size)."""
    aimed = int(limit * budget / max(elapsed, 1e-3))
    return max(1, min(limit * 2, aimed, MAX_BATCH), limit // 2)


class OnlineBackfill:
    """Runs one Batched step through a Transaction, resuming after `progress.after` (the last key a
    committed batch updated), and commits each batch with `record()`, the progress statements."""

    def __init__(self, tx, session, dialect, progress: Progress, record: Callable[[], list[str]], *,
                 budget: float, pause: float, report: Callable | None = None, preview: bool = False):
        self.tx, self.s, self.d, self.p, self.record = tx, session, dialect, progress, record
        self.budget, self.pause, self.report, self.preview = budget, pause, report, preview

    def run(self, step: Batched) -> None:
        """Like one UPDATE, the batches cover the rows there when the backfill starts (up to the
        largest key then): under a steady insert load, chasing the newest rows could go on for as
        long as it lasts."""
        self.tx.commit(self.record())
        if self.p.after is not None and self.p.rows:  # resumed: count on from where the last run stopped
            meter = Meter(self.p.rows[1], self.p.rows[0])
        else:
            meter = Meter(self.s.scalar(step.count) if step.count else 0)
        last = self.s.scalar(step.last) if step.last else None
        if self.preview:
            if self.s.backfill_loop(step, self.tx.lock_timeout):
                return  # a script: all the batches in one loop
            self.s.note(f"backfill {step.table}: batches of up to {step.batch_size} rows (resized to take "
                        f"about {self.budget * 1000:.0f} ms), each committed with the progress, "
                        f'repeated with "{step.key}" > the last key until no row changes')
        what = f"backfill {step.table}"
        limit = step.batch_size
        while True:
            text = step.first if self.p.after is None else step.after.replace("{after}", self.d.literal(self.p.after))
            keys = self._batch(text.replace("{limit}", str(limit)))
            if not keys:
                break
            elapsed = time.monotonic() - self.batch_started
            self.p.after = max(keys)
            meter.add(len(keys))
            self.p.rows = [meter.done, meter.total]
            self.tx.commit(self.record())
            if self.report:
                self.report(meter.line(what))
            if last is None or self.p.after >= last:
                break
            limit = next_batch_size(limit, elapsed, self.budget)
            if self.pause:
                time.sleep(self.pause)
        self.p.after = self.p.rows = None
        if meter.done and self.report:
            self.report(meter.summary(what), final=True)

    def _batch(self, statement: str) -> list:
        """One batch in a transaction of its own; an empty one commits nothing worth recording."""
        self.tx.begin()
        self.batch_started = time.monotonic()
        keys: list = []
        self.tx.do(lambda: keys.__setitem__(slice(None), self.s.batch(statement)))
        if not keys:
            if self.tx.dirty:
                self.tx.commit(self.record())
            else:
                self.tx.close()
        return keys
