"""Schema-per-tenant at scale: `pymig up --target tenants --jobs N` against a shell loop of one
`pymig up --schema S` per tenant, and how the cost grows with the number of tenants.

    python benchmarks/tenants.py                       # 200 tenants x 20 migrations, jobs 1/4/8, the loop;
                                                       # growth 50 -> 200 -> 500; writes docs/scaling.md
    python benchmarks/tenants.py --tenants 20 --growth 10,20 --out -   # a smoke run; prints only

Each measurement gets a database of its own (`tenantbench_<random>`, created on the server of
--admin-url, dropped at the end, also when a run fails) with N empty schemas tenant_0001 ...; the
20 migrations create and fill a table (--rows rows per tenant), index it (an index on a populated
table), and add columns, tables and indexes. Reported per mode: wall time, time per target (the
targets' own durations from --json; for the loop each process's), the most connections the
benchmark database had at once (pg_stat_activity, sampled every 20 ms), and the peak RSS of the
pymig process (for the loop: of the largest of its processes). Every tenant must end with its 20
history rows, or no numbers are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.run import DEFAULT_ADMIN_URL, ROOT, database_url, describe_host, load_average  # noqa: E402

PYMIG = str(Path(sys.executable).with_name("pymig"))
DOC = ROOT / "docs" / "scaling.md"
BEGIN, END = "<!-- benchmarks/tenants.py: begin -->", "<!-- benchmarks/tenants.py: end -->"
MIGRATIONS = 20


def migrations(rows: int) -> dict[str, str]:
    """20 small migrations: a filled table indexed, then columns, a second table and indexes."""
    files = {
        "001": ('create items', 'create_table("items", column("id", "bigserial", primary_key=True), '
                'column("account", "integer"), column("qty", "integer"), column("note", "text"))'),
        "002": ("fill items", f'run_sql("INSERT INTO items (account, qty, note) SELECT g % 100, g % 7, \'n\' || g '
                f'FROM generate_series(1, {rows}) g", down="DELETE FROM items")'),
        "003": ("index items.account", 'create_index("items", ["account"])'),
        "004": ("create accounts", 'create_table("accounts", column("id", "integer", primary_key=True), '
                'column("name", "text"))'),
    }
    for i in range(5, MIGRATIONS + 1):
        table = "items" if i % 2 else "accounts"
        if i % 3 == 0:  # the column the migration before added
            before = "items" if (i - 1) % 2 else "accounts"
            files[f"{i:03d}"] = (f"index {before}.c{i - 1}", f'create_index("{before}", ["c{i - 1}"])')
        else:
            files[f"{i:03d}"] = (f"add {table}.c{i}", f'add_column("{table}", "c{i}", "integer")')
    return {f"{v}_{what.replace(' ', '_').replace('.', '_')}.py":
            f'"""{what}."""\nfrom pymig import add_column, column, create_index, create_table, run_sql\n\n'
            f"operations = [{op}]\n" for v, (what, op) in files.items()}


@dataclass
class Result:
    mode: str
    tenants: int
    wall: float
    per_target: list[float]
    connections: int
    rss_mb: float
    load_before: str
    load_after: str

    @property
    def per_tenant_ms(self) -> float:
        return 1000 * self.wall / self.tenants


class Sampler:
    """The most sessions the benchmark database had at once."""

    def __init__(self, admin_url: str, name: str):
        import psycopg

        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.name, self.peak, self.running = name, 0, True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.running:
            n = self.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (self.name,)).fetchone()[0]
            self.peak = max(self.peak, n)
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.conn.close()


class Bench:
    def __init__(self, admin_url: str, rows: int, say=print):
        import psycopg

        self.admin_url, self.say = admin_url, say
        self.admin = psycopg.connect(admin_url, autocommit=True)
        self.project = Path(tempfile.mkdtemp(prefix="tenantbench_"))
        (self.project / "migrations").mkdir()
        for name, text in migrations(rows).items():
            (self.project / "migrations" / name).write_text(text)

    def database(self, tenants: int) -> tuple[str, str]:
        import psycopg

        name = f"tenantbench_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        url = database_url(self.admin_url, name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("; ".join(f"CREATE SCHEMA tenant_{i:04d}" for i in range(1, tenants + 1)))
        return name, url

    def drop(self, name: str) -> None:
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def measure(self, mode: str, tenants: int) -> Result:
        name, url = self.database(tenants)
        try:
            (self.project / "pyproject.toml").write_text(
                f'[tool.pymig.targets.tenants]\ndatabase_url = "{url}"\nschemas = "tenant_*"\n')
            before = load_average()
            with Sampler(self.admin_url, name) as sampler:
                started = time.monotonic()
                per_target, rss = self._loop(url, tenants) if mode == "loop" else self._fanout(int(mode))
                wall = time.monotonic() - started
            self._verify(url, tenants)
            return Result("shell loop" if mode == "loop" else f"--jobs {mode}", tenants, wall, per_target,
                          sampler.peak, rss, before, load_average())
        finally:
            self.drop(name)

    def _run(self, argv: list[str]) -> tuple[str, float, float]:
        """(stdout, seconds, peak RSS in MiB) of one pymig process."""
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        started = time.monotonic()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen(argv, cwd=self.project, env=env, stdout=out, stderr=err, text=True)
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            seconds = time.monotonic() - started
            out.seek(0)
            err.seek(0)
            if p.returncode:
                raise SystemExit(f"{' '.join(argv[1:])} failed ({p.returncode}): {err.read()[-2000:]}")
            return out.read(), seconds, usage.ru_maxrss / 1024

    def _loop(self, url: str, tenants: int) -> tuple[list[float], float]:
        times, rss = [], 0.0
        for i in range(1, tenants + 1):
            _, seconds, peak = self._run([PYMIG, "up", "--database-url", url, "--schema", f"tenant_{i:04d}"])
            times.append(seconds)
            rss = max(rss, peak)
        return times, rss

    def _fanout(self, jobs: int) -> tuple[list[float], float]:
        out, _, rss = self._run([PYMIG, "up", "--target", "tenants", "--jobs", str(jobs), "--json"])
        return [o["duration_ms"] / 1000 for o in json.loads(out)], rss

    def _verify(self, url: str, tenants: int) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            for i in range(1, tenants + 1):
                n = conn.execute(f"SELECT count(*) FROM tenant_{i:04d}.pymig_migrations").fetchone()[0]
                if n != MIGRATIONS:
                    raise SystemExit(f"tenant_{i:04d} has {n} history rows, not {MIGRATIONS}: no numbers reported")


def table(results: list[Result], loop: Result | None) -> str:
    lines = ["| tenants | mode | wall | per tenant (wall / N) | target time median / p95 | vs shell loop "
             "| connections | peak RSS | load before / after |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        times = sorted(r.per_target)
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        ratio = f"{loop.wall / r.wall:.1f}x faster" if loop and loop.tenants == r.tenants and r is not loop else ""
        lines.append(f"| {r.tenants} | {r.mode} | {r.wall:.1f} s | {r.per_tenant_ms:.0f} ms | "
                     f"{1000 * statistics.median(times):.0f} / {1000 * p95:.0f} ms | {ratio} | {r.connections} | "
                     f"{r.rss_mb:.0f} MiB | {r.load_before} / {r.load_after} |")
    return "\n".join(lines)


def report(main: list[Result], growth: list[Result], host: dict, args_line: str, rows: int) -> str:
    loop = next((r for r in main if r.mode == "shell loop"), None)
    growth_rows = sorted(growth + [r for r in main if r.mode in ("--jobs 8", "shell loop")],
                         key=lambda r: (r.mode, r.tenants))
    return "\n".join([
        BEGIN,
        f"Run: `python benchmarks/tenants.py {args_line}`, {host['date']}; pymig {host['pymig']}; "
        f"{host['cpu']}; PostgreSQL {host['PostgreSQL']}. The machine was shared with other work: the load "
        "averages (1, 5, 15 min) before and after each measurement are in the tables.",
        "",
        f"**{main[0].tenants if main else '?'} tenant schemas x {MIGRATIONS} migrations** ({rows} rows and an index "
        "per tenant):",
        "",
        table(main, loop),
        "",
        "**Growth** (`--jobs 8`, and the shell loop where measured):",
        "",
        table(growth_rows, None),
        END,
    ])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL))
    ap.add_argument("--tenants", type=int, default=200)
    ap.add_argument("--jobs", default="1,4,8")
    ap.add_argument("--growth", default="50,200,500", help="tenant counts for --jobs 8 (the main count is reused)")
    ap.add_argument("--loop-growth", default="50", help="tenant counts for the shell loop besides the main one")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--out", default=str(DOC), help="the Markdown file whose benchmark section is rewritten, or -")
    args = ap.parse_args(argv)
    bench = Bench(args.admin_url, args.rows, say=lambda s: print(s, file=sys.stderr, flush=True))
    host = describe_host(bench.admin)
    say = bench.say
    results = []
    for mode in ["loop", *args.jobs.split(",")]:
        r = bench.measure(mode, args.tenants)
        say(f"{r.tenants} tenants, {r.mode}: {r.wall:.1f} s, {r.connections} connections, {r.rss_mb:.0f} MiB "
            f"(load {r.load_after})")
        results.append(r)
    growth = []
    for n in [int(x) for x in args.growth.split(",") if x]:
        if n != args.tenants:
            growth.append(bench.measure("8", n))
            say(f"{n} tenants, --jobs 8: {growth[-1].wall:.1f} s (load {growth[-1].load_after})")
    for n in [int(x) for x in args.loop_growth.split(",") if x]:
        if n != args.tenants:
            growth.append(bench.measure("loop", n))
            say(f"{n} tenants, shell loop: {growth[-1].wall:.1f} s (load {growth[-1].load_after})")
    text = report(results, growth, host, " ".join(argv if argv is not None else sys.argv[1:]), args.rows)
    print(text)
    if args.out != "-":
        path = Path(args.out)
        old = path.read_text() if path.exists() else f"{BEGIN}\n{END}\n"
        head, _, rest = old.partition(BEGIN)
        path.write_text(head + text + rest.partition(END)[2])


if __name__ == "__main__":
    main()
