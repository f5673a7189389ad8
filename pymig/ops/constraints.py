"""add_foreign_key, add_unique, add_check (one AddConstraint), drop_constraint."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import Constraint
from .base import Operation, register, validate_constraint
from .partitions import followed_by_partitions

_DSL_NAME = {"foreign_key": "add_foreign_key", "unique": "add_unique", "check": "add_check",
             "primary_key": "add_primary_key", "exclusion": "add_exclusion"}


@register
@dataclass(frozen=True)
class AddConstraint(Operation):
    kinds = tuple(_DSL_NAME.values())
    dispatch = "add_constraint"
    table: str
    constraint: Constraint

    @property
    def kind(self):  # type: ignore[override]
        return _DSL_NAME[self.constraint.kind]

    def describe(self):
        return f"{self.kind} {self.constraint.name} on {self.table}"

    def validate(self):
        validate_constraint(self.constraint)

    def values(self):
        return [self.constraint]

    def expressions(self):
        from ..sqltext import is_bare_name

        c = self.constraint
        return [*((f'element of exclusion "{c.name}"', e) for e, _ in c.elements if not is_bare_name(e)),
                *([(f'predicate of exclusion "{c.name}"', c.where)] if c.where else [])]

    @followed_by_partitions
    def state_forwards(self, schema):
        t = schema.table(self.table)
        if schema.find_constraint(self.constraint.name, self.table):
            raise PymigError(f'constraint "{self.constraint.name}" already exists')
        for col in self.constraint.columns:
            t.column(col)
        if self.constraint.kind == "primary_key":
            if t.primary_key:
                raise PymigError(f'table "{self.table}" already has a primary key ({", ".join(t.primary_key)})',
                                 hint="drop_primary_key first")
            # a primary key makes its columns NOT NULL (and dropping it later leaves them so)
            t = replace(t, columns=tuple(replace(c, nullable=False) if c.name in self.constraint.columns else c
                                         for c in t.columns))
        return schema.with_table(replace(t, constraints=t.constraints + (schema.resolve_references(self.constraint),)))

    def nullable_key_columns(self, schema) -> list:
        """The columns of a new primary key that allow NULL now (PostgreSQL sets them NOT NULL)."""
        if self.constraint.kind != "primary_key":
            return []
        t = schema.table(self.table)
        return [t.column(c) for c in self.constraint.columns if t.column(c).nullable]

    def inverse(self, schema, added):
        from .columns import AlterColumn

        return [DropConstraint(self.table, self.constraint.name),
                *(AlterColumn(self.table, c.name, nullable=True) for c in self.nullable_key_columns(schema))]

    def checks(self, schema, dialect):
        from ..dialects.checks import constraint_checks

        schema.resolve_references(self.constraint)  # a missing parent is named before a check queries it
        if self.constraint.kind == "exclusion":
            from ..dialects.checks import exclusion_checks

            return exclusion_checks(self.table, self.constraint, self.describe(), schema, dialect)
        return constraint_checks(self.table, self.constraint, self.describe(), schema, dialect)


@register
@dataclass(frozen=True)
class DropConstraint(Operation):
    kind = "drop_constraint"
    table: str
    name: str

    def describe(self):
        return f"drop_constraint {self.name} on {self.table}"

    @followed_by_partitions
    def state_forwards(self, schema):
        t = schema.table(self.table)
        t.constraint(self.name)
        return schema.with_table(replace(t, constraints=tuple(c for c in t.constraints if c.name != self.name)))

    def inverse(self, schema, added):
        return [AddConstraint(self.table, schema.table(self.table).constraint(self.name))]


@register
@dataclass(frozen=True)
class DropPrimaryKey(Operation):
    """Drops the table's primary key, whatever its name; its columns stay NOT NULL."""

    kind = "drop_primary_key"
    table: str

    def describe(self):
        return f"drop_primary_key on {self.table}"

    def key(self, schema) -> Constraint:
        """The table's primary key constraint."""
        for c in schema.table(self.table).constraints:
            if c.kind == "primary_key":
                return c
        raise PymigError(f'table "{self.table}" has no primary key')

    def state_forwards(self, schema):
        key = self.key(schema)
        refs = [f"{t.name}.{c.name}" for t, c in schema.referencing(self.table)
                if not c.ref_columns or tuple(c.ref_columns) == key.columns]
        if refs:
            raise PymigError(f'drop_primary_key on {self.table}: foreign keys reference it: {", ".join(refs)}',
                             hint="drop_constraint them first (pymig never drops with CASCADE)")
        return DropConstraint(self.table, key.name).state_forwards(schema)

    def inverse(self, schema, added):
        return [AddConstraint(self.table, self.key(schema))]


@register
@dataclass(frozen=True)
class RenameConstraint(Operation):
    """ALTER TABLE ... RENAME CONSTRAINT (a unique or primary key's index is renamed with it)."""

    kind = "rename_constraint"
    table: str
    name: str
    new_name: str

    def describe(self):
        return f"rename_constraint {self.name} on {self.table} to {self.new_name}"

    def state_forwards(self, schema):
        t = schema.table(self.table)
        t.constraint(self.name)
        if schema.find_constraint(self.new_name, self.table):
            raise PymigError(f'constraint "{self.new_name}" already exists')
        return schema.with_table(replace(t, constraints=tuple(
            replace(c, name=self.new_name) if c.name == self.name else c for c in t.constraints)))

    def inverse(self, schema, added):
        return [RenameConstraint(self.table, self.new_name, self.name)]
