"""The inverses pymig derives from a database it did not build restore exactly what was there.

Each case is a table written by hand SQL (as in a production database pymig adopts), then one
operation; `pymig verify` must see down restore the catalog text before up (pg_get_*def, as the
snapshot reads it) and up again rebuild it. These are the four cases of issue 13, reproduced on
PostgreSQL: each failed before its fix."""

from __future__ import annotations

import textwrap

import pytest

from pymig.verify import verify_database

SCHEMA = {
    "covering_index": (
        "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, name text);"
        "CREATE INDEX users_email_covering_idx ON users (email) INCLUDE (name);",
        'drop_column("users", "name", allow_data_loss=True)',
    ),
    "check_in_list": (
        "CREATE TABLE posts (id serial PRIMARY KEY, status varchar(20) NOT NULL,"
        " CONSTRAINT posts_status_check CHECK (status IN ('draft', 'published', 'archived')));"
        "CREATE INDEX posts_live_idx ON posts (id) WHERE status IN ('draft', 'published');",
        'drop_constraint("posts", "posts_status_check"), drop_index("posts_live_idx")',
    ),
    "generated_column": (
        "CREATE TABLE items (id serial PRIMARY KEY, price numeric(10,2) NOT NULL, qty integer NOT NULL,"
        " total numeric GENERATED ALWAYS AS (price * qty) STORED);",
        'drop_table("items", allow_data_loss=True)',
    ),
    "type_and_default": (
        "CREATE TABLE people (id serial PRIMARY KEY, age text DEFAULT 'unknown');"
        "INSERT INTO people (age) VALUES ('41'), ('7');",
        'alter_column("people", "age", type="integer", using="age::integer", default=0)',
    ),
}


def write(tmp_path, schema_sql: str, operations: str):
    (tmp_path / "001_existing.py").write_text(textwrap.dedent(f'''\
        """The schema as it was before pymig."""
        from pymig import run_sql
        operations = [run_sql({schema_sql!r}, down="DROP SCHEMA public CASCADE; CREATE SCHEMA public")]
        '''))
    (tmp_path / "002_change.py").write_text(textwrap.dedent(f'''\
        """The change under test."""
        from pymig import *  # noqa: F403
        operations = [{operations}]
        '''))


@pytest.mark.parametrize("case", sorted(SCHEMA))
def test_down_restores_the_catalog_text(case, db_url, tmp_path):
    write(tmp_path, *SCHEMA[case])
    lines = []
    outcomes = verify_database(db_url, tmp_path, from_=2, echo=lines.append)
    assert [o.ok for o in outcomes] == [True], lines
