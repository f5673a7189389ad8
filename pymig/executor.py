"""Runs a plan, or renders it for `pymig sql`: one code path, two sessions (pymig.engine.sessions).

The Executor keeps the schema state between the migrations of one command; each migration or
revert is one pymig.engine.run.MigrationRun."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from .engine.batch import HeldCommit
from .engine.failure import undo_plan
from .engine.progress import Progress
from .engine.run import MigrationRun
from .engine.sessions import Live, Preview, Script, UserCodeError
from .errors import AssertedCheckFailed, PymigError
from .history import current_user
from .ops import decode
from .ops.base import encode_plan
from .schema import Schema

__all__ = ["Executor", "UserCodeError"]


def stored(record, column: str, build):
    """`build()` from a history row's stored JSON; a row damaged outside pymig (an unknown
    operation, a missing field) is named instead of failing as pymig's own bug."""
    try:
        return build()
    except PymigError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        if record is None:
            raise
        from .history import damaged

        raise damaged(record.version, column, f"{type(e).__name__}: {e}") from e


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
    progress: object = None  # a pymig.engine.progress.Display: also shows how long a slow step runs
    resolve_callable: Callable | None = None  # finds run_python functions of stored inverses
    script: bool = False  # a preview as a psql script that runs on its own (`pymig sql --script`)
    batch_size: int = 0  # migrations per message at most (pymig.engine.batch); 0: each on its own

    def __post_init__(self):
        if self.preview:
            self.session = (Script if self.script else Preview)(self.dialect, self.db)
        else:
            self.session = Live(self.db, self.dialect)
        self.trusted = True  # a preview cannot follow run_sql; it then stops deriving state
        self.last_plan: dict | None = None
        self.last_duration = 0.0
        # Tables that existed when this run began. Only those can be in use by the application,
        # so only they get online recipes: a table an earlier migration of the same `pymig up`
        # created (a fresh database in CI) is built the direct way, like one created in the same
        # migration.
        self.run_tables: set[str] | None = None
        # The schemas besides the default one that the state holds: those the operations name
        # (pymig.names.schemas_named), read from the catalog with it.
        self.schemas: set[str] = set()
        # Per version of a `down` plan: the tables that revert or a later one drops anyway, changed
        # the direct way before that (pymig.engine.doomed); set by plan_reverts.
        self.doomed: dict[int, frozenset[str]] = {}
        self._planned: dict[int, tuple] = {}  # id(record) -> revert_plan(record), by plan_reverts

    def want(self, ops) -> None:
        """Make the state hold every schema `ops` name: read the ones it lacks (their objects are
        as the catalog has them; no earlier operation of this run named them)."""
        from .names import schemas_named

        new = schemas_named(ops) - self.schemas
        if not new:
            return
        self.schemas |= new
        if self.schema is not None and self.db is not None and self.trusted:
            self.schema = self.schema.merged(self.dialect.introspect_schemas(self.db, new))

    def apply(self, migration, label: str, resume=None, done=None) -> None:
        """Apply one migration; `resume` is its partial history record from an interrupted run.
        `done(seconds, plan)` reports it once committed: now, or when its group goes (run_each)."""
        if self.preview:
            self.session.lines.append(f"-- {label}: {migration.description}")
            self.session.label = label
        started = time.monotonic()
        ops = [self.dialect.canonical(op) for op in migration.operations]  # "app.users" is "users"
        self.want(ops)
        self._run(lambda assertions: stored(resume, "progress", lambda: MigrationRun(
            self, label, migration.version, migration.name, migration.checksum, "up", resume,
            assertions=assertions)), ops, label, done)
        self.last_duration = time.monotonic() - started

    def revert_plan(self, record, resolve_callable=None) -> tuple[str, dict, object, tuple]:
        """(direction, stored plan, record to resume, operations) of reverting `record`: its stored
        inverse; the rest of a revert that was stopped; or, for a partial migration, what takes
        back its committed part (an abort)."""
        resolve = resolve_callable or self.resolve_callable
        progress = record.progress
        if progress is None:
            direction, plan, resume = "down", record.inverse, None
        elif progress.get("direction") == "down":
            direction, plan, resume = progress.get("finish", "down"), record.inverse, record
        else:
            committed = stored(record, "progress", lambda: Progress.resumed(record, resolve))
            direction, plan, resume = "abort", encode_plan(undo_plan(committed)), None
        ops = stored(record, "inverse", lambda: decode(plan["operations"], resolve))
        return direction, encode_plan(ops), resume, ops  # re-encoded: the same text online and offline

    def plan_reverts(self, records) -> list[tuple]:
        """(record, operations) of each revert of a `down`, in order; notes the tables the plan
        drops, for the reverts before each drop (pymig.engine.doomed)."""
        from .engine.doomed import dropped_later

        self._planned = {id(r): self.revert_plan(r) for r in records}  # revert() takes them from here
        plans = [(r, self._planned[id(r)][3]) for r in records]
        self.doomed = dropped_later([(r.version, ops) for r, ops in plans])
        return plans

    def revert(self, record, label: str, resolve_callable=None, done=None) -> None:
        """Revert an applied migration, resume a stopped revert, or abort a partial migration;
        `done(seconds, plan)` as for apply."""
        planned = self._planned.get(id(record)) if resolve_callable is None else None
        direction, plan, resume, ops = planned or self.revert_plan(record, resolve_callable)
        self.want(ops)
        if self.preview:
            what = "abort (take back the committed part of)" if direction == "abort" else "revert"
            self.session.lines.append(f"-- {what} {label}" + (" (resumed)" if resume else ""))
            self.session.label = label
        self._run(lambda assertions: MigrationRun(self, label, record.version, record.name, record.checksum,
                                                  direction, resume, plan, assertions=assertions), ops, label, done)

    def _run(self, make, ops, label: str, done=None) -> None:
        """Run a migration with its checks sent as assertions along with the statements after them
        (no round trip each). Should a message holding one fail, nothing of the migration had
        committed and its transaction is rolled back: the state goes back to where it began, and
        the migration runs again with each check on its own, which refuses with the full report
        (rows counted, examples) or fails as it would have without assertions."""
        saved = (self.schema, None if self.run_tables is None else set(self.run_tables), self.trusted)
        started = time.monotonic()
        for assertions in ((True, False) if not self.preview else (False,)):
            run = make(assertions)
            if done is not None and self.db is not None and self.db.batch_size > 1 and not any(op.opaque for op in ops):
                # (run_sql and run_python may take long: the migrations before them commit first)
                run.hold = HeldCommit(run.version, label, run.direction, self.dialect.record_state(run.version), done,
                                      started)
            try:
                run.execute(ops)
                break
            except AssertedCheckFailed:
                if not assertions:
                    raise
                self.schema, self.run_tables, self.trusted = saved
        plan = self.last_plan if run.direction == "up" else None
        if run.held:
            run.hold.ran, run.hold.plan = time.monotonic() - started, plan
        elif done is not None:
            done(time.monotonic() - started, plan)

    def batching(self, on: bool) -> None:
        """Let plain migrations wait for later ones, up to batch_size per message (or not)."""
        if self.db is not None and self.db.groups_migrations:
            self.db.batch_size = self.batch_size if on else 0

    def flush(self) -> None:
        """Commit the migrations waiting in the batch (they are reported as they commit)."""
        if self.db is not None and not self.preview:
            self.db.flush()

    def complete(self, record, label: str, resolve_callable=None) -> None:
        """Run the contract of an expanded migration (or finish one that stopped half-way); its
        history record then stores the inverse that applies after the contract."""
        from .engine.lifecycle import completion

        ops, final = stored(record, "inverse", lambda: completion(record, resolve_callable or self.resolve_callable))
        resume = record if record.completing else None
        if self.preview:
            self.session.lines.append(f"-- contract of {label}" + (" (resumed)" if resume else "") +
                                      f": `pymig complete {record.version}` runs it (or the next `pymig up` "
                                      "with [tool.pymig] auto_complete = true), not `pymig up`")
            self.session.label = label
        MigrationRun(self, label, record.version, record.name, record.checksum, "complete", resume, final,
                     stored=record.inverse).execute(ops)

    def ticking(self, what: str):
        """Show how long the block runs, once it runs long (see Display.ticking)."""
        if self.progress is None or self.preview:
            return nullcontext()
        return self.progress.ticking(what)

    def require_schemas(self, op, schema) -> None:
        """A name in a schema that does not exist (nor is created earlier in this run) is refused
        before the operation runs, naming the schema (the run names the file and the operation)."""
        from .errors import OperationError
        from .names import qualified_names, split

        qualified = qualified_names(op)
        if not qualified:
            return
        known = {"public", self.dialect.default_schema} | {name for kind, name in schema.objects if kind == "schema"}
        for name in qualified:
            where = split(name, 3)[0]  # schema.name, schema.table.column
            if where not in known:
                raise OperationError(f'schema "{where}" does not exist (named by "{name}")',
                                     hint=f'create it first: create_schema("{where}") in this migration or an earlier one')

    def output(self) -> str:
        return "\n".join(self.session.lines)

    def before(self) -> Schema:
        """The schema the next operation starts from (read from the database when not known)."""
        if not self.trusted:
            return self.schema or Schema()
        if self.schema is None:
            self.schema = self.dialect.introspect(self.db, self.schemas) if self.db is not None else Schema()
        return self.schema

    def after(self, op, schema) -> Schema | None:
        """The schema after `op`; None when only the catalog can tell (run_sql): read it again."""
        if self.db is not None and self.trusted:
            self.require_schemas(op, schema)
        if op.opaque:
            if self.preview:
                self.trusted = False
                return schema
            return None
        if not self.trusted:
            try:
                return op.state_forwards(schema)
            except PymigError:
                return schema
        return op.state_forwards(schema)
