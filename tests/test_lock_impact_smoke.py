"""The lock-impact benchmark (benchmarks/lock_impact.py) runs end to end on a tiny table: a row per
operation, every pymig and naive run left the change it was meant to make, the database is dropped.
Behaviour only: timings are never asserted here."""

from __future__ import annotations

import csv
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.lock_impact import (  # noqa: E402
    BY_NAME, OPERATIONS, Bench, ServerLog, Settings, Window, Write, main, parse_log, target,
)
from benchmarks.run import database_url  # noqa: E402


def _exists(url: str, name: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()[0] == 1


def test_a_tiny_run_reports_every_operation_and_drops_its_database(pymig_server_url, tmp_path, capsys):
    name = f"lockbench_{uuid.uuid4().hex[:8]}"  # its own name: another suite may be running a benchmark
    out, timeline = tmp_path / "lock-impact.md", tmp_path / "timeline"
    main(["--rows", "2000", "--repeat", "1", "--writers", "2", "--rate", "40", "--settle", "0.2",
          "--admin-url", pymig_server_url, "--database", name,
          "--out", str(out), "--timeline", str(timeline)])
    text = out.read_text()
    results = text.split("## Results", 1)[1].split("## What", 1)[0]
    for op in OPERATIONS:  # one results row and two explained runs per operation
        assert sum(line.startswith(f"| {op.name} |") for line in results.splitlines()) == 1, op.name
        assert text.count(f"| {op.name} | pymig") == 1 and text.count(f"| {op.name} | naive") == 1
    windows = list(csv.DictReader((timeline / "windows.csv").read_text().splitlines()))
    assert [(w["operation"], w["kind"]) for w in windows] == [
        (op.name, kind) for op in OPERATIONS for kind in ("pymig", "naive", "control")]
    writes = list(csv.DictReader((timeline / "writes.csv").read_text().splitlines()))
    # the writers use the old names: only the naive renames make their writes fail
    broken = [(float(w["start_epoch"]), float(control["start_epoch"])) for w, control in zip(windows, windows[1:])
              if w["kind"] == "naive" and BY_NAME[w["operation"]].naive_hold]  # until the reset, before the control
    failed = [w for w in writes if w["ok"] != "1"]
    # a write in flight when the window opened may fail too: it reached the server after the rename
    assert failed and all(any(float(w["ended_epoch"]) >= a and float(w["started_epoch"]) <= b for a, b in broken)
                          for w in failed)
    assert {w["kind"] for w in writes} == {"insert", "update"}
    assert {w["writer"] for w in writes} == {"0", "1"}
    assert f"created database {name}" in capsys.readouterr().err and not _exists(pymig_server_url, name)


@pytest.fixture
def bench(pymig_server_url, tmp_path):
    """A populated benchmark database, without the write load."""
    name = f"lockbench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pymig_server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = database_url(pymig_server_url, name)
            with psycopg.connect(url, autocommit=True) as db:
                b = Bench(Settings(500, 1, 10, 1, OPERATIONS, 0, None, None), url, db, tmp_path,
                          ServerLog.off("not read by this test"), lambda _: None)
                b.populate()
                yield b
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_run_that_did_not_make_its_change_is_refused(bench):
    for op in OPERATIONS:
        with pytest.raises(SystemExit, match=op.name):
            bench.verify(op, "naive")  # nothing ran
    bench.db.execute("CREATE INDEX items_score_idx ON items (score)")
    bench.verify(BY_NAME["create_index"], "naive")
    with pytest.raises(SystemExit, match="pymig_migrations"):
        bench.verify(BY_NAME["create_index"], "pymig")  # made by hand, not by pymig up


def test_pymig_up_leaves_each_change_and_the_reset_takes_it_back(bench):
    for op in OPERATIONS:
        window = bench.run_pymig(op, 0)
        bench.verify(op, "pymig")
        assert window.end > window.start
        bench.reset(op)
    with psycopg.connect(bench.url) as conn:
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'items'")}
        constraints = {r[0] for r in conn.execute(  # not contype 'n': PostgreSQL 18 lists NOT NULL there
            "SELECT conname FROM pg_constraint WHERE conrelid = 'items'::regclass AND contype <> 'n'")}
        columns = [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0 AND NOT attisdropped")]
    assert indexes == {"items_pkey", "items_created_at_idx"}
    assert constraints == {"items_pkey"}
    assert sorted(columns) == ["account_id", "created_at", "email", "id", "note", "score"]


# -- without a database ---------------------------------------------------------------------------

def _write(scheduled: float, ended: float) -> Write:
    return Write(0, 1, False, scheduled, scheduled, ended, True)


def test_a_window_counts_the_writes_due_or_running_in_it_from_when_they_were_due():
    w = Window("op", "pymig", 0, start=10.0, end=11.0)
    w.take([_write(9.0, 9.5), _write(9.9, 10.4), _write(10.5, 10.51), _write(11.0, 11.1)], [(10.2, 0.03), (12, 1)])
    assert [x.scheduled for x in w.writes] == [9.9, 10.5]  # the first ended before, the last was due after
    assert w.stall == pytest.approx(0.5) and w.p99 == pytest.approx(0.5)
    assert w.machine == pytest.approx(0.03)
    control = Window("op", "control", 0, 0, 1)
    control.take([_write(0.1, 0.2)], [])
    assert target(w, control) == (False, pytest.approx(0.2))  # 500 ms against max(2 x 100 ms, 20 ms)
    empty = Window("op", "naive", 0, 20.0, 20.001)
    empty.take([], [])
    assert target(empty, control)[0]


def test_the_server_log_gives_statements_lock_waits_with_holders_and_checkpoints():
    log = "\n".join([
        "2026-11-24 01:53:00.900 UTC [2184] LOG:  checkpoint starting: immediate force wait",
        "2026-11-24 01:53:00.942 UTC [30195] postgres@lockbench_x LOG:  duration: 0.684 ms  statement: ALTER TABLE",
        "\t  \"items\" ADD CONSTRAINT c CHECK (score >= 0) NOT VALID",
        "2026-11-24 01:53:00.960 UTC [17907] postgres@lockbench_x LOG:  process 17907 still waiting for "
        "RowExclusiveLock on relation 16385 of database 16384 after 10.062 ms at character 13",
        "2026-11-24 01:53:00.960 UTC [17907] postgres@lockbench_x DETAIL:  Process holding the lock: 30195. "
        "Wait queue: 17903, 17907.",
        "2026-11-24 01:53:00.960 UTC [17907] postgres@lockbench_x STATEMENT:  INSERT INTO items VALUES (1)",
        "2026-11-24 01:53:00.961 UTC [17903] postgres@other_db LOG:  duration: 1.000 ms  statement: SELECT 1",
        "2026-11-24 01:53:00.990 UTC [17907] postgres@lockbench_x LOG:  process 17907 acquired RowExclusiveLock "
        "on relation 16385 of database 16384 after 40.1 ms at character 13",
        "2026-11-24 01:53:01.000 UTC [2184] LOG:  checkpoint complete: wrote 4 buffers (0.0%)",
    ])
    statements, waits, checkpoints = parse_log(log, "lockbench_x", ZoneInfo("UTC"))
    assert [(s.pid, s.text) for s in statements] == [
        (30195, 'ALTER TABLE "items" ADD CONSTRAINT c CHECK (score >= 0) NOT VALID')]
    assert statements[0].end - statements[0].start == pytest.approx(0.000684, abs=1e-6)
    (wait,) = waits
    assert (wait.pid, wait.mode, wait.what, wait.holders, wait.queue) == (
        17907, "RowExclusiveLock", "relation 16385 of database 16384", [30195], [17903, 17907])
    assert wait.end - wait.start == pytest.approx(0.040, abs=0.002)
    assert [b - a for a, b in checkpoints] == [pytest.approx(0.1)]


def test_rewriting_the_doc_keeps_the_hand_written_reading(tmp_path):
    from benchmarks.lock_impact import NOTES_MARKER, write_doc

    doc = tmp_path / "lock-impact.md"
    write_doc(doc, "# first run")
    doc.write_text(doc.read_text() + "\nmy reading\n")
    write_doc(doc, "# second run")
    assert doc.read_text() == f"# second run\n{NOTES_MARKER}\n\nmy reading\n"
