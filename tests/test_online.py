"""Online-safe PostgreSQL: recipes that keep traffic flowing on tables that already exist, lock
timeouts with retries, INVALID index repair, resumable segments and undo of committed segments."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time

import psycopg
import pytest

from helpers import Project, clean_env, connect, log, statements, wait_until

BASE = '''
"""Tables the later migrations change while the application uses them."""
from pymig import *

operations = [
    create_table("users",
        column("id", "serial", primary_key=True),
        column("email", "text"),
        column("nickname", "text"),
    ),
    create_table("posts",
        column("id", "serial", primary_key=True),
        column("user_id", "integer"),
        column("score", "integer"),
    ),
    create_index("posts", ["score"], name="posts_score_idx"),
]
'''

# Each operation that has an online recipe, on a table created by an earlier migration.
RECIPES = {
    "create_index": 'create_index("users", ["email"])',
    "drop_index": 'drop_index("posts_score_idx")',
    "add_foreign_key": 'add_foreign_key("posts", ["user_id"], "users")',
    "add_check": 'add_check("posts", "posts_score_positive", "score >= 0")',
    "set_not_null": 'alter_column("users", "email", nullable=False)',
    "add_unique": 'add_unique("users", ["email"])',
    "add_column_volatile_default": 'add_column("users", "token", "uuid", default=sql("gen_random_uuid()"))',
    "add_column_references": 'add_column("posts", "editor_id", "integer", references="users", check="editor_id > 0")',
}

# squawk rules that flag statements which block reads or writes (the list).
BLOCKING_RULES = [
    "require-concurrent-index-creation", "require-concurrent-index-deletion", "adding-foreign-key-constraint",
    "setting-not-nullable-field", "constraint-missing-not-valid", "disallowed-unique-constraint",
    "adding-not-nullable-field", "require-lock-timeout",
]


@pytest.fixture
def project(tmp_path, db_url):
    p = Project(tmp_path, db_url)
    p.write("001_base.py", BASE)
    return p


def _migration(project: Project, name: str, *ops: str) -> None:
    body = ",\n    ".join(ops)
    project.write(f"002_{name}.py", f'"""{name}."""\nfrom pymig import *\n\noperations = [\n    {body},\n]\n')


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_squawk_finds_no_blocking_statement(project, tmp_path, name):
    squawk = shutil.which("squawk") or os.path.join(os.path.dirname(os.sys.executable), "squawk")
    if not os.path.exists(squawk):
        pytest.skip("squawk-cli is not installed (pip install -e '.[dev]' installs it)")
    project.ok("up")
    _migration(project, name, RECIPES[name])
    preview = project.ok("sql")
    assert "lock_timeout" in preview
    sql_file = tmp_path / "preview.sql"
    sql_file.write_text(preview)
    res = subprocess.run([squawk, "--include", ",".join(BLOCKING_RULES), str(sql_file)],
                         capture_output=True, text=True)
    found = set(re.findall(r"squawkhq\.com/docs/([a-z-]+)", res.stdout + res.stderr))
    assert not found & set(BLOCKING_RULES), f"{found & set(BLOCKING_RULES)} in:\n{preview}"
    # and the recipe really runs, and rolls back
    project.ok("up")
    project.ok("down")


def test_recipes_keep_data_and_roll_back(project):
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 2500) g")
        conn.execute("INSERT INTO posts (user_id, score) SELECT g, g FROM generate_series(1, 2500) g")
    _migration(project, "online", *RECIPES.values())
    out = project.run("up")
    assert out.returncode == 0, out.stderr
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE token IS NULL").fetchone()[0] == 0
        assert conn.execute("SELECT count(DISTINCT token) FROM users").fetchone()[0] == 2500
        assert conn.execute("SELECT bool_and(indisvalid) FROM pg_index WHERE indrelid IN "
                            "('users'::regclass, 'posts'::regclass)").fetchone()[0]
        assert conn.execute("SELECT bool_and(convalidated) FROM pg_constraint WHERE conrelid IN "
                            "('users'::regclass, 'posts'::regclass)").fetchone()[0]
        assert conn.execute("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass "
                            "AND attname = 'email'").fetchone()[0]
        # the temporary NOT NULL check is gone
        # (contype 'c': PostgreSQL 18 also lists NOT NULL itself in pg_constraint, named *_not_null)
        assert not conn.execute("SELECT 1 FROM pg_constraint WHERE contype = 'c' AND conname LIKE '%pymig_not_null'"
                                ).fetchall()
    project.ok("down", "--allow-data-loss")
    with connect(project.url) as conn:
        cols = {r[0] for r in conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'users'::regclass "
                                           "AND attnum > 0 AND NOT attisdropped")}
        assert cols == {"id", "email", "nickname"}
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 2500


def test_lock_timeout_retries_while_other_sessions_write(project):
    project.ok("up")
    _migration(project, "add_column", 'add_column("users", "bio", "text")')
    with connect(project.url) as holder, connect(project.url) as writer:
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM users")  # ACCESS SHARE until the transaction ends
        proc = project.start("up", "--lock-timeout", "100ms", output=project.root / "up.log")
        # pymig's ALTER times out and retries; between attempts nothing queues behind it
        wait_until(lambda: "lock not available" in (project.root / "up.log").read_text(), what="a retry")
        t0 = time.monotonic()
        writer.execute("SET statement_timeout = '5s'")
        writer.execute("INSERT INTO users (email) VALUES ('during-retries')")
        insert_took = time.monotonic() - t0
        assert proc.poll() is None, "pymig gave up while the blocking transaction was open"
        holder.execute("COMMIT")
        assert proc.wait(timeout=60) == 0, (project.root / "up.log").read_text()
    assert insert_took < 5
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE column_name = 'bio'").fetchone()[0] == 1


def test_lock_timeout_gives_up_naming_the_blocker(project):
    project.ok("up")
    _migration(project, "add_column", 'add_column("users", "bio", "text")')
    project.write("../pyproject.toml", '[tool.pymig]\nlock_retry_for = "1s"\n', directory=project.migrations)
    with connect(project.url) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM users")
        pid = holder.execute("SELECT pg_backend_pid()").fetchone()[0]
        res = project.run("up", "--lock-timeout", "50ms")
        holder.execute("COMMIT")
    assert res.returncode != 0
    assert "gave up after" in res.stderr and f"pid {pid}" in res.stderr, res.stderr
    assert "idle in transaction" in res.stderr


def test_the_blockers_named_are_sessions_of_this_database(project):
    """A database copied from this one (CREATE DATABASE ... TEMPLATE) holds its tables under the same
    oids: a lock there on "users" blocks nobody here, and is not named as a blocker."""
    import uuid

    from psycopg import sql

    project.ok("up")
    _migration(project, "add_column", 'add_column("users", "bio", "text")')
    project.write("../pyproject.toml", '[tool.pymig]\nlock_retry_for = "1s"\n', directory=project.migrations)
    here = project.url.rsplit("/", 1)[1].split("?")[0]
    copy = f"{here}_copy_{uuid.uuid4().hex[:6]}"
    with connect(project.url.replace(f"/{here}", "/postgres", 1)) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(copy), sql.Identifier(here)))
        try:
            with connect(project.url) as holder, connect(project.url.replace(f"/{here}", f"/{copy}", 1)) as other:
                other.execute("BEGIN")
                other.execute("SELECT count(*) FROM users")
                other_pid = other.execute("SELECT pg_backend_pid()").fetchone()[0]
                holder.execute("BEGIN")
                holder.execute("SELECT count(*) FROM users")
                pid = holder.execute("SELECT pg_backend_pid()").fetchone()[0]
                res = project.run("up", "--lock-timeout", "50ms")
                holder.execute("COMMIT")
                other.execute("COMMIT")
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(copy)))
    assert res.returncode != 0 and f"pid {pid}" in res.stderr, res.stderr
    assert f"pid {other_pid}" not in res.stderr, res.stderr


def test_invalid_leftover_index_is_rebuilt(project):
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('dup'), ('dup')")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute('CREATE UNIQUE INDEX CONCURRENTLY "users_email_idx" ON users (email)')
        assert conn.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email_idx'::regclass"
                            ).fetchone()[0] is False
        conn.execute("DELETE FROM users WHERE id = (SELECT max(id) FROM users)")
    _migration(project, "index", 'create_index("users", ["email"], unique=True)')
    assert "DROP INDEX CONCURRENTLY" in project.ok("sql")
    project.ok("up")
    with connect(project.url) as conn:
        assert conn.execute("SELECT indisvalid, indisunique FROM pg_index "
                            "WHERE indexrelid = 'users_email_idx'::regclass").fetchone() == (True, True)


KILLER = '''
import os, signal

def kill_me(conn):
    if os.environ.get("PYMIG_TEST_KILL"):
        os.kill(os.getpid(), signal.SIGKILL)
'''


def test_interrupted_migration_resumes(project):
    project.ok("up")
    _migration(project, "segments",
               'add_column("users", "bio", "text")',
               'create_index("users", ["bio"])',
               'run_python(kill_me, down=kill_me)',
               'add_column("users", "age", "integer")')
    path = project.migrations / "002_segments.py"
    path.write_text(path.read_text().replace("from pymig import *\n", "from pymig import *\n" + KILLER))
    res = project.run("up", env=clean_env(PYMIG_TEST_KILL="1"))
    assert res.returncode == -9
    with connect(project.url) as conn:
        progress = conn.execute("SELECT progress FROM pymig_migrations WHERE version = 2").fetchone()[0]
        # the column is committed; the index build ran outside a transaction and is recorded with
        # the next commit, so the rerun may build it again (IF NOT EXISTS makes that a no-op)
        assert progress["op"] in (2, 3)
    status = json.loads(project.ok("status", "--json"))
    assert [s["state"] for s in status] == ["applied", "partial"]
    out = project.ok("up")
    assert "resuming" in out
    with connect(project.url) as conn:
        cols = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'users'")}
        assert {"bio", "age"} <= cols
        assert conn.execute("SELECT progress FROM pymig_migrations WHERE version = 2").fetchone()[0] is None
    assert [r[:3] for r in log(project.url)] == [(1, "base", "up"), (2, "segments", "up")]
    project.ok("down")  # the stored inverse covers the operations of both runs
    with connect(project.url) as conn:
        cols = {r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'users'")}
        assert cols == {"id", "email", "nickname"}


def test_failure_in_later_segment_undoes_committed_segments(project):
    project.ok("up")
    _migration(project, "fails_late",
               'add_column("users", "bio", "text")',
               'create_index("users", ["bio"])',
               'add_check("posts", "posts_score_positive", "score >= 0")',
               'run_sql("SELECT 1 / 0")')
    res = project.run("up")
    assert res.returncode != 0
    assert "division by zero" in res.stderr and "undone" in res.stderr, res.stderr
    with connect(project.url) as conn:
        assert not conn.execute("SELECT 1 FROM information_schema.columns WHERE column_name = 'bio'").fetchall()
        assert not conn.execute("SELECT 1 FROM pg_class WHERE relname = 'users_bio_idx'").fetchall()
        assert not conn.execute("SELECT 1 FROM pg_constraint WHERE conname = 'posts_score_positive'").fetchall()
        assert conn.execute("SELECT version FROM pymig_migrations").fetchall() == [(1,)]


def test_check_reports_rules_and_fails_on_errors(project):
    project.write("002_risky.py", '''
        """Risky."""
        from pymig import *

        operations = [
            add_column("users", "prefs", "json"),
            add_column("users", "must", "integer", nullable=False),
            rename_column("users", "nickname", "handle"),
            run_sql("UPDATE users SET prefs = '{}'"),
            alter_column("posts", "score", type="text"),
        ]
    ''')
    res = project.run("check", "--json", url=None)
    assert res.returncode == 1
    codes = {(f["code"], f["severity"], f["operation"].split(" (")[0]) for f in json.loads(res.stdout)}
    assert codes == {("PM402", "warning", "operation 1"), ("PM202", "error", "operation 2"),
                     ("PM301", "warning", "operation 3"), ("PM101", "warning", "operation 4"),
                     ("PM201", "warning", "operation 5")}
    (project.migrations / "002_risky.py").unlink()
    assert project.run("check", url=None).returncode == 0


def test_sql_warns_about_table_rewrites(project):
    """rewrite=True: the plain ALTER TYPE, warned about; by default the change expands (test_expand.py)."""
    project.ok("up")
    _migration(project, "retype", 'alter_column("posts", "score", type="bigint", rewrite=True)')
    assert re.search(r"-- WARNING: .*rewrites the table", project.ok("sql"))
    (project.migrations / "002_retype.py").unlink()
    _migration(project, "retype", 'alter_column("posts", "score", type="bigint")')
    sql = project.ok("sql")
    assert "-- WARNING" not in sql and "-- phase expand:" in sql


def test_backfill_under_steady_inserts_stops_at_the_rows_it_started_with(project):
    """Like one UPDATE, the batches cover the rows that exist when the backfill starts; under a
    steady insert load they would otherwise chase the newest rows until inserts paused."""
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO posts (score) SELECT g FROM generate_series(1, 2000) g")
    _migration(project, "backfill", 'backfill("posts", {"user_id": "0"}, batch_size=100)')
    stop = threading.Event()

    def insert():
        with connect(project.url) as writer:
            while not stop.is_set():
                writer.execute("INSERT INTO posts (score) VALUES (1)")

    inserter = threading.Thread(target=insert)
    inserter.start()
    try:
        res = project.run("up", timeout=60)
    finally:
        stop.set()
        inserter.join()
    assert res.returncode == 0, res.stderr
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM posts WHERE id <= 2000 AND user_id IS DISTINCT FROM 0").fetchone()[0] == 0


@pytest.mark.parametrize("op", ['backfill("posts", {"user_id": "0"})',
                                'add_column("posts", "token", "uuid", default=sql("gen_random_uuid()"))'])
def test_backfill_batches_look_their_rows_up_by_key(project, op):
    """A batch that scanned the table (a hash join over it, or a sort of it when the planner guesses
    that few rows are NULL in a column without statistics) would read all of it for every batch
    and hold its row locks meanwhile."""
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO posts (score) SELECT g FROM generate_series(1, 200000) g")
        conn.execute("ANALYZE posts")
    _migration(project, "backfill", op)
    batches = 0
    with connect(project.url) as conn:
        for statement in statements(project.ok("sql")):
            if statement.startswith("UPDATE"):
                plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + statement))
                assert "Seq Scan" not in plan, plan
                batches += 1
            conn.execute(statement)
    assert batches == 1


def test_checks_do_not_scan_while_the_transaction_locks_a_table_in_use(project):
    """SET NOT NULL holds ACCESS EXCLUSIVE until its transaction ends: the next operation's
    duplicate scan must start in a new transaction, or writers wait for the whole scan."""
    project.ok("up")
    _migration(project, "two", 'alter_column("users", "email", nullable=False)', 'add_unique("users", ["email"])')
    lines = project.ok("sql").splitlines()
    set_not_null = next(i for i, line in enumerate(lines) if "SET NOT NULL" in line)
    unique_check = next(i for i, line in enumerate(lines) if line.startswith("-- preflight for add_unique"))
    assert "COMMIT;" in lines[set_not_null:unique_check], lines
    project.ok("up")
    project.ok("down")


def test_checks_after_a_drop_stay_in_its_transaction(project):
    """A drop is not committed ahead of a later check: if that check refused, undoing a committed
    drop could not bring its data back."""
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO users (email, nickname) VALUES ('a', 'n'), ('a', 'm')")
    _migration(project, "drop_then_refused", 'drop_column("users", "nickname", allow_data_loss=True)',
               'add_unique("users", ["email"])')
    res = project.run("up")
    assert res.returncode == 1 and "refused by 1 preflight check" in res.stderr, res.stderr
    with connect(project.url) as conn:
        assert conn.execute("SELECT nickname FROM users ORDER BY id").fetchall() == [("n",), ("m",)]
