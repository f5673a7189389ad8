"""Where one pymig command spends its time: cProfile of a single run on a generated history.

    python benchmarks/hotspots.py up --n 1000          # also: down, status, sql, sql-offline, help
    python benchmarks/hotspots.py status --n 1000 --sort tottime --top 30

The database is created for the run and dropped after it; `down` and `status` first apply the
history (not profiled). Prints the wall time of the profiled process, then the top functions.
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import changes, write_pymig  # noqa: E402
from benchmarks.run import DEFAULT_ADMIN_URL, database_url  # noqa: E402

ARGS = {"up": ["up"], "down": ["down", "--to", "0"], "status": ["status"], "sql": ["sql"],
        "sql-offline": ["sql", "--offline"], "help": ["--help"]}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=sorted(ARGS))
    p.add_argument("--n", type=int, default=1000, help="history length (default 1000)")
    p.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL") or DEFAULT_ADMIN_URL)
    args = p.parse_args(argv)

    import psycopg
    from psycopg import sql

    name = f"bench_{uuid.uuid4().hex[:8]}_profile"
    with psycopg.connect(args.admin_url, autocommit=True) as admin, tempfile.TemporaryDirectory() as tmp:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            project = write_pymig(Path(tmp) / "pymig", changes(args.n))
            base = [sys.executable, "-m", "pymig.cli", "--database-url", database_url(args.admin_url, name),
                    "--dir", "migrations"]
            if args.command in ("down", "status"):
                subprocess.run(base + ["up"], cwd=project, check=True, stdout=subprocess.DEVNULL)
            out = Path(tmp) / "profile.out"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), *base[1:], *ARGS[args.command]],
                           cwd=project, check=True, stdout=subprocess.DEVNULL)
            print(f"pymig {' '.join(ARGS[args.command])} at N={args.n}: {time.perf_counter() - started:.3f} s "
                  "wall under cProfile (profiling slows Python-heavy code down)\n")
            pstats.Stats(str(out)).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
