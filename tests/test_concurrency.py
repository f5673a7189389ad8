"""Several `pymig` processes at once, and one killed mid-migration."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter

import pytest

from helpers import (Project, assert_clean_error, catalog, clean_env, connect, log, user_tables,
                     versions, wait_until)

RUNNERS = 6

MIGRATIONS = {
    "001_accounts.py": '''
        """Accounts."""
        from pymig import column, create_table
        operations = [create_table("accounts", column("id", "serial", primary_key=True), column("name", "text"))]
    ''',
    "002_gate.py": '''
        """Waits on a table the test can lock, then sleeps a little: the window other runners hit."""
        from pymig import add_column, run_sql
        operations = [
            add_column("accounts", "plan", "text", default="free"),
            run_sql("SELECT count(*) FROM gate", down="SELECT 1"),
            run_sql("SELECT pg_sleep(0.3)", down="SELECT 1"),
        ]
    ''',
    "003_seed.py": '''
        """Each runner would add a row if it ran this twice."""
        from pymig import run_sql
        operations = [run_sql("INSERT INTO accounts (name) VALUES ('seeded')", down="DELETE FROM accounts")]
    ''',
    "004_index.py": '''
        """An index."""
        from pymig import create_index
        operations = [create_index("accounts", ["lower(name)"])]
    ''',
}


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    for name, source in MIGRATIONS.items():
        project.write(name, source)
    with connect(db_url) as conn:
        conn.execute("CREATE TABLE gate (id int)")
    return project


class Gate:
    """Holds an ACCESS EXCLUSIVE lock on `gate` so 002 blocks mid-migration until released."""

    def __init__(self, url: str):
        self.url = url
        self.conn = connect(url)
        self.conn.execute("BEGIN")
        self.conn.execute("LOCK TABLE gate IN ACCESS EXCLUSIVE MODE")

    def wait_for_blocked_runner(self) -> int:
        """The pid of the backend of the runner stuck behind the gate (it holds the runner lock)."""
        def blocked():
            with connect(self.url) as conn:
                row = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE '%FROM gate%'").fetchone()
            return row and row[0]
        return wait_until(blocked, what="a pymig run blocked on the gate")

    def release(self) -> None:
        if not self.conn.closed:
            self.conn.execute("COMMIT")
            self.conn.close()


@pytest.fixture
def gate(project):
    gate = Gate(project.url)
    yield gate
    gate.release()


def read(path) -> str:
    return path.read_text() if path.exists() else ""


def test_six_simultaneous_runners_apply_each_migration_once(project, gate, tmp_path):
    outputs = [tmp_path / f"runner{i}.out" for i in range(RUNNERS)]
    procs = [project.start("up", output=out) for out in outputs]
    try:
        gate.wait_for_blocked_runner()
        # all the others are queued behind the runner lock before the first one may finish
        wait_until(lambda: sum("waiting for another pymig run" in read(o) for o in outputs) == RUNNERS - 1,
                   what="five runners waiting for the lock")
        gate.release()
        codes = [p.wait(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    texts = [read(o) for o in outputs]
    assert codes == [0] * RUNNERS, texts
    assert versions(project.url) == [1, 2, 3, 4]
    assert Counter((v, d) for v, _, d, _ in log(project.url)) == {(v, "up"): 1 for v in (1, 2, 3, 4)}
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1
    applied = Counter(line.split()[1] for text in texts for line in text.splitlines() if line.startswith("applied "))
    assert applied == {f"migrations/{name}": 1 for name in MIGRATIONS}
    assert sum("nothing to apply" in text for text in texts) == RUNNERS - 1


def test_second_runner_waits_and_a_short_lock_wait_fails_clearly(project, gate, tmp_path):
    first = project.start("up", output=tmp_path / "first.out")
    second = project.start("up", output=tmp_path / "second.out")
    try:
        gate.wait_for_blocked_runner()
        impatient = project.run("up", "--lock-wait", "1")
        assert_clean_error(impatient, "lock", "1 s")
        assert "Traceback" not in impatient.stdout
        outputs = [tmp_path / "first.out", tmp_path / "second.out"]
        wait_until(lambda: any("waiting for another pymig run" in read(o) for o in outputs),
                   what="the other runner waiting")  # whichever did not get the lock first
        assert second.poll() is None and first.poll() is None
        gate.release()
        assert first.wait(timeout=60) == 0, read(outputs[0])
        assert second.wait(timeout=60) == 0, read(outputs[1])
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.kill()
    texts = sorted((read(o) for o in outputs), key=lambda text: "waiting" in text)
    assert "4 migrations applied" in texts[0] and "waiting" not in texts[0]
    assert "nothing to apply" in texts[1]
    assert versions(project.url) == [1, 2, 3, 4]


def test_killed_mid_migration_resumes_after_its_committed_ddl(tmp_path, db_url):
    """run_sql after DDL on a table in use runs in its own segment, once the DDL committed (issue 12):
    killed inside it, the migration is recorded as partial, and the rerun runs only what is left."""
    project = Project(tmp_path, db_url)
    project.write("001_accounts.py", MIGRATIONS["001_accounts.py"])
    project.write("002_slow.py", '''
        """DDL, then a long statement: the process is killed during the sleep."""
        import os

        from pymig import add_column, column, create_table, run_sql

        operations = [
            create_table("invoices", column("id", "serial", primary_key=True), column("total", "numeric(10,2)")),
            add_column("accounts", "balance", "numeric(10,2)", default=0),
            run_sql("SELECT pg_sleep(%s)" % float(os.environ.get("SLOW_SECONDS", "30")), down="SELECT 1"),
        ]
    ''')
    project.ok("up", "--to", "1")

    proc = project.start("up", output=tmp_path / "killed.out")
    try:
        def sleeping():
            with connect(project.url) as conn:
                row = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND state = 'active' AND query LIKE '%pg_sleep(30%' "
                                   "AND pid <> pg_backend_pid()").fetchone()
            return row and row[0]
        backend = wait_until(sleeping, what="the migration's pg_sleep")
        assert "invoices" in user_tables(project.url)  # committed before the long statement began
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()

    # the server notices the dead client only when the statement ends; a DBA would end it
    with connect(project.url) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (backend,))
    def ended():
        with connect(project.url) as conn:
            return not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()
    wait_until(ended, what="the backend to end")
    assert [r["state"] for r in json.loads(project.ok("status", "--json"))] == ["applied", "partial"]
    assert [r[:3] for r in log(project.url)] == [(1, "accounts", "up")]

    res = project.run("up", env=clean_env(SLOW_SECONDS="0"))
    assert res.returncode == 0, res.stderr
    assert "002_slow.py" in res.stdout
    assert versions(project.url) == [1, 2]
    assert "invoices" in user_tables(project.url)
    assert any(row[1] == "accounts.balance" for row in catalog(project.url))
    assert [r["state"] for r in json.loads(project.ok("status", "--json"))] == ["applied"] * 2
