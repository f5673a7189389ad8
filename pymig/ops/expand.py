"""The operations of an expand/contract type change that pymig stores with the history (ops.base.Phases):
the contract `pymig complete` runs, and the revert `pymig down` runs while the migration is expanded.
Users never write them: `alter_column(type=...)` on a live table returns them from its phases."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..schema import Column, Schema
from ..sqltext import mentions
from .base import Operation, object_name, register


def shadow_name(column: str) -> str:
    """The new column while the change expands; it takes the column's name at the switch."""
    return object_name(column, suffix="pymig_new")


def old_name(column: str) -> str:
    """The old column after the switch, kept in sync until the contract drops it."""
    return object_name(column, suffix="pymig_old")


def sync_name(table: str, column: str) -> str:
    """The trigger (and its function) that keeps the two columns equal."""
    return object_name(table, column, suffix="pymig_sync")


def copy_name(name: str) -> str:
    """An index or constraint built on the new column, named as the original from the switch on."""
    return object_name(name, suffix="pymig_new")


def kept_name(name: str) -> str:
    """The original index or constraint after the switch, on the old column until the contract."""
    return object_name(name, suffix="pymig_old")


def is_pymig_name(name: str) -> bool:
    return name.endswith(("_pymig_new", "_pymig_old", "_pymig_not_null", "_pymig_sync"))


def expanded_state(schema: Schema, after: Schema, table: str, before: Column) -> Schema:
    """While expanded: the new column under the column's name (`after`, the ordinary state), and
    the old one kept under its pymig name, without its default (the new column has it)."""
    t = after.table(table)
    kept = replace(before, name=old_name(before.name), default=None, identity=None, identity_options=None,
                   sequence=None, type={"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}.get(before.type,
                                                                                                    before.type))
    columns = tuple(c for c in t.columns if c.name not in (kept.name, shadow_name(before.name)))
    return after.with_table(replace(t, columns=columns + (kept,)))


@register
@dataclass(frozen=True)
class ContractColumnType(Operation):
    """Drop what kept the old form of a type change alive: the sync trigger and function, and the
    old column (with its indexes and constraints)."""

    kind = "contract_column_type"
    table: str
    name: str
    type: str

    def describe(self):
        return f"contract alter_column {self.table}.{self.name} (drop {old_name(self.name)} and its sync trigger)"

    def state_forwards(self, schema):
        t = schema.table(self.table)
        old = old_name(self.name)
        schema = schema.with_table(replace(
            t, columns=tuple(c for c in t.columns if c.name != old),
            constraints=tuple(c for c in t.constraints if old not in c.columns and not mentions(c.expression, old))))
        for i in schema.indexes_on(self.table):
            if any(mentions(col, old) for col in i.columns) or mentions(i.where, old):
                schema = schema.without_index(i.name)
        return schema

    def inverse(self, schema, added):
        raise self.irreversible("the old column is dropped; `pymig down` reverts the whole type change instead")


@register
@dataclass(frozen=True)
class RevertColumnType(Operation):
    """Undo the expand and the switch of a type change: the old column, kept in sync, takes its name,
    place in indexes and constraints, default and sequence back; the new one goes."""

    kind = "revert_column_type"
    table: str
    name: str
    column: Column  # the column as it was before the change

    def describe(self):
        return f"revert alter_column {self.table}.{self.name} to {self.column.type} (before the contract)"

    def state_forwards(self, schema):
        t = schema.table(self.table)
        old = old_name(self.name)
        columns = tuple(self.column if c.name == self.name else c for c in t.columns if c.name != old)
        return schema.with_table(replace(t, columns=columns))

    def inverse(self, schema, added):
        raise self.irreversible("it is the inverse of an expanded type change")

    def checks(self, schema, dialect):
        from ..dialects.checks import revert_column_type_checks

        return revert_column_type_checks(self, old_name(self.name), schema, dialect)


@register
@dataclass(frozen=True)
class SerialSequenceType(Operation):
    """The type a serial column's sequence counts in (ALTER SEQUENCE ... AS): the contract of an
    integer type change sets it to the new type; the inverse after the contract sets it back."""

    kind = "serial_sequence_type"
    table: str
    name: str
    type: str

    def describe(self):
        return f"sequence of {self.table}.{self.name} as {self.type}"

    def state_forwards(self, schema):
        return schema

    def inverse(self, schema, added):
        raise self.irreversible("the type it had is not known here")

