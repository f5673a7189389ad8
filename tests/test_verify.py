"""`pymig verify`: every migration round-trips on a scratch database, the target is never touched,
and a down that does not undo its up fails naming the migration and the object."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from helpers import Project, assert_clean_error, connect, snapshot
from pymig.dialects.postgres import PostgresDialect
from pymig.errors import ConfigError
from pymig.snapshot import Difference, Snapshot, diff, summary, take
from pymig.testing import fresh_database
from pymig.verify import Seed, VerifyError, verify_database

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "migrations"

BASE = '''
    """A table with a default, a sized varchar, an index, an enum, a view and a sequence."""
    from pymig import column, create_index, create_table, run_sql

    operations = [
        create_table(
            "t",
            column("id", "serial", primary_key=True),
            column("v", "text", default="x"),
            column("n", "varchar(255)"),
            column("k", "integer", check="k >= 0"),
        ),
        create_index("t", ["v"], name="idx_t_v"),
        run_sql(up="CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE VIEW tv AS SELECT id FROM t; "
                   "CREATE SEQUENCE s",
                down="DROP SEQUENCE s; DROP VIEW tv; DROP TYPE mood"),
    ]
'''


def write(directory: Path, filename: str, source: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(textwrap.dedent(source).lstrip())
    return path


def broken(up: str, down: str) -> str:
    return f'from pymig import run_sql\noperations = [run_sql(up={up!r}, down={down!r})]\n'


def take_url(url: str) -> Snapshot:
    dialect = PostgresDialect()
    db = dialect.connect(url)
    try:
        return take(db, dialect)
    finally:
        db.close()


# -- the example project, through the real command ---------------------------------------------------

def test_example_project_verifies_and_leaves_the_target_untouched(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    target = ["--dir", str(EXAMPLE)]
    project.ok("up", "--to", "3", *target)
    with connect(db_url) as conn:
        conn.execute("INSERT INTO users (email, role) VALUES ('a@x.org', 'admin')")
    before = take_url(db_url), snapshot(db_url)
    assert len(before[0].names("table")) == 7 and before[1][1]  # tables, and a history to keep

    out = project.ok("verify", *target)

    lines = [line for line in out.splitlines() if line.startswith("ok ")]
    assert [re.search(r"(\d{3})_", line)[1] for line in lines] == ["001", "002", "003", "004", "005", "006", "007", "008"]
    assert "007_convert_user_roles.py (up: +1 constraint, ~1 column)" in out
    assert "note: table users: column order" in out  # the role column comes back last
    assert out.rstrip().endswith("8 migrations verified: each one's down restores the schema, "
                                 "and up again rebuilds it")
    assert (take_url(db_url), snapshot(db_url)) == before
    with connect(db_url) as conn:
        assert conn.execute("SELECT email, role FROM users").fetchall() == [("a@x.org", "admin")]
    scratch = re.search(r"scratch database (pymig_verify_\w+)", out)[1]
    with connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (scratch,)).fetchone()[0] == 0


def test_from_and_to_verify_a_range_after_applying_the_earlier_ones(tmp_path, db_url):
    out = Project(tmp_path, db_url).ok("verify", "--dir", str(EXAMPLE), "--from", "3", "--to", "5")
    assert re.findall(r"^ok +\S*/(\d+)_", out, re.M) == ["003", "004", "005"]
    assert "3 migrations verified" in out


def test_seed_rows_run_through_the_data_hooks(tmp_path, db_url, pymig_server_url):
    """The backfill of 007 and its reverse run on seeded rows; with --scratch-url the database is
    left at the last version, so the converted rows can be looked at."""
    seed = write(tmp_path, "006_users.sql", """
        INSERT INTO users (email, role) VALUES ('a@x.org', 'admin'), ('u@x.org', 'user');
        INSERT INTO users (email, role) VALUES ('m@x.org', 'moderator');
    """)
    with fresh_database(pymig_server_url) as scratch:
        out = Project(tmp_path, db_url).ok("verify", "--dir", str(EXAMPLE), "--scratch-url", scratch,
                                           "--seed", str(seed))
        assert "seeded" in out and "006_users.sql" in out
        with connect(scratch) as conn:
            assert conn.execute("SELECT email, role FROM users ORDER BY id").fetchall() == [
                ("a@x.org", "administrator"), ("u@x.org", "regular_user"), ("m@x.org", "moderator")]


# -- a down that does not undo its up: the four cases, through the real command ---------------

CASES = {
    "leaked_table": (
        broken("CREATE TABLE leak (id int)", "SELECT 1"),
        ["table leak exists after down but not before up",
         "up again failed: operation 1 (run_sql 'CREATE TABLE leak (id int)'): relation \"leak\" already exists"],
    ),
    "lost_index": (
        broken("DROP INDEX idx_t_v; CREATE INDEX idx_t_v2 ON t (v)", "DROP INDEX idx_t_v2"),
        ["index idx_t_v exists before up but not after down",
         "up again failed: operation 1 (run_sql 'DROP INDEX idx_t_v; CREATE INDEX idx_t_v2 ON t (v)'): "
         "index \"idx_t_v\" does not exist"],
    ),
    "changed_default": (
        broken("ALTER TABLE t ALTER COLUMN v SET DEFAULT 'y'", "ALTER TABLE t ALTER COLUMN v SET DEFAULT 'z'"),
        ["column t.v: default 'x'::text before up, 'z'::text after down"],
    ),
    "changed_type": (
        broken("ALTER TABLE t ALTER COLUMN n TYPE varchar(320)", "ALTER TABLE t ALTER COLUMN n TYPE varchar(300)"),
        ["column t.n: type character varying(255) before up, character varying(300) after down"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_down_that_does_not_undo_its_up_fails_naming_migration_and_object(tmp_path, db_url, case):
    source, expected = CASES[case]
    project = Project(tmp_path, db_url)
    project.write("001_base.py", BASE)
    project.write(f"002_{case}.py", source)
    project.write("003_more.py", 'from pymig import add_column\noperations = [add_column("t", "w", "text")]\n')
    before = take_url(db_url), snapshot(db_url)

    res = project.run("verify")

    message = assert_clean_error(res, "1 of 3 migrations does not round-trip:")
    for line in expected:
        assert f"  migrations/002_{case}.py: {line}" in message
    assert re.search(r"^ok +migrations/001_base\.py", res.stdout, re.M)
    assert f"FAIL  migrations/002_{case}.py" in res.stdout
    if "up again failed" in expected[-1]:  # nothing to go on from
        assert f"stopped at migrations/002_{case}.py; not verified: migrations/003_more.py" in message
    else:
        assert re.search(r"^ok +migrations/003_more\.py", res.stdout, re.M)
    assert (take_url(db_url), snapshot(db_url)) == before  # the target (empty here) stays as it was


# -- what the snapshot covers, through the engine ----------------------------------------------------

COVERAGE = {
    "comment": ("COMMENT ON TABLE t IS 'people'", "COMMENT ON TABLE t IS 'persons'",
                "table t: comment (none) before up, persons after down"),
    "privileges": ("GRANT SELECT ON t TO PUBLIC", "SELECT 1",
                   "table t: privileges (postgres=arwdDxt"),  # PostgreSQL 17 adds m (MAINTAIN)
    "column_privileges": ("GRANT UPDATE (v) ON t TO PUBLIC", "SELECT 1",
                          "column t.v: privileges () before up, (=w/"),
    "nullability": ("ALTER TABLE t ALTER COLUMN n SET NOT NULL", "SELECT 1",
                    "column t.n: nullable yes before up, no after down"),
    "identity": ("ALTER TABLE t ADD COLUMN g integer GENERATED ALWAYS AS IDENTITY",
                 "ALTER TABLE t DROP COLUMN g; ALTER TABLE t ADD COLUMN g integer",
                 "column t.g exists after down but not before up"),
    "generated": ("ALTER TABLE t ADD COLUMN g integer GENERATED ALWAYS AS (k * 2) STORED", "SELECT 1",
                  "column t.g exists after down but not before up"),
    "constraint_validity": ("ALTER TABLE t DROP CONSTRAINT t_k_check",
                            "ALTER TABLE t ADD CONSTRAINT t_k_check CHECK (k >= 0) NOT VALID",
                            "constraint t.t_k_check: definition CHECK (k >= 0) before up, CHECK (k >= 0) NOT VALID "
                            "after down; validated yes before up, no after down"),
    "index_predicate": ("DROP INDEX idx_t_v; CREATE INDEX idx_t_v ON t (v) WHERE k > 0",
                        "DROP INDEX idx_t_v; CREATE INDEX idx_t_v ON t (v) WHERE k > 1",
                        "index idx_t_v: definition CREATE INDEX idx_t_v ON public.t USING btree (v) before up, "
                        "CREATE INDEX idx_t_v ON public.t USING btree (v) WHERE (k > 1) after down; "
                        "predicate (none) before up, k > 1 after down"),
    "index_method": ("DROP INDEX idx_t_v; CREATE INDEX idx_t_v ON t USING hash (v)", "SELECT 1",
                     "index idx_t_v: definition CREATE INDEX idx_t_v ON public.t USING btree (v) before up, "
                     "CREATE INDEX idx_t_v ON public.t USING hash (v) after down; method btree before up, "
                     "hash after down"),
    "enum_label": ("ALTER TYPE mood ADD VALUE 'meh'", "SELECT 1",
                   "enum mood: labels (sad, happy) before up, (sad, happy, meh) after down"),
    "view": ("CREATE OR REPLACE VIEW tv AS SELECT id, v FROM t", "SELECT 1",
             "view tv: definition"),
    "sequence": ("ALTER SEQUENCE s INCREMENT BY 5", "SELECT 1",
                 "sequence s: increment 1 before up, 5 after down"),
    "function_and_trigger": (
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; "
        "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch()",
        "DROP TRIGGER t_touch ON t",
        "function touch() exists after down but not before up"),
    "schema": ("CREATE SCHEMA audit; CREATE TABLE audit.log (id int)", "DROP TABLE audit.log",
               "schema audit exists after down but not before up"),
    "row_security": ("ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t USING (k > 0)",
                     "DROP POLICY p ON t", "table t: row security no before up, yes after down"),
}


@pytest.mark.parametrize("case", COVERAGE)
def test_snapshot_sees(tmp_path, db_url, case):
    up, down, expected = COVERAGE[case]
    write(tmp_path, "001_base.py", BASE)
    write(tmp_path, f"002_{case}.py", broken(up, down))

    with pytest.raises(VerifyError) as failure:
        verify_database(db_url, tmp_path)

    assert f"002_{case}.py: {expected}" in str(failure.value)


def test_up_again_is_compared_with_the_first_up(tmp_path, db_url):
    """Down restores the schema, but up builds something else the second time (it reads a sequence)."""
    write(tmp_path, "001_counter.py", broken("CREATE SEQUENCE counter", "DROP SEQUENCE counter"))
    write(tmp_path, "002_made.py", broken(
        "DO $$ BEGIN EXECUTE 'CREATE TABLE made_' || nextval('counter') || ' (id int)'; END $$",
        "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE tablename LIKE 'made%' "
        "LOOP EXECUTE 'DROP TABLE ' || quote_ident(r.tablename); END LOOP; END $$"))

    with pytest.raises(VerifyError) as failure:
        verify_database(db_url, tmp_path)

    message = str(failure.value)
    assert "002_made.py: table made_1 exists after up but not after up again" in message
    assert "002_made.py: table made_2 exists after up again but not after up" in message
    assert "before up" not in message  # down itself restored the schema


def test_a_correct_down_of_every_kind_passes(tmp_path, db_url):
    """The same objects as above, each undone properly: no false alarm, catalog noise included."""
    write(tmp_path, "001_base.py", BASE)
    write(tmp_path, "002_everything.py", broken(
        "COMMENT ON TABLE t IS 'people'; GRANT SELECT ON t TO PUBLIC; GRANT UPDATE (v) ON t TO PUBLIC; "
        "ALTER TYPE mood ADD VALUE 'meh'; CREATE SCHEMA audit; CREATE TABLE audit.log (id int); "
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$; "
        "CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch(); "
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON t USING (k > 0)",
        "DROP POLICY p ON t; ALTER TABLE t DISABLE ROW LEVEL SECURITY; DROP TRIGGER t_touch ON t; "
        "DROP FUNCTION touch(); DROP SCHEMA audit CASCADE; "
        "ALTER TYPE mood RENAME TO mood_old; CREATE TYPE mood AS ENUM ('sad', 'happy'); DROP TYPE mood_old; "
        "REVOKE UPDATE (v) ON t FROM PUBLIC; REVOKE SELECT ON t FROM PUBLIC; COMMENT ON TABLE t IS NULL"))
    lines = []

    outcomes = verify_database(db_url, tmp_path, echo=lines.append)

    assert [o.ok for o in outcomes] == [True, True]
    # audit.log's column is not counted: `+1 table` says it
    assert outcomes[1].changes == ("+1 schema, +1 table, +1 function, +1 trigger, +1 policy, "
                                   "~1 enum, ~1 table, ~1 column")
    assert lines[1].startswith("ok    ") and "002_everything.py (up: +1 schema" in lines[1]


def test_seeded_rows_reach_a_down_that_fails_on_data(tmp_path, db_url, pymig_server_url):
    """Without rows the broken reverse never runs; a seed (SQL or Python) makes it fail."""
    migrations = tmp_path / "migrations"
    write(migrations, "001_t.py", '''
        from pymig import column, create_table
        operations = [create_table("t", column("id", "serial", primary_key=True), column("v", "text"))]
    ''')
    write(migrations, "002_upper.py", '''
        from pymig import backfill
        operations = [backfill("t", set={"v": "upper(v)"}, reverse={"v": "lower(v) || (length(v) / 0)::text"})]
    ''')
    assert [o.ok for o in verify_database(db_url, migrations)] == [True, True]

    sql_seed = write(tmp_path / "seeds", "001_rows.sql", "INSERT INTO t (v) VALUES ('a'), ('b');")
    py_seed = write(tmp_path / "seeds", "1_rows.py", '''
        def seed(conn):
            conn.execute("INSERT INTO t (v) VALUES ('c')")
    ''')
    for seed in (sql_seed, py_seed):
        with fresh_database(pymig_server_url) as url, pytest.raises(VerifyError) as failure:
            verify_database(url, migrations, seeds=(Seed.from_path(seed),))
        assert "002_upper.py: down failed: operation 1 (backfill t (v)): division by zero" in str(failure.value)


# -- refusals ----------------------------------------------------------------------------------------

def test_refusals_are_one_clear_message(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_base.py", BASE)
    assert_clean_error(project.run("verify", "--scratch-url", db_url), "--scratch-url names the target database")
    assert_clean_error(project.run("verify", "--to", "9"), "--to 9: no migration has that version")
    seed = project.write("rows.sql", "SELECT 1", directory=tmp_path)
    assert_clean_error(project.run("verify", "--seed", str(seed)), "its name must start with the version")
    late = project.write("001_rows.sql", "SELECT 1", directory=tmp_path)
    assert_clean_error(project.run("verify", "--seed", str(late)), "no migration would run on its rows")
    # no URL anywhere: the target is the SQLite default, and the scratch database a SQLite file,
    # where this project's run_sql (PostgreSQL's CREATE TYPE ... ENUM) cannot run
    assert_clean_error(project.run("verify", url=None), "001_base.py: up failed", "run_sql")
    assert not (tmp_path / "pymig.db").exists()

    project.ok("up")  # the target now has tables: as a scratch database it is refused
    other = Project(tmp_path, None)
    res = other.run("verify", "--scratch-url", db_url, url=None)
    assert_clean_error(res, "the scratch database has migrations applied")


def test_password_never_printed(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_base.py", BASE)
    url = db_url.replace("postgres@", "postgres:s3cret-pw@", 1)
    res = project.run("verify", url=url)
    assert "s3cret-pw" not in res.stdout + res.stderr


# -- the diff itself, without a database --------------------------------------------------------------

def test_diff_names_objects_and_leaves_out_children_of_a_missing_table():
    first = Snapshot({("table", "t"): {"comment": None}, ("column", "t.a"): {"type": "integer"},
                      ("index", "t_a_idx"): {"definition": "CREATE INDEX ..."}},
                     {("column", "t.a"): ("table", "t"), ("index", "t_a_idx"): ("table", "t")})
    second = Snapshot({}, {})
    differences = diff(first, second)
    assert [d.describe("before up", "after down") for d in differences] == [
        "table t exists before up but not after down"]
    assert summary(second, first) == "+1 table"

    changed = Difference("column", "t.c", {"default": "'x'::text", "nullable": True},
                         {"default": "'y'::text", "nullable": False})
    assert changed.describe("before", "after") == ("column t.c: default 'x'::text before, 'y'::text after; "
                                                  "nullable yes before, no after")
    moved = Difference("table", "t", {"column order": ("a", "b")}, {"column order": ("b", "a")})
    assert moved.is_note and not changed.is_note


def test_seed_file_names_carry_their_version(tmp_path):
    assert Seed.from_path(write(tmp_path, "006_users.sql", "SELECT 1")).after == 6
    assert Seed.from_path(write(tmp_path, "0-first.py", "def seed(conn): pass")).after == 0
    with pytest.raises(ConfigError, match="expected an .sql or .py file"):
        Seed.from_path(write(tmp_path, "006_users.txt", ""))
