"""What SQLite's ALTER TABLE cannot do (change a column's type, nullability or default; add or
drop a constraint) is done by rebuilding the table (see pymig.dialects.sqlite), and consecutive
rebuilds of one table in a migration are merged into one (Alembic's batch mode)."""

from __future__ import annotations

from dataclasses import replace

from ..errors import PymigError
from ..ops.batch import Batch
from ..schema import Schema
from ..steps import Check, Sql
from .sqlite_text import _is_literal
from .sqlite_types import SERIALS


class TableRebuilds:
    """The `<kind>_steps` overrides of SqliteDialect: ALTER TABLE where it can, a rebuild where not."""

    def forward(self, op, schema: Schema) -> list:
        self.check_operation(op)  # also when run without loading (a stored inverse, a test)
        return super().forward(op, schema)

    def _rebuild_steps(self, op, change) -> list:
        return self.rebuild(change.before, change.after, op.table, op.describe(), _using(op))

    # what ALTER TABLE cannot do: the table is rebuilt
    alter_column_steps = add_constraint_steps = drop_constraint_steps = batch_steps = _rebuild_steps
    drop_primary_key_steps = rename_constraint_steps = _rebuild_steps

    def add_column_rebuilds(self, op, schema) -> bool:
        return not self._adds_in_place(op)

    def add_column_steps(self, op, change):
        if self.add_column_rebuilds(op, change.before):
            return self._rebuild_steps(op, change)
        return super().add_column_steps(op, change)

    def drop_column_rebuilds(self, op, schema) -> bool:
        return self._constrained(schema, op.table, op.name)

    def drop_column_steps(self, op, change):
        schema = change.before
        if self.drop_column_rebuilds(op, schema):
            return self._rebuild_steps(op, change)
        # SQLite refuses to drop an indexed column; PostgreSQL drops the index with it
        return [Sql(s) for i in schema.indexes_on(op.table) if i.name not in change.after.indexes
                for s in self.drop_index(i.name)] + super().drop_column_steps(op, change)

    def rename_index_steps(self, op, change):
        """SQLite has no ALTER INDEX ... RENAME: the index is built again under its new name."""
        return [Sql(s) for s in [*self.drop_index(op.old), *self.create_index(change.after.index(op.new))]]

    def run_sql_steps(self, op, change):
        return [*super().run_sql_steps(op, change), self._foreign_key_check(op.describe(), None)]

    def run_python_steps(self, op, change):
        return [*super().run_python_steps(op, change), self._foreign_key_check(op.describe(), None)]

    def backfill_steps(self, op, change):
        return self._checked(super().backfill_steps(op, change), op, change.before, op.table, set())

    def drop_table_steps(self, op, change):
        steps = super().drop_table_steps(op, change)
        if not change.before.referencing(op.name):
            return steps
        return self._checked(steps, op, change.before, op.name, {op.name})

    def _checked(self, steps, op, schema, table, skip) -> list:
        """`steps`, then a foreign key check of the tables related to `table` (but `skip`)."""
        tables = self._related(schema, table) - skip
        return [*steps, self._foreign_key_check(op.describe(), sorted(tables))] if tables else steps

    def merge(self, ops, schema):
        """Consecutive operations that rebuild the same table become one Batch: one table copy for
        all of them (Alembic's batch mode). Merging stops where the state is not known (run_sql)."""
        out, run = [], []
        for n, op in enumerate(ops):
            table = getattr(op, "table", None) if self._rebuilds(op, schema) else None
            if run and (table != run[0].table or set(_using(op)) & {c for r in run for c in _using(r)}):
                out.append(run[0] if len(run) == 1 else Batch(run[0].table, tuple(run)))
                run = []
            (run if table else out).append(op)
            try:
                schema = op.state_forwards(schema) if not op.opaque else None
            except PymigError:
                schema = None
            if schema is None:
                out += run + list(ops[n + 1:])
                return out
        if run:
            out.append(run[0] if len(run) == 1 else Batch(run[0].table, tuple(run)))
        return out

    def _rebuilds(self, op, schema) -> bool:
        """Whether SQLite does `op` by rebuilding its table."""
        decide = getattr(self, f"{op.dispatch}_rebuilds", None)
        return decide(op, schema) if decide else getattr(self, f"{op.dispatch}_steps", None) == self._rebuild_steps

    def _adds_in_place(self, op) -> bool:
        """ALTER TABLE ADD COLUMN takes no table constraint, no non-constant default, and a NOT NULL
        column only with a default (SQLite, lang_altertable.html)."""
        c = op.column
        if op.constraints or c.type in SERIALS:
            return False
        if c.default is None:
            return c.nullable
        text = self.expression(c.default)
        return _is_literal(text) and not text.upper().startswith("CURRENT_")

    @staticmethod
    def _constrained(schema: Schema, table: str, column: str) -> bool:
        """Whether a constraint holds the column (SQLite refuses DROP COLUMN then)."""
        from ..sqltext import mentions

        own = schema.table(table).constraints
        theirs = [c for _, c in schema.referencing(table)]
        return (any(column in c.columns or mentions(c.expression, column) for c in own)
                or any(column in c.ref_columns for c in theirs))

    @staticmethod
    def _related(schema: Schema, table: str) -> set[str]:
        """The table if it has foreign keys, and the tables whose foreign keys point at it."""
        t = schema.tables.get(table)
        own = {table} if t is not None and any(c.kind == "foreign_key" for c in t.constraints) else set()
        return own | {child.name for child, _ in schema.referencing(table)}

    def rebuild(self, before: Schema, after: Schema, name: str, label: str, using: dict | None = None) -> list:
        """Steps that give table `name` the definition it has in `after`, keeping its rows."""
        old, new = before.table(name), after.table(name)
        if old.generated:
            raise PymigError(f'table "{name}" has generated columns, which pymig cannot carry through '
                             "the table rebuild SQLite needs for this change", hint="use run_sql")
        temp = f"pymig_new_{name}"
        t, tq = self.quote(name), self.quote(temp)
        kept = [c.name for c in new.columns if old.has_column(c.name)]
        values = [self.expression(using[c]) if using and c in using else self.quote(c) for c in kept]
        steps = [
            Sql(self.create_table(replace(new, name=temp), old.options)[0]),
            Sql(f"INSERT INTO {tq} ({self.quote_list(kept)})\nSELECT {', '.join(values)} FROM {t}"),
        ]
        if self._serial_key(old) and self._serial_key(new):  # the next number, not just max(id) + 1
            steps += [
                Sql(f"DELETE FROM sqlite_sequence WHERE name = {self.literal(temp)}"),
                Sql(f"INSERT INTO sqlite_sequence (name, seq) SELECT {self.literal(temp)}, seq "
                    f"FROM sqlite_sequence WHERE name = {self.literal(name)}"),
            ]
        steps += [
            Sql(f"DROP TABLE {t}"),
            # legacy mode: the rename only renames; the views on this table would otherwise be
            # re-checked while the table is missing, and fail
            Sql("PRAGMA legacy_alter_table = ON"),
            Sql(f"ALTER TABLE {tq} RENAME TO {t}"),
            Sql("PRAGMA legacy_alter_table = OFF"),
        ]
        steps += [Sql(s) for index in after.indexes_on(name) for s in self.create_index(index)]
        steps += [Sql(s) for s in old.catalog_triggers]
        related = self._related(after, name)
        if related:
            steps.append(self._foreign_key_check(label, sorted(related)))
        return steps

    def _foreign_key_check(self, label: str, tables: list[str] | None) -> Check:
        """Refuse the migration when rows point at parent rows that do not exist (`tables`: the
        tables whose foreign keys to check; None: every table)."""
        if tables is None:
            source = "SELECT * FROM pragma_foreign_key_check"
            subject = "the database"
        else:
            source = " UNION ALL ".join(f"SELECT * FROM pragma_foreign_key_check({self.literal(t)})" for t in tables)
            subject = ", ".join(f'table "{t}"' for t in tables)
        return Check(
            label, subject,
            f'SELECT "table", rowid, parent FROM ({source})',
            "the foreign key check finds {count} {noun} without a parent row (PRAGMA foreign_key_check)",
            hint="delete or fix those rows first (SQLite enforces foreign keys only on connections that ask "
                 "for it, so such rows can predate this migration)",
        )


def _using(op) -> dict:
    """The USING expressions of a rebuild's column changes, by column."""
    if isinstance(op, Batch):
        return {c: u for p in op.parts for c, u in _using(p).items()}
    return {op.name: op.using} if getattr(op, "using", None) else {}
