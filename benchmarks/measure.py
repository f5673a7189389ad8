"""Timing whole processes, and counting what they send to the server.

A measurement is one child process, from fork to exit: interpreter start-up, imports, connecting,
the work, and exit, which is what a user waits for. `os.wait4` gives the child's own peak RSS
(ru_maxrss), so memory is per run, not the running maximum RUSAGE_CHILDREN would report.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True)
class Command:
    """One tool doing one thing: `argv` run in `cwd`."""

    tool: str  # "pymig", "alembic", "yoyo", "psql"
    label: str  # what it is called in the table: "alembic upgrade head"
    argv: tuple[str, ...]
    cwd: Path


class CommandFailed(RuntimeError):
    pass


@dataclass
class Sample:
    """All timed runs of one command in one group."""

    command: Command
    seconds: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the process's own user + system seconds

    def add(self, run: Run) -> None:
        self.seconds.append(run.seconds)
        self.rss_kb.append(run.rss_kb)
        self.cpu.append(run.cpu)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_kb) / 1024

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


class Run(NamedTuple):
    seconds: float  # wall clock, fork to exit
    rss_kb: int  # peak resident set size
    cpu: float  # user + system CPU seconds of the process (its waiting on the server is not in it)
    stdout: str  # when captured


@contextmanager
def bytecode_cache(directory: Path):
    """Children cache compiled bytecode as a default Python does, all in `directory`.

    With PYTHONDONTWRITEBYTECODE set (as in some CI images and containers), an editable install
    such as pymig's would recompile its modules and every migration file on each run, while the
    peers, installed by pip with their .pyc files, would not. With one cache directory for every
    tool, the warm-up round compiles each of them alike, and the repository stays untouched."""
    saved = {k: os.environ.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(directory)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_once(cmd: Command, capture: bool = False) -> Run:
    """One run of `cmd`; raises CommandFailed on a non-zero exit."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd.argv, cwd=cmd.cwd, stdin=subprocess.DEVNULL,
                                stdout=out if capture else subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if proc.returncode != 0:
            err.seek(0)
            raise CommandFailed(f"{' '.join(cmd.argv)} (in {cmd.cwd}) exited {proc.returncode}:\n"
                                f"{err.read().decode(errors='replace')[-2000:]}")
        out.seek(0)
        return Run(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime,
                   out.read().decode(errors="replace") if capture else "")


def alternate(commands: list[Command], runs: int, warmup: int = 1) -> dict[str, Sample]:
    """Run the commands in turns (A B C, then C B A, ...) so drift on a shared machine hits them
    alike; the first `warmup` rounds are not kept. Keyed by label."""
    samples = {c.label: Sample(c) for c in commands}
    for r in range(warmup + runs):
        for c in (commands if r % 2 == 0 else list(reversed(commands))):
            run = run_once(c)
            if r >= warmup:
                samples[c.label].add(run)
    return samples


def cycles(pairs: list[tuple[Command, Command]], runs: int, warmup: int = 1) -> dict[str, Sample]:
    """Apply-then-roll-back rounds: every tool's forward command (each on its own empty database),
    then every tool's rollback, so each forward starts from empty again. The order of tools
    alternates between rounds, as in `alternate`."""
    samples = {c.label: Sample(c) for pair in pairs for c in pair}
    for r in range(warmup + runs):
        order = pairs if r % 2 == 0 else list(reversed(pairs))
        for step in (0, 1):
            for pair in order:
                c = pair[step]
                run = run_once(c)
                if r >= warmup:
                    samples[c.label].add(run)
    return samples


# -- the server's statement log ------------------------------------------------------------------

_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] (.*?)(LOG|ERROR|WARNING|NOTICE|"
                    r"DETAIL|STATEMENT|HINT|CONTEXT|FATAL|PANIC|DEBUG\d?|INFO):  (.*)$")
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.S)


@dataclass(frozen=True)
class Traffic:
    """What one command sent to its database: statements, round trips (one per simple-protocol
    query message or extended-protocol execute), and connections (distinct backends)."""

    statements: int
    round_trips: int
    connections: int


def split_statements(text: str) -> int:
    """How many statements a simple-protocol message holds (semicolons outside quotes)."""
    count, quote, pending = 0, None, False
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote, pending = ch, True
        elif ch == ";":
            count += pending
            pending = False
        elif not ch.isspace():
            pending = True
    return count + pending


class StatementLog:
    """Counts statements for one database from the server log, with log_statement = 'all' set on
    that database only (ALTER DATABASE ... SET: new sessions of other databases are untouched).
    Needs a superuser and a readable server log; `available` says why not otherwise."""

    def __init__(self, admin, path: Path | None):
        self.admin = admin  # autocommit psycopg connection to the maintenance database
        self.path = path
        prefix = admin.execute("SHOW log_line_prefix").fetchone()[0]
        self.by_database = "%d" in prefix
        self.why_not = None
        if path is None:
            self.why_not = "server log not found (pass --server-log PATH)"
        elif not os.access(path, os.R_OK):
            self.why_not = f"server log {path} is not readable"
        elif not admin.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            self.why_not = "log_statement needs a superuser"

    @property
    def available(self) -> bool:
        return self.why_not is None

    @staticmethod
    def find(admin, explicit: str | None) -> Path | None:
        if explicit:
            return Path(explicit)
        current = admin.execute("SELECT pg_current_logfile()").fetchone()[0]  # with logging_collector
        if current:
            data = admin.execute("SHOW data_directory").fetchone()[0]
            return Path(data) / current if not os.path.isabs(current) else Path(current)
        major = admin.execute("SHOW server_version_num").fetchone()[0][:-4]
        debian = Path(f"/var/log/postgresql/postgresql-{major}-main.log")  # pg_ctlcluster's stderr
        return debian if debian.exists() else None

    def count(self, database: str, cmd: Command) -> Traffic:
        from psycopg import sql

        ident = sql.Identifier(database)
        self.admin.execute(sql.SQL("ALTER DATABASE {} SET log_statement = 'all'").format(ident))
        try:
            start = self.path.stat().st_size
            run_once(cmd)
            text = self._read_from(start)
        finally:
            self.admin.execute(sql.SQL("ALTER DATABASE {} RESET log_statement").format(ident))
        return self.parse(text, database if self.by_database else None)

    def _read_from(self, start: int) -> str:
        """The log written since `start`, once the server has flushed it (size stops changing)."""
        size, stable = -1, 0
        while stable < 3:
            time.sleep(0.05)
            now = self.path.stat().st_size
            stable = stable + 1 if now == size else 0
            size = now
        with open(self.path, "rb") as f:
            f.seek(start)
            return f.read().decode(errors="replace")

    @staticmethod
    def parse(text: str, database: str | None) -> Traffic:
        entries: list[tuple[str, str, str, list[str]]] = []  # (pid, who, level, message lines)
        for line in text.splitlines():
            m = _ENTRY.match(line)
            if m:
                entries.append((m[1], m[2], m[3], [m[4]]))
            elif entries:
                entries[-1][3].append(line)
        statements = trips = 0
        pids = set()
        for pid, who, level, lines in entries:
            if level != "LOG" or (database is not None and not who.rstrip().endswith(f"@{database}")):
                continue
            m = _STATEMENT.match("\n".join(lines))
            if not m:
                continue
            trips += 1
            statements += max(1, split_statements(m[1]))
            pids.add(pid)
        return Traffic(statements, trips, len(pids))
