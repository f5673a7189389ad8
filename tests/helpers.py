"""Shared helpers for the CLI tests: a project directory with migration files, the real `pymig`
command run as a subprocess, and snapshots of a database's catalog and history."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg

_SCRIPT = Path(sys.executable).with_name("pymig")
PYMIG = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "pymig.cli"]

# Everything in the current schema a migration can change, as text the server itself renders.
_CATALOG = """
SELECT 'column', c.relname || '.' || a.attname,
       format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v')
  AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL
SELECT 'sequence', sequencename, data_type::text FROM pg_sequences WHERE schemaname = current_schema()
ORDER BY 1, 2, 3
"""


def connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def catalog(url: str) -> list[tuple]:
    """Tables, columns, constraints, indexes and sequences, history tables included."""
    with connect(url) as conn:
        return conn.execute(_CATALOG).fetchall()


def user_tables(url: str) -> set[str]:
    with connect(url) as conn:
        return {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename NOT LIKE 'pymig\\_%'")}


def history(url: str) -> list[tuple]:
    """(version, name, checksum, applied_by, inverse) per applied migration; [] before the first run."""
    with connect(url) as conn:
        if not conn.execute("SELECT to_regclass('pymig_migrations') IS NOT NULL").fetchone()[0]:
            return []
        return conn.execute("SELECT version, name, checksum, applied_by, inverse::text "
                            "FROM pymig_migrations ORDER BY version").fetchall()


def versions(url: str) -> list[int]:
    return [row[0] for row in history(url)]


def log(url: str) -> list[tuple]:
    """(version, name, direction, by) per run, oldest first."""
    with connect(url) as conn:
        if not conn.execute("SELECT to_regclass('pymig_log') IS NOT NULL").fetchone()[0]:
            return []
        return conn.execute("SELECT version, name, direction, by FROM pymig_log ORDER BY id").fetchall()


def snapshot(url: str) -> tuple:
    """Everything a failed command must leave as it was."""
    return catalog(url), history(url), log(url)


def statements(script: str) -> list[str]:
    """The statements of a `pymig sql` script, comments dropped: pymig ends each with `;` at the
    end of a line, and no line inside a statement ends that way."""
    out, current = [], []
    for line in script.splitlines():
        if not current and (line.startswith("--") or not line.strip()):
            continue
        current.append(line)
        if line.endswith(";"):
            out.append("\n".join(current)[:-1])
            current = []
    assert not current, f"unterminated statement: {current}"
    return out


def run_script(url: str, script: str) -> None:
    """Run a `pymig sql` script by hand, one statement at a time, as psql would."""
    with connect(url) as conn:
        for statement in statements(script):
            conn.execute(statement)


def run_psql(url: str, script: str) -> subprocess.CompletedProcess:
    """Run a `pymig sql --script` with psql, as a DBA would (stopping at the first error)."""
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                          input=script, capture_output=True, text=True, timeout=300)


def clean_env(**extra: str) -> dict:
    """The environment for a `pymig` process: no DATABASE_URL unless given, unbuffered output."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Project:
    """A directory with a `migrations/` folder, and the database `pymig` runs against."""

    def __init__(self, root: Path, url: str):
        self.root, self.url = root, url
        self.migrations = root / "migrations"
        self.migrations.mkdir(exist_ok=True)

    def write(self, filename: str, source: str, directory: Path | None = None) -> Path:
        path = (directory or self.migrations) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip())
        return path

    def command(self, *args: str, url: str | None = "default") -> list[str]:
        url = self.url if url == "default" else url
        return [*PYMIG, *args, *(["--database-url", url] if url else [])]

    def run(self, *args: str, url: str | None = "default", env: dict | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        """Run `pymig ARGS --database-url URL` in the project directory (url=None: no option)."""
        return subprocess.run(self.command(*args, url=url), cwd=self.root, env=env or clean_env(),
                              capture_output=True, text=True, timeout=timeout)

    def ok(self, *args: str, **kwargs) -> str:
        """Run and require success; return stdout."""
        res = self.run(*args, **kwargs)
        assert res.returncode == 0, f"pymig {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}"
        return res.stdout

    def start(self, *args: str, output: Path, env: dict | None = None) -> subprocess.Popen:
        """Start `pymig` in the background, stdout and stderr going to `output`."""
        with open(output, "w") as out:
            return subprocess.Popen(self.command(*args), cwd=self.root, env=env or clean_env(),
                                    stdout=out, stderr=subprocess.STDOUT, text=True)


def run_all(project: Project, *commands: tuple[str, ...]) -> list[subprocess.CompletedProcess]:
    """Run several `pymig` commands at once (they only read, or are meant to race)."""
    procs = [subprocess.Popen(project.command(*args), cwd=project.root, env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args in commands]
    results = []
    for args, p in zip(commands, procs):
        out, err = p.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(args, p.returncode, out, err))
    return results


def assert_clean_error(res: subprocess.CompletedProcess, *needles: str, debug: bool = False) -> str:
    """Non-zero exit, one `error:` message on stderr containing every needle; a traceback only
    with --debug. Returns the message."""
    assert res.returncode != 0, f"expected a failure:\n{res.stdout}\n{res.stderr}"
    err = res.stderr
    assert "Traceback" not in res.stdout
    assert ("Traceback (most recent call last)" in err) == debug, err
    assert [line.startswith("error:") for line in err.splitlines()].count(True) == 1, err
    assert "internal error" not in err, err
    message = err[err.index("\nerror:") + 1 if debug else 0:]
    assert message.startswith("error:"), err
    for needle in needles:
        assert needle in message, f"{needle!r} not in:\n{message}"
    return message


def wait_until(predicate, timeout: float = 30, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# Roles the tests grant to (authenticated_user: the example project's migration 002). Roles belong
# to the whole server, which other test runs share at the same time: each is created once, if
# missing, by whichever run gets there first (a concurrent CREATE ROLE of the same name fails with
# one of the two errors caught), and never dropped (it owns nothing; its privileges go with each
# test's database).
TEST_ROLES = ("pymig_test_reader", "pymig_test_writer", "authenticated_user")


def ensure_test_roles(db) -> None:
    """`db`: anything with execute(sql), connected to the server under test."""
    for role in TEST_ROLES:
        db.execute(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                   "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")
