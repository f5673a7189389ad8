"""When things go wrong (issue 12): a `down` recorded and resumable like `up`, ways out of a partial
migration, targets that do not exist refused, interruptions by signal, a lost connection."""

from __future__ import annotations

import json
import signal
import time

import pytest

from helpers import Project, assert_clean_error, clean_env, connect, log, snapshot, wait_until

BASE = '''
"""Languages."""
from pymig import *

operations = [
    create_table("t", column("id", "serial", primary_key=True), column("lang", "text")),
]
'''

# The shape of the example project's 007: a backfill with reverse=, then a rename.
CONVERT = '''
"""Upper-case codes, renamed."""
from pymig import *

operations = [
    backfill("t", {"lang": "upper(lang)"}, reverse={"lang": "lower(lang)"}, batch_size=100),
    rename_column("t", "lang", "language"),
]
'''

ROWS = 3000


@pytest.fixture
def project(tmp_path, db_url):
    p = Project(tmp_path, db_url)
    # slow batches, so that a test can stop a backfill in the middle
    (tmp_path / "pyproject.toml").write_text('[tool.pymig]\nbackfill_pause = "200ms"\n')
    p.write("001_base.py", BASE)
    p.ok("up")
    with connect(db_url) as conn:
        conn.execute(f"INSERT INTO t (lang) SELECT (ARRAY['en', 'fr', 'de'])[g % 3 + 1] "
                     f"FROM generate_series(1, {ROWS}) g")
    return p


def progress(url: str, version: int):
    with connect(url) as conn:
        row = conn.execute("SELECT progress FROM pymig_migrations WHERE version = %s", (version,)).fetchone()
    return row[0] if row else None


def states(project: Project) -> list[str]:
    return [s["state"] for s in json.loads(project.ok("status", "--json"))]


def stop_during_backfill(project: Project, tmp_path, direction: str, sig=signal.SIGKILL) -> str:
    """Start `pymig DIRECTION`, and send `sig` once a backfill batch has committed."""
    out = tmp_path / f"{direction}.out"
    proc = project.start(direction, output=out)
    try:
        wait_until(lambda: (progress(project.url, 2) or {}).get("after") is not None, what="a committed batch")
        proc.send_signal(sig)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    return code, out.read_text()


def test_interrupted_down_is_recorded_and_resumed(project, tmp_path):
    before = snapshot(project.url)[0]
    with connect(project.url) as conn:
        rows_before = conn.execute("SELECT id, lang FROM t ORDER BY id").fetchall()
    project.write("002_convert.py", CONVERT)
    project.ok("up")
    code, _ = stop_during_backfill(project, tmp_path, "down")
    assert code == -9
    p = progress(project.url, 2)
    assert p["direction"] == "down" and p["op"] == 2  # the rename is undone, the backfill half-way
    assert states(project) == ["applied", "partial (reverting)"]
    with connect(project.url) as conn:
        converted = conn.execute("SELECT count(*) FROM t WHERE lang = lower(lang)").fetchone()[0]
    assert 0 < converted < ROWS
    assert_clean_error(project.run("up"), "002", "`pymig down`")
    assert "reverted migrations/002_convert.py" in project.ok("down")
    assert snapshot(project.url)[0] == before
    with connect(project.url) as conn:
        assert conn.execute("SELECT id, lang FROM t ORDER BY id").fetchall() == rows_before
    assert [r[:3] for r in log(project.url)] == [(1, "base", "up"), (2, "convert", "up"), (2, "convert", "down")]


def test_down_of_a_partial_migration_aborts_it(project, tmp_path):
    before = snapshot(project.url)
    with connect(project.url) as conn:
        rows_before = conn.execute("SELECT id, lang FROM t ORDER BY id").fetchall()
    project.write("002_convert.py", '''
        """An index, then a slow backfill."""
        from pymig import *

        operations = [
            add_column("t", "code", "text"),
            create_index("t", ["lang"]),
            backfill("t", {"code": "upper(lang)"}, batch_size=100),
        ]
    ''')
    code, _ = stop_during_backfill(project, tmp_path, "up")
    assert code == -9
    assert states(project) == ["applied", "partial"]
    out = project.ok("down")
    assert "aborted migrations/002_convert.py" in out
    catalog, history, entries = snapshot(project.url)
    assert (catalog, history) == before[:2]
    with connect(project.url) as conn:
        assert conn.execute("SELECT id, lang FROM t ORDER BY id").fetchall() == rows_before
    assert [r[:3] for r in entries] == [(1, "base", "up"), (2, "convert", "abort")]
    assert "@" in entries[-1][3]  # who ran it
    assert project.ok("status").splitlines()[-1] == "1 applied, 1 pending"


def test_targets_that_do_not_exist_are_errors(project):
    project.write("002_convert.py", CONVERT)
    project.ok("up")
    before = snapshot(project.url)
    assert_clean_error(project.run("down", "--steps", "3"), "--steps 3", "2 applied")
    assert_clean_error(project.run("down", "--to", "5"), "--to 5", "above the current version 2", "pymig up")
    assert_clean_error(project.run("up", "--to", "1"), "--to 1", "below the current version 2",
                       "pymig down --to 1")
    assert snapshot(project.url) == before
    assert "2 migrations reverted" in project.ok("down", "--steps", "2")


def test_sigterm_is_handled_like_ctrl_c(project, tmp_path):
    project.write("002_convert.py", CONVERT)
    code, out = stop_during_backfill(project, tmp_path, "up", signal.SIGTERM)
    assert code == 143, out
    assert "Traceback" not in out and "interrupted" in out and "pymig up" in out, out
    assert progress(project.url, 2)["after"] is not None  # what committed is recorded
    assert "resuming migrations/002_convert.py" in project.ok("up")
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM t WHERE language = upper(language)").fetchone()[0] == ROWS


def test_lost_connection_names_the_server_reason_and_what_continues(project, tmp_path):
    project.write("002_convert.py", CONVERT)
    out = tmp_path / "up.out"
    proc = project.start("up", output=out, env=clean_env())
    try:
        wait_until(lambda: (progress(project.url, 2) or {}).get("after") is not None, what="a committed batch")
        with connect(project.url) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = out.read_text()
    assert code not in (0, 3), text
    assert "internal error" not in text and "Traceback" not in text, text
    assert "terminating connection due to administrator command" in text, text
    assert "pymig up" in text, text
    assert "resuming" in project.ok("up")


SLOW = '''
"""Sleeps, then counts: a second run of it would count twice."""
from pymig import *

operations = [
    run_sql("SELECT pg_sleep(4)", down="SELECT 1"),
    run_sql("UPDATE counter SET n = n + 1", down="UPDATE counter SET n = n - 1"),
]
'''


@pytest.mark.parametrize("how", ["idle_session_timeout", "terminate_lock_holder"])
def test_each_migration_is_applied_exactly_once_when_the_lock_session_dies(project, tmp_path, how):
    """The issue's trials: the runner lock's session timed out while idle, or was terminated, while
    the first run slept inside its migration; a second run started meanwhile."""
    with connect(project.url) as conn:
        conn.execute("CREATE TABLE counter (n integer)")
        conn.execute("INSERT INTO counter VALUES (0)")
        if how == "idle_session_timeout":
            conn.execute(f'ALTER DATABASE "{conn.info.dbname}" SET idle_session_timeout = \'2s\'')
    project.write("002_slow.py", SLOW)
    first = project.start("up", output=tmp_path / "first.out")
    try:
        def sleeping():
            with connect(project.url) as conn:
                return conn.execute("SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(4)%' "
                                    "AND pid <> pg_backend_pid()").fetchone()
        sleeper = wait_until(sleeping, what="the first run inside its migration")[0]
        if how == "terminate_lock_holder":
            with connect(project.url) as conn:
                holder = conn.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted").fetchone()[0]
                conn.execute("SELECT pg_terminate_backend(%s)", (holder,))
        else:
            time.sleep(3)  # past the idle timeout of a lock session that sits idle
        second = project.run("up")
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    with connect(project.url) as conn:
        assert conn.execute("SELECT n FROM counter").fetchone()[0] == 1
    assert [r[:3] for r in log(project.url)].count((2, "slow", "up")) == 1
    assert second.returncode == 0 or "connection" in second.stderr, second.stderr
    if how == "terminate_lock_holder":
        assert holder == sleeper  # the lock sits on the session the migration runs on
        assert "terminating connection" in (tmp_path / "first.out").read_text()
    assert "nothing to apply" in project.ok("up")
