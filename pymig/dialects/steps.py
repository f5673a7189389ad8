"""The one op -> dialect dispatch: `Dialect.forward(op, schema)` calls `<op.dispatch>_steps(op,
change)`, one method per operation kind, in the manner of sqlglot's `<node>_sql`. Each returns
the steps (pymig.steps) that do the operation. A dialect overrides the kinds it does another
way (PostgreSQL's online recipes, SQLite's table rebuilds)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..schema import Column, Constraint, Index, Schema
from ..steps import Python, Sql
from ..types import STRING_TYPES, family


@dataclass(frozen=True)
class Change:
    """What a dialect knows when it renders one operation: the schema before it, the schema
    after it (computed when asked), and which tables are live (existed before this run)."""

    op: object
    before: Schema

    @functools.cached_property
    def after(self) -> Schema:
        return self.op.state_forwards(self.before)

    def is_live(self, table: str) -> bool:
        return self.before.is_live(table)


class OperationSteps:
    """The default rendering of each operation kind, from the dialect's statements."""

    def forward(self, op, schema: Schema) -> list:
        """The steps that do `op` on `schema`."""
        return getattr(self, f"{op.dispatch}_steps")(op, Change(op, schema))

    def merge(self, ops, schema: Schema) -> list:
        """A migration's operations as this dialect runs them: SQLite batches consecutive rebuilds
        of one table (ops.batch.Batch); the others run them as written."""
        return list(ops)

    @staticmethod
    def _sql(statements: list[str]) -> list:
        return [Sql(s) for s in statements]

    # -- tables ------------------------------------------------------------------------------
    def create_table_steps(self, op, change: Change) -> list:
        return self._sql(self.create_table(op.table))

    def drop_table_steps(self, op, change: Change) -> list:
        return self._sql(self.drop_table(op.name))

    def rename_table_steps(self, op, change: Change) -> list:
        return self._sql(self.rename_table(op.old, op.new))

    # -- columns -----------------------------------------------------------------------------
    def add_column_steps(self, op, change: Change) -> list:
        stmts = self.add_column(op.table, op.column)
        for c in op.constraints:
            stmts += self.add_constraint(op.table, c)
        return self._sql(stmts)

    def drop_column_steps(self, op, change: Change) -> list:
        return self._sql(self.drop_column(op.table, op.name))

    def rename_column_steps(self, op, change: Change) -> list:
        return self._sql(self.rename_column(op.table, op.old, op.new))

    def alter_column_steps(self, op, change: Change) -> list:
        table = change.before.tables.get(op.table)
        before = table.column(op.name) if table is not None and table.has_column(op.name) else None
        return self.column_change_steps(op.table, op.name, before, change.is_live(op.table), type=op.type,
                                        using=op.using, nullable=op.nullable, change_default=op.change_default,
                                        default=op.default)

    def column_change_steps(self, table: str, name: str, before: Column | None, live: bool, **changes) -> list:
        if changes.get("type") and before is not None and before.collation \
                and family(changes["type"])[0] in STRING_TYPES:
            changes["collation"] = before.collation  # TYPE alone would reset it to the type's default
        if changes.get("type") and changes.get("change_default") and changes.get("default") is not None \
                and before is not None and before.default is not None:
            changes["reset_default"] = True
        return self._sql(self.alter_column(table, name, **changes))

    # -- constraints and indexes ---------------------------------------------------------------
    def add_constraint_steps(self, op, change: Change) -> list:
        live = change.is_live(op.table)
        steps = []
        if live:  # a primary key's NOT NULL first, the online way, so the key scans nothing under its lock
            for col in op.nullable_key_columns(change.before):
                steps += self.column_change_steps(op.table, col.name, col, live, nullable=False)
        return steps + self.constraint_steps(op.table, op.constraint, live)

    def constraint_steps(self, table: str, c: Constraint, live: bool) -> list:
        return self._sql(self.add_constraint(table, c))

    def drop_constraint_steps(self, op, change: Change) -> list:
        return self._sql(self.drop_constraint(op.table, op.name))

    def drop_primary_key_steps(self, op, change: Change) -> list:
        return self._sql(self.drop_constraint(op.table, op.key(change.before).name))

    def rename_constraint_steps(self, op, change: Change) -> list:
        return self._sql(self.rename_constraint(op.table, op.name, op.new_name))

    def create_index_steps(self, op, change: Change) -> list:
        return self.index_steps(op.resolved(change.before), change.is_live(op.index.table))

    def index_steps(self, index: Index, live: bool) -> list:
        return self._sql(self.create_index(index))

    def drop_index_steps(self, op, change: Change) -> list:
        return self._sql(self.drop_index(op.name))

    def rename_index_steps(self, op, change: Change) -> list:
        return self._sql(self.rename_index(op.old, op.new))

    # -- data and escape hatches -----------------------------------------------------------------
    def run_sql_steps(self, op, change: Change) -> list:
        return [Sql(op.up.strip().rstrip(";"))]

    def run_python_steps(self, op, change: Change) -> list:
        return [Python(op.up, op.describe())]

    def backfill_steps(self, op, change: Change) -> list:
        table = change.before.table(op.table)
        return [self.backfill(table, op.set, op.where, op.batch_size, online=change.is_live(op.table))]

    def preflight_steps(self, op, change: Change) -> list:
        return []

    def undo_steps(self, op, change: Change) -> list:
        return list(op.steps)
