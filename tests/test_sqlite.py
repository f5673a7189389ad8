"""SQLite, the embedded default: the same migrations and operations as on PostgreSQL, no server.

Nothing here needs PostgreSQL: every database is a SQLite file in a temporary directory (or in
memory). The case table (tests/cases.py) runs here as on PostgreSQL in test_roundtrip.py: up, the
catalog compared with the predicted state, down to exactly the start, up again."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from cases import CASES, SQLITE, build, inverse_ops, resolve
from catalog import comparable
from pymig import (add_check, add_column, add_unique, alter_column, column, create_index, create_table,
                   drop_column, drop_table, preflight, run_sql)
from pymig.dialects import for_url
from pymig.dialects.sqlite import SqliteDialect, database_path
from pymig.errors import ConfigError, PreflightError, PymigError
from pymig.executor import Executor
from pymig.history import ensure_tables, read_records
from pymig.loader import Migration, MigrationFile
from pymig.ops import decode
from pymig.schema import Schema
from pymig.types import canonical_type

ROOT = Path(__file__).resolve().parent.parent
_SCRIPT = Path(sys.executable).with_name("pymig")
PYMIG = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "pymig.cli"]


# -- helpers ---------------------------------------------------------------------------------------

def migration(version: int, name: str, ops) -> Migration:
    path = Path(f"{version:03d}_{name}.py")  # never read: the operations are given
    return Migration(MigrationFile(version, name, path), name, tuple(ops), f"checksum of {path}")


class Db:
    """A SQLite database through pymig's own dialect and connection, with the history tables."""

    def __init__(self, path: str = ":memory:"):
        self.dialect = SqliteDialect()
        self.db = self.dialect.connect(f"sqlite:///{path}" if path != ":memory:" else "sqlite://")
        ensure_tables(self.db, self.dialect)

    def executor(self) -> Executor:
        return Executor(self.dialect, self.db, backfill_pause=0, resolve_callable=resolve)

    def apply(self, version: int, name: str, ops) -> None:
        self.executor().apply(migration(version, name, ops), f"{version:03d}_{name}")

    def revert_last(self) -> None:
        record = read_records(self.db, self.dialect)[-1]
        self.executor().revert(record, f"{record.version:03d}_{record.name}")

    def rows(self, sql: str) -> list[tuple]:
        return self.db.rows(sql)

    def objects(self) -> list[tuple]:
        """Every table, index, view and trigger with its SQL, as SQLite keeps it."""
        return self.rows("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")


def spelled_by_sqlite(predicted: Schema) -> Schema:
    """The predicted schema as SQLite spells it: created by the dialect in a scratch database in
    memory and read back, so types, defaults and expressions read as the catalog reads them
    (bigserial as serial, now() as CURRENT_TIMESTAMP, x::int as CAST(x AS INTEGER)) without a
    hand-written rule. `definition` stays as predicted (compared where it has one, see catalog.py)."""
    dialect = SqliteDialect()
    scratch = dialect.connect("sqlite://")
    for table in predicted.tables.values():
        scratch.execute(dialect.create_table(table)[0])
    for index in predicted.indexes.values():
        scratch.execute(dialect.create_index(index)[0])
    for view in predicted.objects.values():
        scratch.execute(dialect.create_view(view)[0])
    read = dialect.introspect(scratch)
    scratch.close()
    tables = {}
    for name, table in read.tables.items():
        carried = {c.name: c.definition for c in predicted.tables[name].constraints}
        tables[name] = replace(table, constraints=tuple(replace(c, definition=carried.get(c.name))
                                                        for c in table.constraints))
    indexes = {n: replace(i, definition=predicted.indexes[n].definition) for n, i in read.indexes.items()}
    return Schema(tables, indexes, objects=read.objects)


def unquoted(schema: Schema) -> Schema:
    """`definition` (SQLite's stored text) with quotes dropped from plain names: SQLite's RENAME
    COLUMN quotes the names it rewrites, so renaming a column and back changes the text
    (`CHECK (email <> '')` becomes `CHECK ("email" <> '')`), not what it means."""
    def plain(text):
        return text and re.sub(r'"([a-z_][a-z0-9_]*)"', r"\1", text)

    tables = {n: replace(t, constraints=tuple(replace(c, definition=plain(c.definition)) for c in t.constraints))
              for n, t in schema.tables.items()}
    return Schema(tables, {n: replace(i, definition=plain(i.definition)) for n, i in schema.indexes.items()},
                  objects=schema.objects)


def pymig(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed `pymig`, with no database URL anywhere: the embedded default applies."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PYMIG_")}
    return subprocess.run([*PYMIG, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def ok(cwd: Path, *args: str) -> str:
    """Run and require success; return stdout."""
    done = pymig(cwd, *args)
    assert done.returncode == 0, f"pymig {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def sqlite_rows(path: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def user_objects(path: Path) -> list[tuple]:
    return sqlite_rows(path, "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'pymig%' "
                             "AND name NOT LIKE 'sqlite%' ORDER BY type, name")


# -- the case table on SQLite ----------------------------------------------------------------------

# Cases whose catalog after `up` cannot be predicted on SQLite from the operations' state.
UNPREDICTABLE = {
    "run_sql_schema_with_down": "its run_sql is PostgreSQL DDL (id bigserial PRIMARY KEY): SQLite runs it as "
                                "written and declares a column of type BIGSERIAL, which is no serial",
}


@pytest.mark.parametrize("case", [c for c in CASES if SQLITE in c.sql], ids=str)
def test_round_trip(case):
    sq = Db()
    translate = sq.dialect.expression  # the cases' row and data SQL is written for PostgreSQL

    def snapshot():
        data = sq.rows(translate(case.data)) if case.data else None
        return unquoted(sq.dialect.introspect(sq.db)), sq.rows("SELECT type, name, tbl_name FROM sqlite_master "
                                                               "ORDER BY name"), data

    if case.setup:
        sq.apply(1, "setup", case.setup)
    for statement in case.rows:
        sq.db.execute(translate(statement))
    schema_before = sq.dialect.introspect(sq.db)
    before = snapshot()
    actual, expected = comparable(schema_before, spelled_by_sqlite(build(case.setup)))
    assert actual == expected, "the catalog after the setup differs from its operations' state"

    sq.apply(2, case.id, case.ops)
    after = snapshot()
    if case.id not in UNPREDICTABLE:
        predicted = build(case.ops if case.state_ops is None else case.state_ops, schema_before)
        actual, expected = comparable(unquoted(sq.dialect.introspect(sq.db)), unquoted(spelled_by_sqlite(predicted)))
        assert actual == expected
    if case.data_after is not None:
        assert after[2] == case.data_after
    assert sq.rows("SELECT * FROM pragma_foreign_key_check") == []

    records = read_records(sq.db, sq.dialect)
    assert [r.version for r in records] == ([1] if case.setup else []) + [2]
    assert list(decode(records[-1].inverse["operations"], resolve)) == inverse_ops(case.ops, schema_before)

    sq.revert_last()
    assert snapshot() == before
    sq.apply(2, case.id, case.ops)
    assert snapshot() == after


@pytest.mark.parametrize("case", [c for c in CASES if SQLITE in c.refused], ids=str)
def test_refused_cases_change_nothing_through_the_executor(case):
    """The executor refuses them too (rendering raises), inside the transaction: nothing is left."""
    sq = Db()
    start = sq.objects()
    with pytest.raises(PymigError, match=case.refused[SQLITE].split(" (")[0]):
        sq.apply(1, "setup", case.setup + case.ops)
    assert sq.objects() == start


# -- table rebuilds --------------------------------------------------------------------------------

TEAMS = [
    create_table("teams", column("id", "serial", primary_key=True),
                 column("name", "varchar(40)", nullable=False, unique=True)),
    create_table("players", column("id", "serial", primary_key=True),
                 column("team_id", "integer", nullable=False, references="teams", on_delete="cascade"),
                 column("name", "varchar(50)"), column("score", "integer")),
    create_index("players", ["team_id", "name DESC"]),
]


@pytest.fixture
def teams(tmp_path):
    sq = Db(str(tmp_path / "teams.db"))
    sq.apply(1, "teams", TEAMS)
    sq.db.execute("INSERT INTO teams (name) VALUES ('red'), ('blue'), ('gone')")
    sq.db.execute("INSERT INTO players (team_id, name, score) VALUES (1, 'ada', 10), (1, 'bob', NULL), "
                  "(2, 'cy', 7), (3, 'dee', 3)")
    sq.db.execute("DELETE FROM players WHERE name = 'dee'")  # the next id is 5, not 4
    sq.db.execute("DELETE FROM teams WHERE name = 'gone'")
    return sq


def _state(sq: Db) -> dict:
    return {
        "teams": sq.rows("SELECT * FROM teams ORDER BY id"),
        "players": sq.rows("SELECT * FROM players ORDER BY id"),
        "indexes": sq.rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                           "ORDER BY name"),
        "foreign keys": sq.rows("SELECT * FROM pragma_foreign_key_list('players')"),
        "sequence": sq.rows("SELECT name, seq FROM sqlite_sequence WHERE name IN ('teams', 'players') ORDER BY name"),
    }


def _columns(sq: Db, table: str) -> dict[str, tuple]:
    return {name: (declared, notnull) for _, name, declared, notnull, *_ in sq.rows(f"PRAGMA table_info({table})")}


def test_type_and_nullability_change_keeps_rows_index_and_foreign_keys_and_rolls_back(teams):
    before, objects = _state(teams), teams.objects()
    teams.apply(2, "retype", [
        alter_column("players", "name", type="text", nullable=False, using="coalesce(name, '')"),
        alter_column("teams", "name", type="varchar(80)", nullable=True),  # the parent: ON DELETE CASCADE
    ])
    after = _state(teams)
    assert _columns(teams, "players")["name"] == ("TEXT", 1)
    assert _columns(teams, "teams")["name"] == ("VARCHAR(80)", 0)
    assert after == before  # rows (none cascaded away), index, foreign keys, the AUTOINCREMENT counter
    assert teams.rows("PRAGMA integrity_check") == [("ok",)]
    assert teams.rows("PRAGMA foreign_key_check") == []

    teams.revert_last()
    assert _columns(teams, "players")["name"] == ("VARCHAR(50)", 0)
    assert _state(teams) == before
    assert teams.objects() == objects  # the very same definitions, text included
    # the counter went through two rebuilds each way: 4 was used once, so the next id is 5
    assert teams.rows("INSERT INTO players (team_id, name) VALUES (2, 'eve') RETURNING id") == [(5,)]


def test_a_failure_after_a_rebuild_rolls_the_whole_migration_back(teams):
    before, objects = _state(teams), teams.objects()
    with pytest.raises(PreflightError) as refused:  # pymig's connection does not enforce foreign keys ...
        teams.apply(2, "retype", [alter_column("teams", "name", type="text"),
                                  run_sql("INSERT INTO players (team_id, name) VALUES (99, 'orphan')")])
    message = refused.value.message  # ... it checks them after each operation that can break them
    assert "operation 2 (run_sql" in message
    assert "the foreign key check finds 1 row without a parent row" in message and "parent='teams'" in message
    assert _state(teams) == before and teams.objects() == objects  # the rebuild of operation 1 is undone too
    assert [r.version for r in read_records(teams.db, teams.dialect)] == [1]


def test_a_preflight_refusal_leaves_the_table_as_it_was(teams):
    before, objects = _state(teams), teams.objects()
    with pytest.raises(PreflightError, match=r'column "players.score" is NULL in 1 row'):
        teams.apply(2, "score_required", [alter_column("players", "score", nullable=False)])
    assert _state(teams) == before and teams.objects() == objects


@pytest.mark.parametrize("op, refusal", [
    (add_unique("players", ["team_id"]), '2 rows of "players" share 1 value of (team_id)'),
    (create_index("players", ["name"], unique=True, where="score IS NULL"), None),
    (add_check("players", "score_high", "score > 8"), 'check "score_high" (CHECK (score > 8)) fails for 1 row'),
    (add_column("players", "rank", "integer", nullable=False), 'table "players" has 3 rows, which would get NULL'),
    (drop_column("players", "score"), 'column "players.score" holds 2 non-NULL values'),
    (drop_table("teams", allow_data_loss=True), "foreign key of table players (team_id)"),
    (preflight("SELECT id FROM players WHERE score IS NULL", "every player has a score"),
     "every player has a score (1 row)"),
], ids=lambda v: v.kind if hasattr(v, "kind") else "")
def test_preflight_checks_run_on_sqlite(teams, op, refusal):
    before, objects = _state(teams), teams.objects()
    if refusal is None:
        teams.apply(2, "passes", [op])
        return
    with pytest.raises(PreflightError, match=re.escape(refusal)):
        teams.apply(2, "refused", [op])
    assert _state(teams) == before and teams.objects() == objects


def test_views_and_triggers_survive_a_rebuild(teams):
    teams.db.execute("CREATE VIEW team_names AS SELECT name FROM teams")
    teams.db.execute("CREATE TABLE audit (what TEXT)")
    teams.db.execute("CREATE TRIGGER teams_audit AFTER INSERT ON teams BEGIN "
                     "INSERT INTO audit VALUES ('team ' || new.name); END")
    teams.apply(2, "retype", [alter_column("teams", "name", type="text")])
    assert teams.rows("SELECT name FROM sqlite_master WHERE type = 'trigger'") == [("teams_audit",)]
    teams.db.execute("INSERT INTO teams (name) VALUES ('green')")
    assert teams.rows("SELECT * FROM audit") == [("team green",)]
    assert teams.rows("SELECT * FROM team_names ORDER BY name") == [("blue",), ("green",), ("red",)]


def test_introspection_reads_a_table_pymig_did_not_write():
    """Column-level and unnamed constraints, COLLATE, a foreign key to the parent's primary key,
    and types pymig does not map, from a table created by hand."""
    sq = Db()
    sq.db.execute("CREATE TABLE parent (code TEXT PRIMARY KEY)")
    sq.db.execute("""CREATE TABLE child (
        id INTEGER PRIMARY KEY,
        code TEXT REFERENCES parent ON DELETE SET NULL,
        email varchar(100) NOT NULL UNIQUE COLLATE NOCASE,
        n INT CONSTRAINT n_positive CHECK (n > 0) DEFAULT 1,
        at DATETIME,
        CHECK (length(email) > 3)
    )""")
    child = sq.dialect.introspect(sq.db).tables["child"]
    assert [(c.name, c.type, c.nullable, c.default, c.collation) for c in child.columns] == [
        ("id", "integer", False, None, None), ("code", "text", True, None, None),  # the rowid: never NULL
        ("email", "character varying(100)", False, None, "NOCASE"), ("n", "INT", True, "1", None),
        ("at", "DATETIME", True, None, None)]
    assert {(c.name, c.kind, c.columns, c.expression, c.ref_table, c.ref_columns, c.on_delete)
            for c in child.constraints} == {
        ("child_pkey", "primary_key", ("id",), None, None, (), None),
        ("child_code_fkey", "foreign_key", ("code",), None, "parent", ("code",), "set null"),
        ("child_email_key", "unique", ("email",), None, None, (), None),
        ("n_positive", "check", ("n",), "n > 0", None, (), None),
        ("child_email_check", "check", ("email",), "length(email) > 3", None, (), None)}
    # and a rebuild keeps all of it
    sq.db.execute("INSERT INTO parent VALUES ('p')")
    sq.db.execute("INSERT INTO child (code, email, n, at) VALUES ('p', 'Ada@x.org', 2, '2024-01-01')")
    sq.apply(1, "retype", [alter_column("child", "n", type="bigint")])
    again = sq.dialect.introspect(sq.db).tables["child"]
    assert again.constraints == child.constraints
    assert [c.type for c in again.columns] == ["integer", "text", "character varying(100)", "bigint", "DATETIME"]
    assert sq.rows("SELECT * FROM child WHERE email = 'ada@x.org'") == [(1, "p", "Ada@x.org", 2, "2024-01-01")]


# -- the command line, with no database URL anywhere -----------------------------------------------

POSTGRESQL_ONLY = "008_convert_user_role_to_enum.py"  # an enum type, which SQLite does not have


@pytest.fixture
def project(tmp_path) -> Path:
    """The repository's example project (pyproject.toml and migrations/) in a fresh directory,
    without its migration 008, which pymig refuses on SQLite (see the test after this one)."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations", ignore=shutil.ignore_patterns(POSTGRESQL_ONLY))
    return tmp_path


def test_the_whole_example_is_refused_on_sqlite_at_its_enum_naming_it(tmp_path):
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "migrations", tmp_path / "migrations")
    done = pymig(tmp_path, "up")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (f"error: migrations/{POSTGRESQL_ONLY}: operation 1 (create_enum user_role): create_enum has no "
            "SQLite meaning: SQLite has no enum types") in done.stderr
    assert user_objects(tmp_path / "pymig.db") == []  # nothing ran, not even 001-007
    ok(tmp_path, "up", "--to", "7")
    assert "7 applied, 1 pending" in ok(tmp_path, "status")


def roles(db: Path) -> list[tuple]:
    return sqlite_rows(db, "SELECT email, role FROM users ORDER BY id")


def test_example_project_on_the_embedded_default(project):
    db = project / "pymig.db"
    out = ok(project, "up", "--to", "6")
    assert "using the SQLite database pymig.db" in out and db.is_file()
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (email, role) VALUES ('a@x.org', 'admin'), ('u@x.org', 'user'), "
                     "('o@x.org', 'other')")
    again = pymig(project, "up")
    assert again.returncode == 0 and "using the SQLite" not in again.stdout + again.stderr  # once: when created
    assert roles(db) == [("a@x.org", "administrator"), ("u@x.org", "regular_user"), ("o@x.org", "regular_user")]
    first = user_objects(db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (email, role) VALUES ('m@x.org', 'moderator')")

    ok(project, "down", "--steps", "2")
    # other -> regular_user -> user: the seed's ELSE branch forgets it; moderator is kept
    assert roles(db) == [("a@x.org", "admin"), ("u@x.org", "user"), ("o@x.org", "user"), ("m@x.org", "moderator")]
    status = ok(project, "status")
    assert "006_add_performance_indexes.py  pending" in status and "5 applied, 2 pending" in status
    ok(project, "up")
    assert roles(db) == [("a@x.org", "administrator"), ("u@x.org", "regular_user"),
                         ("o@x.org", "regular_user"), ("m@x.org", "moderator")]
    assert user_objects(db) == first

    ok(project, "down", "--to", "0", "--allow-data-loss")
    assert user_objects(db) == []
    ok(project, "up")
    assert user_objects(db) == first
    assert sqlite_rows(db, "PRAGMA foreign_key_check") == [] and sqlite_rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert not (project / "pymig.db.lock").exists()


def test_no_postgresql_driver_needed(project):
    """psycopg made unimportable, as on a machine without PostgreSQL's client: up, status, down
    and verify on SQLite never ask for it."""
    code = ("import sys; sys.modules['psycopg'] = None\n"  # `import psycopg` now raises ImportError
            "from pymig.cli import main\n"
            "for args in (['up'], ['status'], ['down', '--steps', '2'], ['up'], ['verify']):\n"
            "    main(args)\n")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("PYMIG_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "7 migrations applied" in done.stdout and "2 migrations applied" in done.stdout
    assert "7 migrations verified" in done.stdout


def test_printed_statements_build_the_same_schema_by_hand(project):
    """The reading form is what runs; the history writes are said in comments (`--script`, the form
    that writes them, is a psql script: PostgreSQL only)."""
    script = ok(project, "sql")
    assert "BEGIN IMMEDIATE;" in script and "-- (history: pymig creates its history tables" in script
    assert "pymig_migrations (" not in script
    by_hand = project / "by_hand.db"
    with sqlite3.connect(by_hand, isolation_level=None) as conn:
        conn.executescript(script)
    ok(project, "up")
    assert user_objects(by_hand) == user_objects(project / "pymig.db")
    refused = pymig(project, "sql", "--script")
    assert refused.returncode == 1 and "pymig sql --script writes a psql script" in refused.stderr


def test_what_sqlite_cannot_mean_is_refused_before_anything_runs(project):
    (project / "migrations" / "008_stats.py").write_text(
        'from pymig import add_column\noperations = [add_column("users", "idle", "interval")]\n')
    (project / "migrations" / "009_search.py").write_text(
        'from pymig import create_index\noperations = [create_index("users", ["name"], method="gin")]\n')
    done = pymig(project, "up")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ('error: migrations/008_stats.py: operation 1 (add_column users.idle): type "interval" has no '
            'SQLite meaning') in done.stderr
    assert user_objects(project / "pymig.db") == []  # not even 001-007 ran
    check = pymig(project, "check")
    assert check.returncode == 1 and 'PM002 error: type "interval" has no SQLite meaning' in check.stdout

    (project / "migrations" / "008_stats.py").unlink()
    done = pymig(project, "sql")
    assert done.returncode == 1
    assert "009_search.py: operation 1 (create_index users_name_idx on users): index method gin has no SQLite meaning" \
        in done.stderr


def test_verify_round_trips_the_example_on_a_scratch_file(project):
    out = ok(project, "verify")
    assert "verifying on a scratch SQLite file" in out and "7 migrations verified" in out
    assert not (project / "pymig.db").exists()  # the target is never touched, not even created

    (project / "migrations" / "008_leak.py").write_text(
        'from pymig import run_sql\noperations = [run_sql("CREATE TABLE leak (x TEXT)", down="SELECT 1")]\n')
    done = pymig(project, "verify", "--from", "8")
    assert done.returncode != 0 and "008_leak.py: table leak" in done.stderr, done.stderr


def test_a_second_runner_waits_for_the_lock(project):
    holder = SqliteDialect().connect(f"sqlite:///{project / 'pymig.db'}")
    holder.acquire_lock(1)
    try:
        done = pymig(project, "up", "--lock-wait", "0.3")
        assert done.returncode != 0 and "another pymig run held the migration lock" in done.stderr
        assert user_objects(project / "pymig.db") == []
    finally:
        holder.close()
    ok(project, "up")


# -- types, expressions, URLs ----------------------------------------------------------------------

TYPES = {  # as users write them for PostgreSQL -> SQLite declared type
    "integer": "INTEGER", "int": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
    "serial": "INTEGER", "bigserial": "INTEGER", "boolean": "BOOLEAN", "real": "REAL",
    "double precision": "DOUBLE PRECISION", "numeric": "NUMERIC", "numeric(10,2)": "NUMERIC(10,2)",
    "text": "TEXT", "varchar(255)": "VARCHAR(255)", "varchar": "VARCHAR", "char(3)": "CHAR(3)",
    "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ", "timestamp(3)": "TIMESTAMP(3)",
    "timestamp(3) with time zone": "TIMESTAMPTZ(3)", "time": "TIME", "timetz": "TIMETZ",
    "uuid": "UUID TEXT", "json": "JSON TEXT", "jsonb": "JSONB TEXT", "bytea": "BLOB",
    "text[]": "TEXT[]", "varchar(50)[]": "VARCHAR[](50)", "integer[][]": "INTEGER[][]",
}


@pytest.mark.parametrize("written, declared", TYPES.items())
def test_types_map_to_sqlite_and_back(written, declared):
    dialect = SqliteDialect()
    canonical = canonical_type(written).type
    assert dialect.sqlite_type(canonical) == declared
    back = dialect.pg_type(declared)
    assert back == ("serial" if canonical.endswith("serial") else canonical) or canonical.endswith("serial")


def test_affinity_keeps_text_as_text():
    """A column declared as the map says stores a value that reads as a number as the type
    means it: as text for uuid and json (SQLite would turn '1.0' into 1 under NUMERIC affinity)."""
    dialect = SqliteDialect()
    conn = sqlite3.connect(":memory:")
    names = ["uuid", "json", "jsonb", "text", "character varying(5)", "integer", "numeric(10,2)", "boolean"]
    conn.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {dialect.sqlite_type(n)}' for n in names) + ")")
    conn.execute(f"INSERT INTO t VALUES ({', '.join('?' for _ in names)})", ["1.0"] * len(names))
    stored = conn.execute("SELECT " + ", ".join(f'typeof("{n}")' for n in names) + " FROM t").fetchone()
    assert dict(zip(names, stored)) == {"uuid": "text", "json": "text", "jsonb": "text", "text": "text",
                                        "character varying(5)": "text", "integer": "integer",
                                        "numeric(10,2)": "integer", "boolean": "integer"}


@pytest.mark.parametrize("written", ["interval", "inet", "money", "tsvector", '"mood"', "point", "xml"])
def test_types_with_no_sqlite_meaning_are_refused(written):
    with pytest.raises(PymigError, match="has no SQLite meaning"):
        SqliteDialect().sqlite_type(canonical_type(written).type)


EXPRESSIONS = {
    "now()": "CURRENT_TIMESTAMP",
    "NOW( )": "CURRENT_TIMESTAMP",
    "CURRENT_TIMESTAMP": "CURRENT_TIMESTAMP",
    "x::int": "CAST(x AS INTEGER)",
    "'{}'::jsonb": "CAST('{}' AS JSONB TEXT)",
    "(a + b)::numeric(10,2) > 1": "CAST((a + b) AS NUMERIC(10,2)) > 1",
    "lower(email)::varchar(20)": "CAST(lower(email) AS VARCHAR(20))",
    "t.price::double precision": "CAST(t.price AS DOUBLE PRECISION)",
    "x::text::integer": "CAST(CAST(x AS TEXT) AS INTEGER)",
    "'{a}'::text[]": "CAST('{a}' AS TEXT[])",
    "'it''s'::text || 'now()'": "CAST('it''s' AS TEXT) || 'now()'",
    "CASE role WHEN 'admin' THEN 'administrator' ELSE 'regular_user' END":
        "CASE role WHEN 'admin' THEN 'administrator' ELSE 'regular_user' END",
}


@pytest.mark.parametrize("written, expected", EXPRESSIONS.items())
def test_expressions_in_sqlite_spelling(written, expected):
    dialect = SqliteDialect()
    assert dialect.expression(written) == expected
    assert dialect.expression(expected) == expected  # already SQLite's: unchanged


def test_functions_mapped_to_sqlite_run_there():
    dialect = SqliteDialect()
    conn = sqlite3.connect(":memory:")
    uuid, stamp = conn.execute(
        f"SELECT {dialect.expression('gen_random_uuid()')}, {dialect.expression('now()')}").fetchone()
    assert len(uuid) == 36 and uuid[14] == "4" and uuid[19] in "89ab" and uuid.count("-") == 4
    assert len(stamp) == 19 and stamp[4] == "-" and stamp[13] == ":"


@pytest.mark.parametrize("expression", [
    "name ILIKE 'a%'", "name ~ '^a'", "now() - interval '1 day'", "to_char(created_at, 'YYYY')",
    "tags @> ARRAY['a']", "x::interval", "floor(random() * 10)",
])
def test_expressions_with_no_sqlite_meaning_are_refused(expression):
    with pytest.raises(PymigError, match="has no (SQLite|single) meaning"):
        SqliteDialect().check_expression(expression, "default")


@pytest.mark.parametrize("expression", [
    "length(email) > 255", "completed_at IS NOT NULL", "role IN ('a', 'b')", "lower(email)",
    "progress BETWEEN 0 AND 100", "coalesce(name, '') <> ''", "(SELECT max(id) FROM other) > 0",
])
def test_expressions_sqlite_shares_pass(expression):
    SqliteDialect().check_expression(expression, "check")


def test_database_urls():
    assert database_path("sqlite:///pymig.db") == "pymig.db"
    assert database_path("sqlite:///data/app.db") == "data/app.db"
    assert database_path("sqlite:////var/lib/app.db") == "/var/lib/app.db"
    assert database_path("sqlite://") == database_path("sqlite:///:memory:") == ":memory:"
    assert for_url("sqlite:///x.db").name == "sqlite"
    for bad in ("sqlite:/x.db", "sqlite://host/x.db", "sqlite:///x.db?mode=ro"):
        with pytest.raises(ConfigError, match="sqlite:///relative/path.db"):
            for_url(bad)


# -- batch mode ------------------------------------------------------------------------------------

def test_consecutive_rebuilds_of_one_table_are_one_rebuild():
    """Alembic's batch mode: alter_column, add_check and add_unique on one table copy it once."""
    sq = Db()
    sq.apply(1, "t", [create_table("t", column("id", "integer", primary_key=True), column("a", "text"),
                                   column("b", "text"))])
    sq.db.execute("INSERT INTO t VALUES (1, 'x', 'y')")
    ops = [alter_column("t", "a", nullable=False), add_check("t", "t_a_check", "a <> ''"),
           add_unique("t", ["b"]), create_index("t", ["a"]), alter_column("t", "b", nullable=False)]
    merged = sq.dialect.merge(ops, sq.dialect.introspect(sq.db))
    assert [type(m).__name__ for m in merged] == ["Batch", "CreateIndex", "AlterColumn"]
    steps = [s.text for s in sq.dialect.forward(merged[0], sq.dialect.introspect(sq.db)) if hasattr(s, "text")]
    assert [s for s in steps if s.startswith("CREATE TABLE")] == [
        'CREATE TABLE "pymig_new_t" (\n    "id" INTEGER NOT NULL,\n    "a" TEXT NOT NULL,\n    "b" TEXT,\n'
        '    CONSTRAINT "t_pkey" PRIMARY KEY ("id"),\n    CONSTRAINT "t_a_check" CHECK (a <> \'\'),\n'
        '    CONSTRAINT "t_b_key" UNIQUE ("b")\n)']
    before = sq.objects()
    sent = []
    sq.db.conn.set_trace_callback(sent.append)
    sq.apply(2, "batch", ops)
    sq.db.conn.set_trace_callback(None)
    assert len([s for s in sent if s.startswith('CREATE TABLE "pymig_new_t"')]) == 2  # the batch, then b's change
    assert sq.rows("SELECT * FROM t") == [(1, "x", "y")]
    records = read_records(sq.db, sq.dialect)
    assert [o.kind for o in decode(records[-1].inverse["operations"], resolve)] == [
        "alter_column", "drop_index", "drop_constraint", "drop_constraint", "alter_column"]
    sq.revert_last()
    assert sq.objects() == before
