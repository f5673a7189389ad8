"""Where the database and the migrations are: options, then environment, then pyproject.toml.

Every `[tool.pymig]` key is checked here, once, so a typo or a wrong type is one line with exit 2
instead of a silent fallback (a misspelt `database_url` used to create `pymig.db`)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from .dialects.urls import normalize_url
from .errors import ConfigError


# No database URL anywhere: the embedded SQLite database, a file in the project directory.
DEFAULT_DATABASE_URL = "sqlite:///pymig.db"
DEFAULT_SCRATCH_PREFIX = "pymig_verify_"


@dataclass(frozen=True)
class Config:
    database_url: str | None
    migrations: Path
    lock_wait: float = 60.0  # seconds to wait for another runner's lock
    lock_timeout: str = "1s"  # SET LOCAL lock_timeout for statements that lock out traffic
    lock_retry_for: float = 300.0  # seconds of retries after lock timeouts before giving up
    backfill_pause: float = 0.05  # seconds between online backfill batches
    out_of_order: bool = False  # apply a pending migration older than the newest applied one
    scratch_prefix: str = DEFAULT_SCRATCH_PREFIX  # names of the databases `pymig verify` creates
    migrations_configured: bool = False  # the directory was named (--dir or [tool.pymig]), not the default
    allow_data_loss: bool = False  # `down` may drop tables with rows and columns with values (dev databases)
    # PostgreSQL: the default schema of unqualified names (the migrations' search_path), and where
    # pymig's history tables are (history_schema, else schema). None: the connection's own
    # search_path decides, and the history tables are unqualified, as before schemas were settings.
    schema: str | None = None
    history_schema: str | None = None

    def for_target(self, database_url: str, schema: str | None = None) -> Config:
        """This configuration for another database and default schema (a target of a group): the
        history goes with the schema unless history_schema is set."""
        from dataclasses import replace

        return replace(self, database_url=normalize_url(database_url),
                       schema=schema_name(schema, "schema") if schema is not None else self.schema)

    @property
    def history_in(self) -> str | None:
        """The schema of the history tables (None: unqualified, wherever search_path puts them)."""
        return self.history_schema or self.schema
    targets: dict = field(default_factory=dict)  # [tool.pymig.targets.NAME]: name -> targets.TargetSpec
    auto_complete: bool = False  # `up` first runs the contract of expanded migrations (`pymig complete`)

    @property
    def line_length(self) -> int:
        """The width written migrations fit (baseline, diff, import): the project's formatter
        settings, read when a command writes one, not at every start."""
        return formatter_line_length()


# key -> (what it holds, for messages; the check)
_KEYS = {
    "database_url": "a database URL string",
    "migrations": "a directory path string",
    "lock_timeout": "a duration",
    "lock_retry_for": "a duration",
    "lock_wait": "a duration",
    "backfill_pause": "a duration",
    "out_of_order": "true or false",
    "allow_data_loss": "true or false",
    "auto_complete": "true or false",
    "scratch_prefix": "a database name prefix string",
    "schema": "a PostgreSQL schema name (the default schema of unqualified names)",
    "history_schema": "a PostgreSQL schema name (where pymig's history tables are)",
    "schema_file": "the path of an SQL schema file (pymig diff)",
    "drift_ignore": "a list of object names (pymig drift)",
    "targets": "tables [tool.pymig.targets.NAME] (--target NAME)",
}
_STRINGS = {"database_url", "migrations", "scratch_prefix", "schema", "history_schema", "schema_file"}
_DURATIONS = {"lock_timeout", "lock_retry_for", "lock_wait", "backfill_pause"}


def pyproject_settings(start: Path | None = None) -> dict:
    """`[tool.pymig]` of ./pyproject.toml, every key checked for name and type."""
    path = (start or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"pyproject.toml: {e}") from None
    tool = data.get("tool", {})
    settings = tool.get("pymig", {}) if isinstance(tool, dict) else {}
    if not isinstance(settings, dict):
        raise ConfigError("pyproject.toml: `pymig` under [tool] must be a table: write [tool.pymig] and keys under it")
    for key, value in settings.items():
        _check_key(key, value)
    return settings


def _check_key(key: str, value) -> None:
    where = f"pyproject.toml: [tool.pymig] {key}"
    if key not in _KEYS:
        import difflib

        close = difflib.get_close_matches(key, _KEYS, n=1, cutoff=0.6)
        suggestion = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"pyproject.toml: unknown key {key!r} in [tool.pymig]{suggestion}; "
                          f"known keys: {', '.join(_KEYS)}")
    if key in _STRINGS and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{where} = {_shown(key, value)}: must be {_KEYS[key]}")
    if key in _DURATIONS:
        duration(value, f"[tool.pymig] {key}", where="pyproject.toml: ")
    if key == "drift_ignore" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where} = {value!r}: must be {_KEYS[key]}, e.g. [\"spatial_ref_sys\"]")
    if key in ("out_of_order", "allow_data_loss", "auto_complete") and not isinstance(value, bool):
        raise ConfigError(f"{where} = {value!r}: must be true or false")
    if key == "scratch_prefix":
        scratch_prefix(value, f"[tool.pymig] {key}", where="pyproject.toml: ")
    if key == "schema" and value.strip().lower().endswith(".sql"):
        raise ConfigError(f"{where} = {value!r}: `schema` names the default PostgreSQL schema now; the SQL "
                          f"schema file of pymig diff is `schema_file = {value!r}`")
    if key in ("schema", "history_schema"):
        schema_name(value, f"[tool.pymig] {key}", where="pyproject.toml: ")
    if key == "targets":
        from .targets import parse_targets

        parse_targets(value)


def schema_name(value, name: str, where: str = "") -> str:
    """A schema name as pymig takes it: one part (pymig reads "a.b" as schema a, object b), at most
    63 bytes (PostgreSQL would cut it)."""
    given = f"{name} {value}" if name.startswith("--") else f"{where}{name} = {value!r}"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{given}: must be a schema name")
    if "." in value:
        raise ConfigError(f"{given}: a schema name cannot hold a dot (pymig reads \"a.b\" as schema a, object b)")
    if len(value.encode()) > 63:
        raise ConfigError(f"{given}: PostgreSQL keeps only the first 63 bytes of a name")
    return value


def _shown(key: str, value) -> str:
    return "<not shown>" if key == "database_url" and isinstance(value, str) else repr(value)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, "min": 60, "h": 3600, None: 1}


def duration(value, name: str, where: str = "") -> float:
    """Seconds in a duration: a number of seconds (60, "60") or a number with a unit as
    PostgreSQL writes them ("500ms", "60s", "1min", "2h"). One parser for every duration."""
    given = f"{name} {value}" if name.startswith("--") else f"{where}{name} = {value!r}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{given}: write a duration like 60 (seconds), 500ms, 60s or 1min")
    if str(value).strip().startswith("-"):
        raise ConfigError(f"{given}: a duration cannot be negative")
    m = _DURATION.match(str(value))
    if not m:
        raise ConfigError(f"{given}: write a duration like 60 (seconds), 500ms, 60s or 1min")
    return float(m[1]) * _UNIT[m[2]]


def lock_timeout_text(value) -> str:
    """The value for `SET LOCAL lock_timeout`: as written when it has a unit, else seconds."""
    text = str(value).strip()
    return f"{text}s" if _DURATION.match(text)[2] is None else text


_PREFIX = re.compile(r"^[a-z_][a-z0-9_]*$")


def scratch_prefix(value, name: str, where: str = "") -> str:
    """A prefix for the databases pymig creates; 16 hex digits follow, within PostgreSQL's 63 bytes."""
    if not isinstance(value, str) or not _PREFIX.match(value) or len(value) > 40:
        raise ConfigError(f"{where}{name} = {value!r}: write lower-case letters, digits and underscores, "
                          "starting with a letter or underscore, at most 40 characters (e.g. \"ci_pymig_\")")
    return value


def load_config(database_url: str | None = None, directory: str | None = None,
                lock_wait: str | float | None = None, lock_timeout: str | None = None,
                out_of_order: bool = False, scratch_prefix_: str | None = None,
                schema: str | None = None) -> Config:
    settings = pyproject_settings()
    url = database_url or os.environ.get("DATABASE_URL") or settings.get("database_url")
    url = normalize_url(url) if url else None
    named = directory or settings.get("migrations")
    wait = duration(lock_wait if lock_wait is not None else settings.get("lock_wait", 60),
                    "--lock-wait" if lock_wait is not None else "lock_wait")
    timeout = lock_timeout if lock_timeout is not None else settings.get("lock_timeout", "1s")
    duration(timeout, "--lock-timeout" if lock_timeout is not None else "lock_timeout")
    prefix = scratch_prefix_ if scratch_prefix_ is not None else settings.get("scratch_prefix", DEFAULT_SCRATCH_PREFIX)
    return Config(url, Path(named or "migrations"), wait, lock_timeout_text(timeout),
                  duration(settings.get("lock_retry_for", "5min"), "lock_retry_for"),
                  duration(settings.get("backfill_pause", "50ms"), "backfill_pause"),
                  out_of_order or settings.get("out_of_order", False),
                  scratch_prefix(prefix, "--scratch-prefix"), bool(named),
                  settings.get("allow_data_loss", False),
                  schema_name(schema, "--schema") if schema is not None else settings.get("schema"),
                  settings.get("history_schema"), _targets(settings), settings.get("auto_complete", False))


def formatter_line_length(start: Path | None = None) -> int:
    """The line-length the project's formatter keeps, so that what pymig writes passes its
    `ruff format --check`: the first of .ruff.toml, ruff.toml and pyproject.toml's [tool.ruff]
    that exists decides, as ruff's own lookup does (its default 88 when it names none); else
    [tool.black]. Another tool's file that does not parse is its own business: the next one then."""
    here = start or Path.cwd()
    for name, keys in ((".ruff.toml", ()), ("ruff.toml", ()), ("pyproject.toml", ("tool", "ruff")),
                       ("pyproject.toml", ("tool", "black"))):
        try:
            data = tomllib.loads((here / name).read_text())
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        for key in keys:
            data = data.get(key) if isinstance(data, dict) else None
        if isinstance(data, dict):
            value = data.get("line-length")
            return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 88
    return 88


def _targets(settings: dict) -> dict:
    if "targets" not in settings:
        return {}
    from .targets import parse_targets

    return parse_targets(settings["targets"])


_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


def url_secrets(url: str | None) -> list[str]:
    """The password in a database URL, however malformed: `scheme://user:pw@host`, with `@` in the
    password (the userinfo ends at the last `@`), `scheme:/user:pw@host`, `scheme:user:pw@host`,
    and libpq's `key=value` form (`password=...`)."""
    if not url:
        return []
    found = [m[1] if m[1] is not None else m[2] for m in re.finditer(
        r"password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))", url)]
    scheme = _SCHEME.match(url)
    if scheme:
        rest = url[scheme.end():].lstrip("/")
        if "@" in rest:
            userinfo = rest[:rest.rindex("@")]
            if ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
    secrets = []
    for s in found:
        if s:
            secrets += [s, unquote(s)]
    return sorted(set(secrets), key=len, reverse=True)


def redact(text: str, *urls: str | None) -> str:
    """Hide the password of each of `urls` wherever it appears in `text`, and any password in a
    URL-shaped or key=value string in it."""
    for url in urls:
        for secret in url_secrets(url):
            text = text.replace(secret, "***")
    text = re.sub(r"(\b[A-Za-z][A-Za-z0-9+.-]*:/{0,2}[^:/@\s'\"]+:)[^\s'\"]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'\"]+)", r"\1***", text)
