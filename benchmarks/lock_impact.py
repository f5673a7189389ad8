"""Lock impact: how long writers stall while a big, busy table is changed, through `pymig up` and as
the naive SQL, next to a no-migration control period.

    python benchmarks/lock_impact.py                    # 1M rows; writes docs/lock-impact.md
    python benchmarks/lock_impact.py --rows 2000 --out -    # a smoke run; prints only

A database `lockbench_<random>` is created on the server of --admin-url, filled with INSERT ...
SELECT generate_series, and dropped at the end, also when a run fails; nothing else is touched.
Writer processes send single-row INSERTs and UPDATEs to the table at a fixed rate the whole time;
each write's latency is counted from when it was scheduled (as pgbench -R does), so a writer that
waits behind a lock shows the whole wait, and the writes queued behind it show the lag.
"""

from __future__ import annotations

import argparse
import array
import math
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from queue import Empty

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import StatementLog  # noqa: E402
from benchmarks.run import DEFAULT_ADMIN_URL, ROOT, database_url, describe_host, load_average  # noqa: E402

DOC = ROOT / "docs" / "lock-impact.md"
NOTES_MARKER = ("<!-- Everything below this line is hand-written and kept when benchmarks/lock_impact.py "
                "rewrites the file. -->")
ACCOUNTS = 1000  # rows of the referenced table
STALL_FLOOR = 0.020  # the target: within twice the control, or 20 ms
LOCK_WAIT_LOG = 0.010  # writers log lock waits longer than this (deadlock_timeout in their sessions)


# -- the operations -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Operation:
    """One schema change, spelled for pymig and as the naive SQL, with what undoes it (so the next
    run starts from the same table) and catalog facts both runs must leave behind."""

    name: str
    dsl: str  # the operation in a migration file
    naive: tuple[str, ...]  # what someone writes by hand
    reset: tuple[str, ...]  # back to the starting table
    expect: tuple[tuple[str, object], ...]  # (query, value it must return) after either run
    # the naive window stays open as long as pymig's: a rename does not stall the writers, it makes
    # their writes through the old name fail from the moment it commits
    naive_hold: bool = False
    then: tuple[str, ...] = ()  # pymig commands after `pymig up`, in the same window (expand/contract: complete)


def _constraint(name: str, kind: str) -> tuple[str, object]:
    return (f"SELECT count(*) FROM pg_constraint WHERE conrelid = 'items'::regclass AND conname = '{name}' "
            f"AND contype = '{kind}' AND convalidated", 1)


# whatever CHECK constraints a run left (pymig's temporary NOT NULL check has a name of its own)
DROP_CHECKS = ("DO $$DECLARE c text; BEGIN FOR c IN SELECT conname FROM pg_constraint "
               "WHERE conrelid = 'items'::regclass AND contype = 'c' "
               "LOOP EXECUTE format('ALTER TABLE items DROP CONSTRAINT %I', c); END LOOP; END$$")

OPERATIONS = (
    Operation("create_index", 'create_index("items", ["score"])',
              ("CREATE INDEX items_score_idx ON items (score)",),
              ("DROP INDEX IF EXISTS items_score_idx",),
              (("SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('items_score_idx') AND indisvalid", 1),)),
    Operation("drop_index", 'drop_index("items_created_at_idx")',
              ("DROP INDEX items_created_at_idx",),
              ("CREATE INDEX IF NOT EXISTS items_created_at_idx ON items (created_at)",),
              (("SELECT to_regclass('items_created_at_idx') IS NULL", True),)),
    Operation("add_foreign_key", 'add_foreign_key("items", ["account_id"], "accounts")',
              ("ALTER TABLE items ADD CONSTRAINT items_account_id_fkey FOREIGN KEY (account_id) "
               "REFERENCES accounts (id)",),
              ("ALTER TABLE items DROP CONSTRAINT IF EXISTS items_account_id_fkey",),
              (_constraint("items_account_id_fkey", "f"),)),
    Operation("add_check", 'add_check("items", "items_score_check", "score >= 0")',
              ("ALTER TABLE items ADD CONSTRAINT items_score_check CHECK (score >= 0)",),
              ("ALTER TABLE items DROP CONSTRAINT IF EXISTS items_score_check",),
              (_constraint("items_score_check", "c"),)),
    Operation("set_not_null", 'alter_column("items", "email", nullable=False)',
              ("ALTER TABLE items ALTER COLUMN email SET NOT NULL",),
              ("ALTER TABLE items ALTER COLUMN email DROP NOT NULL", DROP_CHECKS),
              (("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'email'", True),
               ("SELECT count(*) FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype = 'c'", 0))),
    Operation("add_unique", 'add_unique("items", ["email"])',
              ("ALTER TABLE items ADD CONSTRAINT items_email_key UNIQUE (email)",),
              ("ALTER TABLE items DROP CONSTRAINT IF EXISTS items_email_key", "DROP INDEX IF EXISTS items_email_key"),
              (_constraint("items_email_key", "u"),)),
    Operation("add_column_volatile_default", 'add_column("items", "token", "uuid", default=sql("gen_random_uuid()"))',
              ("ALTER TABLE items ADD COLUMN token uuid DEFAULT gen_random_uuid()",),
              ("ALTER TABLE items DROP COLUMN IF EXISTS token", "VACUUM FULL items"),
              (("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'items'::regclass AND adnum = "
                "(SELECT attnum FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'token')",
                "gen_random_uuid()"),
               ("SELECT count(*) FROM items WHERE token IS NULL", 0),
               ("SELECT count(DISTINCT token) = count(*) FROM items", True))),  # volatile: a value per row
    # issue 17: the integer primary key, which item_tags and item_events reference, to bigint: pymig's
    # expand/contract (up, then complete, in one window) against the rewriting ALTER TYPE
    Operation("int_to_bigint_pk", 'alter_column("items", "id", type="bigint")',
              ("ALTER TABLE items ALTER COLUMN id TYPE bigint",),
              ("ALTER TABLE items ALTER COLUMN id TYPE integer", "ALTER SEQUENCE items_id_seq AS integer",
               "VACUUM FULL items"),
              (("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'items'::regclass "
                "AND attname = 'id'", "bigint"),
               _constraint("items_pkey", "p"),
               ("SELECT count(*) FROM pg_constraint WHERE confrelid = 'items'::regclass AND contype = 'f' "
                "AND convalidated", 2),
               ("SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname LIKE '%pymig%' "
                "AND NOT attisdropped", 0),
               ("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%pymig%'", 0)),
              then=("complete",)),
    Operation("backfill", """backfill("items", {"note": "'note ' || id"})""",
              ("UPDATE items SET note = 'note ' || id",),
              ("ALTER TABLE items DROP COLUMN note", "ALTER TABLE items ADD COLUMN note text", "VACUUM FULL items"),
              (("SELECT count(*) FROM items WHERE id <= {rows} AND note IS DISTINCT FROM 'note ' || id", 0),)),
)


# Renames (issue 17): the writers keep using the old names (items, score) all along. pymig's compatible
# rename serves them through a view until `pymig complete`; the plain rename breaks them.
_UNRENAME = ("DO $$BEGIN IF to_regclass('items_pymig') IS NOT NULL THEN DROP VIEW items; "
             "ALTER TABLE items_pymig RENAME TO items; END IF; "
             "IF to_regclass('entries') IS NOT NULL THEN DROP VIEW IF EXISTS items; "
             "ALTER TABLE entries RENAME TO items; END IF; "
             "IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'points') "
             "THEN ALTER TABLE items RENAME COLUMN points TO score; END IF; END$$")
OPERATIONS += (
    Operation("rename_column", 'rename_column("items", "score", "points")',
              ("ALTER TABLE items RENAME COLUMN score TO points",), (_UNRENAME,),
              (("SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'points'", 1),),
              naive_hold=True),
    Operation("rename_table", 'rename_table("items", "entries")',
              ("ALTER TABLE items RENAME TO entries",), (_UNRENAME,),
              (("SELECT to_regclass('entries') IS NOT NULL", True),), naive_hold=True),
)


def _together(name: str, *ops: Operation) -> Operation:
    """Several operations in one migration (one naive script): what happens between them counts too."""
    return Operation(name, ",\n    ".join(op.dsl for op in ops), sum((op.naive for op in ops), ()),
                     sum((op.reset for op in ops), ()), sum((op.expect for op in ops), ()))


_SINGLE = {op.name: op for op in OPERATIONS}
OPERATIONS += (_together("set_not_null_and_add_unique", _SINGLE["set_not_null"], _SINGLE["add_unique"]),)
BY_NAME = {op.name: op for op in OPERATIONS}

SETUP = (
    "CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL)",
    f"INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, {ACCOUNTS}) g",
    "CREATE TABLE items (id serial PRIMARY KEY, account_id integer, score integer, email text, note text, "
    "created_at timestamptz NOT NULL DEFAULT now())",
    "INSERT INTO items (id, account_id, score, email, created_at) SELECT g, 1 + g % {accounts}, g % 1000, "
    "'user' || g || '@example.com', now() - g * interval '1 second' FROM generate_series(1, {rows}) g",
    "SELECT setval('items_id_seq', {rows})",
    "CREATE INDEX items_created_at_idx ON items (created_at)",
    # two tables that reference items' integer key (int_to_bigint_pk re-points their foreign keys)
    "CREATE TABLE item_tags (id serial PRIMARY KEY, item_id integer REFERENCES items, tag text)",
    "INSERT INTO item_tags (item_id, tag) SELECT g, 'tag' FROM generate_series(1, {rows}, 10) g",
    "CREATE TABLE item_events (id serial PRIMARY KEY, item_id integer REFERENCES items, at timestamptz DEFAULT now())",
    "INSERT INTO item_events (item_id) SELECT g FROM generate_series(1, {rows}, 10) g",
    "VACUUM ANALYZE accounts",
    "VACUUM ANALYZE items",
    "VACUUM ANALYZE item_tags",
    "VACUUM ANALYZE item_events",
)
AFTER_EACH_RUN = ("DROP TABLE IF EXISTS pymig_migrations, pymig_log", "VACUUM ANALYZE items")


# -- the write load -----------------------------------------------------------------------------

PROBE_SLEEP, PROBE_LATE = 0.002, 0.005
RECORD = 5  # doubles per write: scheduled, started, ended (monotonic s), kind (0 insert, 1 update), ok


def _write_loop(url: str, index: int, rate: float, rows: int, options: str, stop, pids, path: str) -> None:
    """One writer: a statement every 1/rate s on its own connection, autocommit, until `stop`.
    Runs in its own process, so a busy benchmark process cannot delay it."""
    import psycopg

    rng = random.Random(index)
    records = array.array("d")
    try:
        conn = psycopg.connect(url, autocommit=True, options=options)
    except psycopg.Error as e:
        pids.put(f"writer {index}: {e}")
        return
    pids.put(conn.info.backend_pid)
    interval, n = 1.0 / rate, 0
    scheduled = time.monotonic() + rng.random() * interval
    while not stop.is_set():
        delay = scheduled - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        update = rng.random() < 0.5
        started, ok = time.monotonic(), 1.0
        try:
            if update:
                conn.execute("UPDATE items SET score = %s WHERE id = %s",
                             (rng.randrange(1000), 1 + rng.randrange(rows)))
            else:
                n += 1
                conn.execute("INSERT INTO items (account_id, score, email) VALUES (%s, %s, %s)",
                             (1 + rng.randrange(ACCOUNTS), rng.randrange(1000), f"w{index}-{n}@example.com"))
        except psycopg.Error:
            ok = 0.0
            if conn.closed:
                conn = psycopg.connect(url, autocommit=True, options=options)
        records.extend((scheduled, started, time.monotonic(), float(update), ok))
        scheduled += interval
    conn.close()
    with open(path, "wb") as f:
        records.tofile(f)


def _probe_loop(stop, path: str) -> None:
    """Sleeps 2 ms at a time and notes each wake-up more than 5 ms late: when a write stalls and
    this process, which needs nothing from the database, stalled too, the machine did (CPU, VM)."""
    late = array.array("d")
    while not stop.is_set():
        due = time.monotonic() + PROBE_SLEEP
        time.sleep(PROBE_SLEEP)
        behind = time.monotonic() - due
        if behind > PROBE_LATE:
            late.extend((due, behind))
    with open(path, "wb") as f:
        late.tofile(f)


@dataclass(frozen=True)
class Write:
    writer: int
    pid: int  # the writer's backend
    update: bool
    scheduled: float  # wall clock, s
    started: float  # sent; later than scheduled when the writer fell behind (or its process was not running)
    ended: float
    ok: bool

    @property
    def latency(self) -> float:
        """From when it was due, as pgbench -R counts: a wait delays the writes queued after it too."""
        return self.ended - self.scheduled


class Writers:
    """The steady write load: `count` processes sharing `rate` statements per second."""

    def __init__(self, url: str, count: int, rate: float, rows: int, options: str, workdir: Path):
        ctx = multiprocessing.get_context("spawn")  # no inherited connections or threads
        self.stop_event, queue = ctx.Event(), ctx.Queue()
        self.paths = [workdir / f"writer-{i}.bin" for i in range(count)]
        self.probe_path = workdir / "probe.bin"
        self.procs = [ctx.Process(target=_write_loop, daemon=True,
                                  args=(url, i, rate / count, rows, options, self.stop_event, queue, str(p)))
                      for i, p in enumerate(self.paths)]
        self.procs.append(ctx.Process(target=_probe_loop, daemon=True, args=(self.stop_event, str(self.probe_path))))
        for p in self.procs:
            p.start()
        self.pids = []
        deadline = time.monotonic() + 60
        while len(self.pids) < count:
            try:
                got = queue.get(timeout=1)
            except Empty:
                dead = [i for i, p in enumerate(self.procs) if p.exitcode is not None]
                if not dead and time.monotonic() < deadline:
                    continue
                got = f"writer {dead[0]} exited with code {self.procs[dead[0]].exitcode}" if dead else \
                    "the writers did not connect within 60 s"
            if isinstance(got, str):
                self.stop()
                raise SystemExit(got)
            self.pids.append(got)
        self.clock = time.time() - time.monotonic()  # CLOCK_MONOTONIC is the same in every process

    def stop(self) -> tuple[list[Write], list[tuple[float, float]]]:
        """Every write, and the probe's late wake-ups as (wall clock when due, seconds late)."""
        self.stop_event.set()
        for p in self.procs:
            p.join(timeout=120)
            if p.is_alive():
                p.terminate()
        writes = []
        for i, path in enumerate(self.paths):
            if not path.exists():
                continue
            a = array.array("d")
            a.frombytes(path.read_bytes())
            pid = self.pids[i] if i < len(self.pids) else 0
            writes += [Write(i, pid, bool(a[k + 3]), a[k] + self.clock, a[k + 1] + self.clock, a[k + 2] + self.clock,
                             bool(a[k + 4]))
                       for k in range(0, len(a), RECORD)]
        late = array.array("d")
        if self.probe_path.exists():
            late.frombytes(self.probe_path.read_bytes())
        return writes, [(late[k] + self.clock, late[k + 1]) for k in range(0, len(late), 2)]


# -- windows and their statistics ---------------------------------------------------------------

@dataclass
class Window:
    """One measured period: an operation through pymig, as naive SQL, or the control (no change)."""

    op: str
    kind: str  # "pymig", "naive", "control"
    repeat: int
    start: float  # wall clock, s
    end: float
    retries: int = 0  # lock-timeout retries pymig reported
    writes: list[Write] = field(default_factory=list)
    cause: str = ""  # what the longest stall waited on (server log)
    machine: float = 0.0  # the probe's longest late wake-up while the window was open, s

    @property
    def duration(self) -> float:
        return self.end - self.start

    def take(self, writes: list[Write], late: list[tuple[float, float]]) -> None:
        """Every write that was due or running while the window was open, and the probe's stalls."""
        self.writes = [w for w in writes if w.scheduled < self.end and w.ended > self.start]
        self.machine = max((x for due, x in late if due < self.end and due + x > self.start), default=0.0)

    @property
    def worst(self) -> Write | None:
        return max(self.writes, key=lambda w: w.latency, default=None)

    @property
    def stall(self) -> float:
        return self.worst.latency if self.writes else float("nan")

    @property
    def p99(self) -> float:
        if not self.writes:
            return float("nan")
        lat = sorted(w.latency for w in self.writes)
        return lat[max(0, math.ceil(0.99 * len(lat)) - 1)]

    @property
    def failed(self) -> int:
        return sum(not w.ok for w in self.writes)


# -- the server log: which statement a stalled writer waited for --------------------------------

_ENTRY = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \S+ \[(\d+)\] (?:\S*@(\S*) )?([A-Z]+\d?):  (.*)$")
_DURATION = re.compile(r"duration: ([\d.]+) ms  (?:statement|execute [^:]*): (.*)", re.S)
_WAITING = re.compile(r"process (\d+) still waiting for (\w+) on (.+?) after ([\d.]+) ms")
_ACQUIRED = re.compile(r"process (\d+) acquired (\w+) on (.+?) after ([\d.]+) ms")
_HOLDERS = re.compile(r"Process(?:es)? holding the lock: ([\d, ]+)\. Wait queue: ([\d, ]*)\.")


@dataclass
class LockWait:
    pid: int
    mode: str
    what: str  # "relation 16385 of database 16384", "transaction 1234"
    start: float
    end: float
    holders: list[int]
    queue: list[int]


@dataclass
class Statement:
    pid: int
    start: float
    end: float
    text: str


class ServerLog:
    """The server's log from the start of the run, read for one database: the statements of pymig's
    and the naive sessions (log_min_duration_statement = 0 in those sessions only), the writers' lock
    waits (log_lock_waits with a 10 ms deadlock_timeout in theirs), and checkpoints. Needs a superuser,
    a readable log and Debian's log_line_prefix; `why_not` says what is missing."""

    PREFIX = "%m [%p] %q%u@%d "

    def __init__(self, admin, explicit: str | None = None):
        self.path = StatementLog.find(admin, explicit)
        self.why_not = StatementLog(admin, self.path).why_not
        prefix = admin.execute("SHOW log_line_prefix").fetchone()[0]
        if self.why_not is None and prefix != self.PREFIX:
            self.why_not = f"log_line_prefix is {prefix!r}, not {self.PREFIX!r}"
        self.zone = None
        if self.why_not is None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                self.zone = ZoneInfo(admin.execute("SHOW log_timezone").fetchone()[0])
            except (ZoneInfoNotFoundError, ValueError) as e:
                self.why_not = f"log_timezone not understood ({e})"
        self.offset = self.path.stat().st_size if self.why_not is None else 0

    @classmethod
    def off(cls, why: str) -> ServerLog:
        """No attribution: the runs go without statement or lock-wait logging."""
        log = cls.__new__(cls)
        log.path, log.why_not, log.zone, log.offset = None, why, None, 0
        return log

    @property
    def available(self) -> bool:
        return self.why_not is None

    def read(self, database: str) -> tuple[list[Statement], list[LockWait], list[tuple[float, float]]]:
        time.sleep(0.3)  # let the server write out the last lines
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return parse_log(f.read().decode(errors="replace"), database, self.zone)


def parse_log(text: str, database: str, zone) -> tuple[list[Statement], list[LockWait], list[tuple[float, float]]]:
    """Statements with their durations and lock waits of `database`, and checkpoints (start, end)."""
    entries: list[list] = []  # [time, pid, database, level, message]
    for line in text.splitlines():
        m = _ENTRY.match(line)
        if m:
            stamp = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=zone).timestamp()
            entries.append([stamp, int(m[2]), m[3], m[4], m[5]])
        elif entries:
            entries[-1][4] += "\n" + line.strip()
    statements, waits, checkpoints = [], [], []
    open_checkpoint = None
    for i, (stamp, pid, db, level, message) in enumerate(entries):
        if db is None and level == "LOG":
            if message.startswith("checkpoint starting"):
                open_checkpoint = stamp
            elif message.startswith("checkpoint complete") and open_checkpoint is not None:
                checkpoints.append((open_checkpoint, stamp))
                open_checkpoint = None
        if db != database or level != "LOG":
            continue
        if m := _DURATION.match(message):
            statements.append(Statement(pid, stamp - float(m[1]) / 1000, stamp, " ".join(m[2].split())))
        elif m := _WAITING.match(message):
            detail = next((e[4] for e in entries[i + 1:i + 4] if e[1] == pid and e[3] == "DETAIL"), "")
            h = _HOLDERS.search(detail)
            ids = [[int(x) for x in g.replace(" ", "").split(",") if x] for g in h.groups()] if h else [[], []]
            waits.append(LockWait(pid, m[2], m[3], stamp - float(m[4]) / 1000, stamp, *ids))
        elif m := _ACQUIRED.match(message):
            start = stamp - float(m[4]) / 1000  # the log has milliseconds: the same wait within a few
            same = [w for w in waits if (w.pid, w.what) == (pid, m[3]) and abs(w.start - start) < 0.005]
            if same:
                min(same, key=lambda w: abs(w.start - start)).end = stamp
    return statements, waits, checkpoints


def explain(worst: Write, window: Window, statements, waits, checkpoints, late, roles: dict[int, str],
            names: dict[str, str]) -> str:
    """What the worst write of `window` waited for: a lock (and who held it, or was queued before it,
    running what), or nothing logged (CPU, I/O, WAL flush), with a checkpoint if one was running."""
    def running(pid: int, at: float) -> str:
        """The statement `pid` was running at `at` (the log has milliseconds: the latest to start)."""
        s = max((s for s in statements if s.pid == pid and s.start - 0.002 <= at <= s.end + 0.002),
                key=lambda s: s.start, default=None)
        return f": `{s.text[:90]}`" if s else ""

    def who(pid: int, at: float) -> str:
        role = roles.get(pid, f"pid {pid} (not a benchmark session: a parallel worker, or another client)")
        return f"{role}{running(pid, at)}"

    mine = [w for w in waits if w.pid == worst.pid and worst.scheduled - 0.01 <= w.start <= worst.ended]
    if mine:
        w = max(mine, key=lambda w: w.end - w.start)
        what = re.sub(r"relation (\d+) of database \d+", lambda m: names.get(m[1], m[0]), w.what)
        what = re.sub(r"^transaction \d+$", "a row (held by the transaction that updated it)", what)
        queue = w.queue[:w.queue.index(worst.pid)] if worst.pid in w.queue else []
        ahead = [p for p in queue if roles.get(p, "").split(" ")[0] != "writer"]
        text = f"{(w.end - w.start) * 1000:.0f} ms for {w.mode} on {what}, held by " + \
            "; ".join(who(p, w.start) for p in w.holders)
        if ahead:
            text += "; queued behind " + "; ".join(who(p, w.start) for p in ahead)
        return text
    probe = max((x for due, x in late if due < worst.ended and due + x > worst.scheduled), default=0.0)
    lag = worst.started - worst.scheduled
    if lag > worst.latency / 2:  # the writer was late to send it: its own process did not run in time
        text = (f"sent {lag * 1000:.0f} ms after it was due, {(worst.ended - worst.started) * 1000:.0f} ms in the "
                f"server: the writer process ran late (probe late {probe * 1000:.0f} ms)")
    elif probe > worst.latency / 2:
        text = (f"no lock wait over {LOCK_WAIT_LOG * 1000:.0f} ms; the machine stalled: the probe woke "
                f"{probe * 1000:.0f} ms late")
    else:
        text = (f"no lock wait over {LOCK_WAIT_LOG * 1000:.0f} ms and no machine stall (probe late "
                f"{probe * 1000:.0f} ms): inside the server (WAL flush, I/O)")
    busy = [s for s in statements
            if roles.get(s.pid) == window.kind and s.start < worst.ended and s.end > worst.scheduled]
    if busy:
        text += f"; {window.kind} was running `{busy[-1].text[:90]}`"
    if any(a < worst.ended and b > worst.scheduled for a, b in checkpoints):
        text += "; a checkpoint was running"
    return text


# -- the benchmark ------------------------------------------------------------------------------

def pymig_executable() -> list[str]:
    script = Path(sys.executable).with_name("pymig")
    if script.exists():
        return [str(script)]
    found = shutil.which("pymig")
    if not found:
        raise SystemExit("pymig is not installed in this environment: pip install -e .")
    return [found]


@dataclass
class Settings:
    rows: int
    writers: int
    rate: float
    repeat: int
    ops: tuple[Operation, ...]
    settle: float
    lock_timeout: str | None
    backfill_pause: str | None


class Bench:
    """The runs on the benchmark database: each operation through pymig, then as naive SQL, then a
    control period as long as pymig's run; the table is reset after each, and each run verified."""

    def __init__(self, s: Settings, url: str, db, workdir: Path, log: ServerLog, say):
        self.s, self.url, self.db, self.workdir, self.log, self.say = s, url, db, workdir, log, say
        self.windows: list[Window] = []
        self.roles: dict[int, str] = {db.info.backend_pid: "the benchmark's reset"}  # or "pymig", "naive", "writer 3"
        self.statement_log = "-c log_min_duration_statement=0" if log.available else ""

    def populate(self) -> None:
        for text in SETUP:
            self.db.execute(text.format(rows=self.s.rows, accounts=ACCOUNTS))

    def settle(self) -> None:
        """Let writers held up by a reset (VACUUM FULL) catch up before the next window opens."""
        time.sleep(self.s.settle)

    def reset(self, op: Operation) -> None:
        """Writers catch up first: a write that was due in the window must not then wait for the reset."""
        self.settle()
        for text in (*op.reset, *AFTER_EACH_RUN):
            self.db.execute(text)
        self.settle()

    def verify(self, op: Operation, kind: str) -> None:
        """Refuse to report numbers for a run that did not make the change."""
        checks = list(op.expect)
        if kind == "pymig":
            checks += [("SELECT to_regclass('pymig_migrations') IS NOT NULL", True),  # first: the next needs it
                       ("SELECT count(*) FROM pymig_migrations WHERE version = 1 AND progress IS NULL", 1)]
        for query, expected in checks:
            row = self.db.execute(query.format(rows=self.s.rows)).fetchone()
            got = row[0] if row else None
            if got != expected:
                raise SystemExit(f"{op.name} via {kind}: {query} returned {got!r}, expected {expected!r}")

    def run_pymig(self, op: Operation, repeat: int) -> Window:
        project = self.workdir / f"{op.name}-{repeat}"
        (project / "migrations").mkdir(parents=True)
        (project / "migrations" / f"001_{op.name}.py").write_text(
            f'"""{op.name} on the existing, busy items table."""\nfrom pymig import *\n\n'
            f"operations = [\n    {op.dsl},\n]\n")
        if self.s.backfill_pause:
            (project / "pyproject.toml").write_text(f'[tool.pymig]\nbackfill_pause = "{self.s.backfill_pause}"\n')
        env = {**os.environ, "PGOPTIONS": self.statement_log}
        start, retries = time.time(), 0
        for command in ("up", *op.then):
            argv = [*pymig_executable(), "--database-url", self.url, command]
            if self.s.lock_timeout:
                argv += ["--lock-timeout", self.s.lock_timeout]
            done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{op.name}: pymig {command} exited {done.returncode}:\n{done.stderr[-2000:]}")
            retries += done.stderr.count("lock not available")
        window = Window(op.name, "pymig", repeat, start, time.time())
        window.retries = retries
        return window

    def run_naive(self, op: Operation, repeat: int, hold: float = 0.0) -> Window:
        import psycopg

        with psycopg.connect(self.url, autocommit=True, options=self.statement_log) as conn:
            self.roles[conn.info.backend_pid] = "naive"
            start = time.time()
            for text in op.naive:
                conn.execute(text)
            time.sleep(max(0.0, start + hold - time.time()))
            return Window(op.name, "naive", repeat, start, time.time())

    def measure(self, op: Operation, repeat: int) -> None:
        pymig = self.run_pymig(op, repeat)
        self.verify(op, "pymig")
        retries = f", {pymig.retries} lock-timeout retries" if pymig.retries else ""
        self.say(f"{op.name}: pymig {pymig.duration:.2f} s{retries}")
        self.reset(op)
        naive = self.run_naive(op, repeat, pymig.duration if op.naive_hold else 0.0)
        self.verify(op, "naive")
        self.say(f"{op.name}: naive {naive.duration:.2f} s")
        self.reset(op)
        start = time.time()
        time.sleep(pymig.duration)
        self.windows += [pymig, naive, Window(op.name, "control", repeat, start, time.time())]

    def attribute(self, database: str, late) -> None:
        """Name what each pymig and naive window's longest stall waited for."""
        if not self.log.available:
            for w in self.windows:
                w.cause = f"n/a: {self.log.why_not}"
            return
        statements, waits, checkpoints = self.log.read(database)
        for s in statements:  # pymig's backends are the logging sessions that are not the naive one
            self.roles.setdefault(s.pid, "pymig")
        oids = sorted({m for w in waits for m in re.findall(r"relation (\d+)", w.what)})
        names = dict(self.db.execute("SELECT oid::text, relname FROM pg_class WHERE oid = ANY(%s::oid[])",
                                     (oids,)).fetchall()) if oids else {}
        for w in self.windows:
            if w.worst is not None:
                w.cause = explain(w.worst, w, statements, waits, checkpoints, late, self.roles, names)


def run(s: Settings, admin_url: str, say=print, server_log: str | None = None, timeline: Path | None = None,
        name: str | None = None):
    import psycopg
    from psycopg import sql

    name = name or f"lockbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin, \
            tempfile.TemporaryDirectory(prefix="pymig-lockbench-") as tmp:
        machine = describe_machine(admin)
        log = ServerLog(admin, server_log)
        if not log.available:
            say(f"no lock attribution: {log.why_not}")
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        say(f"created database {name} (dropped at the end)")
        try:
            url = database_url(admin_url, name)
            with psycopg.connect(url, autocommit=True) as db:
                bench = Bench(s, url, db, Path(tmp), log, say)
                say(f"filling items with {s.rows:,} rows")
                started = time.monotonic()
                bench.populate()
                say(f"filled in {time.monotonic() - started:.1f} s; starting {s.writers} writers, {s.rate:g} writes/s")
                options = (f"-c log_lock_waits=on -c deadlock_timeout={LOCK_WAIT_LOG * 1000:.0f}ms"
                           if log.available else "")
                writers = Writers(url, s.writers, s.rate, s.rows, options, Path(tmp))
                try:
                    bench.roles.update({pid: f"writer {i}" for i, pid in enumerate(writers.pids)})
                    bench.settle()
                    for r in range(s.repeat):
                        for op in s.ops:
                            bench.measure(op, r)
                finally:
                    writes, late = writers.stop()
                for w in bench.windows:
                    w.take(writes, late)
                bench.attribute(name, late)
                if timeline:
                    write_timeline(timeline, writes, late, bench)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        machine["load after"] = load_average()
    return bench.windows, machine


def write_timeline(directory: Path, writes: list[Write], late, bench: Bench) -> None:
    """Every write, the probe's late wake-ups and every window as CSV, for a closer look at a stall."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "writes.csv", "w") as f:
        f.write("writer,backend_pid,kind,scheduled_epoch,started_epoch,ended_epoch,latency_ms,ok\n")
        for w in sorted(writes, key=lambda w: w.scheduled):
            f.write(f"{w.writer},{w.pid},{'update' if w.update else 'insert'},{w.scheduled:.6f},{w.started:.6f},"
                    f"{w.ended:.6f},"
                    f"{w.latency * 1000:.3f},{int(w.ok)}\n")
    with open(directory / "probe.csv", "w") as f:
        f.write("due_epoch,late_ms\n")
        f.writelines(f"{due:.6f},{x * 1000:.3f}\n" for due, x in late)
    with open(directory / "windows.csv", "w") as f:
        f.write("operation,kind,repeat,start_epoch,end_epoch,longest_stall_ms,p99_ms,writes\n")
        for w in bench.windows:
            f.write(f"{w.op},{w.kind},{w.repeat},{w.start:.6f},{w.end:.6f},{w.stall * 1000:.3f},"
                    f"{w.p99 * 1000:.3f},{len(w.writes)}\n")


# -- the machine ----------------------------------------------------------------------------------

def describe_machine(admin) -> dict:
    settings = dict(admin.execute(
        "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', "
        "'max_wal_size', 'checkpoint_timeout', 'autovacuum', 'fsync') ORDER BY name").fetchall())
    host = describe_host(admin)
    host["PostgreSQL"] += "; " + ", ".join(f"{k} {v}" for k, v in settings.items())
    return {**host, "load before": load_average()}


# -- reporting ------------------------------------------------------------------------------------

def ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def spread(values: list[float], fmt) -> str:
    """One value, or the median with min–max when the operation ran more than once."""
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def target(pymig: Window, control: Window) -> tuple[bool, float]:
    """The issue's target: within twice the control's longest stall, or 20 ms (no write: no stall)."""
    limit = max(2 * (0.0 if math.isnan(control.stall) else control.stall), STALL_FLOOR)
    return math.isnan(pymig.stall) or pymig.stall <= limit, limit


def results_table(windows: list[Window], ops) -> list[str]:
    out = ["| operation | pymig s | naive s | longest stall ms: pymig | naive | control | "
           "p99 ms: pymig | naive | control | target: pymig ≤ max(2 × control, 20 ms) | failed writes: pymig | naive |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for op in ops:
        by = {k: [w for w in windows if w.op == op.name and w.kind == k] for k in ("pymig", "naive", "control")}
        verdicts = [target(p, c) for p, c in zip(by["pymig"], by["control"])]
        held = sum(ok for ok, _ in verdicts)
        limits = ", ".join(ms(limit) for _, limit in verdicts)
        verdict = ("holds" if held == len(verdicts) else "**misses**" if not held
                   else f"**holds {held} of {len(verdicts)}**")
        out.append(
            f"| {op.name} | {spread([w.duration for w in by['pymig']], lambda x: f'{x:.2f}')} | "
            f"{spread([w.duration for w in by['naive']], lambda x: f'{x:.2f}')} | "
            + " | ".join(spread([w.stall for w in by[k]], ms) for k in ("pymig", "naive", "control")) + " | "
            + " | ".join(spread([w.p99 for w in by[k]], ms) for k in ("pymig", "naive", "control"))
            + f" | {verdict} (limit {limits} ms) | "
            + " | ".join(str(sum(w.failed for w in by[k])) for k in ("pymig", "naive")) + " |")
    return out


def summary(windows: list[Window], ops) -> str:
    runs = [(op.name, target(p, c)[0]) for op in ops for p, c in zip(
        [w for w in windows if w.op == op.name and w.kind == "pymig"],
        [w for w in windows if w.op == op.name and w.kind == "control"])]
    missed = sorted({name for name, ok in runs if not ok})
    return (f"The target held in {sum(ok for _, ok in runs)} of {len(runs)} pymig runs"
            + (f"; missed at least once: {', '.join(missed)}." if missed else "."))


def causes_table(windows: list[Window], ops) -> list[str]:
    out = ["| operation | run | longest stall ms | machine stall ms | what the stalled write waited for |",
           "|---|---|---:|---:|---|"]
    for op in ops:
        for w in windows:
            if w.op == op.name and w.kind != "control":
                label = w.kind + (f" #{w.repeat + 1}" if any(x.repeat for x in windows) else "")
                cause = w.cause.replace("|", "\\|")
                retries = f" ({w.retries} lock-timeout retries)" if w.retries else ""
                out.append(f"| {op.name} | {label}{retries} | {ms(w.stall)} | {ms(w.machine)} | {cause} |")
    return out


def report(windows: list[Window], machine: dict, s: Settings, args_line: str, seconds: float) -> str:
    writes = sum(len(w.writes) for w in windows)
    failed = sum(w.failed for w in windows)
    lines = [
        "# Lock impact: writer stalls while pymig changes a big, busy table", "",
        f"Generated by `{args_line}` in {seconds / 60:.1f} min; see `benchmarks/README.md` (lock impact) for "
        "how it works.", "",
        f"A table of {s.rows:,} rows (`items`, plus a {ACCOUNTS}-row `accounts` it references) takes "
        f"{s.rate:g} single-row writes per second (half INSERT, half UPDATE of a random row) from {s.writers} "
        "writer processes during the whole run. Each operation runs through `pymig up` (a migration of that "
        "one operation on the existing table, pymig's defaults"
        + (f", --lock-timeout {s.lock_timeout}" if s.lock_timeout else "")
        + (f", backfill_pause {s.backfill_pause}" if s.backfill_pause else "")
        + "), then as the naive SQL, then nothing happens for as long as pymig's run took (the control); "
        "the table is reset in between. A write's latency counts from when it was due, so a writer that waits "
        "behind a lock shows the whole wait. **Longest stall** is the largest latency of a write that was due "
        "or running during the window; p99 over the same writes; pymig's time is the whole `pymig up` process "
        "(start-up included); n/a: no write was due during a window that short. "
        + (f"Cells show the median (min–max) of {s.repeat} runs. " if s.repeat > 1 else "") +
        f"{writes:,} writes fell in the windows, {failed} failed.", "",
        "## Machine", "", *[f"- {k}: {v}" for k, v in machine.items()], "",
        "## Results", "", *results_table(windows, s.ops), "", summary(windows, s.ops), "",
        "## What the longest stall waited for", "",
        "From the server log: pymig's and the naive session's statements (`log_min_duration_statement = 0` in "
        f"those sessions) and the writers' lock waits over {LOCK_WAIT_LOG * 1000:.0f} ms (`log_lock_waits`). "
        f"**Machine stall** is how late a probe process that only sleeps {PROBE_SLEEP * 1000:.0f} ms at a time woke "
        "up during the window (at most): when it stalls with the writers, the machine did, not the database.", "",
        *causes_table(windows, s.ops), "",
    ]
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    """Replace the generated part, keep the hand-written reading after the marker."""
    old = path.read_text() if path.exists() else ""
    notes = old.split(NOTES_MARKER, 1)[1] if NOTES_MARKER in old else "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{text}\n{NOTES_MARKER}{notes}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (default %(default)s)")
    p.add_argument("--writers", type=int, default=4, help="writer processes (default %(default)s)")
    p.add_argument("--rate", type=float, default=200, help="writes per second, all writers (default %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="runs of every operation (default %(default)s)")
    p.add_argument("--ops", default=",".join(BY_NAME), help="comma-separated operations (default: all)")
    p.add_argument("--settle", type=float, default=1.5, help="seconds between a reset and the next window")
    p.add_argument("--lock-timeout", default=None, help="passed to pymig up (default: pymig's)")
    p.add_argument("--backfill-pause", default=None, help="[tool.pymig] backfill_pause (default: pymig's)")
    p.add_argument("--admin-url", default=os.environ.get("BENCH_ADMIN_URL") or DEFAULT_ADMIN_URL,
                   help="superuser URL of the maintenance database, used to create and drop the benchmark "
                        "database and to find the server log (default $BENCH_ADMIN_URL, else %(default)s)")
    p.add_argument("--server-log", default=None, help="the server's log file (default: found as run.py does)")
    p.add_argument("--timeline", default=None, help="directory for writes.csv and windows.csv")
    p.add_argument("--database", default=None, help="name of the scratch database it creates and drops "
                                                   "(default lockbench_<random>)")
    p.add_argument("--out", default=str(DOC), help="markdown file to write, '-' to print only (default %(default)s)")
    args = p.parse_args(argv)
    unknown = [o for o in args.ops.split(",") if o not in BY_NAME]
    if unknown:
        p.error(f"unknown operation(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    s = Settings(args.rows, args.writers, args.rate, args.repeat, tuple(BY_NAME[o] for o in args.ops.split(",")),
                 args.settle, args.lock_timeout, args.backfill_pause)
    started = time.monotonic()

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {text}", file=sys.stderr, flush=True)

    windows, machine = run(s, args.admin_url, say, args.server_log, Path(args.timeline) if args.timeline else None,
                           args.database)
    elapsed = time.monotonic() - started
    given = argv if argv is not None else sys.argv[1:]
    args_line = "python benchmarks/lock_impact.py" + "".join(f" {a}" for a in given)
    text = report(windows, machine, s, args_line, elapsed)
    print(text)
    if args.out != "-":
        write_doc(Path(args.out), text)
        say(f"wrote {args.out}")
    say(f"done in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
