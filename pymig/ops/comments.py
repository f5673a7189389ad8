"""comment_on: the comment of a table, column, view, index, constraint, enum, sequence, function or schema."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import names
from ..errors import PymigError
from ..schema import Schema, Table
from .base import Operation, register

_KINDS = ("enum", "sequence", "function", "schema")


def resolve_target(schema: Schema, target: str) -> tuple[str, str, str | None]:
    """(kind, name, table) of what `target` names: "table", "table.column" or "table.constraint",
    a view, an index, or an enum / sequence / function / schema of that name; qualified, as
    "schema.table.column" / "schema.table.constraint" or "schema.object". Two parts are a
    table's column or constraint when the first names a table of the default schema (as before
    schemas), else an object of another schema."""
    parts = names.split(target, 3)
    if len(parts) == 3 or (len(parts) == 2 and parts[0] in schema.tables):
        table, sub = names.column_ref(target)
        t = schema.table(table)
        if t.has_column(sub):
            return "column", sub, table
        if any(c.name == sub for c in t.constraints):
            return "constraint", sub, table
        raise PymigError(f'comment_on "{target}": table "{table}" has no column or constraint "{sub}"')
    if target in schema.tables:
        return "table", target, None
    view = schema.get("view", target)
    if view is not None:
        return ("materialized view" if view.materialized else "view"), target, None
    if target in schema.indexes:
        return "index", target, None
    for kind in _KINDS:
        if schema.get(kind, target) is not None:
            return kind, target, None
    raise PymigError(f'comment_on "{target}": no table, column, view, index, constraint, enum, '
                     "sequence, function or schema of that name")


def current_comment(schema: Schema, target: str) -> str | None:
    kind, name, table = resolve_target(schema, target)
    return _holder(schema, kind, name, table).comment


def _holder(schema: Schema, kind, name, table):
    if kind == "column":
        return schema.table(table).column(name)
    if kind == "constraint":
        return schema.table(table).constraint(name)
    if kind == "table":
        return schema.table(name)
    if kind == "index":
        return schema.index(name)
    return schema.object("view" if kind.endswith("view") else kind, name)


@register
@dataclass(frozen=True)
class CommentOn(Operation):
    kind = "comment_on"
    target: str
    text: str | None  # None removes the comment

    def describe(self):
        return f"comment_on {self.target}"

    def resolved(self, schema):
        """(kind, name, table) of the object the comment is on (resolve_target)."""
        return resolve_target(schema, self.target)

    def state_forwards(self, schema):
        kind, name, table = self.resolved(schema)
        holder = replace(_holder(schema, kind, name, table), comment=self.text)
        if kind in ("column", "constraint"):
            t = schema.table(table)
            field = "columns" if kind == "column" else "constraints"
            items = tuple(holder if x.name == name else x for x in getattr(t, field))
            return schema.with_table(replace(t, **{field: items}))
        if isinstance(holder, Table):
            return schema.with_table(holder)
        if kind == "index":
            return schema.with_index(holder)
        return schema.with_object(holder)

    def inverse(self, schema, added):
        return [CommentOn(self.target, current_comment(schema, self.target))]
