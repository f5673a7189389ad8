"""create_sequence, alter_sequence, drop_sequence."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..errors import PymigError
from ..schema import Sequence, canonical_options
from .base import Operation, register

OPTIONS = ("start", "increment", "min", "max", "cycle")


def _owner_exists(schema, owned_by: str | None) -> None:
    if owned_by:
        from ..names import column_ref

        try:
            table, column = column_ref(owned_by)
        except PymigError:
            raise PymigError(f"owned_by={owned_by!r}: write 'table.column' or 'schema.table.column'") from None
        schema.table(table).column(column)


@register
@dataclass(frozen=True)
class CreateSequence(Operation):
    kind = "create_sequence"
    sequence: Sequence

    def describe(self):
        return f"create_sequence {self.sequence.name}"

    def state_forwards(self, schema):
        if schema.get("sequence", self.sequence.name):
            raise PymigError(f'sequence "{self.sequence.name}" already exists')
        _owner_exists(schema, self.sequence.owned_by)
        return schema.with_object(self.sequence)

    def inverse(self, schema, added):
        return [DropSequence(self.sequence.name)]


@register
@dataclass(frozen=True)
class AlterSequence(Operation):
    """Changes the options named (`changes`: option -> value); never the current value, so the
    numbers already handed out stay handed out (its inverse does not rewind either)."""

    kind = "alter_sequence"
    name: str
    changes: dict

    def describe(self):
        return f"alter_sequence {self.name}"

    def validate(self):
        unknown = set(self.changes) - {*OPTIONS, "owned_by"}
        if unknown:
            raise PymigError(f"alter_sequence {self.name}: unknown option(s) {', '.join(sorted(unknown))}")

    def _after(self, schema) -> Sequence:
        seq = replace(schema.object("sequence", self.name), **self.changes)
        start, increment, lo, hi = canonical_options(seq.start, seq.increment, seq.min, seq.max)
        return replace(seq, start=start, increment=increment, min=lo, max=hi)

    def state_forwards(self, schema):
        _owner_exists(schema, self.changes.get("owned_by"))
        return schema.with_object(self._after(schema))

    def inverse(self, schema, added):
        before = schema.object("sequence", self.name)
        return [AlterSequence(self.name, {f.name: getattr(before, f.name) for f in fields(before)
                                          if f.name in self.changes})]


@register
@dataclass(frozen=True)
class DropSequence(Operation):
    """Its inverse re-creates the sequence with its options, at its start (the values handed out
    are gone with it, as a dropped table's rows are)."""

    kind = "drop_sequence"
    name: str

    def describe(self):
        return f"drop_sequence {self.name}"

    def state_forwards(self, schema):
        schema.object("sequence", self.name)
        return schema.without_object("sequence", self.name)

    def inverse(self, schema, added):
        return [CreateSequence(schema.object("sequence", self.name))]

    def checks(self, schema, dialect):
        from ..dialects.checks import dependents_checks

        return dependents_checks(self, f'sequence "{self.name}"', dialect.dependents_query(self.name))
