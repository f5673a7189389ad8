"""SQL dialects: the only place SQL text is spelled. `for_url` picks one from a database URL.

A dialect is a subclass of base.Dialect (with a base.Database for its connections) named here
by the URL schemes it serves (urls.REGISTRY); its module is imported only when a URL asks for it."""

from __future__ import annotations

import importlib

from .urls import REGISTRY, register, url_scheme  # noqa: F401  (REGISTRY and register are this package's API)


def for_url(url: str, schema: str | None = None, history_schema: str | None = None):
    """The dialect of `url`; with `schema` / `history_schema` (PostgreSQL), configured for that
    default schema and history schema (Dialect.configured), as one target of a run uses it."""
    target = REGISTRY.get(url.partition(":")[0].lower())
    if target is None:
        url_scheme(url)  # the reason, without showing the URL (it may hold a password)
    module, name = target.split(":")
    dialect = getattr(importlib.import_module(module), name)()
    dialect.check_url(url)  # a malformed URL fails here, with the forms it takes
    return dialect.configured(schema, history_schema)
