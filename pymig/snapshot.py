"""A catalog snapshot as plain comparable data, and a readable structural diff between two.

`pymig verify` takes one before and after each step of a migration's round trip; any difference
between the schema before `up` and after `down` is a down migration that does not undo its up.
The catalog queries live with the dialect (dialects/postgres_verify.py); this module only
compares what they return."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


# Attributes whose difference is worth telling but is no failure: PostgreSQL can only add a
# column at the end, so a down that re-creates a dropped column cannot put it back in place.
NOTE_ATTRIBUTES = {"column order"}

_KIND_ORDER = ["schema", "extension", "enum", "domain", "composite type", "range", "table",
               "foreign table", "column", "constraint", "index", "sequence", "view",
               "materialized view", "function", "procedure", "trigger", "policy", "default privileges"]


@dataclass(frozen=True)
class Snapshot:
    """objects: (kind, name) -> {attribute: value}; parents: (kind, name) -> the (kind, name)
    of the table it belongs to (columns, constraints, indexes, triggers, policies)."""

    objects: dict
    parents: dict

    def names(self, kind: str) -> list[str]:
        return sorted(name for k, name in self.objects if k == kind)

    def __len__(self) -> int:
        return len(self.objects)


def take(db, dialect) -> Snapshot:
    """Read the catalog of the database `db` is connected to."""
    rows = dialect.catalog_objects(db)
    objects, parents = {}, {}
    for kind, name, parent, attrs in rows:
        objects[kind, name] = attrs
        if parent is not None:
            parents[kind, name] = parent
    return Snapshot(objects, parents)


@dataclass(frozen=True)
class Difference:
    """One object that differs: absent on one side (None), or with the attributes that changed."""

    kind: str
    name: str
    first: dict | None
    second: dict | None

    @property
    def changed(self) -> list[str]:
        if self.first is None or self.second is None:
            return []
        return [k for k in {**self.first, **self.second} if self.first.get(k) != self.second.get(k)]

    @property
    def is_note(self) -> bool:
        """Only attributes that cannot be restored (column order) differ."""
        changed = self.changed
        return bool(changed) and all(k in NOTE_ATTRIBUTES for k in changed)

    def describe(self, first: str, second: str) -> str:
        """E.g. `index idx_t_v exists before up but not after down`, or
        `column t.c: default 'x'::text before up, 'y'::text after down`."""
        what = f"{self.kind} {self.name}"
        if self.second is None:
            return f"{what} exists {first} but not {second}"
        if self.first is None:
            return f"{what} exists {second} but not {first}"
        parts = [f"{k} {show(self.first.get(k))} {first}, {show(self.second.get(k))} {second}"
                 for k in self.changed]
        return f"{what}: " + "; ".join(parts)


def diff(first: Snapshot, second: Snapshot) -> list[Difference]:
    """Objects that differ, in a readable order. An object whose table is itself missing on one
    side is left out: `table t exists before up but not after down` says it all."""
    out = []
    for key in first.objects.keys() | second.objects.keys():
        a, b = first.objects.get(key), second.objects.get(key)
        if a == b:
            continue
        parent = first.parents.get(key) or second.parents.get(key)
        if parent and (parent not in first.objects or parent not in second.objects) and (a is None or b is None):
            continue
        out.append(Difference(key[0], key[1], a, b))
    return sorted(out, key=lambda d: (_rank(d.kind), d.name))


def summary(first: Snapshot, second: Snapshot) -> str:
    """What changed from `first` to `second`, counted: `+1 table, +8 columns, ~1 column, -1 index`."""
    counts: Counter = Counter()
    for d in diff(first, second):
        if d.is_note:
            continue
        sign = "+" if d.first is None else "-" if d.second is None else "~"
        counts[sign, d.kind] += 1
    parts = [f"{sign}{n} {_plural(kind, n)}"
             for (sign, kind), n in sorted(counts.items(), key=lambda x: ("+-~".index(x[0][0]), _rank(x[0][1])))]
    return ", ".join(parts) or "no schema change"


def show(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


def _rank(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


def _plural(kind: str, n: int) -> str:
    if n == 1:
        return kind
    if kind == "default privileges":
        return kind
    if kind.endswith(("x", "s")):
        return kind + "es"
    if kind.endswith("y") and not kind.endswith("ey"):
        return kind[:-1] + "ies"
    return kind + "s"
