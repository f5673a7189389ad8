"""`pymig diff` and `pymig drift` through the installed command, on the example project and on
small projects: the schema-file and dev-database workflows, renames asked on a terminal, --check,
--dry-run, bad inputs, and drift for each kind of hand-made change."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from adopt_support import ruff_clean
from helpers import PYMIG, Project, assert_clean_error, clean_env, connect, run_script

ROOT = Path(__file__).resolve().parent.parent
BASE = '''
"""Users."""

from pymig import column, create_table

operations = [
    create_table(
        "users",
        column("id", "serial", primary_key=True),
        column("email", "varchar(100)", nullable=False),
        column("name", "text"),
    ),
]
'''
BASE_SQL = "CREATE TABLE users (id serial PRIMARY KEY, email varchar(100) NOT NULL, name text);\n"


@pytest.fixture
def project(tmp_path, db_url) -> Project:
    p = Project(tmp_path, db_url)
    p.write("001_users.py", BASE)
    return p


def _files(p: Project) -> list[str]:
    return sorted(f.name for f in p.migrations.iterdir())


# -- the example project -------------------------------------------------------------------------

def _example(tmp_path, db_url) -> Project:
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    shutil.copy(ROOT / "schema.sql", tmp_path / "schema.sql")
    (tmp_path / "pyproject.toml").write_text('[tool.pymig]\nschema_file = "schema.sql"\n')
    return Project(tmp_path, db_url)


def test_example_schema_sql_is_what_the_migrations_produce(tmp_path, db_url):
    p = _example(tmp_path, db_url)
    assert p.ok("diff", "--check").startswith("ok: the migrations produce the desired schema (schema.sql)")


EDITS = [  # (old, new) in the example's schema.sql
    ("CREATE TABLE users (", "CREATE TYPE chapter_status AS ENUM ('draft', 'published');\n\nCREATE TABLE users ("),
    ("    name varchar(255),\n", "    full_name varchar(255),\n    bio text,\n"),
    ("    avatar_url varchar(500),\n", ""),
    ("    position integer NOT NULL DEFAULT 0,", "    position bigint NOT NULL DEFAULT 0,\n"
                                               "    status chapter_status NOT NULL DEFAULT 'draft',"),
    ("    token varchar(255) NOT NULL UNIQUE,", "    token uuid NOT NULL UNIQUE,"),
    ("    title varchar(255) NOT NULL,", "    title varchar(255) NOT NULL CHECK (length(title) > 0),"),
]
ADDED = """
CREATE TABLE comments (
    id bigserial PRIMARY KEY,
    chapter_id integer NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
    user_id integer REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_chapter_id_created_at_idx ON comments (chapter_id, created_at DESC);
CREATE INDEX users_email_lower_idx ON users (lower(email));
CREATE INDEX chapters_published_idx ON chapters (position) WHERE status = 'published';
CREATE VIEW published_chapters AS SELECT id, slug, title FROM chapters WHERE status = 'published';
"""


def test_example_project_edited_schema_gives_a_migration_that_round_trips(tmp_path, db_url):
    """The issue's walk-through: edit a copy of the schema, `pymig diff`, then the new migration
    applies, reverts and round-trips under `pymig verify`, and `diff --check` passes."""
    p = _example(tmp_path, db_url)
    schema = (tmp_path / "schema.sql").read_text()
    for old, new in EDITS:
        assert old in schema
        schema = schema.replace(old, new, 1)
    (tmp_path / "schema.sql").write_text(schema + ADDED)
    res = p.run("diff", "add comments", "--rename", "users.name=users.full_name")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "wrote migrations/009_add_comments.py: 13 operations"
    assert "varying(255) -> uuid is not an implicit cast" in res.stderr
    written = (p.migrations / "009_add_comments.py").read_text()
    for line in ['    rename_column("users", "name", "full_name"),',
                 '    create_enum("chapter_status", ["draft", "published"]),', '    create_view(',
                 '    alter_column("sessions", "token", type="uuid", using="token::uuid"),',
                 '    drop_column("users", "avatar_url"),',
                 '    alter_column("chapters", "position", type="bigint"),']:
        assert line in written, written
    ruff_clean(p.migrations / "009_add_comments.py")  # with pymig's [tool.ruff]: line-length 120
    out = p.ok("verify")
    assert "ok    migrations/009_add_comments.py" in out
    assert p.ok("diff", "--check").startswith("ok:")
    p.ok("up")
    assert p.ok("diff").startswith("no changes")


MULTI_SCHEMA = """
CREATE SCHEMA billing;
CREATE TYPE billing.status AS ENUM ('open', 'paid');
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE billing.accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id int NOT NULL REFERENCES users (id), status billing.status NOT NULL DEFAULT 'open');
CREATE INDEX accounts_user_idx ON billing.accounts (user_id);
CREATE VIEW billing.open_accounts AS SELECT id, user_id FROM billing.accounts WHERE status = 'open';
"""
MULTI_SCHEMA_MORE = """
ALTER TABLE billing.accounts ADD COLUMN total numeric(12,2) NOT NULL DEFAULT 0;
CREATE INDEX accounts_status ON billing.accounts (status);
CREATE VIEW user_totals AS SELECT user_id, sum(total) FROM billing.accounts GROUP BY 1;
CREATE TABLE billing.invoices (id serial PRIMARY KEY, account_id bigint REFERENCES billing.accounts (id));
COMMENT ON TABLE billing.invoices IS 'Invoices';
"""


def test_every_schema_of_the_schema_file(tmp_path, db_url):
    """A schema file with objects in public and in billing: the first diff writes both (billing's
    names qualified), an edit of billing's objects gives a second migration of qualified
    operations, and the migrations produce the file exactly (`--check`, `verify`)."""
    (tmp_path / "pyproject.toml").write_text('[tool.pymig]\nschema_file = "schema.sql"\n')
    (tmp_path / "schema.sql").write_text(MULTI_SCHEMA)
    p = Project(tmp_path, db_url)
    assert p.ok("diff", "initial") == "wrote migrations/001_initial.py: 6 operations\n"
    first = (p.migrations / "001_initial.py").read_text()
    for call in ['create_schema("billing")', 'create_enum("billing.status", ["open", "paid"])',
                 '"billing.accounts",', 'references="users(id)"', 'create_index("billing.accounts", "user_id", name="accounts_user_idx")',
                 '"billing.open_accounts",']:
        assert call in first, first
    assert p.ok("diff", "--check").startswith("ok:")
    (tmp_path / "schema.sql").write_text(MULTI_SCHEMA.replace("CREATE INDEX accounts_user_idx ON billing.accounts (user_id);\n", "")
                                         + MULTI_SCHEMA_MORE)
    assert p.ok("diff", "more") == "wrote migrations/002_more.py: 6 operations\n"
    second = (p.migrations / "002_more.py").read_text()
    for call in ['drop_index("billing.accounts_user_idx")', 'add_column("billing.accounts", "total", "numeric(12,2)", '
                 'nullable=False, default=0)', 'create_index("billing.accounts", "status", name="accounts_status")',
                 'references="billing.accounts(id)"', 'comment_on("billing.invoices", "Invoices")']:
        assert call in second, second
    ruff_clean(p.migrations / "001_initial.py", p.migrations / "002_more.py")
    assert p.ok("diff", "--check").startswith("ok:")
    assert "2 migrations verified" in p.ok("verify")
    p.ok("up")
    assert p.ok("drift").startswith("no drift")


# -- renames ---------------------------------------------------------------------------------------

def test_possible_rename_without_a_terminal_is_drop_and_add_with_a_comment_and_a_warning(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL.replace("name text", "full_name text"))
    res = project.run("diff", "--schema-file", "schema.sql")
    assert res.returncode == 0, res.stderr
    assert ("warning: possible rename users.name -> users.full_name: written as a drop and an add "
            "(the data would be lost)") in res.stderr
    written = (project.migrations / "002_schema_changes.py").read_text()
    assert "# possible rename: users.name -> users.full_name; if so, run pymig diff again with --rename" in written
    assert 'drop_column("users", "name")' in written and 'add_column("users", "full_name", "text")' in written


def _on_terminal(project: Project, args: list[str], answer: str) -> tuple[str, int]:
    """Run pymig on a pseudo-terminal; answer its first prompt (which input() writes to stderr)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*PYMIG, *args, "--database-url", project.url], cwd=project.root, env=clean_env(),
                            stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen, answered, deadline = b"", False, time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if not answered and b"rename? [y/N]" in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=60)
    os.close(master)
    return seen.decode(errors="replace"), proc.returncode


@pytest.mark.parametrize("answer", ["y", "n"])
def test_possible_rename_is_asked_on_a_terminal(project, tmp_path, answer):
    (tmp_path / "schema.sql").write_text(BASE_SQL.replace("name text", "full_name text"))
    seen, code = _on_terminal(project, ["diff", "--schema-file", "schema.sql"], answer)
    assert code == 0, seen
    assert "users.name -> users.full_name: rename? [y/N]" in seen
    written = (project.migrations / "002_schema_changes.py").read_text()
    if answer == "y":
        assert 'rename_column("users", "name", "full_name")' in written and "drop_column" not in written
    else:
        assert 'drop_column("users", "name")' in written


def test_table_rename_decided_up_front(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL + "CREATE TABLE labels (label text NOT NULL);")
    project.write("002_tags.py", '"""Tags."""\nfrom pymig import column, create_table\n\n'
                  'operations = [create_table("tags", column("label", "text", nullable=False))]\n')
    project.ok("diff", "--schema-file", "schema.sql", "--rename", "tags=labels")
    assert 'rename_table("tags", "labels")' in (project.migrations / "003_schema_changes.py").read_text()


# -- --check and --dry-run ---------------------------------------------------------------------------

def test_check_lists_the_differences_and_exits_1(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL.replace("name text", "name text NOT NULL, bio text")
                                         + "CREATE INDEX users_email_idx ON users (email);")
    res = project.run("diff", "--check", "--schema-file", "schema.sql")
    assert res.returncode == 1, res.stderr
    assert res.stdout.splitlines() == [
        "the migrations do not produce the desired schema: 3 differences",
        "  column users.bio exists in schema.sql but not in the migrations",
        "  column users.name: nullable yes in the migrations, no in schema.sql",
        "  index users_email_idx exists in schema.sql but not in the migrations",
        "run `pymig diff` to write the migration that closes them",
    ]
    assert _files(project) == ["001_users.py"]


def test_dry_run_prints_the_module_and_writes_nothing(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL.replace("name text", "name text, bio text"))
    out = project.ok("diff", "--dry-run", "add bio", "--schema-file", "schema.sql")
    assert out.startswith('"""Add bio.\n\nWritten by `pymig diff` from schema.sql.\n"""\n')
    assert '    add_column("users", "bio", "text"),\n' in out
    assert _files(project) == ["001_users.py"]


def test_no_changes_writes_nothing(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL)
    assert project.ok("diff", "--schema-file", "schema.sql") == (
        "no changes: the migrations produce the desired schema (schema.sql)\n")
    assert _files(project) == ["001_users.py"]


# -- bad inputs: one message each, nothing written ---------------------------------------------------

def test_schema_file_sql_error_names_file_and_line(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL + "\n-- posts\nCREATE TABLE posts (\n  id int REFERENCES nope\n);\n")
    res = project.run("diff", "--schema-file", "schema.sql")
    assert_clean_error(res, 'schema file schema.sql:4: relation "nope" does not exist')
    assert _files(project) == ["001_users.py"]


def test_schema_file_with_now_in_an_index_predicate(project, tmp_path):
    (tmp_path / "schema.sql").write_text(BASE_SQL.replace("name text", "name text, seen timestamptz")
                                         + "CREATE INDEX users_recent ON users (email) WHERE seen > now();\n")
    res = project.run("diff", "--schema-file", "schema.sql")
    assert_clean_error(res, "schema file schema.sql:2: functions in index predicate must be marked IMMUTABLE")
    assert _files(project) == ["001_users.py"]


def test_desired_state_pymig_refuses(project, tmp_path):
    """PostgreSQL takes age(a, b) in an index predicate (that form is IMMUTABLE); pymig refuses
    age() there, so diff says so instead of writing a migration that would not load."""
    (tmp_path / "schema.sql").write_text(
        BASE_SQL.replace("name text", "name text, seen timestamptz, created timestamptz")
        + "CREATE INDEX users_stale ON users (email) WHERE age(seen, created) > interval '30 days';\n")
    res = project.run("diff", "--schema-file", "schema.sql")
    assert_clean_error(res, "the desired schema (schema.sql) needs create_index users_stale on users, "
                            "which pymig refuses", "age()", "nothing was written")
    assert _files(project) == ["001_users.py"]


@pytest.mark.parametrize("option, message", [
    ("users.nam=users.full_name", "--rename users.nam=users.full_name matches nothing: the migrations have no "
                                  "column users.nam"),
    ("users.name=users.fullname", "--rename users.name=users.fullname matches nothing: the desired schema has no "
                                  "column users.fullname"),
    ("people=persons", "--rename people=persons matches nothing: the migrations have no table people"),
    ("users", "--rename users: write OLD=NEW"),
])
def test_rename_that_matches_nothing(project, tmp_path, option, message):
    (tmp_path / "schema.sql").write_text(BASE_SQL.replace("name text", "full_name text"))
    res = project.run("diff", "--schema-file", "schema.sql", "--rename", option)
    assert res.returncode == 2
    assert_clean_error(res, message)
    assert _files(project) == ["001_users.py"]


def test_no_desired_schema_configured(project):
    assert_clean_error(project.run("diff"), "no desired schema: pass --schema-file FILE")


# -- the dev-database workflow -----------------------------------------------------------------------

def test_from_url_reads_a_development_database(project, db_url, tmp_path):
    """A database changed by hand is the desired schema; the scratch side goes on its server."""
    with connect(db_url) as conn:
        conn.execute(BASE_SQL + "ALTER TABLE users ADD COLUMN bio text; CREATE INDEX users_bio ON users (bio);")
    project.ok("diff", "--from-url", db_url, "dev changes")
    written = (project.migrations / "002_dev_changes.py").read_text()
    assert 'add_column("users", "bio", "text")' in written and 'create_index("users", "bio", name="users_bio")' in written
    assert project.ok("diff", "--from-url", db_url, "--check").startswith("ok:")


def test_sqlite_from_url(tmp_path):
    """SQLite: tables, columns, indexes and constraints from a dev.db changed by hand."""
    import sqlite3

    p = Project(tmp_path, None)
    p.write("001_users.py", BASE)
    p.ok("up", "--database-url", "sqlite:///dev.db", url=None)
    with sqlite3.connect(tmp_path / "dev.db") as conn:
        conn.executescript(
            "ALTER TABLE users ADD COLUMN bio text;"
            "CREATE TABLE tags (id integer PRIMARY KEY, user_id integer REFERENCES users (id) ON DELETE CASCADE,"
            " label text NOT NULL CHECK (length(label) > 0), UNIQUE (user_id, label));"
            "CREATE INDEX tags_label ON tags (lower(label)) WHERE label <> '';")
    res = p.run("diff", "--from-url", "sqlite:///dev.db", "--check", url=None)
    assert res.returncode == 1 and "table tags exists in the --from-url database but not in the migrations" in res.stdout
    p.ok("diff", "--from-url", "sqlite:///dev.db", "from dev", url=None)
    written = (p.migrations / "002_from_dev.py").read_text()
    for line in ['        column("label", "text", nullable=False, check="length(label) > 0"),',
                 '    add_column("users", "bio", "text"),',
                 """    create_index("tags", "lower(label)", name="tags_label", where="label <> ''"),"""]:
        assert line in written, written
    assert p.ok("diff", "--from-url", "sqlite:///dev.db", "--check", url=None).startswith("ok:")
    p.ok("verify", url=None)


# -- drift -------------------------------------------------------------------------------------------

HAND_MADE = [
    ("column_added", "ALTER TABLE users ADD COLUMN nickname text",
     "column users.nickname exists in the database but not after the applied migrations"),
    ("column_type", "ALTER TABLE users ALTER COLUMN name TYPE varchar(80)",
     "column users.name: type text after the applied migrations, character varying(80) in the database"),
    ("column_nullability", "ALTER TABLE users ALTER COLUMN name SET NOT NULL",
     "column users.name: nullable yes after the applied migrations, no in the database"),
    ("column_default", "ALTER TABLE users ALTER COLUMN name SET DEFAULT 'x'",
     "column users.name: default (none) after the applied migrations, 'x'::text in the database"),
    ("column_dropped", "ALTER TABLE users DROP COLUMN name",
     "column users.name exists after the applied migrations but not in the database"),
    ("index_dropped", "DROP INDEX users_email_idx",
     "index users_email_idx exists after the applied migrations but not in the database"),
    ("constraint_dropped", "ALTER TABLE users DROP CONSTRAINT users_email_check",
     "constraint users.users_email_check exists after the applied migrations but not in the database"),
    ("table_added", "CREATE TABLE notes (body text)",
     "table notes exists in the database but not after the applied migrations"),
    ("view_added", "CREATE VIEW emails AS SELECT email FROM users",
     "view emails exists in the database but not after the applied migrations"),
    ("index_added", "CREATE INDEX users_name_idx ON users (name)",
     "index users_name_idx exists in the database but not after the applied migrations"),
    ("constraint_added", "ALTER TABLE users ADD CONSTRAINT users_name_short CHECK (length(name) < 100)",
     "constraint users.users_name_short exists in the database but not after the applied migrations"),
    ("function_added", "CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
     "function one() exists in the database but not after the applied migrations"),
    ("comment_added", "COMMENT ON COLUMN users.name IS 'Shown to others'",
     "column users.name: comment (none) after the applied migrations, Shown to others in the database"),
]
WITH_INDEX = '''
"""Email checks."""

from pymig import add_check, create_index

operations = [
    create_index("users", "email"),
    add_check("users", "users_email_check", "email LIKE '%@%'"),
]
'''


@pytest.fixture
def applied(project) -> Project:
    project.write("002_email.py", WITH_INDEX)
    project.ok("up")
    return project


def test_drift_on_a_clean_database(applied):
    assert applied.ok("drift") == "no drift: the database has the schema its applied migrations produce\n"


@pytest.mark.parametrize("change, statement, line", HAND_MADE, ids=[h[0] for h in HAND_MADE])
def test_drift_finds_a_hand_made_change(applied, change, statement, line):
    run_script(applied.url, statement + ";")
    res = applied.run("drift")
    assert res.returncode == 1, res.stderr
    assert res.stdout.splitlines() == [
        "drift: 1 difference from the schema the applied migrations produce", "  " + line]


def test_drift_json_and_ignore_list(applied):
    run_script(applied.url, "CREATE TABLE audit_log (at timestamptz); ALTER TABLE users ADD COLUMN legacy_flag int;")
    found = json.loads(applied.run("drift", "--json").stdout)
    assert [(d["kind"], d["name"], d["expected"]) for d in found] == [
        ("table", "audit_log", None), ("column", "users.legacy_flag", None)]
    (applied.root / "pyproject.toml").write_text('[tool.pymig]\ndrift_ignore = ["audit_*", "users.legacy_*"]\n')
    assert applied.ok("drift").startswith("no drift")


def test_drift_compares_with_the_history_not_the_files(applied):
    """A migration written but not applied is no drift; the applied ones are what count."""
    applied.write("003_more.py", '"""More."""\nfrom pymig import add_column\n\n'
                  'operations = [add_column("users", "bio", "text")]\n')
    assert applied.ok("drift").startswith("no drift")
    (applied.migrations / "002_email.py").write_text(WITH_INDEX.replace("email LIKE", "email ILIKE"))
    assert_clean_error(applied.run("drift"), "migrations/002_email.py was changed after it was applied")


@pytest.mark.parametrize("operation", ['alter_column("users", "name", type="varchar(80)")',
                                       'rename_column("users", "name", "full_name")'], ids=["type", "rename"])
def test_drift_while_a_migration_is_expanded(applied, operation):
    """An expanded migration's old column and sync trigger (or compatibility view) are pymig's
    own, not drift: the scratch side applies it in a run of its own, so it ends expanded there too."""
    applied.write("003_change.py", f'"""Change."""\nfrom pymig import {operation.split("(")[0]}\n\n'
                  f'operations = [{operation}]\n')
    applied.ok("up")
    assert "003_change.py  expanded" in applied.ok("status")
    assert applied.ok("drift").startswith("no drift")
    run_script(applied.url, "CREATE TABLE notes (body text);")
    res = applied.run("drift")
    assert res.returncode == 1 and res.stdout.splitlines()[1:] == [
        "  table notes exists in the database but not after the applied migrations"], res.stdout
    run_script(applied.url, "DROP TABLE notes;")
    applied.ok("complete")
    assert applied.ok("drift").startswith("no drift")
