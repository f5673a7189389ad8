"""Runs a plan, or renders it for `pymig sql`: one code path, two sessions.

A Live session sends each statement to the database; a Preview session writes it out. Everything
else (transaction boundaries, lock timeouts, checks, inverses, history records) is the same code
for both, so the preview cannot drift from what runs.

A migration normally runs in one transaction with its history record. Online recipes split it into
segments (CREATE INDEX CONCURRENTLY runs outside any transaction; VALIDATE needs the NOT VALID
constraint committed first; backfills commit batch by batch). Each segment records how far the
migration got, in the same transaction as its changes: an interrupted migration resumes there, and
a migration that fails after a segment committed is undone with the inverses of what committed."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field, replace
from collections.abc import Callable

from .checks import Refusals, describe_check, run_check
from .errors import ExecutionError, IrreversibleError, LockError, PreflightError, PymigError
from .history import current_user
from .ops import CreateTable, RenameTable, decode, encode
from .ops.data import UndoSteps
from .ops.columns import AddColumn, DropColumn
from .ops.tables import DropTable
from .schema import Schema
from .steps import Batched, Check, Commit, Failure, Python, Sql, Warning


class UserCodeError(Exception):
    """An exception raised by a run_python function (reported as the user's, not as pymig's)."""


class Live:
    def __init__(self, db, dialect):
        self.db, self.dialect = db, dialect

    def sql(self, text: str) -> None:
        self.db.execute(text)

    def flag(self, query: str) -> bool:
        rows = self.db.rows(query)
        return bool(rows and rows[0][0])

    def python(self, step: Python) -> None:
        try:
            step.fn(self.db.raw)
        except Exception as e:
            if self.db.error_text(e) is not None:
                raise
            raise UserCodeError(f"{type(e).__name__}: {e}") from e

    def batch(self, text: str) -> list:
        return [r[0] for r in self.db.rows(text)]

    def scalar(self, query: str):
        return self.db.rows(query)[0][0]

    def batched(self, step: Batched) -> None:
        """All batches inside the current transaction (a table created by this migration)."""
        keys = self.batch(step.first.replace("{limit}", str(step.batch_size)))
        while keys:
            after = self.dialect.literal(max(keys))
            keys = self.batch(step.after.replace("{limit}", str(step.batch_size)).replace("{after}", after))

    def check(self, check: Check) -> Failure | None:
        return run_check(self.db, self.dialect, check)

    def note(self, text: str) -> None:
        pass

    def rollback(self) -> None:
        self.db.rollback()

    def is_lock_timeout(self, error: Exception) -> bool:
        return self.db.is_lock_timeout(error)


class Preview:
    def __init__(self, dialect, db=None):
        self.dialect, self.db = dialect, db
        self.lines: list[str] = []

    def sql(self, text: str) -> None:
        self.lines.append(text.rstrip() + ";")

    def flag(self, query: str) -> bool:
        if self.db is not None:
            rows = self.db.rows(query)
            return bool(rows and rows[0][0])
        self.note(f"only if this returns true at run time, not known offline:\n{query}")
        return False

    def python(self, step: Python) -> None:
        self.note(f"{step.label}: Python code, runs here with the migration's connection")

    def batch(self, text: str) -> list:
        self.sql(text)
        return []

    def scalar(self, query: str):
        return 0

    def batched(self, step: Batched) -> None:
        self.note(f'repeated with "{step.key}" > the last key updated, until no row changes:')
        self.sql(step.first.replace("{limit}", str(step.batch_size)))

    def check(self, check: Check) -> None:
        self.note(describe_check(check))
        return None

    def note(self, text: str) -> None:
        self.lines.append(self.dialect.comment(text))

    def rollback(self) -> None:
        pass

    def is_lock_timeout(self, error: Exception) -> bool:
        return False


@dataclass
class Executor:
    """Applies migrations and reverts history records, keeping the schema state between them."""

    dialect: object
    db: object = None  # None: preview only, offline
    preview: bool = False
    schema: Schema | None = None  # None: read from the database when first needed
    user: str = field(default_factory=current_user)
    lock_timeout: str | None = "1s"
    retry_for: float = 300.0  # seconds of lock-timeout retries before giving up
    backfill_budget: float = 0.1  # target seconds per online backfill batch
    backfill_pause: float = 0.05  # seconds between online backfill batches
    report: Callable[[str], None] | None = None  # progress lines (backfills, lock retries)
    resolve_callable: Callable | None = None  # finds run_python functions of stored inverses

    def __post_init__(self):
        self.session = Preview(self.dialect, self.db) if self.preview else Live(self.db, self.dialect)
        self._trusted = True  # a preview cannot follow run_sql; it then stops deriving state
        self.last_plan: dict | None = None
        self.last_duration = 0.0
        # Tables that existed when this run began. Only those can be in use by the application,
        # so only they get online recipes: a table an earlier migration of the same `pymig up`
        # created (a fresh database in CI) is built the direct way, like one created in the same
        # migration.
        self.run_tables: set[str] | None = None

    def _state(self) -> Schema:
        if self.schema is None:
            self.schema = self.dialect.introspect(self.db) if self.db is not None else Schema()
        return self.schema

    def apply(self, migration, label: str, resume=None) -> None:
        """Apply one migration; `resume` is its partial history record from an interrupted run."""
        if self.preview:
            self.session.lines.append(f"-- {label}: {migration.description}")
        started = time.monotonic()
        _Run(self, label, migration.version, migration.name, migration.checksum, "up", resume).execute(
            migration.operations)
        self.last_duration = time.monotonic() - started

    def revert(self, record, label: str, resolve_callable=None) -> None:
        if self.preview:
            self.session.lines.append(f"-- revert {label}")
        ops = decode(record.inverse["operations"], resolve_callable or self.resolve_callable)
        _Run(self, label, record.version, record.name, record.checksum, "down", None).execute(ops)

    def output(self) -> str:
        return "\n".join(self.session.lines)

    def _before(self) -> Schema:
        if not self._trusted:
            return self.schema or Schema()
        return self._state()

    def _after(self, op, schema) -> Schema | None:
        if op.opaque:
            if self.preview:
                self._trusted = False
                return schema
            return None  # re-read the catalog when next needed
        if not self._trusted:
            try:
                return op.state_forwards(schema)
            except PymigError:
                return schema
        return op.state_forwards(schema)


@dataclass
class _Progress:
    """How far a migration got: what undoes it, and where to go on."""

    op: int = 1
    step: int = 0
    inverse: list = field(default_factory=list)  # undoes the completed operations, newest first
    current: list = field(default_factory=list)  # the inverse of the operation in progress
    undo: list = field(default_factory=list)  # takes back its committed steps, newest first
    added: set = field(default_factory=set)  # (table, column) created by this migration
    irreversible: str | None = None
    after: object = None  # last key of a backfill in progress

    def copy(self) -> _Progress:
        return replace(self, inverse=list(self.inverse), current=list(self.current),
                       undo=list(self.undo), added=set(self.added))

    def plan(self) -> dict:
        if self.irreversible:
            return {"irreversible": self.irreversible}
        return {"operations": encode(self.inverse)}

    def position(self) -> dict:
        return {"op": self.op, "step": self.step, "current": encode(self.current), "undo": encode(self.undo),
                "added": sorted(self.added), "after": self.after}

    @classmethod
    def resumed(cls, record, resolve) -> _Progress:
        p = record.progress
        inverse = list(decode(record.inverse.get("operations", []), resolve))
        return cls(p["op"], p["step"], inverse, list(decode(p["current"], resolve)), list(decode(p["undo"])),
                   {tuple(a) for a in p["added"]}, record.inverse.get("irreversible"), p.get("after"))


class _Run:
    """One migration (or one revert) through the database, segment by segment."""

    def __init__(self, ex: Executor, label, version, name, checksum, direction, resume):
        self.ex, self.s, self.d = ex, ex.session, ex.dialect
        self.label, self.version, self.name, self.checksum = label, version, name, checksum
        self.direction = direction
        self.p = _Progress.resumed(resume, ex.resolve_callable) if resume else _Progress()
        self.committed = self.p.copy()
        self.resumed = resume is not None
        self.in_txn = False
        self.holds_live_lock = self.holds_loss = self.op_live = self.op_lossy = False
        self.dirty = False  # something ran outside a transaction since the last record
        self.segments = 0
        self.replay: list[Callable] = []
        self.refusals = Refusals(label, direction)

    # -- the one loop --------------------------------------------------------------------------
    def execute(self, ops) -> None:
        start_op, start_step = self.p.op, self.p.step
        if self.direction != "up" or self.ex.run_tables is None:
            self.ex.run_tables = set(self.ex._before().tables)
        start_tables = self.ex.run_tables
        i, op = 0, None
        try:
            for i, op in enumerate(ops, 1):
                if i < start_op:
                    continue
                schema = self.ex._before()
                schema = replace(schema, new_tables=frozenset(set(schema.tables) - start_tables))
                if self.refusals:
                    self._check_after_refusal(i, op, schema)
                    continue
                target = _target(op)
                self.op_live = target is not None and schema.is_live(target)
                self.op_lossy = isinstance(op, (DropColumn, DropTable))
                fresh = not (i == start_op and start_step > 0)
                if fresh:
                    self._derive(i, op, schema)
                    if self.refusals.add(i, self._check(op, schema)):
                        continue
                try:
                    after = self.ex._after(op, schema)
                except PymigError:
                    if not (self.resumed and i == start_op):
                        raise
                    after = None  # the interrupted run made part of this change: re-read the catalog
                for j, step in enumerate(self._forward(op, schema)):
                    if not fresh and j < start_step:
                        continue
                    self._step(step)
                    self.p.step = j + 1
                    if isinstance(step, Sql) and step.undo:
                        self.p.undo.insert(0, step.undo)
                    if self.dirty and self.direction == "up":
                        self._commit()  # record a step that ran outside a transaction right away
                self.ex.schema = after
                self.p.inverse[:0] = self.p.current
                self.p.op, self.p.step, self.p.current, self.p.undo, self.p.after = i + 1, 0, [], [], None
                if isinstance(op, RenameTable) and op.old in start_tables:
                    start_tables.add(op.new)
            i, op = 0, None
            if self.refusals:
                self.ex.schema = None  # the state followed steps that are rolled back now
                raise self.refusals.error()
            self._finish()
        except KeyboardInterrupt:
            self.s.rollback()
            if self.segments:
                raise PymigError(f"{self.label}: interrupted after {self.segments} committed step(s)",
                                 hint="run `pymig up` again to resume where it stopped") from None
            raise
        except Exception as e:
            self.s.rollback()
            raise self._failed(e, i, op) from e

    def _forward(self, op, schema) -> list:
        try:
            return self.d.forward(op, schema)
        except PymigError:
            if self.ex._trusted:
                raise
            self.s.note(f"{op.describe()}: its statements depend on the schema run_sql leaves; "
                        "`pymig up` builds them at run time")
            return []

    def _check(self, op, schema) -> list[Failure]:
        """Preflight checks, in the transaction the operation's first statements will run in."""
        try:
            checks = op.checks(schema, self.d)
        except PymigError:
            if self.ex._trusted:
                raise
            self.s.note(f"{op.describe()}: its preflight checks read the schema run_sql leaves; they run at run time")
            return []
        if not checks:
            return []
        target = _target(op)
        if (self.in_txn and self.holds_live_lock and not self.holds_loss
                and (target is None or schema.is_live(target))):
            # The checks scan: not while this transaction locks out traffic on a table in use.
            # Not after a drop either: undoing a committed drop could not bring its data back.
            self._commit()
        self._begin()
        found: dict[int, Failure | None] = {}
        for n, c in enumerate(checks):
            self._do(lambda n=n, c=c: found.__setitem__(n, self.s.check(c)))
        return [f for f in found.values() if f]

    def _check_after_refusal(self, i, op, schema) -> None:
        """An earlier operation was refused: check this one too, so that one message reports every
        failure (the reasons are in checks.Refusals). Its transactional steps run in a savepoint of
        the transaction that is rolled back at the end; steps that would commit are skipped."""
        try:
            if self.refusals.add(i, [f for c in op.checks(schema, self.d) if (f := self.s.check(c))]):
                return
        except PymigError as e:
            self.refusals.skip(i, op, f"{e.message} (an earlier operation was refused)")
            return
        self.s.sql(self.d.savepoint("pymig_refused"))
        try:
            after = self.ex._after(op, schema)
            for step in self.d.forward(op, schema):
                if isinstance(step, Sql) and step.transactional and not (step.only_if and not self.s.flag(step.only_if)):
                    self.s.sql(step.text)
                elif isinstance(step, Python):
                    self.s.python(step)
                elif isinstance(step, Batched):
                    self.s.batched(step)  # online or not: inside this transaction
        except Exception as e:
            self.s.sql(self.d.rollback_to("pymig_refused"))
            text = e.message if isinstance(e, PymigError) else (self.ex.db.error_text(e) or str(e))
            self.refusals.skip(i, op, f"its checks passed, but it could not be tried after the refusal ({text}), "
                                      "so later checks ran without it")
        else:
            self.ex.schema = after
        self.s.sql(self.d.release("pymig_refused"))

    def _derive(self, i, op, schema) -> None:
        if self.direction != "up":
            return
        self.p.current = []
        if not self.p.irreversible:
            try:
                self.p.current = list(op.inverse(schema, self.p.added))
            except IrreversibleError as e:
                self.p.irreversible = (f"operation {i} ({op.describe()}) is not reversible: "
                                       f"{e.message.split(': ', 1)[-1]}")
            except PymigError:
                if self.ex._trusted:
                    raise
                # a preview after run_sql: the schema it reads from is only known at run time
                self.s.note(f"{op.describe()}: its inverse is read from the schema run_sql leaves, "
                            "at run time; the history record below lacks it")
        if isinstance(op, AddColumn):
            self.p.added.add((op.table, op.column.name))
        elif isinstance(op, CreateTable):
            self.p.added.update((op.table.name, c.name) for c in op.table.columns)

    # -- steps ---------------------------------------------------------------------------------
    def _step(self, step) -> None:
        if isinstance(step, Warning):
            self.s.note("WARNING: " + step.text)
        elif isinstance(step, Commit):
            self._commit()
        elif isinstance(step, Batched) and step.online:
            self._online_batches(step)
        elif isinstance(step, Sql) and not step.transactional:
            self._commit()
            if step.only_if and not self.s.flag(step.only_if):
                return
            try:
                self.s.sql(step.text)
            except Exception:
                if step.undo:  # e.g. a failed CREATE INDEX CONCURRENTLY leaves an INVALID index
                    self.s.rollback()
                    self.s.sql(step.undo.text)
                raise
            self.dirty = True
        elif isinstance(step, Sql):
            if step.only_if and not self.s.flag(step.only_if):
                return
            self._begin()
            self._do(lambda: self.s.sql(step.text))
            self.holds_live_lock = self.holds_live_lock or self.op_live
            self.holds_loss = self.holds_loss or self.op_lossy
        elif isinstance(step, Python):
            self._begin()
            self._do(lambda: self.s.python(step))
        elif isinstance(step, Batched):
            self._begin()
            self._do(lambda: self.s.batched(step))
        elif isinstance(step, Check):  # verifies the statements before it (SQLite: foreign keys after a rebuild)
            self._begin()
            found: list = []
            self._do(lambda: found.append(self.s.check(step)))
            if found[-1]:
                refused = Refusals(self.label, self.direction)
                refused.add(self.p.op, found[-1:])
                raise refused.error()
        else:
            raise TypeError(f"unknown step {step!r}")

    def _online_batches(self, step: Batched) -> None:
        """Keyset batches, each committed on its own with the progress, sized to a time budget.
        Like one UPDATE, they cover the rows there when the backfill starts (up to the largest key
        then): under a steady insert load, chasing the newest rows could go on for as long as it lasts."""
        self._commit()
        total = self.s.scalar(step.count) if step.count else 0
        last = self.s.scalar(step.last) if step.last else None
        if self.preview:
            self.s.note(f"backfill {step.table}: batches of up to {step.batch_size} rows (resized to take "
                        f"about {self.ex.backfill_budget * 1000:.0f} ms), each committed with the progress, "
                        f'repeated with "{step.key}" > the last key until no row changes')
        limit, done, started = step.batch_size, 0, time.monotonic()
        while True:
            text = step.first if self.p.after is None else step.after.replace("{after}", self.d.literal(self.p.after))
            self._begin()
            t0 = time.monotonic()
            keys: list = []
            statement = text.replace("{limit}", str(limit))
            self._do(lambda keys=keys, statement=statement: keys.__setitem__(slice(None), self.s.batch(statement)))
            elapsed = time.monotonic() - t0
            if not keys:
                self._commit_or_close()
                break
            self.p.after = max(keys)
            done += len(keys)
            self._commit()
            self._progress(step.table, done, total, started)
            if last is None or self.p.after >= last:
                break
            limit = max(1, min(limit * 2, int(limit * self.ex.backfill_budget / max(elapsed, 1e-3)), 100_000), limit // 2)
            if self.ex.backfill_pause:
                time.sleep(self.ex.backfill_pause)
        self.p.after = None
        if done and self.ex.report:
            self.ex.report(f"backfill {step.table}: {done} rows in {time.monotonic() - started:.1f} s", final=True)

    def _progress(self, table, done, total, started) -> None:
        if not self.ex.report:
            return
        rate = done / max(time.monotonic() - started, 1e-6)
        left = max(total - done, 0) / rate if total and rate else 0
        pct = f" ({100 * done / total:.0f}%)" if total else ""
        self.ex.report(f"backfill {table}: {done}/{total or '?'} rows{pct}, {rate:,.0f} rows/s, {left:.0f} s left")

    @property
    def preview(self) -> bool:
        return self.ex.preview

    # -- transactions --------------------------------------------------------------------------
    def _begin(self) -> None:
        if self.in_txn:
            return
        self.s.sql(self.d.begin)
        self.began = time.monotonic()
        if self.d.lock_timeout and self.ex.lock_timeout:
            self.s.sql(f"SET LOCAL lock_timeout = {self.d.literal(self.ex.lock_timeout)}")
        self.in_txn = True
        self.holds_live_lock = False  # a statement of this transaction changed a table in use
        self.holds_loss = False  # ... or dropped something
        self.replay = []

    def _do(self, action: Callable) -> None:
        """Run one action of the open transaction. On a lock timeout, roll back, wait with
        jittered backoff (other sessions go on meanwhile), and replay the transaction."""
        self.replay.append(action)
        started, attempt = time.monotonic(), 0
        while True:
            try:
                if attempt:
                    self.in_txn = False
                    replay, self.replay = self.replay, []
                    self._begin()
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
                if waited > self.ex.retry_for:
                    raise LockError(
                        f"{self.label}: gave up after {attempt} lock timeouts over {waited:.0f} s; "
                        f"{self.d.describe_blockers(self.ex.db)}",
                        hint="end or wait out those sessions, or raise --lock-timeout / [tool.pymig] lock_retry_for",
                    ) from e
                delay = min(0.2 * 2 ** min(attempt, 6), 10.0) * random.uniform(0.5, 1.0)
                if self.ex.report:
                    self.ex.report(f"{self.label}: lock not available (attempt {attempt}); retrying in {delay:.1f} s")
                time.sleep(min(delay, max(self.ex.retry_for - waited, 0) + 0.01))

    def _commit(self) -> None:
        """Close the segment: record how far the migration got, in the same transaction."""
        if not self.in_txn and not self.dirty:
            return
        if not self.in_txn and self.direction != "up":
            self.dirty = False  # nothing to record: a revert keeps no progress
            return
        self._begin()
        if self.direction == "up":
            for text in self.d.record_progress(self.version, self.name, self.checksum, self.ex.user,
                                               _json(self.p.plan()), _json(self.p.position()),
                                               elapsed_ms=self._elapsed_ms()):
                self._do(lambda text=text: self.s.sql(text))
        self.s.sql("COMMIT")
        self.in_txn = self.dirty = False
        self.segments += 1
        self.committed = self.p.copy()

    def _elapsed_ms(self) -> float:
        """How long the open transaction has run, for dialects with no transaction clock (SQLite)."""
        return (time.monotonic() - self.began) * 1000

    def _commit_or_close(self) -> None:
        if self.in_txn and not self.dirty:
            self.s.sql("COMMIT")
            self.in_txn = False
        else:
            self._commit()

    def _finish(self) -> None:
        self._begin()
        if self.direction == "up":
            self.ex.last_plan = self.p.plan()
            texts = self.d.record_applied(self.version, self.name, self.checksum, self.ex.user,
                                          _json(self.p.plan()), elapsed_ms=self._elapsed_ms())
        elif self.direction == "down":
            texts = self.d.record_reverted(self.version, self.name, self.ex.user, elapsed_ms=self._elapsed_ms())
        else:  # undoing a migration that never completed: it leaves no trace in the history
            texts = self.d.forget(self.version)
        if self.d.multi_statement:  # the record and COMMIT in one round trip
            texts = [*texts[:-1], f"{texts[-1]};\nCOMMIT"]
        for text in texts:
            self._do(lambda text=text: self.s.sql(text))
        if not self.d.multi_statement:
            self.s.sql("COMMIT")
        self.in_txn = False

    # -- failure -------------------------------------------------------------------------------
    def _failed(self, e: Exception, i: int, op) -> Exception:
        if isinstance(e, PreflightError):
            err = e
        elif isinstance(e, PymigError):
            where = f"{self.label}: operation {i} ({op.describe()})" if op is not None else self.label
            err = type(e)(e.message if e.message.startswith(self.label) else f"{where}: {e.message}", e.hint)
        else:
            db = self.ex.db
            text = str(e) if isinstance(e, UserCodeError) else (db.error_text(e) if db is not None else None)
            if text is None:
                return e  # a bug in pymig itself: the CLI reports it as an internal error
            where = f"{self.label}: operation {i} ({op.describe()})" if op is not None else f"{self.label}: history record"
            err = ExecutionError(f"{where}: {text}", hint="the migration was rolled back; nothing was changed")
        if self.direction == "up" and (self.segments or self.resumed) and not self.preview:
            err = self._undo_committed(err)
        elif self.direction == "down" and self.segments and not self.preview:
            err.hint = (f"{self.segments} committed part(s) of this revert, before operation {i}, ran in their "
                        "own transactions and stay done; the history still lists the migration as applied, so fix the cause and "
                        "finish the revert by hand, or re-apply what was reverted")
        return err

    def _undo_committed(self, err: PymigError) -> PymigError:
        """A later segment failed: take back what earlier segments committed, newest first."""
        c = self.committed
        if c.irreversible:
            err.hint = (f"steps of this migration were already committed and cannot be undone ({c.irreversible}); "
                        "`pymig status` shows it as partially applied")
            return err
        ops = ([UndoSteps(tuple(c.undo))] if c.undo else []) + list(c.inverse)
        self.ex.schema = None
        try:
            undo = _Run(self.ex, self.label, self.version, self.name, self.checksum, "undo", None)
            undo.execute(ops)
        except PymigError as undo_error:
            err.hint = (f"undoing the steps already committed failed too: {undo_error.message}; "
                        "the migration is left partially applied (`pymig status`)")
            return err
        err.hint = "the steps this migration had committed were undone: the database is as it was before it"
        return err


def _target(op) -> str | None:
    """The table an operation changes, when it names one."""
    index = getattr(op, "index", None)
    if index is not None:
        return index.table
    for attr in ("table", "old"):
        value = getattr(op, attr, None)
        if isinstance(value, str):
            return value
    return None


def _json(data) -> str:
    return json.dumps(data, separators=(",", ":"), default=str)
