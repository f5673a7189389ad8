"""Two Schema values -> the operations that turn the first into the second, in dependency order.

Pure: no database. The differ follows its own output (each operation's `state_forwards`), so
every operation it writes applies to the schema the ones before it leave, and what is still
different at the end is what it could not write (reported as warnings)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field, replace

from ..ops.constraints import RenameConstraint
from ..ops import (AddColumn, AddConstraint, AlterColumn, CreateIndex, CreateTable, DropColumn,
                   DropConstraint, DropIndex, DropTable, RenameColumn, RenameTable)
from ..schema import Column, Constraint, Index, Schema
from ..types import SERIAL_BASE, converts_without_using, family
from .renames import Rename, Renames

_CONSTRAINT_ORDER = {"primary_key": 0, "unique": 1, "check": 2, "exclusion": 2, "foreign_key": 3}


@dataclass(frozen=True)
class Planned:
    """One operation of the module, with the comment written above it."""

    op: object
    comment: str | None = None


@dataclass
class Plan:
    steps: list[Planned] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def operations(self) -> list:
        return [s.op for s in self.steps]


def constraint_key(c: Constraint, canonical: bool) -> tuple:
    """What makes two constraints of one table the same. With `canonical` (PostgreSQL), the
    server's own text (pg_get_constraintdef) says it all; SQLite keeps the text as written, so
    there the structure is compared."""
    if canonical and c.definition:
        return (c.kind, c.definition, c.validated)
    return (c.kind, c.columns, _squash(c.expression), c.ref_table, c.ref_columns, c.on_delete, c.validated)


def index_key(i: Index, canonical: bool) -> tuple:
    if canonical and i.definition:
        return (i.table, i.definition)
    return (i.table, i.columns, i.unique, _squash(i.where), i.method)


def _squash(text: str | None) -> str | None:
    return " ".join(text.split()) if text else text


class Differ:
    """`diff(current, desired)` in one pass; `canonical` says whether catalog text compares."""

    def __init__(self, current: Schema, desired: Schema, renames: Renames | None = None,
                 undecided: tuple[Rename, ...] = (), canonical: bool = True, casts: frozenset | None = frozenset()):
        self.state = current
        self.casts = casts
        self.desired = desired
        self.renames = renames or Renames()
        self.undecided = undecided
        self.canonical = canonical
        self.plan = Plan()

    def run(self) -> Plan:
        self._renames()
        self._drop_constraints()
        self._drop_indexes()
        self._drop_tables()
        self._create_tables()
        for name in self._kept():
            self._columns(name)
        for name in self._kept():
            self._drop_columns(name)
        self._add_constraints()
        self._create_indexes()
        return self.plan

    def _emit(self, op, comment: str | None = None) -> None:
        self.state = op.state_forwards(self.state)
        if comment:  # ruff format leaves comments alone: keep them readable at the file's width
            comment = "\n".join(textwrap.fill(p, 100) for p in comment.splitlines())
        self.plan.steps.append(Planned(op, comment))

    def _warn(self, text: str) -> None:
        self.plan.warnings.append(text)

    def _kept(self) -> list[str]:
        return sorted(t for t in self.state.tables if t in self.desired.tables)

    # -- renames ---------------------------------------------------------------------------------
    def _renames(self) -> None:
        for old, new in sorted(self.renames.tables.items()):
            self._emit(RenameTable(old, new))
        for (table, old), new in sorted(self.renames.columns.items()):
            self._emit(RenameColumn(table, old, new))

    # -- what goes first: constraints and indexes that are not wanted as they are ------------------
    def _same_constraint(self, table: str, c: Constraint) -> bool:
        want = self.desired.tables.get(table)
        other = next((x for x in want.constraints if x.name == c.name), None) if want else None
        return other is not None and constraint_key(other, self.canonical) == constraint_key(c, self.canonical)

    def _drop_constraints(self) -> None:
        """Foreign keys first: a unique constraint or table they point at cannot go before them."""
        unwanted = [(t, c) for t in self._kept() for c in self.state.tables[t].constraints
                    if not self._same_constraint(t, c)]
        for table, c in sorted(unwanted, key=lambda x: (x[1].kind != "foreign_key", x[0], x[1].name)):
            renamed = self._renamed_constraint(table, c)
            self._emit(RenameConstraint(table, c.name, renamed) if renamed else DropConstraint(table, c.name))

    def _renamed_constraint(self, table: str, c: Constraint) -> str | None:
        """The desired name of a constraint that is the same but for its name (a renamed table or
        column keeps the names PostgreSQL gave its constraints)."""
        key = constraint_key(c, self.canonical)
        for other in self.desired.tables[table].constraints:
            if constraint_key(other, self.canonical) == key and not self.state.find_constraint(other.name):
                return other.name
        return None

    def _same_index(self, i: Index) -> bool:
        other = self.desired.indexes.get(i.name)
        return other is not None and index_key(other, self.canonical) == index_key(i, self.canonical)

    def _drop_indexes(self) -> None:
        for name in sorted(self.state.indexes):
            i = self.state.indexes[name]
            if i.table in self.desired.tables and not self._same_index(i):
                self._emit(DropIndex(name))

    # -- tables ----------------------------------------------------------------------------------
    def _drop_tables(self) -> None:
        gone = [t for t in self.state.tables if t not in self.desired.tables]
        for name in _dependency_order(self.state, gone, reverse=True, on_cycle=self._break_cycle):
            possible = [r for r in self.undecided if r.table is None and r.old == name]
            comment = (f"drops table {name} and its rows: pymig refuses while it has any; "
                       "allow_data_loss=True accepts the loss")
            if possible:
                comment += "\n" + _rename_note(possible)
            self._emit(DropTable(name, allow_data_loss=False), comment)

    def _break_cycle(self, name: str, among: set[str]) -> None:
        """Tables to drop that point at each other: the foreign keys that point at the one to go
        first are dropped before it."""
        for other in sorted(among - {name}):
            for c in self.state.tables[other].constraints:
                if c.kind == "foreign_key" and c.ref_table == name:
                    self._emit(DropConstraint(other, c.name))

    def _create_tables(self) -> None:
        new = [t for t in self.desired.tables if t not in self.state.tables]
        for name in _dependency_order(self.desired, new):
            table = self.desired.tables[name]
            inline = tuple(c for c in table.constraints
                           if c.kind != "foreign_key" or c.ref_table == name or c.ref_table in self.state.tables)
            # a foreign key to a table created later (a cycle) is added after both exist
            self._emit(CreateTable(replace(table, constraints=inline)))

    # -- columns ---------------------------------------------------------------------------------
    def _columns(self, name: str) -> None:
        want = self.desired.tables[name]
        for col in want.columns:
            have = self.state.tables[name]
            if not have.has_column(col.name):
                self._emit(AddColumn(name, col), self._add_comment(name, col))
            elif have.column(col.name) != col:
                self._alter(name, have.column(col.name), col)

    def _add_comment(self, table: str, col: Column) -> str | None:
        possible = [r for r in self.undecided if r.table == table and r.new == col.name]
        if possible:
            return _rename_note(possible)
        if not col.nullable and col.default is None and col.identity is None and col.type not in SERIAL_BASE:
            return ("NOT NULL without a default: pymig refuses it while the table has rows; give it a "
                    "default, or add it nullable, backfill it and then set nullable=False")
        return None

    def _alter(self, table: str, before: Column, after: Column) -> None:
        what = f"{table}.{after.name}"
        if (before.identity, before.collation, before.identity_options, before.sequence) != (
                after.identity, after.collation, after.identity_options, after.sequence) or (
                before.type != after.type and (before.type in SERIAL_BASE or after.type in SERIAL_BASE)):
            self._warn(f"column {what}: identity, serial, sequence name or collation changes are not written; "
                       "change them with run_sql(up=..., down=...)")
        kwargs, comment = {}, None
        if before.type != after.type and before.type not in SERIAL_BASE and after.type not in SERIAL_BASE:
            kwargs["type"] = after.type
            if not self._converts(before.type, after.type):
                kwargs["using"] = f"{_quote(after.name)}::{after.type}"
                comment = (f"{before.type} -> {after.type} is not an implicit cast: using= is a placeholder, "
                           "the plain cast; check that it converts every row as you mean")
                self._warn(f"column {what}: {comment}")
        if before.nullable != after.nullable:
            kwargs["nullable"] = after.nullable
        if before.default != after.default:
            kwargs.update(change_default=True, default=_plain_default(after))
        if kwargs:
            self._emit(AlterColumn(table, after.name, **kwargs), comment)

    def _converts(self, old: str, new: str) -> bool:
        """Whether ALTER COLUMN ... TYPE needs no USING: a cast the database applies on assignment."""
        if self.casts is None or converts_without_using(old, new):
            return True
        return (family(old)[0], family(new)[0]) in self.casts

    def _drop_columns(self, name: str) -> None:
        want = self.desired.tables[name]
        for col in self.state.tables[name].columns:
            if want.has_column(col.name):
                continue
            comment = (f"drops {name}.{col.name} and its values: pymig refuses while a row has one; "
                       "allow_data_loss=True accepts the loss")
            possible = [r for r in self.undecided if r.table == name and r.old == col.name]
            if possible:
                comment += "\n" + _rename_note(possible)
            self._emit(DropColumn(name, col.name, allow_data_loss=False), comment)

    # -- what goes last ----------------------------------------------------------------------------
    def _add_constraints(self) -> None:
        missing = []
        for name in sorted(self.desired.tables):
            have = self.state.tables[name]
            for c in self.desired.tables[name].constraints:
                same = next((x for x in have.constraints if x.name == c.name), None)
                if same is None or constraint_key(same, self.canonical) != constraint_key(c, self.canonical):
                    missing.append((name, c))
        for table, c in sorted(missing, key=lambda x: (_CONSTRAINT_ORDER[x[1].kind], x[0], x[1].name)):
            self._emit(AddConstraint(table, c))

    def _create_indexes(self) -> None:
        inherited = self._inherited_indexes()
        for name in sorted(self.desired.indexes):
            want = self.desired.indexes[name]
            have = self.state.indexes.get(name)
            if name in inherited:
                continue
            if have is None or index_key(have, self.canonical) != index_key(want, self.canonical):
                self._emit(CreateIndex(want))

    def _inherited_indexes(self) -> set[str]:
        """The indexes of partitions that PostgreSQL makes from their parent's (with the partition,
        or with the parent's index)."""
        from ..ops.partitions import inherited_index

        return {inherited_index(i, t.name).name for t in self.desired.tables.values() if t.partition_of
                for i in self.desired.indexes_on(t.partition_of)}


def _dependency_order(schema: Schema, names, reverse: bool = False, on_cycle=None) -> list[str]:
    """`names` so that a table comes after the tables its foreign keys point at (before them with
    `reverse`); ties by name. A cycle is cut at its first table by name (`on_cycle` is told)."""
    pending = set(names)
    needs = {n: {c.ref_table for c in schema.tables[n].constraints
                 if c.kind == "foreign_key" and c.ref_table in pending and c.ref_table != n}
             | ({schema.tables[n].partition_of} & pending)  # a partition after its parent
             for n in pending}
    if reverse:  # drop a table only once nothing left points at it
        needs = {n: {m for m in pending if n in needs[m]} for n in pending}
    order = []
    while pending:
        ready = sorted(n for n in pending if not (needs[n] & pending))
        if not ready:
            ready = [min(pending)]
            if on_cycle:
                on_cycle(ready[0], pending)
        for n in ready:
            order.append(n)
            pending.discard(n)
    return order


def _rename_note(possible: list[Rename]) -> str:
    pairs = " or ".join(str(r) for r in possible)
    flag = possible[0]
    option = (f"{flag.old}={flag.new}" if flag.table is None
              else f"{flag.table}.{flag.old}={flag.table}.{flag.new}")
    return (f"possible rename: {pairs}; if so, run pymig diff again with --rename {option} "
            "(this drop and add would lose the data)")


def _plain_default(column: Column) -> str | None:
    """The catalog's `'x'::text` as the `'x'` a person writes (`default="x"`), when that is what
    PostgreSQL makes of it; anything else stays the expression it is."""
    from ..dialects.base import Dialect
    from ..writer import SqlText, default_value

    value = default_value(column)
    return column.default if value is None or isinstance(value, SqlText) else Dialect.literal(value)


def _quote(name: str) -> str:
    import re

    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'
