"""The default schema and the history schema, through the installed `pymig`: `[tool.pymig]
schema` / `--schema` put unqualified names and the history tables in that schema (search_path),
`history_schema` moves the history; misspelt or malformed settings are one line."""

from __future__ import annotations

import psycopg
import pytest

from helpers import Project, assert_clean_error

USERS = '''
"""Users."""
from pymig import column, create_index, create_table

operations = [
    create_table("users", column("id", "serial", primary_key=True), column("email", "text")),
    create_index("users", ["email"]),
]
'''


def tables(url: str) -> set[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return set(conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall())


@pytest.fixture
def project(tmp_path, db_url):
    p = Project(tmp_path, db_url)
    p.write("001_users.py", USERS)
    return p


def test_schema_setting_puts_tables_and_history_there(project, db_url):
    (project.root / "pyproject.toml").write_text('[tool.pymig]\nschema = "app"\n')
    res = project.run("up")
    assert res.returncode == 0, res.stderr
    assert 'created schema "app" for pymig\'s history tables' in res.stdout + res.stderr
    assert tables(db_url) == {("app", "users"), ("app", "pymig_migrations"), ("app", "pymig_log")}
    assert "applied" in project.ok("status")
    # --schema wins over the setting: another schema has its own history, nothing applied there
    assert "pending" in project.ok("status", "--schema", "other")
    # the default schema written out is the same table as the unqualified name
    project.write("002_name.py", '''
        from pymig import add_column, rename_column
        operations = [add_column("app.users", "name", "text"),
                      rename_column("users", "name", "full_name", compatible=False)]
    ''')
    project.ok("up")
    assert 'ALTER TABLE "users" RENAME COLUMN "full_name" TO "name"' in project.ok("sql", "--down")
    project.ok("down", "--to", "0")
    assert tables(db_url) == {("app", "pymig_migrations"), ("app", "pymig_log")}


def test_history_schema_and_missing_default_schema(project, db_url):
    (project.root / "pyproject.toml").write_text('[tool.pymig]\nschema = "app"\nhistory_schema = "pymig"\n')
    assert_clean_error(project.run("up"), 'the default schema "app"', "does not exist", "CREATE SCHEMA")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA app")
    project.ok("up")
    assert tables(db_url) == {("app", "users"), ("pymig", "pymig_migrations"), ("pymig", "pymig_log")}
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT version FROM pymig.pymig_migrations").fetchall() == [(1,)]
    out = project.ok("sql", "--down")
    assert 'DROP TABLE "users"' in out


def test_settings_are_checked(tmp_path):
    p = Project(tmp_path, None)
    toml = tmp_path / "pyproject.toml"
    toml.write_text('[tool.pymig]\nhistory_schma = "x"\n')
    assert_clean_error(p.run("status", url=None), "unknown key 'history_schma'", "did you mean 'history_schema'")
    toml.write_text('[tool.pymig]\nschema = "schema.sql"\n')
    assert_clean_error(p.run("status", url=None), "schema_file = 'schema.sql'")
    toml.write_text('[tool.pymig]\nschema = "a.b"\n')
    assert_clean_error(p.run("status", url=None), "schema = 'a.b'", "cannot hold a dot")
    toml.write_text("")
    assert_clean_error(p.run("status", "--schema", "a.b", url=None), "--schema a.b", "cannot hold a dot")
    assert_clean_error(p.run("status", "--schema", "app", url="sqlite:///x.db"), "SQLite has no schemas")


EVENTS = '''
"""Billing and analytics, each in its schema."""
from pymig import column, comment_on, create_index, create_schema, create_table, sql

operations = [
    create_schema("billing"),
    create_schema("analytics"),
    create_table("billing.accounts", column("id", "serial", primary_key=True), column("email", "text")),
    create_table("analytics.events", column("id", "bigserial", primary_key=True),
                 column("account_id", "integer", references="billing.accounts(id)"),
                 column("at", "timestamptz", nullable=False, default=sql("now()"))),
    create_index("analytics.events", ["at"]),
    comment_on("analytics.events.at", "when it happened"),
]
'''
RENAMES = '''
"""Renames inside their schemas."""
from pymig import rename_index, rename_table

operations = [
    rename_index("analytics.events_at_idx", "events_by_time"),
    rename_table("billing.accounts", "customers", compatible=False),
]
'''


def test_qualified_names_through_the_cli(tmp_path, db_url):
    p = Project(tmp_path, db_url)
    p.write("001_events.py", EVENTS)
    p.write("002_renames.py", RENAMES)
    (p.root / "pyproject.toml").write_text('[tool.pymig]\nschema = "app"\n')
    shown = p.ok("sql")
    assert 'CREATE TABLE "analytics"."events" (' in shown
    assert 'REFERENCES "billing"."accounts" ("id")' in shown
    assert 'CREATE INDEX "events_at_idx" ON "analytics"."events" ("at")' in shown
    assert 'COMMENT ON COLUMN "analytics"."events"."at" IS' in shown
    p.ok("up")
    assert tables(db_url) == {("app", "pymig_migrations"), ("app", "pymig_log"), ("analytics", "events"),
                              ("billing", "customers")}
    down = p.ok("sql", "--down")
    assert 'ALTER TABLE "billing"."customers" RENAME TO "accounts"' in down
    assert 'ALTER INDEX "analytics"."events_by_time" RENAME TO "events_at_idx"' in down
    p.ok("down", "--to", "0")
    assert tables(db_url) == {("app", "pymig_migrations"), ("app", "pymig_log")}
    p.ok("up")
    assert "0 errors" in p.ok("check")
    p.write("003_more.py", '''
        from pymig import add_column, drop_column
        operations = [add_column("billing.customers", "plan", "text"), drop_column("billing.nothere", "x")]
    ''')
    found = p.run("check")  # the pending migration against the live catalog, its schemas read too
    assert 'PM003 error: table "billing.nothere" does not exist' in found.stdout
    assert "003_more.py: operation 1" not in found.stdout and "1 error" in found.stdout


def test_names_that_cannot_be_qualified_are_refused_at_load(tmp_path, db_url):
    p = Project(tmp_path, db_url)
    path = p.write("001_bad.py", '''
        from pymig import add_column
        operations = [add_column("users", "billing.email", "text")]
    ''')
    assert_clean_error(p.run("up"), "migrations/001_bad.py:2", "column name 'billing.email' has a dot")
    path.write_text('from pymig import column, create_table\n'
                    'operations = [create_table("a.b.c", column("id", "integer"))]\n')
    assert_clean_error(p.run("sql"), "migrations/001_bad.py:2", "table name 'a.b.c' is not")
    path.write_text('from pymig import column, create_table\n'
                    'operations = [create_table("nowhere.t", column("id", "integer"))]\n')
    assert_clean_error(p.run("up"), "migrations/001_bad.py: operation 1 (create_table nowhere.t)",
                       'schema "nowhere" does not exist')
    assert tables(db_url) == {("public", "pymig_migrations"), ("public", "pymig_log")}
    assert_clean_error(p.run("up", url=f"sqlite:///{tmp_path / 'x.db'}"),
                       "migrations/001_bad.py: operation 1 (create_table nowhere.t)",
                       '"nowhere.t" is schema-qualified, and SQLite has no schemas')


def test_sql_script_creates_the_schema_and_sets_search_path(project, db_url):
    """A psql script run by hand does what pymig's connection does: the history schema, then
    search_path, so the tables land where `pymig up` would put them."""
    from helpers import run_psql

    (project.root / "pyproject.toml").write_text('[tool.pymig]\nschema = "app"\n')
    script = project.ok("sql", "--script")
    assert 'CREATE SCHEMA IF NOT EXISTS "app";\nSET search_path TO "app", public;' in script
    res = run_psql(db_url, script)
    assert res.returncode == 0, res.stderr
    assert tables(db_url) == {("app", "users"), ("app", "pymig_migrations"), ("app", "pymig_log")}
    assert "applied" in project.ok("status")


def test_the_runner_lock_is_per_history_schema(db_url):
    """Two runs of two schemas of one database do not wait for each other; two of one schema do."""
    from pymig.dialects import for_url
    from pymig.errors import LockError

    a1, a2, b = (for_url(db_url, s, s).connect(db_url) for s in ("tenant_a", "tenant_a", "tenant_b"))
    try:
        a1.acquire_lock(1)
        b.acquire_lock(0.2)  # another history schema: its own lock
        with pytest.raises(LockError):
            a2.acquire_lock(0.2)
        a1.release_lock()
        a2.acquire_lock(1)
    finally:
        for db in (a1, a2, b):
            db.close()


def test_the_current_schema_written_out_without_the_setting(project, db_url):
    """No schema setting: the connection's current schema (public) is the default one, so
    "public.users" is the table users; pymig asks the server only when a name is qualified."""
    project.ok("up")
    project.write("002_public.py", '''
        from pymig import add_column, drop_column
        operations = [add_column("public.users", "nick", "text"), drop_column("users", "nick")]
    ''')
    project.ok("up")
    assert 'ALTER TABLE "users" ADD COLUMN "nick" text' in project.ok("sql", "--down")
