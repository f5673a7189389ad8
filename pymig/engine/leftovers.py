"""What an interrupted run leaves that the server finished on its own: a CREATE INDEX CONCURRENTLY
(or a DROP) the client died in goes on to the end. The rerun recognises it, whatever segment it was:
a valid index that matches the definition is adopted; an INVALID one is not part of the schema
(introspection skips it) and the recipe drops and rebuilds it."""

from __future__ import annotations

import re

from ..ops import CreateIndex, DropIndex
from ..schema import Index, Schema


def _norm(text: str | None) -> str:
    return re.sub(r'[\s"()]', "", text or "").lower()


def same_index(found: Index, wanted: Index) -> bool:
    """The catalog's index is the one `wanted` describes (spelling aside: quotes, spaces, parentheses)."""
    return (found.table == wanted.table and found.unique == wanted.unique
            and (found.method or "btree") == (wanted.method or "btree")
            and [_norm(c) for c in found.columns] == [_norm(c) for c in wanted.columns]
            and _norm(found.where) == _norm(wanted.where))


def finished_by_server(op, schema: Schema, dropped_ok: bool) -> Schema | None:
    """The schema after `op` when the catalog shows `op` already done by an interrupted run; None
    when it does not (the caller reports the usual error). `dropped_ok`: an index `op` drops may be
    gone already (a revert, or the operation an interrupted run may have started)."""
    if isinstance(op, CreateIndex):
        found = schema.indexes.get(op.index.name)
        if found is not None and schema.is_live(op.index.table) and same_index(found, op.index):
            return op.state_forwards(schema.without_index(op.index.name))
    if isinstance(op, DropIndex) and dropped_ok and op.name not in schema.indexes:
        return schema
    return None


class Interrupted:
    """MigrationRun's records that let a rerun tell what the server went on to finish alone."""

    def _record_before_outside(self) -> None:
        """Before a DROP INDEX CONCURRENTLY of `up`: a record naming its operation, with that
        operation's inverse (the index's definition), when none does yet. The server finishes the
        drop even when pymig is killed meanwhile, and then the catalog no longer holds the definition:
        the rerun resumes in that operation with the stored inverse instead of starting it afresh."""
        recorded = self.resumed or self.tx.segments
        if self.direction == "up" and isinstance(self.op_running, DropIndex) and (
                not recorded or self.committed.op != self.p.op):
            self.tx.begin()  # a segment holding only the record
            self._commit()
