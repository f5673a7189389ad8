"""Runs a plan, or renders it for `pymig sql`: one code path, two sessions.

A Live session sends each statement to the database; a Preview session writes it out. Everything
else (transaction boundaries, checks, inverses, history records) is the same code for both, so
the preview cannot drift from what runs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from .errors import ExecutionError, IrreversibleError, PreflightError, PymigError
from .history import current_user
from .ops import CreateTable, Operation, decode, encode
from .ops.columns import AddColumn
from .schema import Schema
from .steps import Batched, Check, Failure, Python, Sql

SAMPLE_ROWS = 5


class Live:
    def __init__(self, db, dialect):
        self.db, self.dialect = db, dialect

    def sql(self, text: str) -> None:
        self.db.execute(text)

    def python(self, step: Python) -> None:
        step.fn(self.db.raw)

    def batched(self, step: Batched) -> int:
        total = 0
        rows = self.db.rows(step.first)
        while rows:
            total += len(rows)
            last = max(r[0] for r in rows)
            rows = self.db.rows(step.after.replace("{after}", self.dialect.literal(last)))
        return total

    def check(self, check: Check) -> Failure | None:
        wrapped = f"SELECT * FROM ({check.query}) AS pymig_check LIMIT {SAMPLE_ROWS}"
        columns, sample = self.db.query(wrapped)
        if not sample:
            return None
        count_sql = check.count_query or f"SELECT count(*) FROM ({check.query}) AS pymig_check"
        count = self.db.rows(count_sql)[0][0]
        return Failure(check, int(count), sample, columns)

    def rollback(self) -> None:
        self.db.rollback()


class Preview:
    def __init__(self, dialect):
        self.dialect = dialect
        self.lines: list[str] = []

    def sql(self, text: str) -> None:
        self.lines.append(text.rstrip() + ";")

    def python(self, step: Python) -> None:
        self.lines.append(f"-- {step.label}: Python code, runs here with the migration's connection")

    def batched(self, step: Batched) -> int:
        self.lines.append(f'-- in batches, repeated with "{step.key}" > the last key updated until no row changes:')
        self.sql(step.first)
        return 0

    def check(self, check: Check) -> None:
        self.lines.append(self.dialect.comment(f"preflight for {check.operation}: refuse if any row:\n{check.query}"))
        return None

    def rollback(self) -> None:
        pass


@dataclass
class Executor:
    """Applies migrations and reverts history records, keeping the schema state between them."""

    dialect: object
    db: object = None  # None: preview only
    preview: bool = False
    schema: Schema | None = None  # None: read from the database when first needed
    user: str = field(default_factory=current_user)

    def __post_init__(self):
        self.session = Preview(self.dialect) if self.preview else Live(self.db, self.dialect)
        self._trusted = True  # a preview cannot follow run_sql; it then stops deriving state

    # -- state ---------------------------------------------------------------------------------
    def _state(self) -> Schema:
        if self.schema is None:
            self.schema = self.dialect.introspect(self.db) if self.db is not None else Schema()
        return self.schema

    # -- public --------------------------------------------------------------------------------
    def apply(self, migration, label: str) -> None:
        started = time.monotonic()
        if self.preview:
            self.session.lines.append(f"-- {label}: {migration.description}")
        inverse: list[Operation] = []
        irreversible = None
        added: set[tuple[str, str]] = set()

        def derive(i, op, schema):
            nonlocal irreversible
            if irreversible or not self._trusted:
                return
            try:
                inverse[:0] = op.inverse(schema, added)
            except IrreversibleError as e:
                irreversible = f"operation {i} ({op.describe()}) is not reversible: {e.message.split(': ', 1)[-1]}"
            if isinstance(op, AddColumn):
                added.add((op.table, op.column.name))
            elif isinstance(op, CreateTable):
                added.update((op.table.name, c.name) for c in op.table.columns)

        def record():
            plan = {"irreversible": irreversible} if irreversible else {"operations": encode(inverse)}
            self.last_plan = plan
            return self.dialect.record_applied(
                migration.version, migration.name, migration.checksum, self.user,
                json.dumps(plan, separators=(",", ":")),
            )

        self._run(label, migration.operations, derive, record)
        self.last_duration = time.monotonic() - started

    def revert(self, record, label: str, resolve_callable) -> None:
        if self.preview:
            self.session.lines.append(f"-- revert {label}")
        ops = decode(record.inverse["operations"], resolve_callable)
        self._run(label, ops, None,
                  lambda: self.dialect.record_reverted(record.version, record.name, self.user))

    def output(self) -> str:
        return "\n".join(self.session.lines)

    # -- the one loop --------------------------------------------------------------------------
    def _run(self, label, ops, derive, record) -> None:
        s = self.session
        s.sql("BEGIN")
        i, op = 0, None
        try:
            for i, op in enumerate(ops, 1):
                schema = self._before(op)
                if derive:
                    derive(i, op, schema)
                failures = [f for c in op.checks(schema, self.dialect) if (f := s.check(c))]
                if failures:
                    raise PreflightError(format_failures(label, failures),
                                         hint=failures[0].check.hint)
                after = self._after(op, schema)
                for step in op.forward(schema, self.dialect):
                    self._step(step)
                self.schema = after
            i, op = 0, None
            for text in record():
                s.sql(text)
            s.sql("COMMIT")
        except PreflightError:
            s.rollback()
            raise
        except PymigError as e:
            s.rollback()
            where = f"{label}: operation {i} ({op.describe()})" if op is not None else label
            raise type(e)(f"{where}: {e.message}", e.hint) from e
        except Exception as e:
            s.rollback()
            # the database's message, or what a run_python function raised
            text = (self.db.error_text(e) if self.db is not None else None) or f"{type(e).__name__}: {e}"
            where = f"{label}: operation {i} ({op.describe()})" if op is not None else f"{label}: history record"
            raise ExecutionError(f"{where}: {text}",
                                 hint="the migration was rolled back; nothing was changed") from e

    def _before(self, op) -> Schema:
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

    def _step(self, step) -> None:
        if isinstance(step, Sql):
            self.session.sql(step.text)
        elif isinstance(step, Python):
            self.session.python(step)
        elif isinstance(step, Batched):
            self.session.batched(step)
        else:
            raise TypeError(step)


def format_failures(label: str, failures: list[Failure]) -> str:
    lines = [f"{label}: refused by {len(failures)} preflight check{'s' if len(failures) > 1 else ''}; nothing was changed"]
    for f in failures:
        rows = "row" if f.count == 1 else "rows"
        lines.append(f"  {f.check.operation}: {f.check.message} ({f.count} {rows} on {f.check.subject})")
        if f.sample:
            lines.append("    e.g. " + "; ".join(
                ", ".join(f"{c}={v!r}" for c, v in zip(f.columns, row)) for row in f.sample))
    return "\n".join(lines)

