"""How each kind of step of a migration runs (pymig.steps): statements in the migration's
transaction or outside any, commits between segments, online backfills, run_python, and the
checks that verify the statements before them."""

from __future__ import annotations

from ..checks import Refusals
from ..steps import Batched, Check, Commit, Phase, Python, Sql, Warning
from .backfill import OnlineBackfill


class StepRunner:
    """Mixin of MigrationRun: `_step` runs one step, with the run's session, transaction and progress."""

    def _step(self, step, last: bool = False) -> None:
        if isinstance(step, Warning):
            self.s.note("WARNING: " + step.text)
        elif isinstance(step, Phase):
            self.s.note(f"phase {step.name}" + (f": {step.text}" if step.text else ""))
        elif isinstance(step, Commit):
            self._commit()
        elif isinstance(step, Batched) and step.online:
            OnlineBackfill(self.tx, self.s, self.d, self.p, self._record, budget=self.ex.backfill_budget,
                           pause=self.ex.backfill_pause, report=self.ex.report, preview=self.ex.preview).run(step)
        elif isinstance(step, Sql) and not step.transactional:
            self._commit()
            self._record_before_outside()
            self._outside_transaction(step)
        elif isinstance(step, Sql):
            if step.only_if and not self.s.flag(step.only_if):
                return
            self.tx.sql(step.text, last)
            self.tx.holds_live_lock = self.tx.holds_live_lock or self.op_live
            self.tx.holds_loss = self.tx.holds_loss or self.op_lossy
        elif isinstance(step, (Python, Batched)):
            self.tx.begin()
            self.tx.do(lambda: self.s.python(step) if isinstance(step, Python) else self.s.batched(step))
        elif isinstance(step, Check):  # verifies the statements before it (SQLite: foreign keys after a rebuild)
            self.tx.begin()
            found: list = []
            self.tx.do(lambda: found.append(self.s.check(step)))
            if found[-1]:
                refused = Refusals(self.label, self.direction)
                refused.add(self.p.op, found[-1:])
                raise refused.error()
        else:
            raise TypeError(f"unknown step {step!r}")

    def _outside_transaction(self, step: Sql) -> None:
        if step.only_if and not self.s.flag(step.only_if):
            return
        try:
            self.s.sql(step.text)
        except Exception:
            if step.undo:  # e.g. a failed CREATE INDEX CONCURRENTLY leaves an INVALID index
                self.s.rollback()
                self.s.sql(step.undo.text)
            raise
        self.tx.dirty = True
