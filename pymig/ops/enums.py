"""create_enum, drop_enum, add_enum_value, rename_enum_value; drop_enum_value undoes add_enum_value."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import EnumType, Schema
from .base import Operation, register


def enum_columns(schema: Schema, name: str) -> list[tuple[str, str, str | None]]:
    """(table, column, default) of the columns whose type is the enum (or an array of it)."""
    return [(t.name, c.name, c.default) for t in schema.tables.values() for c in t.columns
            if c.type in (name, f'"{name}"')]


def _rename_in_defaults(schema: Schema, name: str, old: str, new: str) -> Schema:
    """A default of the type names the value by its label, which the catalog prints renamed."""
    from ..dialects.statements import Statements

    lit = Statements.literal
    spell = {lit(old): lit(new), f"{lit(old)}::{name}": f"{lit(new)}::{name}"}
    for table, column, default in enum_columns(schema, name):
        if default in spell:
            t = schema.table(table)
            cols = tuple(replace(c, default=spell[default]) if c.name == column else c for c in t.columns)
            schema = schema.with_table(replace(t, columns=cols))
    return schema


@register
@dataclass(frozen=True)
class CreateEnum(Operation):
    kind = "create_enum"
    enum: EnumType

    def describe(self):
        return f"create_enum {self.enum.name}"

    def validate(self):
        if not self.enum.values or len(set(self.enum.values)) != len(self.enum.values):
            raise PymigError(f"create_enum {self.enum.name}: give its values, each once "
                             f"(got {list(self.enum.values)!r})")

    def state_forwards(self, schema):
        if schema.get("enum", self.enum.name):
            raise PymigError(f'type "{self.enum.name}" already exists')
        return schema.with_object(self.enum)

    def inverse(self, schema, added):
        return [DropEnum(self.enum.name)]


@register
@dataclass(frozen=True)
class DropEnum(Operation):
    kind = "drop_enum"
    name: str

    def describe(self):
        return f"drop_enum {self.name}"

    def state_forwards(self, schema):
        schema.object("enum", self.name)
        used = enum_columns(schema, self.name)
        if used:
            raise PymigError(f'drop_enum {self.name}: columns still have this type: '
                             + ", ".join(f"{t}.{c}" for t, c, _ in used),
                             hint="drop those columns or change their type first")
        return schema.without_object("enum", self.name)

    def inverse(self, schema, added):
        return [CreateEnum(schema.object("enum", self.name))]


@register
@dataclass(frozen=True)
class AddEnumValue(Operation):
    """ALTER TYPE ... ADD VALUE changes only the catalog; PostgreSQL lets a later transaction use
    the value, not the one that added it."""

    kind = "add_enum_value"
    name: str
    value: str
    before: str | None = None
    after: str | None = None

    def describe(self):
        return f"add_enum_value {self.name} {self.value!r}"

    def state_forwards(self, schema):
        enum = schema.object("enum", self.name)
        if self.value in enum.values:
            raise PymigError(f'enum "{self.name}" already has the value {self.value!r}')
        if self.before and self.after:
            raise PymigError("add_enum_value takes before= or after=, not both")
        values = list(enum.values)
        anchor = self.before or self.after
        if anchor is None:
            values.append(self.value)
        elif anchor not in values:
            raise PymigError(f'enum "{self.name}" has no value {anchor!r} to place {self.value!r} next to')
        else:
            values.insert(values.index(anchor) + (1 if self.after else 0), self.value)
        return schema.with_object(replace(enum, values=tuple(values)))

    def inverse(self, schema, added):
        return [DropEnumValue(self.name, self.value)]


@register
@dataclass(frozen=True)
class DropEnumValue(Operation):
    """PostgreSQL cannot drop an enum value: the type is rebuilt without it (a new type, each
    column converted, the old type dropped). Refused while rows hold the value."""

    kind = "drop_enum_value"
    name: str
    value: str

    def describe(self):
        return f"drop_enum_value {self.name} {self.value!r}"

    def state_forwards(self, schema):
        enum = schema.object("enum", self.name)
        if self.value not in enum.values:
            raise PymigError(f'enum "{self.name}" has no value {self.value!r}')
        return schema.with_object(replace(enum, values=tuple(v for v in enum.values if v != self.value)))

    def inverse(self, schema, added):
        values = schema.object("enum", self.name).values
        i = values.index(self.value)
        return [AddEnumValue(self.name, self.value, after=values[i - 1]) if i else
                AddEnumValue(self.name, self.value, before=values[1] if len(values) > 1 else None)]

    def columns_using(self, schema):
        """(table, column, default) of the columns the rebuild converts."""
        return enum_columns(schema, self.name)

    def checks(self, schema, dialect):
        from ..dialects.checks import enum_value_checks

        return enum_value_checks(self, self.columns_using(schema), dialect)


@register
@dataclass(frozen=True)
class RenameEnumValue(Operation):
    """ALTER TYPE ... RENAME VALUE: catalog only, the rows follow. (Its fields are not called
    old / new: those name a renamed table elsewhere, and no table is locked here.)"""

    kind = "rename_enum_value"
    name: str
    value: str
    new_value: str

    def describe(self):
        return f"rename_enum_value {self.name} {self.value!r} to {self.new_value!r}"

    def state_forwards(self, schema):
        enum = schema.object("enum", self.name)
        if self.value not in enum.values:
            raise PymigError(f'enum "{self.name}" has no value {self.value!r}')
        if self.new_value in enum.values:
            raise PymigError(f'enum "{self.name}" already has the value {self.new_value!r}')
        values = tuple(self.new_value if v == self.value else v for v in enum.values)
        schema = schema.with_object(replace(enum, values=values))
        return _rename_in_defaults(schema, self.name, self.value, self.new_value)

    def inverse(self, schema, added):
        return [RenameEnumValue(self.name, self.new_value, self.value)]
