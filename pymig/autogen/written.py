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
    steps += _renamed_sequences(current, desired, tables.operations, dialect)
    steps += [*objects.drop_last, *objects.create_last]
    return Plan(steps, tables.warnings + objects.warnings)


def _renamed_sequences(current, desired, operations, dialect) -> list[Planned]:
    """A serial column's sequence keeps its name when its table or column is renamed; where the
    desired schema names it after the new names, it is renamed too."""
    where = {f"{t.name}.{c.name}": (t.name, c.name) for t in current.schema.tables.values() for c in t.columns}
    for op in operations:  # follow each column through the renames
        if isinstance(op, RenameTable):
            where = {k: (op.new if t == op.old else t, c) for k, (t, c) in where.items()}
        elif isinstance(op, RenameColumn):
            where = {k: (t, op.new if (t, c) == (op.table, op.old) else c) for k, (t, c) in where.items()}
    moved = {k: f"{t}.{c}" for k, (t, c) in where.items() if f"{t}.{c}" != k}
    owners = {attrs.get("owned by"): name for (kind, name), attrs in desired.snapshot.objects.items()
              if kind == "sequence" and attrs.get("owned by")}
    out = []
    for (kind, name), attrs in sorted(current.snapshot.objects.items()):
        wanted = owners.get(moved.get(attrs.get("owned by"))) if kind == "sequence" else None
        if wanted and wanted != name:
            out.append(Planned(RunSQL(dialect.rename_sequence(name, wanted)[0], dialect.rename_sequence(wanted, name)[0]),
                               f"sequence {name} of {moved[attrs['owned by']]} after the rename"))
    return out


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
