"""A target group, expanded at run time into the targets it has now: the schemas matching a pattern
(or returned by a query) in its database, the databases it lists (or a control database returns),
or both (every matching schema of every database).

A target is a URL and, for schema-per-tenant, a schema: its migrations run with that schema as the
default one, and its history tables live there, so each tenant is migrated, recorded and locked on
its own."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from urllib.parse import urlsplit

from .config import Config, normalize_url, redact
from .errors import ConfigError, PymigError
from .targets import TargetSpec


@dataclass(frozen=True)
class Target:
    name: str  # what the output shows: the schema, the database, or database/schema
    url: str
    schema: str | None = None


def expand(spec: TargetSpec) -> list[Target]:
    """The targets of `spec` as they are now (a group reads its schemas and URLs here, once)."""
    urls = [normalize_url(u) for u in _urls(spec)]
    found = [(url, schema) for url in urls for schema in _schemas(spec, url)]
    names = _names(found, several_databases=len(urls) > 1)
    return [Target(name, url, schema) for name, (url, schema) in zip(names, found)]


def target_config(config: Config, target: Target) -> Config:
    """The configuration one target runs with: its database and, for a schema, that schema as the
    default one (search_path), where its history tables are too (Config.for_target)."""
    return config.for_target(target.url, target.schema)


def _urls(spec: TargetSpec) -> list[str]:
    if spec.database_urls:
        return list(spec.database_urls)
    if spec.database_urls_query:
        urls = _query(spec, spec.database_url, spec.database_urls_query, "database_urls_query")
        if not urls:
            raise ConfigError(f"target {spec.name}: database_urls_query returned no URL")
        return urls
    return [spec.database_url]


def _schemas(spec: TargetSpec, url: str) -> list[str | None]:
    if spec.schemas_query:
        return _query(spec, url, spec.schemas_query, "schemas_query")
    if spec.schemas:
        from .dialects import for_url

        dialect = for_url(url)
        if dialect.schema_names_query is None:
            raise ConfigError(f"target {spec.name}: schemas = {list(spec.schemas)!r}: {dialect.name} has no schemas")
        names = _query(spec, url, dialect.schema_names_query, "the schema list")
        return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in spec.schemas)]
    return [spec.schema]


def _query(spec: TargetSpec, url: str, query: str, what: str) -> list[str]:
    """The first column of `query`'s rows on `url`, as text; a failure names the target and the key."""
    from .dialects import for_url

    db = for_url(url).connect(url)
    try:
        try:
            rows = db.rows(query)
        except Exception as e:
            text = db.error_text(e)
            if text is None:
                raise
            raise ConfigError(redact(f"target {spec.name}: {what} failed: {text}", url, *spec.urls())) from None
    except PymigError as e:
        raise ConfigError(redact(f"target {spec.name}: {e.message}", url, *spec.urls())) from None
    finally:
        db.close()
    values = [r[0] for r in rows]
    if any(not isinstance(v, str) or not v for v in values):
        raise ConfigError(f"target {spec.name}: {what} must return one non-empty text column")
    return values


def _names(found: list[tuple[str, str | None]], several_databases: bool) -> list[str]:
    """Short unique names: the schema (one database), the database name (several), or both."""
    def database(url: str, full: bool) -> str:
        parts = urlsplit(url)
        path = parts.path.lstrip("/") or "?"
        if not parts.netloc:  # a file (sqlite:///app.db): its name
            return path.rsplit("/", 1)[-1].removesuffix(".db") if not full else path
        return f"{parts.hostname}:{parts.port or 5432}/{path}" if full else path

    for full in (False, True):
        names = []
        for url, schema in found:
            base = database(url, full) if several_databases or schema is None else None
            names.append("/".join(p for p in (base, schema) if p))
        if len(set(names)) == len(names):
            return names
    return [f"{n}#{i}" for i, n in enumerate(names, 1)]
