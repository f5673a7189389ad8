"""`pymig check` with a database: the migrations not applied yet are linted against the live catalog.

A table that exists in the database but was never created by a migration (made by hand, or before
pymig) gets the same findings as one a migration created, and what `pymig up` would refuse (a
missing table or column, a type the database does not know, a foreign key to a missing column) is
reported before it runs, naming the object. Each case failed before (check ignored such tables and
found none of these). Run through the installed `pymig`."""

from __future__ import annotations

import json

import pytest

from helpers import Project, assert_clean_error, connect

EXISTING = """
CREATE TABLE accounts (id serial PRIMARY KEY, balance integer NOT NULL, owner text);
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
INSERT INTO users (email) VALUES ('ada@example.com');
"""


@pytest.fixture
def project(tmp_path, db_url):
    with connect(db_url) as conn:
        conn.execute(EXISTING)
    return Project(tmp_path, db_url)


def migration(project: Project, *operations: str) -> None:
    project.write("001_change.py", '"""The change."""\nfrom pymig import *  # noqa: F403\n\noperations = [\n'
                  + "".join(f"    {op},\n" for op in operations) + "]\n")


def findings(project: Project, *extra: str) -> list[tuple]:
    res = project.run("check", "--json", *extra)
    assert res.returncode in (0, 1), res.stderr
    return [(f["code"], f["operation"].split(" (")[0], f["message"]) for f in json.loads(res.stdout)]


def test_a_table_made_outside_pymig_gets_the_same_findings(project):
    migration(project, 'alter_column("accounts", "balance", type="bigint")',
              'add_column("accounts", "tier", "integer", nullable=False)',
              'rename_column("accounts", "owner", "holder")')
    found = findings(project)
    assert [(code, where) for code, where, _ in found] == [
        ("PM201", "operation 1"), ("PM202", "operation 2"), ("PM304", "operation 3")]
    # the later operations on accounts make the type change the plain ALTER TYPE (ops.columns.blocked_type_changes)
    fix = json.loads(project.run("check", "--json").stdout)[0]["fix"]
    assert "operation 2 of this migration changes the table too" in fix, fix
    offline = [(code, where) for code, where, _ in findings(project, "--offline")]
    assert offline == [("PM202", "operation 2"), ("PM304", "operation 3")], "offline, accounts' types are unknown"


def test_missing_tables_columns_and_types_are_reported_before_up(project):
    migration(project,
              'add_column("users", "nickname", "strng")',
              'add_column("profiles", "bio", "text")',
              'alter_column("users", "age", nullable=False)',
              'add_foreign_key("accounts", ["id"], "users", ["uid"])',
              'create_table("users", column("id", "serial", primary_key=True))')
    found = findings(project)
    assert found == [
        ("PM004", "operation 1", 'type "strng" does not exist in the database'),
        ("PM003", "operation 2", 'table "profiles" does not exist in the database'),
        ("PM003", "operation 3", 'column "age" does not exist on table "users" in the database'),
        ("PM003", "operation 4", 'foreign key "accounts_id_fkey" references column "uid", which does not exist '
                                 'on table "users" in the database'),
        ("PM003", "operation 5", 'table "users" already exists in the database'),
    ]
    res = project.run("check")
    assert res.returncode == 1 and "pymig_parent" not in res.stdout
    assert "5 findings, 5 errors" in res.stdout


def test_applied_migrations_are_not_checked_against_the_database(project):
    """Migration 1 ran: its create_table is no error because the table it made exists now."""
    project.write("001_tags.py", '"""Tags."""\nfrom pymig import *  # noqa: F403\n\n'
                  'operations = [create_table("tags", column("id", "serial", primary_key=True))]\n')
    project.ok("up")
    project.write("002_more.py", '"""More."""\nfrom pymig import *  # noqa: F403\n\n'
                  'operations = [add_column("tags", "label", "text"), add_column("tagz", "x", "text")]\n')
    assert findings(project) == [("PM003", "operation 2", 'table "tagz" does not exist in the database')]
    assert findings(project)[0][1] == "operation 2"


def test_after_run_sql_nothing_is_called_missing(project):
    migration(project, 'run_sql("CREATE TABLE audit (id int)", down="DROP TABLE audit")',
              'add_column("audit", "note", "text")')
    assert findings(project) == []


def test_up_names_a_foreign_key_to_a_missing_column_without_internal_aliases(project):
    migration(project, 'add_foreign_key("accounts", ["id"], "users", ["uid"])')
    message = assert_clean_error(project.run("up"), "migrations/001_change.py: operation 1 (add_foreign_key",
                                 'references column "uid", which does not exist on table "users"')
    assert "pymig_parent" not in message
