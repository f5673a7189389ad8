"""`pymig sql --script`: a psql script a DBA runs by hand that does what `pymig up` does, safely.

The script is run with the real psql on one database, `pymig up` on another with the same rows;
schema, data and history must come out the same. The backfill needs three batches (25,000 rows):
the script loops over all of them. Its preflight checks refuse on their own, with the count."""

from __future__ import annotations

import shutil

import pytest

from helpers import Project, catalog, connect, history, log, run_psql, snapshot

pytestmark = pytest.mark.skipif(shutil.which("psql") is None, reason="needs the psql client")

ROWS = 25_000

USERS = '''
    """Users."""
    from pymig import column, create_table

    operations = [create_table("users", column("id", "serial", primary_key=True),
                               column("email", "text", nullable=False), column("name", "text"))]
'''

STATUS = '''
    """A status for every user, an index on it, the names dropped."""
    from pymig import add_column, alter_column, backfill, create_index, drop_column

    operations = [
        add_column("users", "status", "text"),
        backfill("users", set={"status": "CASE WHEN id % 2 = 0 THEN 'active' ELSE 'idle' END"}),
        alter_column("users", "status", nullable=False),
        create_index("users", ["status"]),
        drop_column("users", "name", allow_data_loss=True),
    ]
'''


@pytest.fixture
def other_db_url(pymig_server_url):
    from pymig.testing import fresh_database

    with fresh_database(pymig_server_url) as url:
        yield url


@pytest.fixture
def projects(tmp_path, db_url, other_db_url):
    """The same migrations for two databases with the same 25,000 users: by_script, by_up."""
    by_script, by_up = Project(tmp_path, db_url), Project(tmp_path, other_db_url)
    by_script.write("001_users.py", USERS)
    for p in (by_script, by_up):
        p.ok("up")
        with connect(p.url) as conn:
            conn.execute(f"INSERT INTO users (email, name) SELECT 'u' || g || '@example.com', 'n' || g "
                         f"FROM generate_series(1, {ROWS}) g")
    by_script.write("002_status.py", STATUS)
    return by_script, by_up


def data(url: str) -> list[tuple]:
    with connect(url) as conn:
        return conn.execute("SELECT * FROM users ORDER BY id").fetchall()


def test_script_run_by_psql_does_what_up_does(projects):
    by_script, by_up = projects
    script = by_script.ok("sql", "--script")
    assert script.count("COMMIT;\n") >= 4 and "DO $pymig$" in script
    ran = run_psql(by_script.url, script)
    assert ran.returncode == 0, ran.stderr
    by_up.ok("up")

    assert catalog(by_script.url) == catalog(by_up.url)
    assert data(by_script.url) == data(by_up.url)
    assert len(data(by_script.url)) == ROWS and all(row[2] in ("active", "idle") for row in data(by_script.url))
    assert history(by_script.url) == history(by_up.url)
    assert [r[:3] for r in log(by_script.url)] == [r[:3] for r in log(by_up.url)]
    with connect(by_script.url) as conn:
        assert conn.execute("SELECT count(*) FROM pymig_migrations WHERE progress IS NOT NULL").fetchone() == (0,)

    # pymig carries on from what the script wrote: nothing to apply, and down works
    assert "nothing to apply" in by_script.ok("up")
    by_script.ok("down", "--allow-data-loss")
    by_up.ok("down", "--allow-data-loss")
    assert catalog(by_script.url) == catalog(by_up.url)


def test_down_script_run_by_psql_does_what_down_does(projects):
    by_script, by_up = projects
    for p in (by_script, by_up):
        p.ok("up")
    refused = by_script.run("sql", "--script", "--down")
    assert refused.returncode == 1 and "the down script would delete data; nothing was changed" in refused.stderr
    assert "--allow-data-loss" in refused.stderr and not refused.stdout
    ran = run_psql(by_script.url, by_script.ok("sql", "--script", "--down", "--allow-data-loss"))
    assert ran.returncode == 0, ran.stderr
    by_up.ok("down", "--allow-data-loss")
    assert catalog(by_script.url) == catalog(by_up.url)
    assert history(by_script.url) == history(by_up.url)
    assert [r[:3] for r in log(by_script.url)] == [r[:3] for r in log(by_up.url)]


def test_a_check_in_the_script_refuses_with_the_count_and_changes_nothing(projects):
    by_script, _ = projects
    by_script.write("002_status.py", '''
        """A NOT NULL column without a default, on a table with rows."""
        from pymig import add_column

        operations = [add_column("users", "tenant", "integer", nullable=False)]
    ''')
    before = snapshot(by_script.url)
    ran = run_psql(by_script.url, by_script.ok("sql", "--script"))
    assert ran.returncode != 0
    assert ('ERROR:  migrations/002_status.py: add_column users.tenant: refused by a preflight check: column '
            f'"users.tenant" is NOT NULL without a default, but table "users" has {ROWS} rows, which would get '
            'NULL; nothing was changed') in ran.stderr
    assert "HINT:  give the column a default" in ran.stderr
    assert snapshot(by_script.url) == before


def test_the_reading_form_says_history_and_dependency_checks_in_one_line(projects):
    by_script, _ = projects
    text = by_script.ok("sql")
    assert "pymig_migrations (" not in text and "INSERT INTO" not in text
    assert text.count("-- (history: pymig records how far the migration got, in the same transaction)") >= 3
    assert text.count("-- (history: pymig records the migration in pymig_migrations and pymig_log)") == 1
    assert "pg_depend d" not in text
    assert ('-- preflight for drop_column users.name: refuse if column "users.name" is used by other objects, '
            "and pymig never drops dependents implicitly (no CASCADE) (pymig reads pg_depend; "
            "`pymig sql --script` has the query)") in text
    assert "RETURNING" not in text
    assert len(text) < len(by_script.ok("sql", "--script")) / 2


def test_a_script_cannot_run_python(projects):
    by_script, _ = projects
    by_script.write("002_status.py", '''
        """Python code."""
        from pymig import run_python

        def fill(conn):
            conn.execute("UPDATE users SET name = upper(name)")

        operations = [run_python(fill)]
    ''')
    res = by_script.run("sql", "--script")
    assert res.returncode != 0
    assert "migrations/002_status.py: operation 1 (run_python fill)" in res.stderr
    assert "a psql script cannot run" in res.stderr and "Traceback" not in res.stderr
