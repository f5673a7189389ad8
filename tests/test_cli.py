"""The installed `pymig` command against a real database: up, status, down, sql, new, configuration."""

from __future__ import annotations

import json

import pytest

from helpers import (Project, catalog, clean_env, connect, history, log, run_psql, snapshot, statements,
                     versions)

USERS = '''
    """Users."""
    from pymig import column, create_table, sql

    operations = [
        create_table(
            "users",
            column("id", "serial", primary_key=True),
            column("email", "varchar(100)", nullable=False, unique=True),
            column("name", "text"),
            column("created_at", "timestamptz", default=sql("CURRENT_TIMESTAMP")),
        ),
    ]
'''

POSTS = '''
    """Posts, with a foreign key and indexes."""
    from pymig import column, create_index, create_table

    operations = [
        create_table(
            "posts",
            column("id", "bigserial", primary_key=True),
            column("user_id", "integer", nullable=False, references="users", on_delete="cascade"),
            column("title", "text", nullable=False, default="untitled"),
            column("score", "integer", default=0, check="score >= 0"),
        ),
        create_index("posts", ["user_id", "title DESC"]),
        create_index("users", ["lower(email)"], unique=True, name="users_email_lower_idx"),
    ]
'''

PROFILE = '''
    """Nicknames, wider names, a renamed column."""
    from pymig import add_check, add_column, alter_column, backfill, rename_column

    operations = [
        add_column("users", "nickname", "varchar(40)"),
        backfill("users", set={"nickname": "left(name, 40)"}),
        alter_column("users", "name", type="varchar(200)", rewrite=True),  # in place (no expand/contract)
        add_check("users", "users_nickname_not_empty", "length(nickname) > 0"),
        rename_column("posts", "title", "headline", compatible=False),  # plain (no expand/contract)
    ]
'''


@pytest.fixture
def project(tmp_path, db_url):
    return Project(tmp_path, db_url)


@pytest.fixture
def other_db_url(pymig_server_url):
    """A second fresh database on the same server."""
    from pymig.testing import fresh_database

    with fresh_database(pymig_server_url) as url:
        yield url


def write_example(project: Project) -> None:
    project.write("001_users.py", USERS)
    project.write("002_posts.py", POSTS)
    project.write("003_profile.py", PROFILE)


def status_json(project: Project, **kwargs) -> list[dict]:
    return json.loads(project.ok("status", "--json", **kwargs))


def test_up_down_round_trips_through_every_target(project):
    write_example(project)
    empty = catalog(project.url)

    out = project.ok("up", "--to", "1")
    assert "001_users.py" in out and "002_posts.py" not in out
    assert versions(project.url) == [1]
    at_1 = catalog(project.url)
    project.ok("up", "--to", "2")
    at_2 = catalog(project.url)
    out = project.ok("up")
    assert "003_profile.py" in out and "001_users.py" not in out
    at_3 = catalog(project.url)
    assert len({tuple(at_1), tuple(at_2), tuple(at_3)}) == 3
    assert ("column", "posts.headline", "text NOT NULL DEFAULT 'untitled'::text") in at_3
    assert "nothing to apply" in project.ok("up")

    out = project.ok("down")  # one step by default
    assert "003_profile.py" in out and "002_posts.py" not in out
    assert versions(project.url) == [1, 2]
    assert catalog(project.url) == at_2
    project.ok("up")
    project.ok("down", "--steps", "2")
    assert versions(project.url) == [1]
    assert catalog(project.url) == at_1
    project.ok("up")
    project.ok("down", "--to", "2")
    assert catalog(project.url) == at_2
    project.ok("down", "--to", "0")
    assert versions(project.url) == []
    non_history = [row for row in catalog(project.url) if "pymig_" not in row[1]]
    assert non_history == [row for row in empty if "pymig_" not in row[1]] == []
    assert "nothing to undo" in project.ok("down")
    project.ok("up")
    assert catalog(project.url) == at_3

    assert [(v, d) for v, _, d, _ in log(project.url)] == [
        (1, "up"), (2, "up"), (3, "up"), (3, "down"), (3, "up"), (3, "down"), (2, "down"), (2, "up"),
        (3, "up"), (3, "down"), (2, "down"), (1, "down"), (1, "up"), (2, "up"), (3, "up")]


def test_status_lists_every_state(project):
    write_example(project)
    rows = status_json(project)
    assert [(r["version"], r["name"], r["state"], r["applied_at"]) for r in rows] == [
        (1, "users", "pending", None), (2, "posts", "pending", None), (3, "profile", "pending", None)]

    project.ok("up")
    rows = status_json(project)
    assert [r["state"] for r in rows] == ["applied"] * 3
    assert all(isinstance(r["version"], int) for r in rows)
    assert all(r["applied_at"] and r["applied_at"][:4].isdigit() and "T" in r["applied_at"] for r in rows)

    posts = project.migrations / "002_posts.py"
    posts.write_text(posts.read_text() + "\nEDITED = True\n")  # a comment alone would not count as a change
    (project.migrations / "003_profile.py").unlink()
    project.write("004_later.py", '"""Later."""\noperations = []\n')
    rows = status_json(project)
    assert [(r["version"], r["name"], r["state"]) for r in rows] == [
        (1, "users", "applied"), (2, "posts", "modified"), (3, "profile", "missing"), (4, "later", "pending")]
    assert rows[2]["applied_at"] and rows[3]["applied_at"] is None

    text = project.ok("status")
    lines = {line.split()[0]: line.split()[1] for line in text.splitlines() if line.startswith(("migrations/", "3 "))}
    assert lines["migrations/001_users.py"] == "applied"
    assert lines["migrations/002_posts.py"] == "modified"
    assert lines["migrations/004_later.py"] == "pending"
    assert "missing" in text and "profile" in text


def test_sql_prints_exactly_what_up_and_down_run(project, other_db_url):
    """Running the printed script with psql on one database gives the same catalog and history as
    `pymig up` on another; printing it changes nothing. The reading form is the same statements
    with the history writes said in comments."""
    write_example(project)
    before = snapshot(project.url)
    script = project.ok("sql", "--script")
    assert snapshot(project.url) == before
    reading = project.ok("sql")
    assert statements(reading).count("BEGIN") == statements(reading).count("COMMIT") >= 3
    assert reading.index("001_users.py") < reading.index("002_posts.py") < reading.index("003_profile.py")
    assert all(s in script for s in statements(reading))  # the script adds checks, loops and history
    assert "pymig_migrations (" in script and "pymig_migrations (" not in reading

    assert run_psql(other_db_url, script).returncode == 0
    project.ok("up")
    assert catalog(other_db_url) == catalog(project.url)
    assert history(other_db_url) == history(project.url)
    assert log(other_db_url) == log(project.url)

    before = snapshot(project.url)
    script = project.ok("sql", "--down", "--steps", "2", "--script")
    assert snapshot(project.url) == before
    reading = project.ok("sql", "--down", "--steps", "2")
    assert statements(reading).count("BEGIN") == statements(reading).count("COMMIT") >= 2
    assert script.index("003_profile.py") < script.index("002_posts.py")
    assert run_psql(other_db_url, script).returncode == 0
    project.ok("down", "--steps", "2")
    assert versions(project.url) == [1]
    assert catalog(other_db_url) == catalog(project.url)
    assert history(other_db_url) == history(project.url)
    assert log(other_db_url) == log(project.url)

    assert project.ok("sql", "--to", "1").strip() == "-- nothing to do"
    script = project.ok("sql", "--to", "2")
    assert "002_posts.py" in script and "003_profile.py" not in script


def test_sql_offline_needs_no_database(project, other_db_url):
    write_example(project)
    bogus = "postgresql://nobody@nonexistent.invalid:1/nowhere"
    project.ok("up", "--to", "1")

    offline = project.ok("sql", "--offline", "--from", "1", url=bogus)
    assert statements(offline) == statements(project.ok("sql"))  # what the database at version 1 gets
    offline_to_2 = project.ok("sql", "--offline", "--from", "1", "--to", "2", url=None)
    assert "002_posts.py" in offline_to_2 and "003_profile.py" not in offline_to_2

    project.ok("up")
    offline_down = project.ok("sql", "--offline", "--down", "--from", "3", "--to", "1", url=bogus)
    assert statements(offline_down) == statements(project.ok("sql", "--down", "--to", "1"))

    # from zero, the offline script builds a fresh database exactly like `pymig up`
    assert run_psql(other_db_url, project.ok("sql", "--offline", "--from", "0", "--script", url=bogus)).returncode == 0
    assert catalog(other_db_url) == catalog(project.url)
    assert history(other_db_url) == history(project.url)


def test_run_python_shows_as_a_comment_and_runs_both_ways(project):
    project.write("001_users.py", USERS)
    project.write("002_seed.py", '''
        """Seed an admin."""
        from pymig import run_python

        def add_admin(conn):
            conn.execute("INSERT INTO users (email, name) VALUES ('admin@example.com', 'Admin')")

        def remove_admin(conn):
            conn.execute("DELETE FROM users WHERE email = 'admin@example.com'")

        operations = [run_python(add_admin, remove_admin)]
    ''')
    project.ok("up", "--to", "1")
    script = project.ok("sql")
    assert [line for line in script.splitlines() if "add_admin" in line][0].startswith("--")
    assert "INSERT INTO users (email" not in script

    def admins():
        with connect(project.url) as conn:
            return conn.execute("SELECT count(*) FROM users WHERE name = 'Admin'").fetchone()[0]

    assert admins() == 0
    project.ok("up")
    assert admins() == 1
    assert "remove_admin" in project.ok("sql", "--down")
    project.ok("down")
    assert admins() == 0 and versions(project.url) == [1]


def test_new_writes_the_next_module_which_applies_as_empty(project):
    assert project.ok("new", "first step", url=None).strip() == "created migrations/001_first_step.py"
    write_example(project)
    (project.migrations / "001_first_step.py").unlink()
    out = project.ok("new", "add comments", url=None)
    path = project.migrations / "004_add_comments.py"
    assert out.strip() == "created migrations/004_add_comments.py" and path.is_file()
    assert "Add comments" in path.read_text()

    rows = status_json(project)
    assert rows[-1]["version"] == 4 and rows[-1]["state"] == "pending"
    project.ok("up", "--to", "3")
    before = catalog(project.url)
    assert "004_add_comments.py" in project.ok("up")
    assert catalog(project.url) == before
    assert history(project.url)[-1][:2] == (4, "add_comments")
    assert json.loads(history(project.url)[-1][4]) == {"format": 2, "operations": []}
    project.ok("down")
    assert versions(project.url) == [1, 2, 3]

    wide = project.root / "wide"
    project.write("0009_start.py", '"""Start."""\noperations = []\n', directory=wide)
    out = project.ok("new", "Next: thing!", "--dir", "wide", url=None)
    assert out.strip() == "created wide/0010_next_thing.py"
    assert (wide / "0010_next_thing.py").is_file()


def write_named(project: Project, directory: str, name: str) -> None:
    project.write(f"001_{name}.py", f'"""{name}"""\noperations = []\n', directory=project.root / directory)


def error_text(res) -> str:
    return res.stderr + res.stdout


def test_database_url_precedence(project, pymig_server_url):
    from pymig.testing import database_url

    def missing(name):  # a URL whose error message says which one was used
        return database_url(pymig_server_url, f"pymig_absent_{name}")

    write_named(project, "migrations", "default")
    pyproject = project.root / "pyproject.toml"
    pyproject.write_text(f'[tool.pymig]\ndatabase_url = "{missing("pyproject")}"\n')

    both_missing = clean_env(DATABASE_URL=missing("env"))
    assert project.ok("status", env=both_missing)  # --database-url (given by Project) wins
    res = project.run("status", url=missing("flag"), env=clean_env(DATABASE_URL=project.url))
    assert res.returncode != 0 and "pymig_absent_flag" in error_text(res)
    res = project.run("status", url=None, env=both_missing)
    assert res.returncode != 0 and "pymig_absent_env" in error_text(res)
    res = project.run("status", url=None)
    assert res.returncode != 0 and "pymig_absent_pyproject" in error_text(res)

    assert project.ok("status", url=None, env=clean_env(DATABASE_URL=project.url))
    pyproject.write_text(f'[tool.pymig]\ndatabase_url = "{project.url}"\n')
    assert "001_default.py" in project.ok("up", url=None)
    assert versions(project.url) == [1]

    pyproject.unlink()  # no URL anywhere: the embedded SQLite database, announced when created
    res = project.run("status", url=None)
    assert res.returncode == 0 and "using the SQLite database pymig.db" in res.stderr, res.stderr
    assert (project.root / "pymig.db").is_file()


def test_migrations_directory_precedence(project):
    for directory in ("migrations", "from_pyproject", "from_flag"):
        write_named(project, directory, directory)
    pyproject = project.root / "pyproject.toml"

    def names(*args):
        return [r["name"] for r in json.loads(project.ok("status", "--json", *args))]

    assert names() == ["migrations"]
    pyproject.write_text('[tool.pymig]\nmigrations = "from_pyproject"\n')
    assert names() == ["from_pyproject"]
    assert names("--dir", "from_flag") == ["from_flag"]
    assert project.ok("--dir", "from_flag", "status").count("from_flag/001_from_flag.py") == 1


def test_sql_after_run_sql_prints_what_up_runs(project, other_db_url):
    project.write("001_users.py", USERS)
    project.write("002_raw.py", '''
        """A table made in plain SQL, then changed with operations."""
        from pymig import add_column, drop_column, run_sql

        operations = [
            run_sql("CREATE TABLE tags (id int PRIMARY KEY)", down="DROP TABLE tags"),
            add_column("tags", "label", "text"),
            drop_column("users", "name", allow_data_loss=True),
        ]
    ''')
    script = project.run("sql", "--script")
    assert script.returncode == 0, script.stderr
    assert run_psql(other_db_url, script.stdout).returncode == 0
    project.ok("up")
    assert catalog(other_db_url) == catalog(project.url)
    assert history(other_db_url) == history(project.url)
