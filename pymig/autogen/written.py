"""The whole migration diff writes: the table changes the differ finds, the other objects around
them, each spelled as the DSL (and the shared writer) can write it.

The differ works with the catalog's own values (an index with its definition, a primary key as a
constraint), so it can follow its output exactly; here each operation becomes what a person would
write: create_index without catalog text, or run_sql of that text where the DSL cannot spell it
(INCLUDE, an operator class, DEFERRABLE, a primary key added to a table), as baseline does."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from ..ops import (AddConstraint, AlterColumn, CreateIndex, CreateTable, DropColumn, DropTable, RenameColumn,
                   RenameTable, RunSQL)
from .differ import Differ, Plan, Planned
from .objects import compare


def migration(current, desired, dialect, renames=None, undecided=()) -> Plan:
    """`current` and `desired` are autogen.states.State values read from two catalogs."""
    tables = Differ(current.schema, desired.schema, renames, undecided, current.canonical, current.casts).run()
    objects = compare(current, desired, _changed_tables(tables.operations))
    steps = [*objects.drop_first, *objects.create_first]
    for step in tables.steps:
        steps += spell(step, desired.catalog, dialect)
    steps += [*objects.drop_last, *objects.create_last]
    return Plan(steps, tables.warnings + objects.warnings)


def _changed_tables(operations) -> set[str]:
    """Tables whose columns change shape or name: what reads them must be rebuilt around it."""
    out = set()
    for op in operations:
        if isinstance(op, (AlterColumn, DropColumn, RenameColumn)):
            out.add(op.table)
        elif isinstance(op, RenameTable):
            out.add(op.old)
        elif isinstance(op, DropTable):
            out.add(op.name)
    return out


def spell(step: Planned, catalog, dialect) -> list[Planned]:
    from ..recreate import index_operation, table_operations
    from ..writer import Commented

    op = step.op
    if isinstance(op, CreateIndex):
        written = [index_operation(op.index, catalog, dialect)]
    elif isinstance(op, AddConstraint):
        c = op.constraint
        if c.name in catalog.verbatim:
            written = [Commented(f"{c.kind.replace('_', ' ')} {c.name} on {op.table}: as the catalog defines it",
                                 RunSQL(dialect.add_constraint(op.table, c)[0],
                                        dialect.drop_constraint(op.table, c.name)[0]))]
        else:
            written = [AddConstraint(op.table, replace(c, definition=None))]
    elif isinstance(op, CreateTable):
        # every foreign key left in it points at a table that exists by then
        written, _ = table_operations(op.table, catalog, dialect, set(catalog.schema.tables), Counter(),
                                      indexes=False)
    else:
        written = [op]
    out = []
    for i, w in enumerate(written):
        comment = step.comment if i == 0 else None
        if isinstance(w, Commented):
            comment = "\n".join(filter(None, [comment, w.comment]))
            w = w.operation
        out.append(Planned(w, comment or None))
    return out
