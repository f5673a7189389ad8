"""The executor's pieces (pymig.engine) on their own: batch sizing, retry delays, progress records and
lines without a database; transactions with lock retries and online backfills on a real one."""

from __future__ import annotations

import threading
import time

import pytest

from pymig.dialects.postgres import PostgresDialect
from pymig.dialects.sqlite import SqliteDialect
from pymig.engine.backfill import MAX_BATCH, OnlineBackfill, next_batch_size
import io

from pymig.engine.progress import Display, Meter, Progress, duration_text
from pymig.engine.sessions import Live, Preview, Script
from pymig.engine.transaction import Transaction, retry_delay
from pymig.errors import LockError
from pymig.ops import DropColumn
from pymig.plan import Record
from pymig.steps import Batched


# -- without a database ----------------------------------------------------------------------------

def test_batch_size_aims_at_the_budget_but_at_most_doubles_or_halves():
    assert next_batch_size(1000, elapsed=0.05, budget=0.1) == 2000  # twice as fast as aimed
    assert next_batch_size(1000, elapsed=0.001, budget=0.1) == 2000  # never more than doubled
    assert next_batch_size(1000, elapsed=0.2, budget=0.1) == 500
    assert next_batch_size(1000, elapsed=10.0, budget=0.1) == 500  # one slow batch halves at most
    assert next_batch_size(MAX_BATCH, elapsed=0.001, budget=0.1) == MAX_BATCH
    assert next_batch_size(1, elapsed=10.0, budget=0.1) == 1


def test_retry_delay_grows_and_is_capped():
    delays = [retry_delay(a) for a in range(1, 10)]
    assert delays == sorted(delays) and delays[0] == pytest.approx(0.4) and delays[-1] == 10.0
    assert retry_delay(3, jitter=0.0) == pytest.approx(retry_delay(3) / 2)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_meter_rate_is_a_moving_average_and_a_resume_counts_on():
    clock = Clock()
    m = Meter(1_000_000, clock=clock)
    clock.now += 0.01
    m.add(100_000)  # one batch: no rate yet (the pause after it counts too)
    assert m.line("backfill users") == "backfill users: 100,000/1,000,000 rows (10%)"
    clock.now += 1
    m.add(100_000)  # a fast batch (the table was in cache)
    assert m.line("backfill users") == ("backfill users: 200,000/1,000,000 rows (20%), 100,000 rows/s, "
                                        "about 8 s left")
    for _ in range(20):  # then 10,000 rows/s for 20 s: the fast batch leaves the window
        clock.now += 1
        m.add(10_000)
    assert m.rate == pytest.approx(10_000)
    assert m.line("backfill users").endswith("(40%), 10,000 rows/s, about 1 min 00 s left")
    resumed = Meter(1_000_000, done=400_000, clock=clock)
    for _ in range(2):
        clock.now += 2
        resumed.add(20_000)
    assert resumed.line("b").startswith("b: 440,000/1,000,000 rows (44%), 10,000 rows/s")
    assert resumed.summary("b") == "b: 440,000 rows, the last 40,000 in 4 s (resumed)"
    assert Meter(0).line("b") == "b: 0/? rows"
    assert [duration_text(s) for s in (0.4, 59, 61, 3600 * 2 + 120)] == ["0 s", "59 s", "1 min 01 s", "2 h 02 min"]


def test_display_rewrites_one_line_on_a_terminal_and_throttles_elsewhere():
    clock = Clock()
    tty = io.StringIO()
    d = Display(tty, tty=True, clock=clock)
    d.update("10%")
    d.update("20%")
    d.done("done")
    assert tty.getvalue() == "\r10%\x1b[K\r20%\x1b[K\r\x1b[Kdone\n"
    log = io.StringIO()
    d = Display(log, tty=False, every=5.0, clock=clock)
    for _ in range(12):
        clock.now += 1
        d.update(f"at {clock.now:.0f}")
    d.done("done")
    assert log.getvalue() == "at 105\nat 110\ndone\n"


def test_ticking_shows_the_elapsed_time_of_a_long_step():
    out = io.StringIO()
    d = Display(out, tty=False, every=0.05)
    with d.ticking("run_python slow", after=0.1):
        time.sleep(0.4)
    lines = out.getvalue().splitlines()
    assert lines and all(line.startswith("run_python slow: running for") for line in lines)
    quiet = io.StringIO()
    with Display(quiet, tty=False, every=0.05).ticking("fast", after=5):
        time.sleep(0.2)
    assert quiet.getvalue() == ""


def test_progress_survives_its_record():
    """What a segment stores is what a rerun resumes from: operations, position, backfill key."""
    p = Progress(op=3, step=2, inverse=[DropColumn("t", "a")], current=[DropColumn("t", "b")],
                 added={("t", "a"), ("t", "b")}, after=41, rows=[20, 100])
    record = Record(1, "m", "x", None, 0.0, "", p.plan(), p.position())
    again = Progress.resumed(record, resolve=None)
    assert again == p
    p.finish_op(3)
    assert (p.op, p.step, p.current, p.after, p.rows) == (4, 0, [], None, None)
    assert p.inverse == [DropColumn("t", "b"), DropColumn("t", "a")]
    assert Progress(irreversible="no").plan() == {"irreversible": "no"}


def test_with_commit_is_one_message_where_the_dialect_takes_several():
    assert PostgresDialect().with_commit(["A", "B"]) == ["A", "B;\nCOMMIT"]
    assert SqliteDialect().with_commit(["A", "B"]) == ["A", "B", "COMMIT"]
    assert PostgresDialect().lock_timeout_sql("1s") == "SET LOCAL lock_timeout = '1s'"
    assert SqliteDialect().lock_timeout_sql("1s") is None


def test_script_transaction_prints_what_live_sends():
    d = PostgresDialect()
    s = Script(d)
    tx = Transaction(s, d, "001_x", "1s", retry_for=1)
    tx.sql("ALTER TABLE t ADD COLUMN a integer")
    assert tx.commit(["INSERT INTO h VALUES (1)"]) and not tx.commit([])
    assert s.lines[3:] == ["BEGIN;", "SET LOCAL lock_timeout = '1s';", "ALTER TABLE t ADD COLUMN a integer;",
                           "INSERT INTO h VALUES (1);", "COMMIT;"]
    assert tx.segments == 1


def test_preview_transaction_says_the_history_write_in_one_line():
    d = PostgresDialect()
    s = Preview(d)
    tx = Transaction(s, d, "001_x", "1s", retry_for=1)
    tx.sql("ALTER TABLE t ADD COLUMN a integer")
    assert tx.commit(["INSERT INTO h VALUES (1)"])
    assert s.lines == ["BEGIN;", "SET LOCAL lock_timeout = '1s';", "ALTER TABLE t ADD COLUMN a integer;",
                       "-- (history: pymig records how far the migration got, in the same transaction)", "COMMIT;"]


# -- on PostgreSQL ------------------------------------------------------------------------------

@pytest.fixture
def live(db_url):
    d = PostgresDialect()
    db = d.connect(db_url)
    db.execute("CREATE TABLE t (id integer PRIMARY KEY, n integer)")
    db.execute("INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g")
    yield d, db
    db.close()


def test_a_lock_timeout_replays_the_whole_transaction(live, pg_conn):
    """The first statement ran, the second timed out: after the retry both ran once."""
    d, db = live
    reports = []
    tx = Transaction(Live(db, d), d, "001_x", "100ms", retry_for=30, report=reports.append)
    holder = pg_conn
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
    threading.Timer(1.0, holder.execute, ("ROLLBACK",)).start()
    tx.sql("CREATE TABLE u (id integer)")
    tx.sql("UPDATE t SET n = n + 1")
    tx.commit([])
    assert db.rows("SELECT sum(n), count(*) FROM t") == [(1000, 1000)]
    assert db.rows("SELECT count(*) FROM u") == [(0,)]
    assert reports and "lock not available (attempt 1)" in reports[0]


def test_lock_retries_give_up_naming_the_blocking_session(live, pg_conn):
    d, db = live
    pg_conn.execute("BEGIN")
    pg_conn.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
    tx = Transaction(Live(db, d), d, "001_x", "50ms", retry_for=0.3, blockers=lambda: d.describe_blockers(db))
    started = time.monotonic()
    with pytest.raises(LockError) as e:
        tx.sql("UPDATE t SET n = 1")
    pg_conn.execute("ROLLBACK")
    assert time.monotonic() - started < 5
    assert "001_x: gave up after" in e.value.message and "pid" in e.value.message


def test_online_backfill_commits_each_batch_with_its_record_and_resumes(live):
    d, db = live
    session = Live(db, d)
    table = d.introspect(db).tables["t"]
    step = d.backfill(table, {"n": "n + 1"}, None, 100, online=True)
    assert isinstance(step, Batched) and step.online
    tx = Transaction(session, d, "001_x", "1s", retry_for=1)
    progress = Progress()
    records = []

    def record():
        records.append(progress.after)
        return []

    OnlineBackfill(tx, session, d, progress, record, budget=10.0, pause=0).run(step)
    assert db.rows("SELECT min(n), max(n) FROM t") == [(1, 1)]
    # asked before the first batch (nothing to commit yet), then once per batch, with its last key; sizes double
    assert records[0] is None and records[1:] == [100, 300, 700, 1000]
    assert progress.after is None and tx.segments == 4  # the first commit had nothing open

    progress.after = 700  # as resumed from a record: only the rows after key 700 again
    OnlineBackfill(tx, session, d, progress, lambda: [], budget=10.0, pause=0).run(step)
    assert db.rows("SELECT n, count(*) FROM t GROUP BY n ORDER BY n") == [(1, 700), (2, 300)]

