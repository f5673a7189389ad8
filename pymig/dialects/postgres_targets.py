"""What pymig's target groups need from PostgreSQL: the schema names a group's pattern
(`schemas = "tenant_*"`) is matched against."""

from __future__ import annotations


class TargetSupport:
    """Mixin of PostgresDialect."""

    schema_names_query = ("SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                          "AND nspname <> 'information_schema' ORDER BY 1")
