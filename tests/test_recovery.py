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
    rename_column("t", "lang", "language", compatible=False),  # the plain rename: these tests are about backfill recovery
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


def running(url: str, fragment: str) -> int | None:
    """The pid of another session whose current statement contains `fragment`."""
    with connect(url) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE strpos(query, %s) > 0 "
                           "AND pid <> pg_backend_pid()", (fragment,)).fetchone()
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
    assert_clean_error(project.run("down"), "drop_column t.code")  # values of the partial backfill
    out = project.ok("down", "--allow-data-loss")
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
    assert "2 migrations reverted" in project.ok("down", "--steps", "2", "--allow-data-loss")


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
        sleeper = wait_until(lambda: running(project.url, "pg_sleep(4)"), what="the first run inside its migration")
        if how == "terminate_lock_holder":
            with connect(project.url) as conn:
                holder = conn.execute(  # this database's runner lock only: others run on the same server
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()[0]
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


def test_a_refused_down_changes_nothing(project):
    """The issue's case: the inverse plan drops an index concurrently (it commits), then adds back a
    NOT NULL column without default, which the table's rows refuse: no step may run before that check."""
    with connect(project.url) as conn:
        conn.execute("ALTER TABLE t ADD COLUMN b integer NOT NULL DEFAULT 0")
        conn.execute("ALTER TABLE t ALTER COLUMN b DROP DEFAULT")
    project.write("002_drop.py", '''
        """Drop b, index lang."""
        from pymig import *

        operations = [drop_column("t", "b", allow_data_loss=True), create_index("t", ["lang"])]
    ''')
    project.ok("up")
    before = snapshot(project.url)
    message = assert_clean_error(project.run("down"), "refused by 1 preflight check; nothing was changed",
                                 "add_column")
    assert "t_lang_idx" in {row[1] for row in before[0]}
    assert snapshot(project.url) == before, message
    with connect(project.url) as conn:
        conn.execute("DELETE FROM t")
    project.ok("down")
    assert states(project) == ["applied", "pending"]


LOSSY = {
    "002_chapters.py": '''
        """Chapters, and a column on t."""
        from pymig import *

        operations = [
            create_table("chapters", column("id", "serial", primary_key=True), column("title", "text")),
            add_column("t", "score", "integer"),
        ]
    ''',
    "003_role.py": '''
        """A column carried into another and back (the example project's 007)."""
        from pymig import *

        operations = [
            add_column("t", "code", "text"),
            backfill("t", {"code": "upper(lang)"}, reverse={"lang": "lower(code)"}),
            drop_column("t", "lang", allow_data_loss=True),
        ]
    ''',
}


def test_down_refuses_to_delete_data_without_the_flag(project):
    for name, source in LOSSY.items():
        project.write(name, source)
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO chapters (title) SELECT 'c' FROM generate_series(1, 7)")
        conn.execute("UPDATE t SET score = 1 WHERE id <= 5")
    before = snapshot(project.url)
    message = assert_clean_error(project.run("down", "--to", "0"), "would delete data; nothing was changed",
                                 "--allow-data-loss")
    lines = message.splitlines()
    # every loss of the whole plan, with its count; 003's code column is carried back into lang first
    assert "  migrations/002_chapters.py: drop_column t.score: 5 non-NULL values" in lines
    assert "  migrations/002_chapters.py: drop_table chapters: 7 rows" in lines
    assert f"  migrations/001_base.py: drop_table t: {ROWS} rows" in lines
    assert not any("code" in line for line in lines), message
    assert snapshot(project.url) == before
    assert "reverted migrations/003_role.py" in project.ok("down")  # 003 alone loses nothing
    assert_clean_error(project.run("down"), "drop_table chapters: 7 rows")
    (project.root / "pyproject.toml").write_text('[tool.pymig]\nallow_data_loss = true\n')
    assert "2 migrations reverted" in project.ok("down", "--to", "0")
    assert states(project) == ["pending", "pending", "pending"]


def test_down_with_the_flag_deletes(project):
    for name, source in LOSSY.items():
        project.write(name, source)
    project.ok("up")
    project.ok("down", "--to", "0", "--allow-data-loss")
    assert states(project) == ["pending", "pending", "pending"]


def test_an_index_the_server_finished_after_the_client_died_is_adopted(project):
    """kill -9 inside CREATE INDEX CONCURRENTLY of a migration's first segment: the server finishes
    the build, no progress row exists, and the rerun starts afresh (shown here by building it so)."""
    project.write("002_index.py", '''
        """Index lang."""
        from pymig import *

        operations = [create_index("t", ["lang"]), add_column("t", "x", "integer")]
    ''')
    with connect(project.url) as conn:
        conn.execute('CREATE INDEX CONCURRENTLY "t_lang_idx" ON t (lang)')
    project.ok("up")
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 't_lang_idx'").fetchone()[0] == 1
    project.ok("down")
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 't_lang_idx'").fetchone()[0] == 0
    with connect(project.url) as conn:  # an index of that name with another definition is not adopted
        conn.execute('CREATE INDEX "t_lang_idx" ON t (id)')
    assert_clean_error(project.run("up"), "t_lang_idx", "already exists")


def test_a_drop_index_the_server_finished_after_the_client_died_is_taken_as_done(project, tmp_path):
    """kill -9 while DROP INDEX CONCURRENTLY waits for a reader, in the segment after a backfill
    whose last batch was recorded: the server drops the index once the reader ends, and no record
    says so. The rerun takes the drop as done instead of failing on the missing index."""
    project.write("002_pre.py", '''
        """An index to drop later."""
        from pymig import *

        operations = [create_index("t", ["id", "lang"], name="t_pre_idx")]
    ''')
    project.ok("up")
    project.write("003_drop.py", '''
        """Backfill, then drop the index."""
        from pymig import *

        operations = [backfill("t", {"lang": "upper(lang)"}, reverse={"lang": "lower(lang)"}, batch_size=1000),
                      drop_index("t_pre_idx")]
    ''')
    proc = project.start("up", output=tmp_path / "up.out")
    with connect(project.url) as reader:
        try:
            wait_until(lambda: (progress(project.url, 3) or {}).get("after") is not None, what="a committed batch")
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM t")  # holds a lock on t until it ends: the drop waits for it
            wait_until(lambda: running(project.url, "DROP INDEX CONCURRENTLY") is not None, what="the drop waiting")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        reader.execute("COMMIT")
    wait_until(lambda: running(project.url, "DROP INDEX CONCURRENTLY") is None, what="the server's drop to end")
    with connect(project.url) as conn:
        assert conn.execute("SELECT to_regclass('t_pre_idx')").fetchone()[0] is None
    assert states(project) == ["applied", "applied", "partial"]
    project.ok("up")
    assert states(project) == ["applied", "applied", "applied"]
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM t WHERE lang <> upper(lang)").fetchone()[0] == 0
    project.ok("down")  # the inverse builds the index again
    with connect(project.url) as conn:
        assert conn.execute("SELECT to_regclass('t_pre_idx')").fetchone()[0] is not None


def test_reformatting_a_migration_does_not_make_it_modified(project):
    project.write("002_convert.py", CONVERT)
    project.ok("up")
    path = project.migrations / "002_convert.py"
    path.write_text('''"""Another description."""
# a comment a formatter keeps
from pymig import *

operations = [
    backfill(
        't',
        {'lang': 'upper(lang)'},
        reverse={'lang': 'lower(lang)'},
        batch_size=100,
    ),  # quotes and layout changed
    rename_column('t', 'lang', 'language', compatible=False),
]
''')
    assert states(project) == ["applied", "applied"]
    assert "nothing to apply" in project.ok("up")
    path.write_text(path.read_text().replace("batch_size=100", "batch_size=200"))
    assert states(project) == ["applied", "modified"]
    assert "repaired" in project.ok("repair", "2")  # the stored inverse leads back from the edited file
    assert states(project) == ["applied", "applied"]


def test_repair_stores_the_inverse_of_an_edited_file(project):
    """The issue's way out of an irreversible migration: add reverse= to the file itself."""
    project.write("002_upper.py", '''
        """Upper-case."""
        from pymig import *

        operations = [backfill("t", {"lang": "upper(lang)"})]
    ''')
    project.ok("up")
    assert_clean_error(project.run("down"), "not reversible", "pymig repair 2")
    path = project.migrations / "002_upper.py"
    path.write_text(path.read_text().replace('{"lang": "upper(lang)"}', '{"lang": "upper(lang)"}, reverse={"lang": "lower(lang)"}'))
    assert states(project) == ["applied", "modified"]
    assert_clean_error(project.run("up"), "changed after it was applied", "pymig repair 2")
    assert "repaired migrations/002_upper.py" in project.ok("repair", "2")
    assert states(project) == ["applied", "applied"]
    entry = log(project.url)[-1]
    assert entry[:3] == (2, "upper", "repair") and "@" in entry[3]
    assert "nothing to repair" in project.ok("repair", "2")
    project.ok("down")
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM t WHERE lang <> lower(lang)").fetchone()[0] == 0


def test_repair_refuses_a_file_that_no_longer_describes_what_ran(project):
    project.write("002_x.py", '"""x."""\nfrom pymig import *\n\noperations = [add_column("t", "x", "integer")]\n')
    project.ok("up")
    before = snapshot(project.url)
    (project.migrations / "002_x.py").write_text(
        '"""x."""\nfrom pymig import *\n\noperations = [add_column("t", "y", "integer")]\n')
    assert_clean_error(project.run("repair", "2"), "002_x.py", "no longer describe", "nothing was changed")
    assert snapshot(project.url) == before
    assert_clean_error(project.run("repair", "3"), "no migration file with version 3")


PYTHON_AFTER_DDL = '''
"""Two columns, then a long function."""
from pymig import *


def split_names(conn):
    conn.execute("SELECT pg_sleep(3)")  # a long data change, visible in pg_stat_activity


operations = [
    add_column("t", "first", "text"),
    add_column("t", "last", "text"),
    run_python(split_names, down=split_names),
]
'''


def test_run_python_after_ddl_runs_once_the_ddl_committed(project, tmp_path):
    """The issue's case: reads of the table waited for the whole function under ACCESS EXCLUSIVE."""
    project.write("002_names.py", PYTHON_AFTER_DDL)
    proc = project.start("up", output=tmp_path / "up.out")
    try:
        wait_until(lambda: running(project.url, "pg_sleep(3)"), what="the function running")
        with connect(project.url) as conn:
            conn.execute("SET lock_timeout = '500ms'")
            assert conn.execute("SELECT lang FROM t WHERE id = 1").fetchone() is not None
            assert {"first", "last"} <= {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 't'")}
        assert proc.wait(timeout=60) == 0, (tmp_path / "up.out").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("ending", ["commit", "commit_then_raise", "rollback", "swallow"])
def test_run_python_is_held_to_its_transaction(project, ending):
    body = {
        "commit": "conn.commit()",
        "commit_then_raise": "conn.commit()\n    raise ValueError('after the commit')",
        "rollback": "conn.rollback()",
        "swallow": "try:\n        conn.execute('SELECT no_such_column FROM t')\n    except Exception:\n        pass",
    }[ending]
    project.write("002_rogue.py", f'''
"""A function that does what it should not."""
from pymig import *


def rogue(conn):
    {body}


operations = [create_table("side", column("id", "integer")), run_python(rogue, down=rogue)]
''')
    message = assert_clean_error(project.run("up"), "002_rogue.py", "run_python rogue")
    with connect(project.url) as conn:
        side = conn.execute("SELECT to_regclass('side') IS NOT NULL").fetchone()[0]
    if ending.startswith("commit"):
        assert "ended the migration's transaction itself" in message and "it committed" in message
        assert "nothing was changed" not in message and "rolled back" not in message and side
        if ending == "commit_then_raise":  # the case: reported as rolled back, the table left
            assert "then raised ValueError: after the commit" in message
    elif ending == "rollback":
        assert "ended the migration's transaction itself" in message and "nothing of it is committed" in message
        assert not side
    else:
        assert "a statement inside it failed" in message and "history record" not in message
        assert not side
    assert states(project) == ["applied", "pending"]


def test_check_warns_about_user_code_under_a_drop(project):
    project.write("002_drop.py", '''
        """Drop, then user SQL."""
        from pymig import *

        operations = [drop_column("t", "lang", allow_data_loss=True), run_sql("SELECT 1", down="SELECT 1")]
    ''')
    findings = json.loads(project.run("check", "--json").stdout)
    (finding,) = [f for f in findings if f["code"] == "PM303"]
    assert "the drop on t " in finding["message"] and "reads and writes of t wait" in finding["message"], finding


def test_an_edited_partial_migration_is_taken_back_then_applied(project, tmp_path):
    """`pymig repair` only re-records a migration that completed: for a partial one the hint names
    the command that helps."""
    project.write("002_convert.py", CONVERT)
    code, _ = stop_during_backfill(project, tmp_path, "up")
    assert code == -9 and states(project) == ["applied", "partial"]
    path = project.migrations / "002_convert.py"
    path.write_text(path.read_text().replace("batch_size=100", "batch_size=1000"))
    message = assert_clean_error(project.run("up"), "002_convert.py", "changed after it was applied",
                                 "`pymig down` takes back what it committed")
    assert "repair" not in message
    assert "aborted migrations/002_convert.py" in project.ok("down")
    assert "applied migrations/002_convert.py" in project.ok("up")
    with connect(project.url) as conn:
        assert conn.execute("SELECT count(*) FROM t WHERE language = upper(language)").fetchone()[0] == ROWS
