"""PostgreSQL's compatible renames (docs/expand-contract.md, "Renames"): on a live table the
expand renames and leaves a simple view under the name still in use, in one short transaction.
The view is automatically updatable, and `security_invoker` makes PostgreSQL check the caller's
own privileges and row security on the table, as if the table were used directly."""

from __future__ import annotations

from ..schema import View
from ..steps import Commit, Phase, Sql

# security_invoker exists from PostgreSQL 15 on; before, the view checks its owner's privileges
_HAS_SECURITY_INVOKER = "current_setting('server_version_num')::int >= 150000"

class CompatibleRenames:
    """The `<kind>_steps` of rename_table / rename_column of PostgresDialect. Each compatible rename
    is a transaction of its own: its ACCESS EXCLUSIVE lock is held only for the catalog changes, and
    two renames of tables linked by a foreign key do not take their locks in one transaction, in the
    order opposite to a writer's (the referencing table, then the referenced), which deadlocks."""

    compatible_renames = True

    def merge(self, ops, schema):
        from ..ops.compat import with_feasible_renames

        return with_feasible_renames(super().merge(ops, schema), schema, self)

    def rename_table_steps(self, op, change):
        phases = op.compat_phases(change.before, self)
        if phases is None:
            return super().rename_table_steps(op, change)
        q = self.quote
        return self._rename_switch(f"from this commit on, {q(op.new)} (the table) and {q(op.old)} (a view of it) "
                                   f"both serve reads and writes; deploy code that uses {q(op.new)}, then "
                                   "`pymig complete`",
                                   self.rename_table(op.old, op.new), phases.view, self.rename_table(op.new, op.old))

    def rename_column_steps(self, op, change):
        phases = op.compat_phases(change.before, self)
        if phases is None:
            return super().rename_column_steps(op, change)
        q = self.quote
        return self._rename_switch(f"from this commit on, {q(op.table)} is a view of {q(phases.base)} in which "
                                   f"{q(op.new)} and {q(op.old)} both read and write the column; deploy code that "
                                   f"uses {q(op.new)}, then `pymig complete`",
                                   [*self.rename_table(op.table, phases.base),
                                    *self.rename_column(phases.base, op.old, op.new)],
                                   phases.view,
                                   [*self.rename_table(phases.base, op.table),
                                    *self.rename_column(op.table, op.new, op.old)])

    def _rename_switch(self, text: str, renames: list[str], view: View, back: list[str]) -> list:
        """One transaction of its own, sent as one statement text (one round trip: the ACCESS
        EXCLUSIVE lock is held for the server's few milliseconds, not for the client's round trips
        on a busy machine): the renames and the view. It carries the undo that a later failure, or
        `pymig down` of the partial migration, runs (the operation is still the one in progress when
        this transaction commits)."""
        undo = Sql(";\n".join([f"DROP VIEW IF EXISTS {self.qname(view.name)}", *back]))
        switch = Sql(";\n".join([*renames, *self.compat_view(view)]), undo=undo)
        return [Commit(), Phase("switch", text), switch, Commit()]

    def compat_view(self, view: View) -> list[str]:
        name = self.qname(view.name)
        invoker = (f"DO $$BEGIN IF {_HAS_SECURITY_INVOKER} THEN ALTER VIEW {name} SET (security_invoker = true); "
                   "END IF; END$$")
        return [f"CREATE VIEW {name} AS\n{view.query}", invoker,
                self.comment_on("view", view.name, view.comment), *self.grant_all(view.name, view.grants)]
