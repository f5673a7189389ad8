"""`pymig mark` / `pymig unmark` through the installed command: record migrations as applied
without running them (refused when the database plainly lacks what they create), forget them
without running their inverse; both logged in pymig_log."""

from __future__ import annotations

import sqlite3

from adopt_support import execute
from helpers import Project, assert_clean_error, connect, history, log

CREATE = 'from pymig import column, create_table\n\noperations = [create_table("t", column("id", "serial", primary_key=True))]\n'
ADD = 'from pymig import add_column\n\noperations = [add_column("t", "note", "text")]\n'


def project(tmp_path, url):
    p = Project(tmp_path, url)
    p.write("001_create_t.py", CREATE)
    p.write("002_add_note.py", ADD)
    return p


def test_mark_records_without_running_and_down_reverts(db_url, tmp_path):
    p = project(tmp_path, db_url)
    execute(db_url, "CREATE TABLE t (id serial PRIMARY KEY)")
    assert "marked migrations/001_create_t.py as applied (not run)" in p.ok("mark", "1")
    assert [r[0] for r in history(db_url)] == [1]
    assert [r[2] for r in log(db_url)] == ["mark"]
    res = p.run("mark", "2")
    assert_clean_error(res, "migrations/002_add_note.py: add_column t.note: column t.note does not exist in the "
                            "database", "nothing was recorded", "--force")
    assert [r[0] for r in history(db_url)] == [1]
    assert "applied migrations/002_add_note.py" in p.ok("up")  # only the rest runs
    p.ok("down", "--to", "0")  # the marked migration's inverse, derived from its file, drops t
    with connect(db_url) as conn:
        assert conn.execute("SELECT to_regclass('t')").fetchone()[0] is None


def test_mark_a_migration_of_another_schema(db_url, tmp_path):
    """What a migration creates in another schema is looked for there."""
    p = Project(tmp_path, db_url)
    p.write("001_billing.py", 'from pymig import add_column, column, create_schema, create_table\n\noperations = [\n'
            '    create_schema("billing"),\n    create_table("billing.accounts", column("id", "serial", primary_key=True)),\n'
            '    add_column("billing.accounts", "note", "text"),\n]\n')
    execute(db_url, "CREATE SCHEMA billing; CREATE TABLE billing.accounts (id serial PRIMARY KEY)")
    assert_clean_error(p.run("mark", "1"), "add_column billing.accounts.note: column billing.accounts.note does not "
                       "exist in the database", "nothing was recorded")
    execute(db_url, "ALTER TABLE billing.accounts ADD COLUMN note text")
    assert "marked migrations/001_billing.py as applied (not run)" in p.ok("mark", "1")
    p.ok("down", "--to", "0")
    with connect(db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('billing')").fetchone()[0] is None


def test_mark_force_and_unmark(db_url, tmp_path):
    p = project(tmp_path, db_url)
    execute(db_url, "CREATE TABLE t (id serial PRIMARY KEY)")
    p.ok("mark", "1", "2", "1", "--force")  # a version given twice is recorded once
    assert [r[0] for r in history(db_url)] == [1, 2]
    out = p.ok("unmark", "2", "2")
    assert "unmarked migration 2 (add_note): forgotten, its inverse not run" in out
    assert [r[0] for r in history(db_url)] == [1]
    assert [r[2] for r in log(db_url)] == ["mark", "mark", "unmark"]
    with connect(db_url) as conn:  # nothing ran: t is there as it was
        assert conn.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'").fetchone()[0] == 1


def test_bad_marks_are_refused(db_url, tmp_path):
    p = project(tmp_path, db_url)
    res = p.run("mark", "7")
    assert_clean_error(res, "no migration file has version 7")
    res = p.run("mark", "1")
    assert_clean_error(res, "table t does not exist in the database", "nothing was recorded")
    p.ok("up")
    assert_clean_error(p.run("mark", "1", "--force"), "migrations/001_create_t.py is already recorded as applied")
    assert_clean_error(p.run("unmark", "5"), "migration 5 is not recorded as applied", "nothing was changed")
    assert [r[2] for r in log(db_url)] == ["up", "up"]


def test_mark_on_sqlite(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)")
    p = project(tmp_path, f"sqlite:///{path}")
    p.ok("mark", "1")
    assert "1 migration applied" in p.ok("up")
    p.ok("unmark", "2")
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT direction FROM pymig_log ORDER BY id")] == ["mark", "up", "unmark"]
