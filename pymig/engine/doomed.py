"""The tables a `down` drops anyway: changes to them before the drop need not keep traffic flowing.

Every table exists when a rollback starts, so each counts as in use (live) and gets PostgreSQL's
online recipes: an index a revert drops goes with `DROP INDEX CONCURRENTLY`, outside any
transaction, a round trip and a wait for other transactions of its own. When a later revert of the
same run drops the table itself, the run takes the table away anyway; its changes before that are
made the direct way, in the revert's transaction (a plain `DROP INDEX` under the short lock timeout,
like the `DROP COLUMN` next to it), as for a table the run created."""

from __future__ import annotations

from ..ops import CreateTable, DropTable, RenameTable


def dropped_later(plans: list[tuple[int, tuple]]) -> dict[int, frozenset[str]]:
    """`plans`: (version, operations) in the order the run reverts them. For each version, the tables
    that exist when its revert starts and that it or a later revert of the run drops, by their names
    at that point. Read backwards: a rename carries the doom to the old name, a create ends it (an
    earlier table of that name is another table), and run_sql or run_python, whose changes are not
    known, end every one."""
    doomed: set[str] = set()
    out: dict[int, frozenset[str]] = {}
    for version, ops in reversed(plans):
        for op in reversed(ops):
            if op.opaque:
                doomed.clear()
            elif isinstance(op, DropTable):
                doomed.add(op.name)
            elif isinstance(op, RenameTable):
                if op.new in doomed:
                    doomed.discard(op.new)
                    doomed.add(op.old)
                else:
                    doomed.discard(op.old)
            elif isinstance(op, CreateTable):
                doomed.discard(op.table.name)
        out[version] = frozenset(doomed)
    return out
