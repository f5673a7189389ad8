"""pymig against Alembic, yoyo and psql: start-up, status, preview, apply, rollback, growth with N.

    pip install -e '.[bench]'
    python benchmarks/run.py            # N = 1, 100, 1000; writes docs/benchmarks.md
    python benchmarks/run.py --quick    # N = 1, 100, one timed run, no statement counts; prints only

Each N gets freshly generated, equivalent projects (benchmarks/generate.py) and its own fresh
databases, created here and dropped at the end; nothing else on the server is touched.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import Projects, generate  # noqa: E402
from benchmarks.measure import (Command, Sample, StatementLog, Traffic, alternate, bytecode_cache,  # noqa: E402
                                cycles, run_once)

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
NOTES_MARKER = "<!-- Everything below this line is hand-written and kept when benchmarks/run.py rewrites the file. -->"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TOOLS = ("pymig", "alembic", "yoyo", "psql")


# -- where things are ---------------------------------------------------------------------------

def executables() -> dict[str, str]:
    """The four programs, from this interpreter's environment (psql from PATH)."""
    bindir = Path(sys.executable).parent
    found = {t: str(bindir / t) for t in ("pymig", "alembic", "yoyo") if (bindir / t).exists()}
    if shutil.which("psql"):
        found["psql"] = shutil.which("psql")
    missing = [t for t in TOOLS if t not in found]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run `pip install -e '.[bench]'` in this environment "
                         "(and install the PostgreSQL client for psql)")
    return found


def database_url(admin_url: str, name: str) -> str:
    from pymig.testing import database_url as with_name

    return with_name(admin_url, name)


@dataclass
class Setup:
    """One N: its projects and one database per tool."""

    n: int
    projects: Projects
    databases: dict[str, str]  # tool -> database name
    urls: dict[str, str]  # tool -> URL
    exe: dict[str, str]

    # -- the commands, as each tool's users type them --------------------------------------------
    def pymig(self, *args: str, label: str | None = None) -> Command:
        argv = (self.exe["pymig"], "--database-url", self.urls["pymig"], "--dir", "migrations", *args)
        return Command("pymig", label or f"pymig {' '.join(args)}", argv, self.projects.pymig)

    def alembic(self, *args: str) -> Command:
        return Command("alembic", f"alembic {' '.join(args)}", (self.exe["alembic"], *args), self.projects.alembic)

    def yoyo(self, command: str, *args: str) -> Command:
        from benchmarks.generate import sqlalchemy_url

        argv = (self.exe["yoyo"], command, "--no-config-file", "--batch", *args,
                "--database", sqlalchemy_url(self.urls["yoyo"]), "migrations")
        return Command("yoyo", f"yoyo {command}{''.join(' ' + a for a in args)}", argv, self.projects.yoyo)

    def psql(self, script: str) -> Command:
        argv = (self.exe["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.urls["psql"], "-f", script)
        return Command("psql", f"psql -f {script}", argv, self.projects.psql)

    def forward(self) -> dict[str, Command]:
        return {"pymig": self.pymig("up"), "alembic": self.alembic("upgrade", "head"),
                "yoyo": self.yoyo("apply"), "psql": self.psql("up.sql")}

    def backward(self) -> dict[str, Command]:
        return {"pymig": self.pymig("down", "--to", "0", label="pymig down --to 0"),
                "alembic": self.alembic("downgrade", "base"),
                "yoyo": self.yoyo("rollback", "--all"), "psql": self.psql("down.sql")}


# -- results --------------------------------------------------------------------------------------

@dataclass
class Row:
    what: str  # "start-up", "status", "sql", "apply", "rollback"
    n: int | None
    sample: Sample
    reference: Sample  # the pymig command of the same group, timed in the same rounds
    floor: Sample | None = None  # psql running the same statements in the same rounds (apply, rollback)

    @property
    def ratio(self) -> float:
        """How many times longer than pymig (>1: pymig is faster)."""
        return paired_ratio(self.sample, self.reference)

    @property
    def over_floor(self) -> float | None:
        """Seconds above the psql floor, round by round, median."""
        if self.floor is None or self.floor is self.sample:
            return None
        return statistics.median(a - b for a, b in zip(self.sample.seconds, self.floor.seconds))


def paired_ratio(a: Sample, b: Sample) -> float:
    """Median over the rounds of a's time over b's: both ran in each round, close in time, so
    a slow spell on a shared machine affects both sides of each ratio."""
    return statistics.median(x / y for x, y in zip(a.seconds, b.seconds))


@dataclass
class Results:
    rows: list[Row]
    traffic: dict[tuple[str, int, str], Traffic]  # (action, n, tool) -> traffic
    traffic_note: str | None
    checks: list[str]  # equivalence checks that ran

    def get(self, what: str, n: int | None, label: str) -> Row | None:
        return next((r for r in self.rows if r.what == what and r.n == n and r.sample.command.label == label), None)


def add_group(results: Results, what: str, n: int | None, samples: dict[str, Sample], reference: str,
              floor: str | None = None) -> None:
    ref = samples[reference]
    for s in samples.values():
        results.rows.append(Row(what, n, s, ref, samples[floor] if floor else None))


# -- schema equality ------------------------------------------------------------------------------

TOOL_TABLES = ("pymig_migrations", "pymig_log", "alembic_version", "_yoyo_migration", "_yoyo_log",
               "_yoyo_version", "yoyo_lock")


def schema_fingerprint(url: str) -> list[tuple]:
    """The user-visible schema, from the catalog, without each tool's own bookkeeping tables:
    every column (table, position among live columns, name, type, nullability, default) and every
    index and constraint definition."""
    import psycopg

    excluded = list(TOOL_TABLES)
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,"
            " format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid)"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0"
            " AND NOT a.attisdropped AND c.relname <> ALL(%s) ORDER BY 1, 2", (excluded,)).fetchall()
        indexes = conn.execute(
            "SELECT 'index', t.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid WHERE t.relnamespace = 'public'::regnamespace"
            " AND t.relname <> ALL(%s) ORDER BY 2, 3", (excluded,)).fetchall()
        constraints = conn.execute(
            "SELECT con.conname, c.relname, pg_get_constraintdef(con.oid) FROM pg_constraint con"
            " JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = 'public'::regnamespace"
            " AND c.relname <> ALL(%s) ORDER BY 2, 1", (excluded,)).fetchall()
    return [*columns, *indexes, *constraints]


# -- running ----------------------------------------------------------------------------------------

@contextmanager
def databases(admin, tag: str, n: int):
    from psycopg import sql

    names = {t: f"{tag}_{t}_n{n}" for t in TOOLS}
    try:
        for name in names.values():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        yield names
    finally:
        for name in names.values():
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def check_equivalent(setup: Setup, when: str) -> str:
    """Refuse to report numbers for projects that did not build the same schema."""
    prints = {t: schema_fingerprint(setup.urls[t]) for t in TOOLS}
    for t in TOOLS[1:]:
        if prints[t] != prints["pymig"]:
            diff = set(prints[t]) ^ set(prints["pymig"])
            raise SystemExit(f"N={setup.n} {when}: {t}'s schema differs from pymig's: {sorted(diff)[:5]}")
    return f"N={setup.n} {when}: same schema in all four databases ({len(prints['pymig'])} catalog rows)"


def bench_size(admin, admin_url: str, log: StatementLog | None, results: Results, exe, tag: str, n: int,
               apply_sizes, runs: int, workdir: Path, say) -> None:
    with databases(admin, tag, n) as names:
        urls = {t: database_url(admin_url, names[t]) for t in TOOLS}
        projects = generate(workdir / f"n{n}", n, urls["alembic"])
        s = Setup(n, projects, names, urls, exe)
        fwd, back = s.forward(), s.backward()

        if n in apply_sizes:
            say(f"N={n}: apply and roll back, {runs} rounds after a warm-up")
            samples = cycles([(fwd[t], back[t]) for t in TOOLS], runs)
            add_group(results, "apply", n, {fwd[t].label: samples[fwd[t].label] for t in TOOLS}, "pymig up",
                      fwd["psql"].label)
            add_group(results, "rollback", n, {back[t].label: samples[back[t].label] for t in TOOLS},
                      "pymig down --to 0", back["psql"].label)

        say(f"N={n}: sql preview on the empty database")
        samples = alternate([s.pymig("sql"), s.pymig("sql", "--offline"), s.alembic("upgrade", "head", "--sql")], runs)
        add_group(results, "sql", n, samples, "pymig sql")

        if n in apply_sizes and log is not None and log.available:
            say(f"N={n}: statements and round trips (log_statement = 'all' on the benchmark databases)")
            for t in TOOLS:
                results.traffic[("apply", n, t)] = log.count(names[t], fwd[t])
                results.traffic[("rollback", n, t)] = log.count(names[t], back[t])
        for t in TOOLS:
            run_once(fwd[t])
        results.checks.append(check_equivalent(s, "after apply"))

        say(f"N={n}: status on the up-to-date database")
        samples = alternate([s.pymig("status"), s.alembic("current"), s.alembic("history"), s.yoyo("list")], runs)
        add_group(results, "status", n, samples, "pymig status")

        for t in TOOLS:
            run_once(back[t])
        results.checks.append(check_equivalent(s, "after rollback"))


def run(sizes, apply_sizes, runs: int, admin_url: str, server_log: str | None, say=print,
        workdir: Path | None = None, counts: bool = True) -> tuple[Results, dict]:
    import psycopg

    exe = executables()
    results = Results([], {}, None, [])
    tag = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin, \
            tempfile.TemporaryDirectory(prefix="pymig-bench-", dir=workdir) as tmp, \
            bytecode_cache(Path(tmp) / "pycache"):
        machine = describe_machine(admin, exe)
        log = StatementLog(admin, StatementLog.find(admin, server_log)) if counts else None
        results.traffic_note = log.why_not if log else "skipped (--quick)"
        say("start-up: --help")
        help_dir = Path(tmp)
        samples = alternate([Command("pymig", "pymig --help", (exe["pymig"], "--help"), help_dir),
                             Command("alembic", "alembic --help", (exe["alembic"], "--help"), help_dir),
                             Command("yoyo", "yoyo --help", (exe["yoyo"], "--help"), help_dir)], runs)
        add_group(results, "start-up", None, samples, "pymig --help")
        for n in sizes:
            bench_size(admin, admin_url, log, results, exe, tag, n, apply_sizes, runs, Path(tmp), say)
        machine["load after"] = load_average()
    if source_digest() != machine.pop("source"):
        machine["pymig"] += " — **pymig/ changed while this ran: the numbers mix versions**"
    return results, machine


def source_digest() -> str:
    """pymig's source as it is on disk (others may be editing it while the benchmark runs)."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted((ROOT / "pymig").rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


# -- the machine ------------------------------------------------------------------------------------

def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _version(argv) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "n/a"


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:  # not Linux
        return []


def describe_host(admin) -> dict:
    """The machine, the server and the pymig commit: what every benchmark report starts with."""
    from importlib.metadata import version

    cpu = next((line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")),
               "n/a")
    kb = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), None)
    mem = f"{kb / 1024 / 1024:.1f} GiB" if kb else "n/a"
    commit = _version(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cs"])
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "pymig"],
                           capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory": mem,
        "os": platform.platform(),
        "PostgreSQL": admin.execute("SHOW server_version").fetchone()[0] + " (local, TCP 127.0.0.1)",
        "python": platform.python_version(),
        "pymig": f"{version('pymig-db')} at {commit}{' (uncommitted changes in pymig/)' if dirty else ''}",
    }


def describe_machine(admin, exe) -> dict:
    from importlib.metadata import version

    return {
        **describe_host(admin),
        "peers": f"alembic {version('alembic')}, SQLAlchemy {version('SQLAlchemy')}, "
                 f"yoyo-migrations {version('yoyo-migrations')}, psycopg {version('psycopg')}, "
                 f"{_version([exe['psql'], '--version'])}",
        "load before": load_average(),
        "source": source_digest(),
    }


# -- reporting --------------------------------------------------------------------------------------

def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f}"


def timing_table(results: Results) -> str:
    out = ["| what | N | command | min s | median s | max s | × pymig | CPU s | peak RSS MB |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in results.rows:
        s = r.sample
        out.append(f"| {r.what} | {r.n if r.n is not None else ''} | `{s.command.label}` | {fmt_s(s.min)} | "
                   f"**{fmt_s(s.median)}** | {fmt_s(s.max)} | {r.ratio:.2f} | {fmt_s(s.cpu_median)} | "
                   f"{s.peak_mb:.0f} |")
    return "\n".join(out)


def traffic_table(results: Results) -> str:
    if not results.traffic:
        return f"Not measured: {results.traffic_note}."
    out = ["| what | N | tool | statements | round trips | connections | statements / migration | "
           "round trips / migration |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for (what, n, tool), t in sorted(results.traffic.items(), key=lambda kv: (kv[0][0], kv[0][1], TOOLS.index(kv[0][2]))):
        out.append(f"| {what} | {n} | {tool} | {t.statements} | {t.round_trips} | {t.connections} | "
                   f"{t.statements / (n + 1):.2f} | {t.round_trips / (n + 1):.2f} |")
    sizes = sorted({n for (_, n, _) in results.traffic})
    if len(sizes) >= 2:
        a, b = sizes[-2], sizes[-1]
        out += ["", f"Per extra migration, from N={a} to N={b} (fixed start-up costs cancel out):", "",
                "| what | tool | statements | round trips |", "|---|---|---:|---:|"]
        for what in ("apply", "rollback"):
            for tool in TOOLS:
                x, y = results.traffic.get((what, a, tool)), results.traffic.get((what, b, tool))
                if x and y:
                    out.append(f"| {what} | {tool} | {(y.statements - x.statements) / (b - a):.2f} | "
                               f"{(y.round_trips - x.round_trips) / (b - a):.2f} |")
    return "\n".join(out)


GROWTH = (("status", "pymig status"), ("status", "alembic current"), ("status", "yoyo list"),
          ("sql", "pymig sql"), ("sql", "pymig sql --offline"), ("sql", "alembic upgrade head --sql"),
          ("apply", "pymig up"), ("apply", "alembic upgrade head"), ("apply", "yoyo apply"),
          ("apply", "psql -f up.sql"), ("rollback", "pymig down --to 0"), ("rollback", "alembic downgrade base"))


def growth(results: Results, what: str, label: str, over_floor: bool = False):
    """Medians by N (or, over_floor, the median time above psql's) and the cost of each extra
    migration between consecutive sizes (ms)."""
    rows = [r for r in results.rows if r.what == what and r.sample.command.label == label]
    points = sorted((r.n, r.over_floor if over_floor else r.sample.median) for r in rows
                    if not over_floor or r.over_floor is not None)
    slopes = [((t2 - t1) / (n2 - n1)) * 1000 for (n1, t1), (n2, t2) in zip(points, points[1:])]
    return points, slopes


def growth_verdict(slopes: list[float]) -> str:
    """Linear: the cost of one more migration does not rise with N (a quadratic step would make the
    last slope about ten times the first). Small slopes are within the noise of process start-up."""
    if len(slopes) < 2:
        return "n/a (one interval)"
    first, last = slopes[0], slopes[-1]
    if last <= max(2 * first, first + 0.3):
        return "linear"
    return f"worse than linear ({last / first:.1f}x the per-migration cost)" if first > 0 else "worse than linear"


def growth_reading(results: Results, what: str, label: str) -> str:
    """Apply and rollback are read above the psql floor: the server's own DDL work is not the tool's."""
    floor_points, floor_slopes = growth(results, what, label, over_floor=True)
    if len(floor_points) > 2:
        return growth_verdict(floor_slopes) + " above psql"
    return growth_verdict(growth(results, what, label)[1])


def growth_table(results: Results) -> str:
    sizes = sorted({r.n for r in results.rows if r.n is not None})
    intervals = list(zip(sizes, sizes[1:]))
    head = " | ".join(f"N={n} s" for n in sizes)
    slope_heads = " | ".join(f"ms per migration {a}→{b}" for a, b in intervals)
    floor_heads = " | ".join(f"above psql, ms per migration {a}→{b}" for a, b in intervals)
    out = [f"| command | {head} | {slope_heads} | {floor_heads} | reading |",
           "|---|" + "---:|" * (len(sizes) + 2 * len(intervals)) + "---|"]

    def slope_cells(points, slopes) -> str:
        by = {(n1, n2): s for ((n1, _), (n2, _)), s in zip(zip(points, points[1:]), slopes)}
        return " | ".join(f"{by[i]:.2f}" if i in by else "" for i in intervals)

    for what, label in GROWTH:
        points, slopes = growth(results, what, label)
        if len(points) < 2:
            continue
        by_n = dict(points)
        cells = " | ".join(fmt_s(by_n[n]) if n in by_n else "" for n in sizes)
        out.append(f"| `{label}` | {cells} | {slope_cells(points, slopes)} | "
                   f"{slope_cells(*growth(results, what, label, over_floor=True))} | "
                   f"{growth_reading(results, what, label)} |")
    return "\n".join(out)


def targets(results: Results) -> list[str]:
    """The issue's targets, each with the measured value."""
    sizes = sorted({r.n for r in results.rows if r.n is not None})
    top = sizes[-1] if sizes else None
    apply_top = max((r.n for r in results.rows if r.what == "apply"), default=None)
    out = []

    def line(ok: bool, text: str) -> None:
        out.append(f"- {'met' if ok else '**missed**'}: {text}")

    h = results.get("start-up", None, "pymig --help")
    if h:
        line(h.sample.median < 0.1, f"`pymig --help` under 0.1 s: median {fmt_s(h.sample.median)} s "
             f"(`alembic --help` {fmt_s(results.get('start-up', None, 'alembic --help').sample.median)} s)")
    st, cur = results.get("status", top, "pymig status"), results.get("status", top, "alembic current")
    if st and cur:
        line(cur.ratio >= 2, f"`pymig status` at N={top} at least 2x faster than `alembic current`: "
             f"{cur.ratio:.2f}x ({fmt_s(st.sample.median)} s vs {fmt_s(cur.sample.median)} s)")
    up, al = results.get("apply", apply_top, "pymig up"), results.get("apply", apply_top, "alembic upgrade head")
    ps = results.get("apply", apply_top, "psql -f up.sql")
    if up and al:
        line(al.ratio >= 2, f"`pymig up` of {apply_top} at least 2x faster than Alembic: {al.ratio:.2f}x "
             f"(median of the paired rounds; medians {fmt_s(up.sample.median)} s vs {fmt_s(al.sample.median)} s"
             f"{trips(results, 'apply', apply_top)})")
    if up and ps:
        within = paired_ratio(up.sample, ps.sample)
        line(within <= 3, f"`pymig up` of {apply_top} within 3x of psql: {within:.2f}x "
             f"({fmt_s(up.sample.median)} s vs {fmt_s(ps.sample.median)} s)")
    dn, ad = (results.get("rollback", apply_top, "pymig down --to 0"),
              results.get("rollback", apply_top, "alembic downgrade base"))
    if dn and ad:
        line(ad.ratio >= 2, f"`pymig down` to zero from {apply_top} at least 2x faster than Alembic: "
             f"{ad.ratio:.2f}x (median of the paired rounds; medians {fmt_s(dn.sample.median)} s vs "
             f"{fmt_s(ad.sample.median)} s{trips(results, 'rollback', apply_top)})")
    verdicts = {label: growth_reading(results, what, label) for what, label in GROWTH
                if label.startswith("pymig") and len(growth(results, what, label)[0]) > 2}
    if verdicts:
        line(all(v.startswith("linear") for v in verdicts.values()),
             "no pymig step worse than linear: " + "; ".join(f"`{k}` {v}" for k, v in verdicts.items()))
    return out


def trips(results: Results, what: str, n: int) -> str:
    """Round trips per migration of pymig and Alembic, from the statement log, when it was read."""
    p, a = results.traffic.get((what, n, "pymig")), results.traffic.get((what, n, "alembic"))
    if not (p and a):
        return ""
    return f"; round trips per migration {p.round_trips / (n + 1):.2f} vs {a.round_trips / (n + 1):.2f}"


def report(results: Results, machine: dict, args_line: str, seconds: float) -> str:
    lines = ["# Benchmarks: pymig, Alembic, yoyo and psql", "",
             f"Generated by `{args_line}` in {seconds / 60:.1f} min; see `benchmarks/README.md` for what each "
             "command does and how the projects are built.", "",
             "Every time is a whole process (interpreter start-up, imports, connecting, work, exit), in seconds: "
             "min, **median** and max of the timed runs after one warm-up round, the commands of a group run "
             "in alternating order. `× pymig` is the median, over the rounds, of this command's time divided by "
             "the pymig command's time in the same round (above 1: pymig is faster). `CPU s` is the median user + system time of "
             "the process itself (what it does not spend waiting on the server or for a core); peak RSS is the "
             "largest of the runs. N is the number of column/index migrations after the one that creates the "
             "four tables. Growth: the cost of one more migration between consecutive sizes; for apply and "
             "rollback also above psql's time in the same round, which takes out the server's own DDL work "
             "(it grows with table width and with the load on the server).", "",
             "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in machine.items()]
    lines += ["", "## Targets (issue 7)", "", *targets(results), "",
              "## Times", "", timing_table(results), "",
              "## Growth with the length of the history", "", growth_table(results), "",
              "## Statements and round trips (from the server's statement log)", "", traffic_table(results), "",
              "## Equivalence checks", "", *[f"- {c}" for c in results.checks], ""]
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    """Replace the generated part, keep the hand-written notes after the marker."""
    notes = ""
    if path.exists():
        old = path.read_text()
        if NOTES_MARKER in old:
            notes = old.split(NOTES_MARKER, 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{text}\n{NOTES_MARKER}{notes or chr(10)}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="N = 1 and 100, one timed run, no statement counts: a smoke test, prints only")
    p.add_argument("--runs", type=int, default=None, help="timed runs per command (default 5, quick 1)")
    p.add_argument("--sizes", default=None, help="comma-separated N values (default 1,100,1000)")
    p.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL") or DEFAULT_ADMIN_URL,
                   help="superuser URL of the server's maintenance database, used only to create and drop "
                        "the benchmark databases (default $BENCH_ADMIN_URL, else %(default)s)")
    p.add_argument("--server-log", default=None, help="the server's log file, to count statements "
                   "(default: pg_current_logfile(), else Debian's /var/log/postgresql/postgresql-<major>-main.log)")
    p.add_argument("--out", default=None, help=f"markdown file to write (default {DOC.relative_to(ROOT)}; "
                   "--quick writes nothing unless --out is given)")
    args = p.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else ([1, 100] if args.quick else [1, 100, 1000])
    runs = args.runs or (1 if args.quick else 5)
    out = Path(args.out) if args.out else (None if args.quick else DOC)
    started = time.monotonic()

    loads: list[float] = []

    def say(text: str) -> None:
        if hasattr(os, "getloadavg"):
            loads.append(os.getloadavg()[0])
        print(f"[{time.monotonic() - started:6.1f}s] {text}", file=sys.stderr, flush=True)

    results, machine = run(sizes, sizes, runs, args.admin_url, args.server_log, say, counts=not args.quick)
    if loads:  # the 1-minute load average at each step: other work on the machine while this ran
        machine["load during"] = (f"{min(loads):.2f} to {max(loads):.2f}, median {statistics.median(loads):.2f} "
                                  f"(1-minute average, at each of {len(loads)} steps)")
    elapsed = time.monotonic() - started
    args_line = "python benchmarks/run.py" + ("".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:])))
    text = report(results, machine, args_line, elapsed)
    print(text)
    if out:
        write_doc(out, text)
        say(f"wrote {out}")
    say(f"done in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
