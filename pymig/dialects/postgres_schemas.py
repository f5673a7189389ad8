"""PostgreSQL: the default schema (search_path) and the history schema of a connection."""

from __future__ import annotations

from ..errors import ConfigError


class SchemaSupport:
    """A mixin of PostgresDialect; uses its `schema`, `history_schema` and `quote`."""

    def use_schema(self, db) -> bool:
        """Set search_path to the default schema; whether it exists. A schema that does not exist
        yet stays alone on the path, so that nothing lands in public meanwhile (current_schema()
        is then NULL: the schema read is empty)."""
        exists = self.schema_exists(db, self.schema)
        path = self.quote(self.schema) + (", public" if exists and self.schema != "public" else "")
        db.execute(f"SET search_path TO {path}")
        return exists

    @staticmethod
    def schema_exists(db, name: str) -> bool:
        return bool(db.rows("SELECT to_regnamespace(%s) IS NOT NULL", ('"' + name.replace('"', '""') + '"',))[0][0])

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
