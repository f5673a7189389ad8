"""Every failure a user can cause, through the real `pymig` command: one clear message naming the
file, non-zero exit, a traceback only with --debug, and the database exactly as it was."""

from __future__ import annotations

import json
import re

import pytest

from helpers import Project, assert_clean_error, clean_env, catalog, connect, run_all, snapshot, versions

USERS = '''
    """Users."""
    from pymig import column, create_table

    operations = [
        create_table(
            "users",
            column("id", "serial", primary_key=True),
            column("email", "text", nullable=False),
            column("name", "text"),
        ),
    ]
'''

GOOD = '''
    """A good migration that must not run when a later file is broken."""
    from pymig import add_column

    operations = [add_column("users", "bio", "text")]
'''


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_users.py", USERS)
    project.ok("up")
    with connect(db_url) as conn:
        conn.execute("INSERT INTO users (email, name) VALUES ('a@example.com', 'Ann'), ('b@example.com', 'Ann')")
    return project


def assert_fails_cleanly(project: Project, command: tuple[str, ...], *needles: str, logged: bool = False) -> str:
    """`command` fails cleanly, and with --debug shows a traceback; nothing in the database changes
    (`logged`: except pymig_log, which records the undoing of steps that had committed)."""
    before = snapshot(project.url)
    plain, debug = run_all(project, command, (*command, "--debug"))
    message = assert_clean_error(plain, *needles)
    assert_clean_error(debug, *needles, debug=True)
    after = snapshot(project.url)
    assert after[:2] == before[:2]
    if not logged:
        assert after[2] == before[2]
    return message


BROKEN_FILES = {
    "syntax error": ("003_broken.py", '''
        from pymig import add_column
        operations = [add_column("users", "x", "text"]
    ''', ["migrations/003_broken.py:2", "syntax"]),
    "raises on import": ("003_broken.py", '''
        from pymig import add_column
        SETTINGS = {}
        operations = [add_column("users", SETTINGS["column"], "text")]
    ''', ["migrations/003_broken.py:3", "KeyError", "column"]),
    "no operations": ("003_broken.py", '''
        """Forgot the list."""
        from pymig import add_column
        ops = [add_column("users", "x", "text")]
    ''', ["migrations/003_broken.py", "operations"]),
    "unknown keyword": ("003_broken.py", '''
        from pymig import add_column
        operations = [add_column("users", "x", "text", nulable=True)]
    ''', ["migrations/003_broken.py", "nulable"]),
    "malformed type": ("003_broken.py", '''
        from pymig import add_column
        operations = [add_column("users", "x", "varchar(")]
    ''', ["migrations/003_broken.py", "varchar("]),
    "malformed expression": ("003_broken.py", '''
        from pymig import add_column, sql
        operations = [add_column("users", "x", "timestamptz", default=sql("now("))]
    ''', ["migrations/003_broken.py", "now(", "users"]),
    "operations of the wrong kind": ("003_broken.py", '''
        operations = ["ALTER TABLE users ADD COLUMN x text"]
    ''', ["migrations/003_broken.py", "ALTER TABLE users"]),
}


@pytest.mark.parametrize("case", BROKEN_FILES)
def test_broken_file_is_refused_before_anything_runs(project, case):
    filename, source, needles = BROKEN_FILES[case]
    project.write("002_good.py", GOOD)
    project.write(filename, source)
    assert_fails_cleanly(project, ("up",), *needles)
    assert versions(project.url) == [1]  # 002 is fine, but nothing runs while 003 is broken
    assert_clean_error(project.run("sql"), *needles)


def test_duplicate_versions(project):
    project.write("002_good.py", GOOD)
    project.write("002_other.py", '"""Other."""\noperations = []\n')
    message = assert_fails_cleanly(project, ("up",), "migrations/002_good.py", "migrations/002_other.py")
    assert "duplicate" in message and "2" in message
    assert_clean_error(project.run("status"), "migrations/002_other.py")


def test_database_rejects_an_operation_midway(project):
    """The first operation succeeded inside the transaction; the second fails: both are gone."""
    project.write("002_good.py", GOOD)
    project.write("003_rejected.py", '''
        """Rejected by the server."""
        from pymig import add_column, add_unique, create_table, column

        operations = [
            create_table("audit", column("id", "serial", primary_key=True)),
            add_column("users", "nickname", "text"),
            add_unique("users", ["name"]),
        ]
    ''')
    project.ok("up", "--to", "2")
    message = assert_fails_cleanly(project, ("up",), "migrations/003_rejected.py", "users", "name")
    assert "operation 3" in message or "preflight" in message
    assert versions(project.url) == [1, 2]
    assert not any(row[1].startswith("audit") or row[1] == "users.nickname" for row in catalog(project.url))

    project.write("003_rejected.py", '''
        """Rejected by the server in plain SQL."""
        from pymig import add_column, run_sql

        operations = [
            add_column("users", "nickname", "text"),
            run_sql("ALTER TABLE users ADD CONSTRAINT users_nope CHECK (no_such_column > 0)"),
        ]
    ''')
    message = assert_fails_cleanly(project, ("up",), "migrations/003_rejected.py", "operation 2",
                                   "run_sql", "no_such_column")
    assert "does not exist" in message
    assert not any(row[1] == "users.nickname" for row in catalog(project.url))

    # a concurrent index build runs outside the first operation's transaction: that one is undone
    project.write("003_rejected.py", '''
        """Rejected after a committed step."""
        from pymig import add_column, create_index

        operations = [
            add_column("users", "nickname", "text"),
            create_index("users", ["nickname"], method="gin"),
        ]
    ''')
    message = assert_fails_cleanly(project, ("up",), "migrations/003_rejected.py", "operation 2",
                                   "create_index", "gin", logged=True)
    assert "undone" in message
    assert not any(row[1] == "users.nickname" for row in catalog(project.url))


def test_operation_on_a_missing_object(project):
    project.write("002_typo.py", '''
        from pymig import add_column, drop_column
        operations = [add_column("users", "bio", "text"), drop_column("user", "name")]
    ''')
    assert_fails_cleanly(project, ("up",), "migrations/002_typo.py", "operation 2", '"user"')


def test_edited_applied_migration(project):
    path = project.write("002_good.py", GOOD)
    project.ok("up")
    project.write("003_next.py", '"""Next."""\noperations = []\n')
    path.write_text(path.read_text().replace('"bio"', '"biography"'))

    assert_fails_cleanly(project, ("up",), "migrations/002_good.py", "changed")
    assert versions(project.url) == [1, 2]
    states = {r["version"]: r["state"] for r in json.loads(project.ok("status", "--json"))}
    assert states == {1: "applied", 2: "modified", 3: "pending"}

    # `down` undoes what was applied (the stored inverse), not what the file says now
    project.ok("down")
    assert not any(r[1] == "users.bio" for r in catalog(project.url))
    project.ok("up")
    assert any(r[1] == "users.biography" for r in catalog(project.url))


def test_deleted_applied_migration_rolls_back_from_history(project):
    """A branch switch: the applied 002 is gone from disk, another branch has its own 002."""
    at_1 = catalog(project.url)
    path = project.write("002_avatar.py", '''
        """Avatars."""
        from pymig import add_column, create_index, drop_column

        operations = [
            add_column("users", "avatar_url", "varchar(500)", default="none"),
            create_index("users", ["avatar_url"], where="avatar_url IS NOT NULL"),
            drop_column("users", "name", allow_data_loss=True),
        ]
    ''')
    project.ok("up")
    path.unlink()
    project.write("003_other_branch.py", '"""Other branch."""\noperations = []\n')
    rows = json.loads(project.ok("status", "--json"))
    assert [(r["version"], r["name"], r["state"]) for r in rows] == [
        (1, "users", "applied"), (2, "avatar", "missing"), (3, "other_branch", "pending")]
    assert "missing" in project.ok("status")

    out = project.ok("down", "--allow-data-loss")
    assert "avatar" in out
    assert catalog(project.url) == at_1  # name is back with its exact definition; index gone
    assert versions(project.url) == [1]
    assert [r["state"] for r in json.loads(project.ok("status", "--json"))] == ["applied", "pending"]


IRREVERSIBLE = {
    "run_sql without down": ('''
        """Raw SQL."""
        from pymig import run_sql
        operations = [run_sql("UPDATE users SET name = upper(name)")]
    ''', ["run_sql", "down"]),
    "backfill of an existing column": ('''
        """Lower-case emails."""
        from pymig import backfill
        operations = [backfill("users", set={"email": "lower(email)"})]
    ''', ["backfill", "email", "reverse"]),
}


@pytest.mark.parametrize("case", IRREVERSIBLE)
def test_down_refuses_to_cross_an_irreversible_migration(project, case):
    source, needles = IRREVERSIBLE[case]
    project.write("002_irreversible.py", source)
    project.write("003_bio.py", GOOD)
    project.write("004_more.py", '''
        from pymig import add_column, backfill
        operations = [add_column("users", "score", "integer"), backfill("users", set={"score": "1"})]
    ''')
    project.ok("up")
    for command in (("down", "--steps", "3"), ("down", "--to", "0"), ("sql", "--down", "--to", "1")):
        message = assert_fails_cleanly(project, command, "irreversible", "operation 1", *needles)
        assert versions(project.url) == [1, 2, 3, 4]
    project.ok("down", "--steps", "2", "--allow-data-loss")  # up to the irreversible one is fine
    assert versions(project.url) == [1, 2]
    assert not any(r[1] in ("users.bio", "users.score") for r in catalog(project.url))
    assert "irreversible" in message


def test_backfill_of_a_column_added_alongside_is_reversible(project):
    at_1 = catalog(project.url)
    project.write("002_slug.py", '''
        from pymig import add_column, backfill
        operations = [add_column("users", "slug", "text"), backfill("users", set={"slug": "lower(name)"})]
    ''')
    project.ok("up")
    with connect(project.url) as conn:
        assert conn.execute("SELECT DISTINCT slug FROM users").fetchall() == [("ann",)]
    project.ok("down", "--allow-data-loss")
    assert catalog(project.url) == at_1


@pytest.mark.parametrize("command", [("up",), ("down",), ("status",), ("sql",)])
def test_unreachable_database(project, command):
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    plain = project.run(*command, url=url)
    assert_clean_error(plain, "connect")
    assert_clean_error(project.run(*command, "--debug", url=url), "connect", debug=True)


SECRET = "s3cretpw"


def test_password_never_appears_in_output(project, tmp_path):
    from pymig.testing import database_url

    url = project.url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")
    assert SECRET in url
    project.url = url
    project.write("002_good.py", GOOD)
    project.write("003_fails.py", '''
        from pymig import run_sql
        operations = [run_sql("SELECT 1/0")]
    ''')
    absent = database_url(url, "pymig_absent_db")
    closed_port = re.sub(r"@([^/@]+):\d+/", r"@\1:1/", url)
    unknown_host = f"postgresql://postgres:{SECRET}@nonexistent.invalid/x"
    assert SECRET in absent and SECRET in closed_port and closed_port != url
    expected = [
        (("status",), {}, 0), (("status", "--json"), {}, 0), (("sql",), {}, 0),
        (("up", "--to", "2"), {}, 0), (("sql", "--down"), {}, 0),
        (("up",), {}, 1), (("up", "--debug"), {}, 1), (("down", "--to", "7", "--debug"), {}, 1),
        (("--debug", "down"), {}, 0),
        (("up", "--debug"), {"url": absent}, 2), (("up", "--debug"), {"url": closed_port}, 2),
        (("status", "--debug"), {"url": unknown_host}, 2),
        (("sql", "--debug", "--offline", "--from", "0"), {"url": unknown_host}, 0),
        (("status", "--debug"), {"url": None, "env": clean_env(DATABASE_URL=url)}, 0),
    ]
    results = [project.run(*args, **kwargs) for args, kwargs, _ in expected]
    (tmp_path / "pyproject.toml").write_text(f'[tool.pymig]\ndatabase_url = "{absent}"\n')
    results.append(project.run("up", "--debug", url=None))
    codes = [rc for _, _, rc in expected] + [2]
    assert [r.returncode != 0 for r in results] == [rc != 0 for rc in codes], [r.stderr for r in results]
    for res in results:
        assert SECRET not in res.stdout and SECRET not in res.stderr, (res.args, res.stdout, res.stderr)
    assert "Traceback" in results[6].stderr and "division by zero" in results[6].stderr
