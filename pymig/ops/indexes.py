"""create_index, drop_index."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..names import QUALIFIED
from ..schema import Index
from .base import Operation, register


def _spaced_name(text: str) -> bool:
    """`first name`: words and spaces, a column name once `resolved` finds it in the table."""
    return " " in text.strip() and text.replace(" ", "_").isidentifier()


@register
@dataclass(frozen=True)
class CreateIndex(Operation):
    kind = "create_index"
    index: Index

    def describe(self):
        return f"create_index {self.index.name} on {self.index.table}"

    def validate(self):
        from ..sqltext import NOT_IMMUTABLE, check_expression, functions_used, is_bare_name, split_direction

        for text in self.index.columns:
            expr = split_direction(text)[0]
            if not is_bare_name(expr) and not _spaced_name(expr):  # names are quoted (valid even if "update")
                check_expression(expr)
        if self.index.where:
            check_expression(self.index.where)
            bad = sorted(functions_used(self.index.where) & NOT_IMMUTABLE)
            if bad:
                raise PymigError(
                    f"index predicate {self.index.where!r} calls {', '.join(bad)}(), which is not "
                    "IMMUTABLE: PostgreSQL refuses it (functions in an index predicate must be "
                    "marked IMMUTABLE), and the index would freeze the time it was built anyway",
                    hint="index the column without that condition, or compare with a constant "
                    "(e.g. WHERE expires_at IS NOT NULL) and filter by time in the query",
                )

    def values(self):
        return [self.index]

    def resolved(self, schema) -> Index:
        """The index with each entry that names a column with a space or capital letters (which
        would read as an expression: `first name`) written as a quoted identifier."""
        from dataclasses import replace

        from ..sqltext import is_bare_name, split_direction

        table = schema.tables.get(self.index.table)
        if table is None:
            return self.index
        columns = []
        for text in self.index.columns:
            expr, direction = split_direction(text)
            if not is_bare_name(expr) and table.has_column(expr):
                text = '"' + expr.replace('"', '""') + '"' + direction
            columns.append(text)
        return replace(self.index, columns=tuple(columns))

    def state_forwards(self, schema):
        view = schema.get("view", self.index.table)
        if view is None or not view.materialized:  # a materialized view can have indexes too
            schema.table(self.index.table)
        if self.index.name in schema.indexes:
            raise PymigError(f'index "{self.index.name}" already exists')
        from .partitions import inherited_index

        index = self.resolved(schema)
        for partition in schema.partitions(index.table):  # PostgreSQL indexes each partition too
            schema = schema.with_index(inherited_index(index, partition.name))
        return schema.with_index(index)

    def inverse(self, schema, added):
        return [DropIndex(self.index.name)]

    def checks(self, schema, dialect):
        from ..dialects.checks import create_index_checks

        return create_index_checks(self, schema, dialect)


@register
@dataclass(frozen=True)
class DropIndex(Operation):
    kind = "drop_index"
    name: str

    def describe(self):
        return f"drop_index {self.name}"

    def state_forwards(self, schema):
        from .partitions import inherited_index

        index = schema.index(self.name)
        for partition in schema.partitions(index.table):  # the partitions' indexes go with it
            schema = schema.without_index(inherited_index(index, partition.name).name)
        return schema.without_index(self.name)

    def inverse(self, schema, added):
        return [CreateIndex(schema.index(self.name))]


@register
@dataclass(frozen=True)
class RenameIndex(Operation):
    kind = "rename_index"
    name_fields = {"old": QUALIFIED, "new": QUALIFIED}  # both may be "schema.index" (pymig.names)
    old: str
    new: str

    def describe(self):
        return f"rename_index {self.old} -> {self.new}"

    def state_forwards(self, schema):
        from ..names import bare
        from ..sqltext import rename_index_in

        index = schema.index(self.old)
        if self.new in schema.indexes:
            raise PymigError(f'index "{self.new}" already exists')
        renamed = replace(index, name=self.new, definition=rename_index_in(index.definition, bare(self.old), bare(self.new)))
        return schema.without_index(self.old).with_index(renamed)

    def inverse(self, schema, added):
        return [RenameIndex(self.new, self.old)]
