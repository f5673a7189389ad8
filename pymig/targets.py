"""`[tool.pymig.targets.NAME]`: named databases, and groups that expand to many at run time.

Only the configuration lives here (read and checked once, like every other `[tool.pymig]` key);
expanding a group against its databases is pymig.groups, running the targets pymig.fanout.

    [tool.pymig.targets.staging]          one database (and optionally its schema)
    database_url = "postgresql://app@staging/app"
    schema = "app"

    [tool.pymig.targets.tenants]          schema-per-tenant: every schema matching the pattern
    database_url = "postgresql://app@db/app"
    schemas = "tenant_*"                  (or a list of patterns, or schemas_query = "SELECT ...")

    [tool.pymig.targets.shards]           database-per-shard
    database_urls = ["postgresql://app@db1/s1", "postgresql://app@db2/s2"]

    [tool.pymig.targets.customers]        URLs read from a control database
    database_url = "postgresql://app@control/control"
    database_urls_query = "SELECT url FROM customer_databases WHERE active"
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .errors import ConfigError

KEYS = {
    "database_url": "a database URL string",
    "schema": "a schema name string",
    "schemas": "a schema name pattern (\"tenant_*\") or a list of them",
    "schemas_query": "an SQL query returning schema names",
    "database_urls": "a list of database URL strings",
    "database_urls_query": "an SQL query returning database URLs, run on database_url",
}


@dataclass(frozen=True)
class TargetSpec:
    """One `[tool.pymig.targets.NAME]` table, checked."""

    name: str
    database_url: str | None = None
    schema: str | None = None
    schemas: tuple[str, ...] = ()  # patterns over the database's schema names
    schemas_query: str | None = None
    database_urls: tuple[str, ...] = ()
    database_urls_query: str | None = None

    @property
    def is_group(self) -> bool:
        """A group expands at run time (and runs in parallel); a plain target is one database."""
        return bool(self.schemas or self.schemas_query or self.database_urls or self.database_urls_query)

    def urls(self) -> list[str]:
        """Every URL written in the table (for redaction)."""
        return [u for u in (self.database_url, *self.database_urls) if u]


def parse_targets(value) -> dict[str, TargetSpec]:
    """`[tool.pymig] targets`: a table of tables, each key checked (unknown keys: did-you-mean)."""
    if not isinstance(value, dict):
        raise ConfigError("pyproject.toml: [tool.pymig] targets must be a table of tables: "
                          "write [tool.pymig.targets.NAME] and database_url = \"...\" under it")
    return {name: parse_target(name, table) for name, table in value.items()}


def parse_target(name: str, table) -> TargetSpec:
    where = f"pyproject.toml: [tool.pymig.targets.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table: write [tool.pymig.targets.{name}] and database_url = \"...\" "
                          "under it")
    for key, value in table.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r}{suggestion}; known keys: {', '.join(KEYS)}")
        _check_type(where, key, value)
    spec = TargetSpec(
        name, table.get("database_url"), table.get("schema"),
        tuple([table["schemas"]] if isinstance(table.get("schemas"), str) else table.get("schemas", ())),
        table.get("schemas_query"), tuple(table.get("database_urls", ())), table.get("database_urls_query"))
    _check_combination(where, spec)
    return spec


def _check_type(where: str, key: str, value) -> None:
    shown = "<not shown>" if "url" in key else repr(value)
    if key in ("schemas", "database_urls"):
        items = [value] if key == "schemas" and isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) and v.strip() for v in items):
            raise ConfigError(f"{where} {key} = {shown}: must be {KEYS[key]}")
    elif not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} {key} = {shown}: must be {KEYS[key]}")


def _check_combination(where: str, s: TargetSpec) -> None:
    def both(a: str, b: str, why: str) -> None:
        if getattr(s, a) and getattr(s, b):
            raise ConfigError(f"{where}: give {a} or {b}, not both ({why})")

    both("schemas", "schemas_query", "both say which schemas the group has")
    both("schema", "schemas", "schema names one schema, schemas a pattern for many")
    both("schema", "schemas_query", "schema names one schema, schemas_query returns many")
    both("database_urls", "database_urls_query", "both say which databases the group has")
    both("database_url", "database_urls", "database_urls lists every database of the group")
    if s.database_urls_query and not s.database_url:
        raise ConfigError(f"{where}: database_urls_query runs on database_url (the control database), "
                          "which is missing")
    if not s.database_url and not s.database_urls:
        raise ConfigError(f"{where}: no database: give database_url (or database_urls for a group of databases)")


def select(targets: dict[str, TargetSpec], name: str) -> TargetSpec:
    """The target `--target NAME` names; an unknown name is one line with the close ones."""
    if name in targets:
        return targets[name]
    if not targets:
        raise ConfigError(f"--target {name}: pyproject.toml defines no targets; add a [tool.pymig.targets.{name}] "
                          "table with database_url = \"...\"")
    close = difflib.get_close_matches(name, targets, n=1, cutoff=0.6)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"--target {name}: no [tool.pymig.targets.{name}] in pyproject.toml{suggestion}; "
                      f"targets: {', '.join(sorted(targets))}")
