"""run_sql, run_python, backfill, preflight: data and escape hatches."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

from ..errors import PymigError
from ..steps import Check
from .base import Operation, register


@register
@dataclass(frozen=True)
class RunSQL(Operation):
    kind = "run_sql"
    opaque = True
    up: str
    down: str | None = None

    def describe(self):
        first = " ".join(self.up.split())
        return f"run_sql {first[:60]!r}" + ("..." if len(first) > 60 else "")

    def validate(self):
        for text in (self.up, self.down):
            if text is not None and (not isinstance(text, str) or not text.strip()):
                raise PymigError("run_sql takes SQL text for up= and down=")

    def state_forwards(self, schema):
        return schema

    def inverse(self, schema, added):
        if self.down is None:
            raise self.irreversible("it has no down= SQL")
        return [RunSQL(self.down, self.up)]


@register
@dataclass(frozen=True)
class RunPython(Operation):
    kind = "run_python"
    opaque = True
    up: Callable
    down: Callable | None = None

    def describe(self):
        return f"run_python {self.up.__qualname__}"

    def validate(self):
        for fn in (self.up, self.down):
            if fn is not None and not callable(fn):
                raise PymigError("run_python takes functions for up= and down=")

    def state_forwards(self, schema):
        return schema

    def inverse(self, schema, added):
        if self.down is None:
            raise self.irreversible("it has no down= function")
        return [RunPython(self.down, self.up)]


@register
@dataclass(frozen=True)
class Backfill(Operation):
    """UPDATE in primary-key batches. Reversible with `reverse=`, or when every column it sets
    was added by the same migration (the add_column's inverse then drops the values)."""

    kind = "backfill"
    table: str
    set: dict
    where: str | None = None
    batch_size: int = 10_000
    reverse: dict | None = None

    def describe(self):
        return f"backfill {self.table} ({', '.join(self.set)})"

    def validate(self):
        from ..sqltext import check_expression

        if not self.set:
            raise PymigError("backfill needs set={column: sql_expression}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise PymigError("backfill batch_size must be a positive integer")
        for expr in [*self.set.values(), *(self.reverse or {}).values(), self.where]:
            if expr is not None:
                check_expression(expr)

    def expressions(self):
        return [*(("set expression", e) for e in self.set.values()), *([("where", self.where)] if self.where else []),
                *(("reverse expression", e) for e in (self.reverse or {}).values())]

    def state_forwards(self, schema):
        table = schema.table(self.table)
        for col in self.set:
            table.column(col)
        return schema

    def inverse(self, schema, added):
        if self.reverse:
            return [Backfill(self.table, self.reverse, None, self.batch_size, self.set)]
        if all((self.table, col) in added for col in self.set):
            return []
        kept = [c for c in self.set if (self.table, c) not in added]
        raise self.irreversible(
            f"it overwrites existing column(s) {', '.join(kept)} and has no reverse= to restore them"
        )


@register
@dataclass(frozen=True)
class Preflight(Operation):
    kind = "preflight"
    query: str
    message: str

    def describe(self):
        return f"preflight {self.message!r}"

    def validate(self):
        if not isinstance(self.query, str) or not self.query.strip():
            raise PymigError("preflight needs a query")

    def checks(self, schema, dialect):
        return [Check(self.describe(), "query", self.query.strip().rstrip(";"), self.message)]

    def state_forwards(self, schema):
        return schema

    def inverse(self, schema, added):
        return []


@register
@dataclass(frozen=True)
class UndoSteps(Operation):
    """Takes back the committed steps of a recipe that failed halfway (never written by users)."""

    kind = "undo"
    opaque = True
    steps: tuple

    def describe(self):
        return "undo " + "; ".join(s.text for s in self.steps)

    def state_forwards(self, schema):
        return schema

    def inverse(self, schema, added):
        raise self.irreversible("it takes back a half-done step")
