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
    project.ok("down")
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
