"""One migration (or one revert) through the database, segment by segment.

A migration normally runs in one transaction with its history record. Online recipes split it into
segments (CREATE INDEX CONCURRENTLY runs outside any transaction; VALIDATE needs the NOT VALID
constraint committed first; backfills commit batch by batch). Each segment records how far the
migration got, in the same transaction as its changes: an interrupted migration resumes there, and
a migration that fails after a segment committed is undone with the inverses of what committed."""

from __future__ import annotations

from dataclasses import replace

from ..checks import Refusals
from ..errors import AssertedCheckFailed, BatchFailed, IrreversibleError, PymigError
from ..ops import RenameTable
from ..ops.columns import DropColumn
from ..ops.tables import DropTable
from ..steps import Failure, Sql
from .failure import describe_failure, interrupted
from .leftovers import Interrupted, finished_by_server
from .lifecycle import after_phases, contract_steps, derive, phases_of
from .records import final_record, progress_record
from .precheck import needs_precheck, precheck
from .progress import Progress
from .refused import check_after_refusal
from .stepping import StepRunner
from .transaction import Transaction


REVERTING = ("down", "abort", "undo")


class MigrationRun(StepRunner, Interrupted):
    """Runs `ops` for one history record, in a direction: "up" (a migration), or one of REVERTING:
    "down" (a revert), "abort" (`pymig down` of a partial migration: its committed part is taken
    back and the record goes, logged) and "undo" (the same after a failure of `up`, unlogged); or
    "complete": the contract operations of an expanded migration (engine.lifecycle), after which
    `plan` is its stored inverse.

    Every direction records its progress with each committed segment; a reverting run stores the
    plan it runs (`plan`) with `{"direction": "down"}` in its position, so that `status` shows
    "partial (reverting)" and `pymig down` resumes it."""

    def __init__(self, ex, label, version, name, checksum, direction, resume=None, plan=None, stored=None,
                 assertions=False):
        self.ex, self.s, self.d = ex, ex.session, ex.dialect
        self.label, self.version, self.name, self.checksum = label, version, name, checksum
        self.direction = direction
        self.plan = plan
        self.stored = stored  # "complete": the record's inverse as it is until the run's last transaction
        self.p = Progress.resumed(resume, ex.resolve_callable) if resume else Progress()
        self.committed = self.p.copy()
        self.resumed = resume is not None
        self.tx = Transaction(self.s, self.d, label, ex.lock_timeout, ex.retry_for, ex.report,
                              blockers=lambda: self.d.describe_blockers(ex.db))
        self.op_live = self.op_lossy = False
        self.op_running = None  # the operation whose steps run (engine.leftovers)
        self.refusals = Refusals(label, "down" if direction in REVERTING else direction)
        self.assertions = assertions and not self.resumed  # checks may go out as assertions (Live.check)
        self.tx.speculative = self.assertions  # and statements wait for the ones after them (Live.sql)
        self.hold = None  # a pymig.engine.batch.HeldCommit: the last message may wait for later migrations'
        self.held = False  # it waits: the migration is committed (and reported) when the batch goes

    def sibling(self, direction: str, plan: dict) -> MigrationRun:
        """A run of the same history record in another direction (undoing what this one committed)."""
        return MigrationRun(self.ex, self.label, self.version, self.name, self.checksum, direction, plan=plan)

    # -- the one loop --------------------------------------------------------------------------
    def execute(self, ops) -> None:
        start_op, start_step = self.p.op, self.p.step
        self.start_op = start_op
        if self.direction != "up" or self.ex.run_tables is None:
            self.ex.run_tables = self.ex.before().relation_names()
            if self.direction != "up":  # a table a revert of this run drops anyway is not kept in use
                self.ex.run_tables -= self.ex.doomed.get(self.version, frozenset())
        start_tables = self.ex.run_tables
        ops = self.d.merge(ops, self.ex.before())  # SQLite: one table rebuild for consecutive changes
        self.op_count = len(ops)
        self.deferred_at = None  # (i, op) whose last statement travels with the final record
        i, op = 0, None
        try:
            if not self.resumed and needs_precheck(self, ops, start_tables):
                if self.ex.preview:
                    self.s.note("a step below commits before a later check: pymig first runs every check of this "
                                "migration in a transaction that it rolls back, so that a refusal changes nothing")
                else:
                    refused = precheck(self, ops, start_tables)
                    if refused:
                        raise refused.error()
            for i, op in enumerate(ops, 1):
                if i < start_op:
                    continue
                schema = self.ex.before()
                schema = replace(schema, new_tables=frozenset(schema.relation_names() - start_tables),
                                 new_columns=frozenset(self.p.added))
                if self.refusals:
                    check_after_refusal(self, i, op, schema)
                    continue
                fresh = not (i == start_op and start_step > 0)
                if not self._run_op(i, op, schema, fresh, start_step):
                    continue
                if isinstance(op, RenameTable) and op.old in start_tables:
                    start_tables.add(op.new)
            i, op = self.deferred_at or (0, None)  # a failure of the final message names that operation
            if self.refusals:
                self.ex.schema = None  # the state followed steps that are rolled back now
                raise self.refusals.error(committed=bool(self.tx.segments or self.resumed))
            self._finish()
        except KeyboardInterrupt as stop:
            self.tx.rollback()
            raise interrupted(self, stop) from None
        except (AssertedCheckFailed, BatchFailed):
            self.tx.rollback()  # nothing of this migration committed: it runs again (executor, batch)
            raise
        except Exception as e:
            self.tx.rollback()
            self.ex.flush()  # the migrations held before this one are whole: they commit first
            raise describe_failure(self, e, i, op) from e

    def _run_op(self, i, op, schema, fresh: bool, start_step: int) -> bool:
        """Operation `i`: checks, then its steps from `start_step` on. False when it was refused."""
        target = op_table(op)
        self.op_live = target is not None and schema.is_live(target)
        self.op_running = op
        self.op_lossy = isinstance(op, (DropColumn, DropTable))
        phases = phases_of(self, op, schema)
        if fresh:
            self._derive(i, op, schema, phases)
            if self.refusals.add(i, self._check(op, schema)):
                return False
        try:
            after = self.ex.after(op, schema)
        except PymigError:
            after = finished_by_server(op, schema, self.direction in REVERTING or (self.resumed and i == self.start_op))
            if after is None and not (self.resumed and i == self.start_op):
                raise
            # else the interrupted run made (part of) this change: adopted, or re-read from the catalog
        after = after_phases(self, phases, after)
        if op.opaque and self.d.online_recipes and self.tx.open and self.tx.holds_live_lock \
                and not self.tx.holds_loss and not self.p.irreversible:
            # run_sql / run_python after DDL on a table in use: in a segment of their own, once the
            # DDL has committed, not under its ACCESS EXCLUSIVE lock for as long as they take (not
            # when a failure could not undo the committed part: after a drop, or past an irreversible
            # step; nor on SQLite, whose readers a writer does not block until it commits)
            self._commit()
        with self.ex.ticking(f"{self.label}: operation {i} ({op.describe()})"):
            steps = self._forward(op, schema) + contract_steps(self, phases)
            for j, step in enumerate(steps):
                if not fresh and j < start_step:
                    continue
                final = i == self.op_count and j == len(steps) - 1
                deferred = final and isinstance(step, Sql) and step.transactional and not step.only_if
                if deferred:
                    self.deferred_at = (i, op)
                self._step(step, last=deferred)
                self.p.step = j + 1
                if isinstance(step, Sql) and step.undo:
                    self.p.undo.insert(0, step.undo)
                # record a step that ran outside a transaction right away; the last one of a revert
                # goes with the final record (its steps are idempotent: DROP INDEX CONCURRENTLY IF
                # EXISTS, CREATE ... IF NOT EXISTS), one transaction fewer per reverted index
                if self.tx.dirty and not (final and self.direction == "down"):
                    self._commit()
        self.ex.schema = after
        self.p.finish_op(i)
        return True

    def _forward(self, op, schema) -> list:
        try:
            return self.d.forward(op, schema)
        except PymigError:
            if self.ex.trusted:
                raise
            self.s.note(f"{op.describe()}: its statements depend on the schema run_sql leaves; "
                        "`pymig up` builds them at run time")
            return []

    def _check(self, op, schema) -> list[Failure]:
        """Preflight checks, in the transaction the operation's first statements will run in."""
        try:
            checks = op.checks(schema, self.d)
        except PymigError:
            if self.ex.trusted:
                raise
            self.s.note(f"{op.describe()}: its preflight checks read the schema run_sql leaves; they run at run time")
            return []
        if not checks:
            return []
        target = op_table(op)
        if (self.tx.open and self.tx.holds_live_lock and not self.tx.holds_loss
                and (target is None or schema.is_live(target))):
            # The checks scan: not while this transaction locks out traffic on a table in use.
            # Not after a drop either: undoing a committed drop could not bring its data back.
            self._commit()
        self.tx.begin()
        # as an assertion only while a failure can still be taken back whole (nothing committed)
        assertion = self.assertions and not (self.tx.segments or self.tx.dirty)
        found: dict[int, Failure | None] = {}
        for n, c in enumerate(checks):
            self.tx.do(lambda n=n, c=c: found.__setitem__(n, self.s.check(c, assertion)))
        return [f for f in found.values() if f]

    def _derive(self, i, op, schema, phases) -> None:
        if self.direction != "up":
            return
        stored, self.p.current = self.p.current, []
        if not self.p.irreversible:
            try:
                self.p.current = list(op.inverse(schema, self.p.added))
            except IrreversibleError as e:
                self.p.irreversible = (f"operation {i} ({op.describe()}) is not reversible: "
                                       f"{e.message.split(': ', 1)[-1]}")
            except PymigError:
                if stored and self.resumed and i == self.start_op:
                    self.p.current = stored  # derived before the statement the server finished alone
                elif self.ex.trusted:
                    raise
                else:  # a preview after run_sql: the schema it reads from is only known at run time
                    self.s.note(f"{op.describe()}: its inverse is read from the schema run_sql leaves, "
                                "at run time; the history record below lacks it")
        derive(self.p, phases)
        self.p.added.update(op.columns_added())

    # -- records -------------------------------------------------------------------------------
    def _record(self) -> list[str]:
        """The progress statements of a segment's commit."""
        return progress_record(self)

    def _commit(self) -> None:
        """Close the segment: record how far the migration got, in the same transaction."""
        if self.tx.commit(self._record()):
            self.committed = self.p.copy()

    def _finish(self) -> None:
        self.tx.begin()
        if self.direction == "up":
            self.ex.last_plan = self.p.plan()
        grouped = self.hold is not None and self.direction in ("up", "down") and not self.resumed and self.tx.groupable()
        texts, what = final_record(self, grouped)
        self.held = self.tx.finish(texts, what, self.hold if grouped else None)


def op_table(op) -> str | None:
    """The table an operation changes, when it names one."""
    for attr in ("index", "trigger"):  # an index's or a trigger's table
        obj = getattr(op, attr, None)
        if obj is not None:
            return obj.table
    for attr in ("table", "old"):
        value = getattr(op, attr, None)
        if isinstance(value, str):
            return value
    return None
