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
    """`plans`: (label, operations) in the order they will run; `schema`: the database now."""
    found: list[Loss] = []
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
                now = tables.pop(op.name)
                count = db.rows(dialect.count_rows(now))[0][0]
                if count:
                    found.append(Loss(label, i, op.name, None, int(count)))
            elif isinstance(op, DropColumn) and op.table in tables:
                now = tables[op.table]
                column = columns.pop((now, op.name), op.name)
                if (now, column) in carried or not schema.tables[now].has_column(column):
                    continue
                count = db.rows(dialect.count_rows(now, column))[0][0]
                if count:
                    found.append(Loss(label, i, f"{op.table}", op.name, int(count)))
    return found
