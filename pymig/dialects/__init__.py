"""SQL dialects: the only place SQL text is spelled. `for_url` picks one from a database URL."""

from __future__ import annotations

from ..errors import ConfigError


def for_url(url: str):
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgres", "postgresql") or scheme.startswith("postgresql+"):
        from .postgres import PostgresDialect

        return PostgresDialect()
    if scheme == "sqlite":
        from .sqlite import SqliteDialect, database_path

        database_path(url)  # a malformed URL fails here, with the forms it takes
        return SqliteDialect()
    raise ConfigError(f"unsupported database URL scheme {scheme!r}: use postgresql:// or sqlite:///")
