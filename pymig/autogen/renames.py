"""Renames, never guessed silently: `--rename` decides them up front; a table or column that
disappears while one of the same shape appears is a *candidate* the user is asked about."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..schema import Column, Schema, Table


@dataclass(frozen=True)
class Rename:
    """`table` is the table's name after any table rename; for a table rename it is None."""

    old: str
    new: str
    table: str | None = None

    def __str__(self) -> str:
        if self.table is None:
            return f"{self.old} -> {self.new}"
        return f"{self.table}.{self.old} -> {self.table}.{self.new}"


@dataclass
class Renames:
    tables: dict[str, str] = field(default_factory=dict)  # old -> new
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (table as desired, old) -> new

    def add(self, r: Rename) -> None:
        if r.table is None:
            self.tables[r.old] = r.new
        else:
            self.columns[r.table, r.old] = r.new

    def table_after(self, name: str) -> str:
        return self.tables.get(name, name)


def parse(option: str, current: Schema, desired: Schema, renames: Renames) -> Rename:
    """`users.name=users.full_name` (a column; the right side may drop the table) or
    `old_table=new_table`; refused unless the old name exists only in the migrations' schema
    and the new one only in the desired schema."""
    old, sep, new = (part.strip() for part in option.partition("="))
    if not sep or not old or not new:
        raise ConfigError(f"--rename {option}: write OLD=NEW, e.g. users.name=users.full_name or "
                          "old_table=new_table")
    if "." not in old:
        if "." in new:
            raise ConfigError(f"--rename {option}: a table renames to a table name (no column)")
        problem = _table_problem(old, new, current, desired)
        if problem:
            raise ConfigError(f"--rename {option} matches nothing: {problem}")
        return Rename(old, new)
    table, _, column = old.partition(".")
    new_table, dot, new_column = new.rpartition(".")
    if not dot:
        new_table, new_column = renames.table_after(table), new
    if new_table != renames.table_after(table):
        raise ConfigError(f"--rename {option}: a column keeps its table; rename the table with its own "
                          f"--rename {table}={new_table}")
    problem = _column_problem(table, new_table, column, new_column, current, desired)
    if problem:
        raise ConfigError(f"--rename {option} matches nothing: {problem}")
    return Rename(column, new_column, new_table)


def _table_problem(old, new, current, desired) -> str | None:
    if old not in current.tables:
        return f"the migrations have no table {old}"
    if old in desired.tables:
        return f"table {old} is still in the desired schema"
    if new not in desired.tables:
        return f"the desired schema has no table {new}"
    if new in current.tables:
        return f"the migrations already have a table {new}"
    return None


def _column_problem(table, new_table, old, new, current, desired) -> str | None:
    if table not in current.tables or not current.tables[table].has_column(old):
        return f"the migrations have no column {table}.{old}"
    if new_table not in desired.tables or not desired.tables[new_table].has_column(new):
        return f"the desired schema has no column {new_table}.{new}"
    if desired.tables[new_table].has_column(old):
        return f"column {new_table}.{old} is still in the desired schema"
    if current.tables[table].has_column(new):
        return f"the migrations already have a column {table}.{new}"
    return None


def _shape(column: Column) -> tuple:
    return (column.type, column.nullable, column.default, column.identity, column.collation)


def _table_shape(table: Table) -> tuple:
    return tuple(sorted((c.name, *_shape(c)) for c in table.columns))


def candidates(current: Schema, desired: Schema, renames: Renames) -> list[Rename]:
    """Pairs that could be renames, in a stable order: tables first (their columns then compare
    under the new name), then columns of tables on both sides."""
    taken_old, taken_new = set(renames.tables), set(renames.tables.values())
    gone = [t for t in sorted(current.tables) if t not in desired.tables and t not in taken_old]
    new = [t for t in sorted(desired.tables) if t not in current.tables and t not in taken_new]
    out = [Rename(a, b) for a in gone for b in new
           if _table_shape(current.tables[a]) == _table_shape(desired.tables[b])]
    out += column_candidates(current, desired, renames)
    return out


def column_candidates(current: Schema, desired: Schema, renames: Renames) -> list[Rename]:
    out = []
    for old_name in sorted(current.tables):
        name = renames.table_after(old_name)
        if name not in desired.tables:
            continue
        before, after = current.tables[old_name], desired.tables[name]
        decided = {old for (t, old) in renames.columns if t == name}
        decided_new = {new for (t, _), new in renames.columns.items() if t == name}
        gone = [c for c in before.columns if not after.has_column(c.name) and c.name not in decided]
        added = [c for c in after.columns if not before.has_column(c.name) and c.name not in decided_new]
        out += [Rename(a.name, b.name, name) for a in gone for b in added if _shape(a) == _shape(b)]
    return out


def decide(found: list[Rename], ask) -> tuple[list[Rename], list[Rename]]:
    """(accepted, undecided). `ask(rename) -> bool` is a terminal prompt, or None without one;
    an accepted pair takes both names out of the remaining candidates."""
    accepted, undecided, used = [], [], set()
    for r in found:
        ends = {(r.table, "old", r.old), (r.table, "new", r.new)}
        if ends & used:
            continue
        if ask is None:
            undecided.append(r)
        elif ask(r):
            accepted.append(r)
            used |= ends
    return accepted, undecided
