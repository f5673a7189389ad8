"""PostgreSQL's compatible renames (docs/expand-contract.md, "Renames"): on a live table the
expand renames and leaves a simple view under the name still in use, in one short transaction.
The view is automatically updatable, and `security_invoker` makes PostgreSQL check the caller's
own privileges and row security on the table, as if the table were used directly."""

from __future__ import annotations

from ..schema import View
from ..steps import Sql

# security_invoker exists from PostgreSQL 15 on; before, the view checks its owner's privileges
_HAS_SECURITY_INVOKER = "SELECT current_setting('server_version_num')::int >= 150000"


class CompatibleRenames:
    """The `<kind>_steps` of rename_table / rename_column of PostgresDialect."""

    compatible_renames = False  # True once the expanded lifecycle runs them (pymig complete)

    def rename_table_steps(self, op, change):
        phases = op.compat_phases(change.before, self)
        if phases is None:
            return super().rename_table_steps(op, change)
        return self._sql(self.rename_table(op.old, op.new)) + self.compat_view(phases.view)

    def rename_column_steps(self, op, change):
        phases = op.compat_phases(change.before, self)
        if phases is None:
            return super().rename_column_steps(op, change)
        return self._sql([*self.rename_table(op.table, phases.base), *self.rename_column(phases.base, op.old, op.new)]) \
            + self.compat_view(phases.view)

    def compat_view(self, view: View) -> list:
        name = self.qname(view.name)
        return [Sql(f"CREATE VIEW {name} AS\n{view.query}"),
                Sql(f"ALTER VIEW {name} SET (security_invoker = true)", only_if=_HAS_SECURITY_INVOKER),
                *self._sql([self.comment_on("view", view.name, view.comment), *self.grant_all(view.name, view.grants)])]

