"""Compatible renames (docs/expand-contract.md, "Renames"): the shape of the expanded state of a
`rename_table` / `rename_column` on a live table, and the operations that leave it.

Expand, in one short transaction: the rename itself, and a simple view under the name the running
application still uses, which PostgreSQL keeps automatically updatable (SELECT, INSERT, UPDATE,
DELETE, RETURNING and ON CONFLICT go through it to the table):

- `rename_table(old, new)`: the table is renamed; view `old` selects every column from `new`.
- `rename_column(t, old, new)`: the table moves aside to `t_pymig` with the column renamed;
  view `t` selects every column of it and the renamed one a second time under its old name, so
  both names read and write the same stored value.

Nothing is copied, so the expand is catalog-only whatever the table's size. Contract drops the
view (and moves the table back to its name); undoing the expand drops the view and renames back.
All three are ordinary operations (DropView, RenameTable, RenameColumn with compatible=False); the
rename operations build their RenamePhases themselves (`compat_phases`), from the helpers here.

The view is marked with a comment that starts with MARK, so that a later migration meeting it
is told what it is (Schema.table)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..errors import PymigError
from ..schema import COMPAT_MARK, Schema, Table, View, privilege_key
from .base import MAX_IDENTIFIER, Phases

MARK = COMPAT_MARK


def base_name(table: str) -> str:
    """Where a table whose column is renamed compatibly lives until contract: `users_pymig`, in
    the table's schema."""
    from ..names import bare, sibling

    name = f"{bare(table)}_pymig"
    if len(name.encode()) > MAX_IDENTIFIER:
        digest = hashlib.sha1(bare(table).encode()).hexdigest()[:8]
        name = f"{bare(table).encode()[: MAX_IDENTIFIER - 16].decode(errors='ignore')}_{digest}_pymig"
    return sibling(table, name)


def view_of(table: Table, name: str, aliases: tuple[tuple[str, str], ...], what: str, dialect) -> View:
    """The compatibility view `name` over `table`: all its columns in order, then each
    (old, new) of `aliases` as `new AS old` (the dialect spells the query); the table's
    privileges, a renamed column's column privileges also on its old name."""
    query = dialect.alias_view_query(table.name, [c.name for c in table.columns], aliases)
    grants = list(table.grants)
    for old, new in aliases:
        grants += [(role, p, old, g) for role, p, col, g in table.grants if col == new]
    comment = f"{MARK} {what}, until `pymig complete` drops it"
    return View(name, query, comment=comment, grants=tuple(sorted(grants, key=privilege_key)))


@dataclass(frozen=True)
class RenamePhases:
    """What a compatible rename leaves and how it ends (Operation.phases for a rename)."""

    expanded: Schema  # the catalog while both names are served
    view: View  # the compatibility view the expand creates
    base: str  # the table the view selects from
    contract: tuple  # operations that end it: the old name goes
    undo: tuple  # operations that take the expand back: the new name goes
    final_inverse: tuple  # after contract: the ordinary inverse

    def as_phases(self) -> Phases:
        return Phases(inverse=self.undo, contract=self.contract, final_inverse=self.final_inverse,
                      expanded=self.expanded)


def refuse_on_compat_view(op, schema: Schema, table: str) -> None:
    view = schema.get("view", table)
    if view is not None and (view.comment or "").startswith(MARK):
        raise PymigError(
            f'{op.describe()}: "{table}" is the compatibility view of a rename that is still expanded',
            hint="run the compatible renames of one table in separate migrations, with `pymig complete` "
            "between them, or pass compatible=False")


def blocked_by_later(ops, i: int, schema: Schema, dialect) -> int | None:
    """The number (1-based) of the first operation after `ops[i]`, a compatible rename, that could
    not follow it within the same migration (it changes the table, or references it, which then is
    the view of the old name), when that operation follows the plain rename; None when none."""
    from dataclasses import replace

    def first_failure(compatible: bool) -> int | None:
        s, start, added = schema, schema.relation_names(), set()
        for j, op in enumerate(ops):
            s = replace(s, new_tables=frozenset(s.relation_names() - start), new_columns=frozenset(added))
            try:
                phases = op.compat_phases(s, dialect) if j == i and compatible else None
                if phases is not None:
                    s = phases.expanded
                elif not op.opaque:
                    s = (replace(op, compatible=False) if j == i else op).state_forwards(s)
            except PymigError:
                return j + 1
            if getattr(op, "kind", "") == "rename_table" and op.old in start:
                start.add(op.new)
            added.update(op.columns_added())
        return None

    failed = first_failure(True)
    if failed is None or failed <= i + 1:
        return None
    plain = first_failure(False)
    return failed if plain is None or plain > failed else None


def with_feasible_renames(ops, schema: Schema, dialect) -> list:
    """`ops` with each compatible rename that a later operation of the migration could not follow
    made plain (compatible=False): `pymig check` says so (PM301)."""
    from dataclasses import replace

    ops = list(ops)
    for i, op in enumerate(ops):
        if getattr(op, "compatible", False) and hasattr(op, "compat_phases") \
                and blocked_by_later(ops, i, schema, dialect) is not None:
            ops[i] = replace(op, compatible=False)
    return ops
