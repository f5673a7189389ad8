"""The stored form of inverse plans outlives the checkout that wrote it: operations by kind with a
format version, run_python functions by migration version and name, found in the migrations
directory at run time. Rows written by pymig 0.1 still read."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from helpers import Project, catalog, connect, user_tables
from pymig import add_column, alter_column, create_index, run_python
from pymig.loader import FunctionFinder
from pymig.ops import decode, encode
from pymig.ops.base import FORMAT, encode_plan

MIGRATIONS = {
    "001_t.py": """
        from pymig import column, create_table
        operations = [create_table("t", column("id", "integer", primary_key=True), column("note", "text"))]
    """,
    "002_fill.py": """
        from pymig import run_python

        def fill(conn):
            conn.execute("INSERT INTO t (id, note) VALUES (1, 'up')")

        def unfill(conn):
            conn.execute("DELETE FROM t WHERE note = 'up'")
            conn.execute("INSERT INTO t (id, note) VALUES (2, 'down from {where}')")

        operations = [run_python(fill, unfill)]
    """,
}


def write(project: Project, where: str) -> None:
    for name, source in MIGRATIONS.items():
        project.write(name, source.replace("{where}", where))


def notes(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT note FROM t ORDER BY id").fetchall()


def stored_plan(path, version: int) -> dict:
    with sqlite3.connect(path) as conn:
        (text,) = conn.execute("SELECT inverse FROM pymig_migrations WHERE version = ?", (version,)).fetchone()
    return json.loads(text)


def test_down_after_the_checkout_moved_on_postgres(tmp_path, db_url):
    old, new = tmp_path / "release-1", tmp_path / "release-2"
    old.mkdir()
    write(Project(old, db_url), "release-1")
    Project(old, db_url).ok("up")
    with connect(db_url) as conn:
        (plan,) = conn.execute("SELECT inverse::text FROM pymig_migrations WHERE version = 2").fetchone()
    assert str(tmp_path) not in plan
    shutil.move(old, new)
    Project(new, db_url).ok("down")  # failed: "lived in .../release-1/..., which is gone"
    with connect(db_url) as conn:
        assert conn.execute("SELECT note FROM t ORDER BY id").fetchall() == [("down from release-1",)]


def test_down_after_the_checkout_moved(tmp_path):
    old = tmp_path / "release-1"
    old.mkdir()
    write(Project(old, "sqlite:///db.sqlite"), "release-1")
    Project(old, "sqlite:///db.sqlite").ok("up")
    plan = stored_plan(old / "db.sqlite", 2)
    assert plan["format"] == FORMAT
    assert plan["operations"] == [{"$op": "run_python", "up": {"$callable": {"migration": 2, "name": "unfill"}},
                                   "down": {"$callable": {"migration": 2, "name": "fill"}}}]
    assert str(tmp_path) not in json.dumps(plan)  # nothing about where the checkout was

    new = tmp_path / "release-2"
    shutil.move(old, new)
    Project(new, "sqlite:///db.sqlite").ok("down")  # failed: "lived in .../release-1/..., which is gone"
    assert notes(new / "db.sqlite") == [("down from release-1",)]


def test_down_runs_the_code_of_the_checkout_it_runs_in(tmp_path):
    old, new = tmp_path / "release-1", tmp_path / "release-2"
    old.mkdir()
    write(Project(old, "sqlite:///../db.sqlite"), "release-1")
    Project(old, "sqlite:///../db.sqlite").ok("up")
    new.mkdir()
    write(Project(new, "sqlite:///../db.sqlite"), "release-2")
    Project(new, "sqlite:///../db.sqlite").ok("down")  # ran release-1's function while it still existed
    assert notes(tmp_path / "db.sqlite") == [("down from release-2",)]


def test_rows_written_by_0_1_still_read(tmp_path):
    project = Project(tmp_path, "sqlite:///db.sqlite")
    write(project, "here")
    project.ok("up")
    old_form = {"operations": [{"$": "RunPython",
                                "up": {"$callable": ["/srv/app/releases/41/migrations/002_fill.py", "unfill"]},
                                "down": {"$callable": ["/srv/app/releases/41/migrations/002_fill.py", "fill"]}}]}
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        conn.execute("UPDATE pymig_migrations SET inverse = ? WHERE version = 2", (json.dumps(old_form),))
    project.ok("down")
    assert notes(tmp_path / "db.sqlite") == [("down from here",)]


def test_operations_are_stored_by_kind():
    ops = [add_column("t", "x", "integer"), create_index("t", ["x"]), alter_column("t", "x", nullable=False)]
    stored = json.loads(json.dumps(encode_plan(ops)))
    assert [o["$op"] for o in stored["operations"]] == ["add_column", "create_index", "alter_column"]
    assert list(decode(stored["operations"])) == ops


def test_functions_from_other_modules_are_stored_by_module(tmp_path):
    op = run_python(json.dumps)
    stored = json.loads(json.dumps(encode(op)))
    assert stored["up"] == {"$callable": {"module": "json", "name": "dumps"}}
    assert decode(stored, FunctionFinder(tmp_path)) == op


FIXTURE_0_1 = Path(__file__).parent / "fixtures" / "stored_0_1"


def user_catalog(url: str) -> list[tuple]:
    return [row for row in catalog(url) if not row[1].startswith("pymig_")]


def test_plans_stored_by_0_1_run_down_today(tmp_path, db_url):
    """tests/fixtures/stored_0_1: three migrations and the inverse plans pymig 0.1 stored for them,
    as its code (before stored format 2) wrote them on PostgreSQL: classes by name, catalog
    definitions, run_python functions by the absolute path of a release directory that is gone.
    Today's pymig runs those plans: each down restores the catalog as it was before its migration."""
    project = Project(tmp_path, db_url)
    for path in sorted(FIXTURE_0_1.glob("*.py")):
        project.write(path.name, path.read_text())
    catalogs = [user_catalog(db_url)]
    for version in (1, 2, 3):
        project.ok("up", "--to", str(version))
        if version == 1:
            with connect(db_url) as conn:
                conn.execute("INSERT INTO users (email, name, age) VALUES ('a@x', 'a', '41'), ('b@x', 'b', 'n/a')")
        if "expanded" in project.ok("status"):
            project.ok("complete")  # 0.1 changed types and renamed in place: the state its plans start from
        catalogs.append(user_catalog(db_url))
    with connect(db_url) as conn:
        for row in json.loads((FIXTURE_0_1 / "inverses.json").read_text()):
            conn.execute("UPDATE pymig_migrations SET inverse = %s WHERE version = %s",
                         (json.dumps(row["inverse"]), row["version"]))
    for version in (3, 2, 1):
        project.ok("down", "--allow-data-loss")
        assert user_catalog(db_url) == catalogs[version - 1], f"down of migration {version}"
    assert user_tables(db_url) == set()
