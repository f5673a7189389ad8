"""create_view, drop_view, replace_view, refresh_materialized_view."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import View
from .base import Operation, register


def _check_query(query: str) -> None:
    from ..sqltext import check_query

    check_query(query)


@register
@dataclass(frozen=True)
class CreateView(Operation):
    kind = "create_view"
    view: View

    def describe(self):
        return f"create_view {self.view.name}"

    def validate(self):
        _check_query(self.view.query)

    def state_forwards(self, schema):
        if schema.get("view", self.view.name) or self.view.name in schema.tables:
            raise PymigError(f'a table or view "{self.view.name}" already exists')
        return schema.with_object(self.view)

    def inverse(self, schema, added):
        return [DropView(self.view.name)]


@register
@dataclass(frozen=True)
class DropView(Operation):
    kind = "drop_view"
    name: str

    def describe(self):
        return f"drop_view {self.name}"

    def state_forwards(self, schema):
        schema.object("view", self.name)
        for index in schema.indexes_on(self.name):  # a materialized view's indexes go with it
            schema = schema.without_index(index.name)
        return schema.without_object("view", self.name)

    def inverse(self, schema, added):
        from .indexes import CreateIndex

        return [CreateView(schema.object("view", self.name)),
                *(CreateIndex(i) for i in schema.indexes_on(self.name))]

    def checks(self, schema, dialect):
        from ..dialects.checks import dependents_checks

        return dependents_checks(self, f'view "{self.name}"', dialect.dependents_query(self.name))


@register
@dataclass(frozen=True)
class ReplaceView(Operation):
    """CREATE OR REPLACE VIEW: the new query must keep the old columns (it may add some at the
    end). PostgreSQL cannot take columns away that way, so the inverse drops the view and creates
    it again with its previous query, comment and privileges (`recreate`)."""

    kind = "replace_view"
    name: str
    query: str
    recreate: bool = False

    def describe(self):
        return f"replace_view {self.name}"

    def validate(self):
        _check_query(self.query)

    def state_forwards(self, schema):
        view = schema.object("view", self.name)
        if view.materialized:
            raise PymigError(f'replace_view: "{self.name}" is a materialized view, which PostgreSQL '
                             "cannot replace", hint="drop_view it and create_view it again")
        return schema.with_object(replace(view, query=self.query))

    def inverse(self, schema, added):
        return [ReplaceView(self.name, schema.object("view", self.name).query, recreate=True)]

    def checks(self, schema, dialect):
        if not self.recreate:
            return []
        from ..dialects.checks import dependents_checks

        return dependents_checks(self, f'view "{self.name}"', dialect.dependents_query(self.name))


@register
@dataclass(frozen=True)
class RefreshMaterializedView(Operation):
    """Recomputes the rows; CONCURRENTLY keeps the view readable meanwhile (it needs a unique index)."""

    kind = "refresh_materialized_view"
    name: str
    concurrently: bool = True

    def describe(self):
        return f"refresh_materialized_view {self.name}"

    def state_forwards(self, schema):
        view = schema.object("view", self.name)
        if not view.materialized:
            raise PymigError(f'refresh_materialized_view: "{self.name}" is a view, not a materialized view')
        if self.concurrently and not any(i.unique and not i.where for i in schema.indexes_on(self.name)):
            raise PymigError(
                f'refresh_materialized_view "{self.name}" concurrently needs a unique index on it '
                "(PostgreSQL matches the old and new rows by it)",
                hint=f'create_index("{self.name}", [...], unique=True) first, or pass concurrently=False '
                "(reads of the view then wait until the refresh ends)")
        return schema

    def inverse(self, schema, added):
        return []  # the rows are derived data: the refresh has nothing to undo
