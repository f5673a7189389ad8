"""Which dialect a database URL is for (the registry of URL schemes), and the URL forms each takes,
read before any dialect is imported (config reads URLs for every command): the URL itself is never
shown, it may hold a password. A scheme registered for a third dialect is taken as it is."""

from __future__ import annotations

import re

from ..errors import ConfigError

# URL scheme -> "module:class". A third dialect adds its schemes here (or calls `register`).
REGISTRY: dict[str, str] = {
    "postgresql": "pymig.dialects.postgres:PostgresDialect",
    "postgres": "pymig.dialects.postgres:PostgresDialect",
    "sqlite": "pymig.dialects.sqlite:SqliteDialect",
}


def register(scheme: str, target: str) -> None:
    """Serve URLs `scheme://...` with the dialect class at `target` ("package.module:Class")."""
    REGISTRY[scheme.lower()] = target


_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")
_URL_FORM = "postgresql://user@host:port/dbname or sqlite:///path.db"


def url_scheme(url: str) -> str:
    """`postgresql`, `sqlite` or another registered scheme for a URL pymig can use; else a
    ConfigError that never shows the URL (it may hold a password)."""
    m = _SCHEME.match(url)
    if not m:
        if "=" in url:
            raise ConfigError(f"the database URL is a key=value connection string (not shown: it may hold a "
                              f"password); pymig takes a URL: {_URL_FORM}")
        raise ConfigError(f"the database URL has no scheme (not shown: it may hold a password); write {_URL_FORM}")
    scheme = m[1].lower()
    if scheme in ("postgres", "postgresql"):
        if not url[m.end():].startswith("//"):
            raise ConfigError(f"malformed {scheme} URL (not shown: it may hold a password): "
                              f"'{scheme}:' must be followed by '//', as in postgresql://user@host:port/dbname")
        return "postgresql"
    if scheme.startswith("postgresql+") or scheme.startswith("postgres+"):
        raise ConfigError(f"unsupported database URL scheme {scheme!r}: pymig connects through libpq, which "
                          "takes postgresql://; drop the SQLAlchemy driver suffix")
    if scheme in REGISTRY:
        return scheme
    raise ConfigError(f"unsupported database URL scheme {scheme!r}: use postgresql:// or sqlite:///")


def normalize_url(url: str) -> str:
    """A PostgreSQL URL whose password holds a bare `@`: the user info ends at the last `@`
    (libpq would take the first, and try the rest of the password as the host name)."""
    if url_scheme(url) != "postgresql":
        return url
    start = url.index("//") + 2
    rest = url[start:]
    head = re.split(r"[?#]", rest, maxsplit=1)[0]
    at = head.rfind("@")
    if at < 0 or "@" not in head[:at]:
        return url
    return url[:start] + head[:at].replace("@", "%40") + rest[at:]
