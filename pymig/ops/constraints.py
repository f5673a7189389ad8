"""add_foreign_key, add_unique, add_check (one AddConstraint), drop_constraint."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import Constraint, Schema
from ..steps import Sql
from .base import Operation, register

_DSL_NAME = {"foreign_key": "add_foreign_key", "unique": "add_unique", "check": "add_check",
             "primary_key": "add_primary_key"}


def resolve_references(schema: Schema, c: Constraint) -> Constraint:
    """`references="users"` means the users primary key; fill it in once the schema knows it."""
    if c.kind != "foreign_key" or c.ref_columns or c.definition:
        return c
    ref = schema.tables.get(c.ref_table)
    if ref is None or not ref.primary_key:
        return c
    return replace(c, ref_columns=ref.primary_key)


@register
@dataclass(frozen=True)
class AddConstraint(Operation):
    kinds = tuple(_DSL_NAME.values())
    table: str
    constraint: Constraint

    @property
    def kind(self):  # type: ignore[override]
        return _DSL_NAME[self.constraint.kind]

    def describe(self):
        return f"{self.kind} {self.constraint.name} on {self.table}"

    def validate(self):
        from .columns import validate_constraint

        validate_constraint(self.constraint)

    def state_forwards(self, schema):
        t = schema.table(self.table)
        if schema.find_constraint(self.constraint.name):
            raise PymigError(f'constraint "{self.constraint.name}" already exists')
        for col in self.constraint.columns:
            t.column(col)
        return schema.with_table(replace(t, constraints=t.constraints + (resolve_references(schema, self.constraint),)))

    def forward(self, schema, dialect):
        return dialect.add_constraint_steps(self.table, self.constraint, schema.is_live(self.table))

    def inverse(self, schema, added):
        return [DropConstraint(self.table, self.constraint.name)]

    def checks(self, schema, dialect):
        from ..checks import constraint_checks

        return constraint_checks(self.table, self.constraint, self.describe(), schema, dialect)


@register
@dataclass(frozen=True)
class DropConstraint(Operation):
    kind = "drop_constraint"
    table: str
    name: str

    def describe(self):
        return f"drop_constraint {self.name} on {self.table}"

    def state_forwards(self, schema):
        t = schema.table(self.table)
        t.constraint(self.name)
        return schema.with_table(replace(t, constraints=tuple(c for c in t.constraints if c.name != self.name)))

    def forward(self, schema, dialect):
        return [Sql(s) for s in dialect.drop_constraint(self.table, self.name)]

    def inverse(self, schema, added):
        return [AddConstraint(self.table, schema.table(self.table).constraint(self.name))]
