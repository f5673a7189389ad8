"""SQL dialects: the only place SQL text is spelled. `for_url` picks one from a database URL."""

from __future__ import annotations

from ..config import url_scheme


def for_url(url: str):
    scheme = url_scheme(url)  # a malformed URL fails here, without showing it (it may hold a password)
    if scheme == "postgresql":
        from .postgres import PostgresDialect

        return PostgresDialect()
    from .sqlite import SqliteDialect, database_path

    database_path(url)  # a malformed URL fails here, with the forms it takes
    return SqliteDialect()
