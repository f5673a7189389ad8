"""The objects the DSL has no operation for (enums, views, functions, triggers, ...): compared by
key between two catalogs and written as run_sql(up, down) with the SQL the catalog gives.

Types, functions and the like must exist before the tables that use them and go after them; views,
triggers and the like need their tables, so they are dropped before the table changes and created
after. A view (or trigger, ...) on a table whose columns change is dropped and created again even
when its own text is the same: PostgreSQL refuses to change a column a view reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import Catalog, CatalogObject
from ..ops import RunSQL
from .differ import Planned

# kinds a table can need (a column's type, a default's function); the rest need tables
BEFORE_TABLES = {"schema", "extension", "enum", "domain", "type", "sequence", "function", "procedure"}


@dataclass
class ObjectChanges:
    drop_first: list[Planned] = field(default_factory=list)  # before the table changes
    create_first: list[Planned] = field(default_factory=list)
    drop_last: list[Planned] = field(default_factory=list)  # after them
    create_last: list[Planned] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def compare(current: Catalog, desired: Catalog, changed_tables: set[str]) -> ObjectChanges:
    from ..recreate import ordered

    have = {o.key: o for o in current.objects}
    want = {o.key: o for o in desired.objects}
    touched = {f"table {t}" for t in changed_tables}
    gone = {k for k in have if k not in want or have[k].create != want[k].create}
    gone |= {k for k in have if k in want and have[k].kind not in BEFORE_TABLES and touched & set(have[k].depends_on)}
    gone |= _users_of(gone, have)  # what depends on a dropped object goes first, and comes back after
    new = {k for k in want if k not in have} | (gone & set(want))
    out = ObjectChanges()
    for key in reversed(ordered({k: set(have[k].depends_on) for k in gone})):
        o = have[key]
        replaced = key in want and want[key].create == o.create
        if o.kind in BEFORE_TABLES and key in new and o.kind == "enum":
            out.warnings.append(f"{key} changed: written as drop and create, which PostgreSQL refuses while a "
                                "column uses it; change it by hand with run_sql (ALTER TYPE ... ADD VALUE)")
        target = out.drop_last if o.kind in BEFORE_TABLES and key not in new else out.drop_first
        note = "dropped to change what it depends on, created again below" if replaced else None
        target.append(Planned(RunSQL(o.drop, o.create), _comment("drop", o, note)))
    for key in ordered({k: set(want[k].depends_on) for k in new}):
        o = want[key]
        target = out.create_first if o.kind in BEFORE_TABLES else out.create_last
        target.append(Planned(RunSQL(o.create, o.drop), _comment("create", o)))
    return out


def _users_of(keys: set[str], objects: dict[str, CatalogObject]) -> set[str]:
    found, frontier = set(), set(keys)
    while frontier:
        more = {k for k, o in objects.items() if frontier & set(o.depends_on)} - found - keys
        found |= more
        frontier = more
    return found


def _comment(verb: str, o: CatalogObject, note: str | None = None) -> str:
    return f"{verb} {o.kind} {o.name}" + (f" ({note})" if note else "")
