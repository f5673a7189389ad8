"""Where the database and the migrations are: options, then environment, then pyproject.toml."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import ConfigError


@dataclass(frozen=True)
class Config:
    database_url: str | None
    migrations: Path
    lock_wait: float = 60.0


def pyproject_settings(start: Path | None = None) -> dict:
    path = (start or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"pyproject.toml: {e}") from None
    return data.get("tool", {}).get("pymig", {})


def load_config(database_url: str | None = None, directory: str | None = None,
                lock_wait: float | None = None) -> Config:
    settings = pyproject_settings()
    url = database_url or os.environ.get("DATABASE_URL") or settings.get("database_url")
    migrations = Path(directory or settings.get("migrations") or "migrations")
    wait = lock_wait if lock_wait is not None else float(settings.get("lock_wait", 60))
    return Config(url, migrations, wait)


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
