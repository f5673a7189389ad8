"""Consecutive changes to one table that a dialect makes in one go (Alembic's batch mode)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Operation


@dataclass(frozen=True)
class Batch(Operation):
    """Operations of one migration that change the same table one after the other, which SQLite
    does with one table rebuild instead of one each (Dialect.merge builds it). Never written by
    users and never stored: its inverse is its parts' inverses, so the stored plan is the same as
    without it."""

    kind = "batch"
    table: str
    parts: tuple[Operation, ...]

    def describe(self):
        return "; ".join(p.describe() for p in self.parts)

    def validate(self):
        for p in self.parts:
            p.validate()

    def expressions(self):
        return [e for p in self.parts for e in p.expressions()]

    def values(self):
        return [v for p in self.parts for v in p.values()]

    def columns_added(self):
        return [a for p in self.parts for a in p.columns_added()]

    def types(self):
        return [t for p in self.parts for t in p.types()]

    def state_forwards(self, schema):
        for p in self.parts:
            schema = p.state_forwards(schema)
        return schema

    def inverse(self, schema, added):
        undo = []
        for p in self.parts:
            undo[:0] = p.inverse(schema, added)
            schema = p.state_forwards(schema)
        return undo

    def checks(self, schema, dialect):
        found = []
        for p in self.parts:
            found += p.checks(schema, dialect)
            schema = p.state_forwards(schema)
        return found
