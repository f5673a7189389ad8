"""The objects the DSL has no operation for (enums, views, functions, triggers, ...): compared by
key between two catalogs and written as run_sql(up, down) with the SQL the catalog gives.

Types, functions and the like must exist before the tables that use them and go after them; views,
triggers and the like need their tables, so they are dropped before the table changes and created
after. A view (or trigger, ...) on a table whose columns change is dropped and created again even
when its own text is the same: PostgreSQL refuses to change a column a view reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import CatalogObject
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


def compare(current, desired, changed_tables: set[str]) -> ObjectChanges:
    """`current` and `desired` are autogen.states.State values."""
    from ..recreate import ordered

    have = {o.key: o for o in current.catalog.objects}
    want = {o.key: o for o in desired.catalog.objects}
    out = ObjectChanges()
    for key in sorted(k for k in have.keys() & want.keys() if have[k].kind == "enum" and have[k].create != want[k].create):
        added = _added_values(current.typed.get(("enum", have[key].name)), desired.typed.get(("enum", want[key].name)))
        if added is not None:  # values only added: add_enum_value, in place, for each
            out.create_first += [Planned(op) for op in added]
            have[key] = want[key]
    touched = {f"table {t}" for t in changed_tables}
    gone = {k for k in have if k not in want or have[k].create != want[k].create}
    gone |= {k for k in have if k in want and have[k].kind not in BEFORE_TABLES and touched & set(have[k].depends_on)}
    gone |= _users_of(gone, have)  # what depends on a dropped object goes first, and comes back after
    new = {k for k in want if k not in have} | (gone & set(want))
    for key in reversed(ordered({k: set(have[k].depends_on) for k in gone})):
        o = have[key]
        replaced = key in want and want[key].create == o.create
        if o.kind == "enum" and key in new:
            out.warnings.append(f"{key} changed: written as drop and create, which PostgreSQL refuses while a "
                                "column uses it; rename_enum_value / add_enum_value may be what you mean")
        target = out.drop_last if o.kind in BEFORE_TABLES and key not in new else out.drop_first
        note = "dropped to change what it depends on, created again below" if replaced else None
        target.append(_written("drop", o, current.typed, note))
    for key in ordered({k: set(want[k].depends_on) for k in new}):
        o = want[key]
        target = out.create_first if o.kind in BEFORE_TABLES else out.create_last
        target.append(_written("create", o, desired.typed))
    return out


def _written(verb: str, o: CatalogObject, typed: dict, note: str | None = None) -> Planned:
    """create_enum / drop_enum, create_view / drop_view where the DSL has them, else run_sql."""
    from ..ops.enums import CreateEnum, DropEnum
    from ..ops.views import CreateView, DropView

    made = o.op if verb == "create" else o.drop_op
    if made is not None:
        return Planned(made, note)
    value = typed.get((o.kind, o.name))
    plain = value is not None and not getattr(value, "comment", None) and not getattr(value, "grants", ())
    if plain and o.kind == "enum":
        return Planned(CreateEnum(value) if verb == "create" else DropEnum(o.name), note)
    if plain and o.kind == "view" and not value.columns:
        return Planned(CreateView(value) if verb == "create" else DropView(o.name), note)
    return Planned(RunSQL(o.create, o.drop) if verb == "create" else RunSQL(o.drop, o.create),
                   _comment(verb, o, note))


def _added_values(before, after) -> list | None:
    """add_enum_value operations when `after` only adds values to `before` (order kept), else None."""
    from ..ops.enums import AddEnumValue

    if before is None or after is None or not set(before.values) < set(after.values):
        return None
    kept = [v for v in after.values if v in before.values]
    if kept != list(before.values):
        return None
    out = []
    for i, v in enumerate(after.values):
        if v not in before.values:
            following = next((x for x in after.values[i + 1:] if x in before.values), None)
            out.append(AddEnumValue(after.name, v, before=following) if following else AddEnumValue(after.name, v))
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
