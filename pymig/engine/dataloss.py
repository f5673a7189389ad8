"""What a `down` plan would delete: tables with rows and columns with values that its inverses drop,
counted before anything runs (`pymig down` refuses them unless --allow-data-loss).

Values the same plan first copies elsewhere are not lost: a backfill that reads a column before the
column is dropped carries them (the example project's 007 copies `role_new` back into `role`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ops import Backfill, DropColumn, DropTable, RenameColumn, RenameTable
from ..sqltext import columns_used


@dataclass(frozen=True)
class Loss:
    label: str  # the migration file
    index: int  # the operation's position in the migration's inverse plan
    table: str
    column: str | None
    count: int

    def __str__(self) -> str:
        if self.column is None:
            return f"{self.label}: drop_table {self.table}: {self.count} row{'s' if self.count != 1 else ''}"
        return (f"{self.label}: drop_column {self.table}.{self.column}: {self.count} "
                f"non-NULL value{'s' if self.count != 1 else ''}")


def data_loss(plans, schema, db, dialect) -> list[Loss]:
    """`plans`: (label, operations) in the order they will run; `schema`: the database now.

    Everything is counted in the database as it is now, so each table is scanned once for its rows
    and every column of it the plan drops (one query per table, not one per column)."""
    wanted: list[tuple[str, int, str, str | None, str, str | None]] = []  # label, i, shown table/column, now
    tables = {t: t for t in schema.tables}  # name in the plan -> name now
    columns: dict[tuple[str, str], str] = {}  # (table now, name in the plan) -> column name now
    carried: set[tuple[str, str]] = set()  # (table now, column now) whose values a backfill copied
    for label, ops in plans:
        for i, op in enumerate(ops, 1):
            if isinstance(op, RenameTable):
                if op.old in tables:
                    tables[op.new] = tables.pop(op.old)
            elif isinstance(op, RenameColumn) and op.table in tables:
                now = tables[op.table]
                columns[(now, op.new)] = columns.pop((now, op.old), op.old)
            elif isinstance(op, Backfill) and op.table in tables:
                now = tables[op.table]
                for expr in op.set.values():
                    carried.update((now, columns.get((now, c), c)) for c in columns_used(expr))
            elif isinstance(op, DropTable) and op.name in tables:
                wanted.append((label, i, op.name, None, tables.pop(op.name), None))
            elif isinstance(op, DropColumn) and op.table in tables:
                now = tables[op.table]
                column = columns.pop((now, op.name), op.name)
                if (now, column) in carried or not schema.tables[now].has_column(column):
                    continue
                wanted.append((label, i, op.table, op.name, now, column))
    counts = _counts(db, dialect, [(now, column) for *_, now, column in wanted])
    found = []
    for label, i, table, column, now, column_now in wanted:
        count = counts[(now, column_now)]
        if count:
            found.append(Loss(label, i, table, column, int(count)))
    return found


MAX_COUNTS = 1000  # expressions per query (PostgreSQL allows 1664 result columns)


def _counts(db, dialect, wanted: list[tuple[str, str | None]]) -> dict[tuple[str, str | None], int]:
    """(table, None) -> its rows and (table, column) -> the column's non-NULL values, each table
    read once (in slices of MAX_COUNTS columns)."""
    by_table: dict[str, list[str]] = {}
    for table, column in wanted:
        cols = by_table.setdefault(table, [])
        if column is not None and column not in cols:
            cols.append(column)
    counts: dict[tuple[str, str | None], int] = {}
    for table, cols in by_table.items():
        for start in range(0, max(len(cols), 1), MAX_COUNTS):
            part = cols[start:start + MAX_COUNTS]
            row = db.rows(dialect.count_values(table, part))[0]
            counts[(table, None)] = row[0]
            counts.update(((table, c), n) for c, n in zip(part, row[1:]))
    return counts
