"""create_extension, drop_extension, create_schema, drop_schema."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PymigError
from ..schema import Extension, Namespace
from ..steps import Check
from .base import Operation, register


@register
@dataclass(frozen=True)
class CreateExtension(Operation):
    kind = "create_extension"
    extension: Extension

    def describe(self):
        return f"create_extension {self.extension.name}"

    def state_forwards(self, schema):
        if schema.get("extension", self.extension.name):
            raise PymigError(f'extension "{self.extension.name}" is already installed')
        return schema.with_object(self.extension)

    def inverse(self, schema, added):
        return [DropExtension(self.extension.name)]


@register
@dataclass(frozen=True)
class DropExtension(Operation):
    """No CASCADE: PostgreSQL refuses while columns, indexes or functions use what the extension
    brought, and names them; the migration's transaction is rolled back."""

    kind = "drop_extension"
    name: str

    def describe(self):
        return f"drop_extension {self.name}"

    def state_forwards(self, schema):
        schema.object("extension", self.name)
        return schema.without_object("extension", self.name)

    def inverse(self, schema, added):
        return [CreateExtension(schema.object("extension", self.name))]


@register
@dataclass(frozen=True)
class CreateSchema(Operation):
    kind = "create_schema"
    namespace: Namespace

    def describe(self):
        return f"create_schema {self.namespace.name}"

    def state_forwards(self, schema):
        if schema.get("schema", self.namespace.name):
            raise PymigError(f'schema "{self.namespace.name}" already exists')
        return schema.with_object(self.namespace)

    def inverse(self, schema, added):
        return [DropSchema(self.namespace.name)]


@register
@dataclass(frozen=True)
class DropSchema(Operation):
    """Refused while the schema holds anything (tables, views, sequences, types, functions):
    pymig never drops with CASCADE."""

    kind = "drop_schema"
    name: str

    def describe(self):
        return f"drop_schema {self.name}"

    def state_forwards(self, schema):
        schema.object("schema", self.name)
        return schema.without_object("schema", self.name)

    def inverse(self, schema, added):
        return [CreateSchema(schema.object("schema", self.name))]

    def checks(self, schema, dialect):
        return [Check(self.describe(), f'schema "{self.name}"', dialect.schema_contents_query(self.name),
                      f'schema "{self.name}" holds {{count}} {{noun}}, and pymig never drops with CASCADE',
                      hint="drop or move them first (drop_table, drop_view, ...)", noun="object")]
