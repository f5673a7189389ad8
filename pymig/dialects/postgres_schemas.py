"""PostgreSQL: the default schema (search_path) and the history schema of a connection."""

from __future__ import annotations

from .. import names
from ..errors import ConfigError
from ..schema import Schema

# The object kinds read per schema; extensions and schemas belong to the database (the default read).
_PER_SCHEMA = ("view", "enum", "sequence", "function")


def name_sql(ns: str, name: str, here: str = "current_schema()::regnamespace") -> str:
    """SQL of an object's name in pymig.names' form, from its namespace and name columns: bare when
    the namespace `ns` is `here` (the current schema, or the schema of the table that names it),
    else schema.name."""
    return (f"CASE WHEN {ns} = {here} THEN {name}::text "
            f"ELSE (SELECT nspname FROM pg_namespace WHERE oid = {ns}) || '.' || {name} END")


class InSchema:
    """A connection whose catalog queries read `schema` instead of the current one: the
    introspection queries, which ask for current_schema(), asked about another schema."""

    def __init__(self, db, schema: str):
        self.db = db
        quoted = '"' + schema.replace('"', '""') + '"'
        self.namespace = "to_regnamespace('" + quoted.replace("'", "''") + "')"
        self.name = "'" + schema.replace("'", "''") + "'"

    def rows(self, sql: str, params=None):
        sql = sql.replace("current_schema()::regnamespace", self.namespace).replace("current_schema()", self.name)
        return self.db.rows(sql, params)


class SchemaSupport:
    """A mixin of PostgresDialect; uses its `schema`, `history_schema` and `quote`."""

    def introspect(self, db, schemas=()) -> Schema:
        """The default schema, unqualified, and each of `schemas` (those a plan names) besides it,
        qualified (`analytics.events`): the state of every schema the operations can touch, and
        no other (a database of 500 tenant schemas reads one)."""
        schema = self.read_current(db).merged(self.introspect_schemas(db, schemas))
        if self.history_schema is not None and ("schema", self.history_schema) in schema.objects:
            schema = schema.without_object("schema", self.history_schema)  # pymig's own, as its tables
        return schema

    def introspect_schemas(self, db, schemas) -> Schema:
        """Only `schemas` (not the default one), qualified."""
        schema = Schema()
        if not schemas:
            return schema
        for other in sorted(set(schemas) - {self.default_schema, None}):
            if self.schema_exists(db, other):
                schema = schema.merged(qualified(self.read_current(InSchema(db, other)), other, self.default_schema))
        return schema

    def use_schema(self, db) -> bool:
        """Set search_path to the default schema; whether it exists. A schema that does not exist
        yet stays alone on the path, so that nothing lands in public meanwhile (current_schema()
        is then NULL: the schema read is empty)."""
        exists = self.schema_exists(db, self.schema)
        path = self.quote(self.schema) + (", public" if exists and self.schema != "public" else "")
        db.execute(f"SET search_path TO {path}")
        return exists

    def application_schemas(self, db) -> tuple[str, ...]:
        """The schemas besides the default one that hold the application's objects: not the
        server's own, an extension's, nor pymig's history schema."""
        rows = db.rows("SELECT n.nspname FROM pg_namespace n WHERE n.oid <> current_schema()::regnamespace "
                       "AND n.nspname NOT IN ('information_schema') AND n.nspname NOT LIKE 'pg\\_%' "
                       "AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_namespace'::regclass "
                       "AND e.objid = n.oid AND e.deptype = 'e') ORDER BY 1")
        return tuple(name for (name,) in rows if name != self.history_schema)

    @staticmethod
    def schema_exists(db, name: str) -> bool:
        return bool(db.rows("SELECT to_regnamespace(%s) IS NOT NULL", ('"' + name.replace('"', '""') + '"',))[0][0])

    def script_setup(self) -> list[str]:
        out = [f"CREATE SCHEMA IF NOT EXISTS {self.quote(self.history_schema)}"] if self.history_schema else []
        if self.schema is not None:
            out.append(f"SET search_path TO {self.quote(self.schema)}" + (", public" if self.schema != "public" else ""))
        return out

    def ensure_schemas(self, db) -> str | None:
        """Before the history tables: the history schema is created when missing (it is pymig's, as
        its tables are); the default schema must exist. What was created, to say so."""
        if self.schema is not None and self.schema != self.history_schema and not self.schema_exists(db, self.schema):
            raise ConfigError(f'the default schema "{self.schema}" (the schema setting, [tool.pymig] schema or '
                              "--schema) does not exist in this database",
                              hint=f'create it (CREATE SCHEMA {self.quote(self.schema)}), or leave history_schema '
                              "unset so that pymig creates it with its history tables")
        if self.history_schema is None or self.schema_exists(db, self.history_schema):
            return None
        db.execute(f"CREATE SCHEMA {self.quote(self.history_schema)}")
        if self.schema is not None:
            self.use_schema(db)  # now with public after it
        return self.history_schema


def qualified(schema: Schema, name: str, default: str | None) -> Schema:
    """`schema`, read as if `name` were the default schema, with its names qualified by `name`
    (a name it shows qualified is in yet another schema; the default one's are made unqualified)."""

    def fn(kind, text):
        if kind == names.QUALIFIED:
            text = text if names.schema_of(text) else f"{name}.{text}"
            return names.relative(text, default)
        if kind == names.COLUMN_REF:
            table, column = names.column_ref(text)
            return f"{fn(names.QUALIFIED, table)}.{column}"
        return text

    tables = [names.transform(t, fn) for t in schema.tables.values()]
    indexes = [names.transform(i, fn) for i in schema.indexes.values()]
    objects = [names.transform(o, fn) for (kind, _), o in schema.objects.items() if kind in _PER_SCHEMA]
    return Schema({t.name: t for t in tables}, {i.name: i for i in indexes},
                  objects={(k, o.name): o for o in objects for k in [_kind(o)]})


def _kind(obj) -> str:
    from ..schema import OBJECT_KINDS

    return OBJECT_KINDS[type(obj)]
