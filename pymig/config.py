"""Where the database and the migrations are: options, then environment, then pyproject.toml."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError


# No database URL anywhere: the embedded SQLite database, a file in the project directory.
DEFAULT_DATABASE_URL = "sqlite:///pymig.db"


@dataclass(frozen=True)
class Config:
    database_url: str | None
    migrations: Path
    lock_wait: float = 60.0  # seconds to wait for another runner's lock
    lock_timeout: str = "1s"  # SET LOCAL lock_timeout for statements that lock out traffic
    lock_retry_for: float = 300.0  # seconds of retries after lock timeouts before giving up
    backfill_pause: float = 0.05  # seconds between online backfill batches


def pyproject_settings(start: Path | None = None) -> dict:
    path = (start or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"pyproject.toml: {e}") from None
    return data.get("tool", {}).get("pymig", {})


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1, "min": 60, "h": 3600, None: 0.001}  # PostgreSQL reads a bare number as ms


def duration(text, name: str) -> float:
    """Seconds in a duration written as PostgreSQL writes them: 500ms, 2s, 1min."""
    m = _DURATION.match(str(text))
    if not m:
        raise ConfigError(f"{name}={text!r}: write a duration like 500ms, 2s or 1min")
    return float(m[1]) * _UNIT[m[2]]


def load_config(database_url: str | None = None, directory: str | None = None,
                lock_wait: float | None = None, lock_timeout: str | None = None) -> Config:
    settings = pyproject_settings()
    url = database_url or os.environ.get("DATABASE_URL") or settings.get("database_url")
    migrations = Path(directory or settings.get("migrations") or "migrations")
    wait = lock_wait if lock_wait is not None else float(settings.get("lock_wait", 60))
    timeout = str(lock_timeout or settings.get("lock_timeout", "1s")).strip()
    duration(timeout, "lock_timeout")
    return Config(url, migrations, wait, timeout,
                  duration(settings.get("lock_retry_for", "5min"), "lock_retry_for"),
                  duration(settings.get("backfill_pause", "50ms"), "backfill_pause"))


def redact(text: str, url: str | None) -> str:
    """Hide the password of `url` wherever it appears in `text`."""
    if not url:
        return text
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, "***")
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
