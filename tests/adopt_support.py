"""Shared by the adoption tests (baseline, import, mark): catalog snapshots compared the way
`pymig verify` compares them, and extra empty databases on the test server."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from pymig.dialects import for_url
from pymig.snapshot import diff, take

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "adopt"
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def snapshot(url: str):
    dialect = for_url(url)
    db = dialect.connect(url)
    try:
        return take(db, dialect)
    finally:
        db.close()


def differences(first: str, second: str) -> list[str]:
    """What differs between the catalogs of two databases, as verify words it (notes included)."""
    return [d.describe("in the first", "in the second") for d in diff(snapshot(first), snapshot(second))]


def ruff_clean(*paths: Path, config: Path | None = ROOT / "pyproject.toml") -> None:
    """`ruff format --check` and `ruff check` pass on the files, with `config` (pymig's own, by
    default; None: ruff's defaults, as in a project without ruff settings)."""
    assert RUFF, "ruff is not installed: pip install -e '.[test]'"
    settings = ["--config", str(config)] if config is not None else ["--isolated"]
    for args in (["format", "--check", "--diff"], ["check"]):
        res = subprocess.run([RUFF, *args, *settings, *map(str, paths)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr


def execute(url: str, script: str) -> None:
    """Run a whole SQL script in one call, as psql -f would (psycopg sends it as one query)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)
