"""`pymig import` through the installed command: the seed's seven SQL migrations imported and
adopted from a `schema_migrations` table the seed's runner logic made; Flyway, golang-migrate and
dbmate layouts on small examples; every bad input refused with one message, nothing written."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import psycopg
import pytest
from adopt_support import FIXTURES, differences, execute, ruff_clean
from helpers import Project, assert_clean_error, connect, log

from pymig.testing import fresh_database

SEED = FIXTURES / "seed"


@pytest.fixture
def role(pymig_server_url, database_pool):
    """The seed grants to authenticated_user; each test gets a role of its own (roles are cluster-wide)."""
    name = f"pymig_authenticated_{uuid.uuid4().hex[:8]}"
    with connect(pymig_server_url) as conn:
        conn.execute(f'CREATE ROLE "{name}"')
    yield name  # asked for before the databases, so it is dropped after them
    database_pool.settle()
    with connect(pymig_server_url) as conn:
        conn.execute(f'DROP ROLE "{name}"')


def seed_folder(tmp_path: Path, role: str) -> Path:
    folder = tmp_path / "sql"
    folder.mkdir()
    for f in SEED.glob("*.sql"):
        (folder / f.name).write_text(f.read_text().replace("authenticated_user", role))
    return folder


def seed_runner_up(url: str, folder: Path) -> None:
    """The seed's runner (migrate.py, asyncpg there): each pending file whole, then its stem recorded."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version VARCHAR(50) PRIMARY KEY, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
        applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        for f in sorted(p for p in folder.glob("*.sql") if not p.name.endswith("_down.sql")):
            if f.stem not in applied:
                conn.execute(f.read_text())
                conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (f.stem,))


def public_relations(url: str) -> list[str]:
    with connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = "
                                           "'public'::regnamespace AND relname NOT LIKE 'pymig%' ORDER BY 1")]


def test_seed_imported_equals_the_sql_and_round_trips(role, db_url, pymig_server_url, tmp_path):
    folder = seed_folder(tmp_path, role)
    seed_runner_up(db_url, folder)
    project = Project(tmp_path, None)
    out = project.ok("import", str(folder), url=None)
    assert "importing 7 seed migrations" in out
    assert re.search(r"CREATE TABLE user_profiles .* -> create_table", out)
    assert re.search(r"GRANT SELECT, INSERT, UPDATE ON user_profiles TO \S+ -> run_sql \(pymig has no operation "
                     r"for GRANT; its down= is the REVOKE\)", out)
    assert re.search(r"UPDATE users SET role_new = CASE .* -> backfill", out)
    assert "down file 004_add_avatar_to_users_down.sql: agrees with the inverse pymig derives" in out
    assert "run_sql 'DO $$ BEGIN IF EXISTS (SELECT 1 FROM users WHERE L...': down= " in out
    assert "7 migrations written to migrations\n" in out and "IRREVERSIBLE" not in out and "MISMATCH" not in out
    files = sorted(p.name for p in project.migrations.iterdir())
    assert files == ["001_initial_schema.py", "002_add_user_profiles.py", "003_add_reading_progress.py",
                     "004_add_avatar_to_users.py", "005_expand_email_length.py", "006_add_performance_indexes.py",
                     "007_convert_user_roles.py"]
    ruff_clean(*project.migrations.iterdir())
    assert 'backfill(\n        "users",' in (project.migrations / "007_convert_user_roles.py").read_text()

    with fresh_database(pymig_server_url) as copy_url, fresh_database(pymig_server_url) as pristine:
        copy = Project(tmp_path, copy_url)
        copy.ok("up")
        assert differences(db_url, copy_url) == ["table schema_migrations exists in the first but not in the second"]
        copy.ok("down", "--to", "0")
        assert differences(pristine, copy_url) == []
        copy.ok("up")
        assert differences(db_url, copy_url) == ["table schema_migrations exists in the first but not in the second"]

    # the seed's own database: its history adopted, then pymig runs it
    (tmp_path / "adopt").mkdir()
    adopted = Project(tmp_path / "adopt", db_url)
    out = adopted.ok("import", str(folder), "--adopt-history")
    assert "adopted the seed history: 7 migrations recorded as applied (not run)" in out
    assert "the old table is left as it was" in out
    status = adopted.ok("status")
    assert status.count(" applied ") == 7 and "7 applied" in status
    assert [r[2] for r in log(db_url)] == ["mark"] * 7
    assert "nothing to apply" in adopted.ok("up")
    adopted.ok("down", "--steps", "3")
    assert "3 migrations applied" in adopted.ok("up")
    adopted.ok("down", "--to", "0")
    assert public_relations(db_url) == ["schema_migrations", "schema_migrations_pkey"]


def test_a_down_file_that_does_not_undo_the_up_is_reported(tmp_path):
    folder = write(tmp_path / "sql", {"001_a.sql": ITEMS, "002_b.sql": PRICE + "\nCREATE INDEX items_name ON items (name);",
                                      "002_b_down.sql": "DROP INDEX items_name;"})
    out = Project(tmp_path, None).ok("import", str(folder), url=None)
    assert "down file 002_b_down.sql: MISMATCH: it leaves column items.price that was not there before; " \
           "`pymig down` uses the inverse pymig derives" in out
    text = (tmp_path / "migrations" / "002_b.py").read_text()
    assert "add_column" in text and "create_index" in text


def test_a_predicate_postgresql_refuses_is_reported_and_kept(tmp_path):
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "001_sessions.sql").write_text(
        "CREATE TABLE sessions (id serial PRIMARY KEY, user_id int, expires_at timestamp);\n"
        "-- Partial index for active sessions only\n"
        "CREATE INDEX idx_active_sessions ON sessions(user_id) WHERE expires_at > NOW();\n")
    out = Project(tmp_path, None).ok("import", str(folder), url=None)
    assert "CREATE INDEX idx_active_sessions ON sessions(user_id) WHERE expires_at > NOW() -> run_sql (kept as SQL, " \
        "see the warning)" in out
    assert "warning: index predicate 'expires_at > NOW()' calls now(), which is not IMMUTABLE" in out
    text = (tmp_path / "migrations" / "001_sessions.py").read_text()
    assert '"CREATE INDEX idx_active_sessions ON sessions(user_id) WHERE expires_at > NOW()"' in text


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


ITEMS = "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL);"
PRICE = "ALTER TABLE items ADD COLUMN price numeric(10,2) NOT NULL DEFAULT 0;"
UNPRICE = "ALTER TABLE items DROP COLUMN price;"
COVER = "\nCREATE INDEX items_cover ON items (id) INCLUDE (name);"


BILLING = {
    "001_init.sql": """CREATE SCHEMA billing;
CREATE TABLE billing.accounts (id serial PRIMARY KEY, email varchar(100) NOT NULL);
CREATE INDEX accounts_email ON billing.accounts (email);
ALTER TABLE billing.accounts ADD COLUMN note text;""",
    "001_init_down.sql": "DROP TABLE billing.accounts;\nDROP SCHEMA billing;",
    "002_more.sql": """CREATE TABLE billing.invoices (id serial PRIMARY KEY,
    account_id int NOT NULL REFERENCES billing.accounts(id) ON DELETE CASCADE);
ALTER TABLE billing.accounts RENAME TO accts;
CREATE INDEX inv_open ON billing.invoices (account_id) WHERE account_id > 0;
CREATE INDEX inv_ops ON billing.invoices (account_id int4_ops);
DROP INDEX billing.accounts_email;""",
    "002_more_down.sql": """CREATE INDEX accounts_email ON billing.accts (email);
DROP INDEX billing.inv_ops;
DROP INDEX billing.inv_open;
ALTER TABLE billing.accts RENAME TO accounts;
DROP TABLE billing.invoices;""",
}


def test_schema_qualified_statements(db_url, pymig_server_url, tmp_path):
    """Statements naming another schema's objects become operations on those qualified names
    (CREATE SCHEMA is create_schema); what stays SQL gets its drop in that schema; the imported
    project gives the catalog the SQL files give, and down leaves nothing."""
    folder = write(tmp_path / "sql", BILLING)
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder))
    assert "CREATE SCHEMA billing -> create_schema" in out
    assert "ALTER TABLE billing.accounts RENAME TO accts -> rename_table" in out
    assert "down= 'DROP INDEX billing.inv_ops' (from the down file)" in out
    assert "-> run_sql (index inv_ops: 'account_id int4_ops' names an operator class, which create_index " \
           "cannot write)" in out
    first, second = (project.migrations / n for n in ("001_init.py", "002_more.py"))
    for call in ('create_schema("billing")', '"billing.accounts",', 'create_index("billing.accounts", "email", '
                 'name="accounts_email")', 'add_column("billing.accounts", "note", "text")'):
        assert call in first.read_text(), call
    for call in ('references="billing.accounts(id)"', 'rename_table("billing.accounts", "accts")',
                 'drop_index("billing.accounts_email")', '"billing.invoices",'):
        assert call in second.read_text(), call
    ruff_clean(first, second, config=None)
    with fresh_database(pymig_server_url) as by_sql:
        for name in ("001_init.sql", "002_more.sql"):
            execute(by_sql, BILLING[name])
        project.ok("up")
        assert differences(by_sql, db_url) == []
    project.ok("down", "--to", "0")
    with connect(db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('billing')").fetchone()[0] is None


def test_flyway_layout(db_url, tmp_path):
    folder = write(tmp_path / "flyway", {"V1__create_items.sql": ITEMS, "V2__add_price.sql": PRICE,
                                         "U2__add_price.sql": UNPRICE})
    execute(db_url, ITEMS + """
        CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
            description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL,
            checksum int, installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(),
            execution_time int NOT NULL, success boolean NOT NULL);
        INSERT INTO flyway_schema_history VALUES (1, '1', 'create items', 'SQL', 'V1__create_items.sql', 0,
            'me', now(), 5, true);""")
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder), "--adopt-history")
    assert "importing 2 flyway migrations" in out
    assert "down file U2__add_price.sql: agrees with the inverse pymig derives" in out
    assert "1 migration recorded as applied (not run): migrations/001_create_items.py" in out
    assert "applied migrations/002_add_price.py" in project.ok("up")
    project.ok("down", "--to", "0")
    assert public_relations(db_url) == ["flyway_schema_history", "flyway_schema_history_pkey"]


FLYWAY_HISTORY = """CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
    description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int,
    installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL,
    success boolean NOT NULL);"""


def test_flyway_baseline_and_undo_rows(db_url, tmp_path):
    """Flyway's BASELINE row covers the versions up to it; an UNDO row (Flyway Teams) and a failed
    row leave their version unapplied; a version no file has is said, not recorded."""
    folder = write(tmp_path / "flyway", {"V1__create_items.sql": ITEMS, "V2__add_price.sql": PRICE,
                                         "V3__index_name.sql": "CREATE INDEX items_name ON items (name);",
                                         "U3__index_name.sql": "DROP INDEX items_name;",
                                         "V4__add_note.sql": "ALTER TABLE items ADD COLUMN note text;"})
    execute(db_url, ITEMS + PRICE + FLYWAY_HISTORY + """
        INSERT INTO flyway_schema_history VALUES
            (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'me', now(), 0, true),
            (2, '3', 'index name', 'SQL', 'V3__index_name.sql', 0, 'me', now(), 5, true),
            (3, '3', 'index name', 'UNDO_SQL', 'U3__index_name.sql', 0, 'me', now(), 5, true),
            (4, '4', 'add note', 'SQL', 'V4__add_note.sql', 0, 'me', now(), 5, false),
            (5, '9', 'from elsewhere', 'SQL', 'V9__from_elsewhere.sql', 0, 'me', now(), 5, true);
        DROP INDEX IF EXISTS items_name;""")
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder), "--adopt-history")
    assert "2 migrations recorded as applied (not run): migrations/001_create_items.py, " \
           "migrations/002_add_price.py;" in out
    assert "note: flyway_schema_history also lists 9, which no file of flyway has: not recorded" in out
    up = project.ok("up")
    assert "applied migrations/003_index_name.py" in up and "2 migrations applied" in up


def test_golang_migrate_layout(db_url, tmp_path):
    folder = write(tmp_path / "gm", {
        "1_create_items.up.sql": ITEMS + COVER, "1_create_items.down.sql": "DROP TABLE items;",
        "2_add_price.up.sql": PRICE, "2_add_price.down.sql": UNPRICE,
        "3_index_names.up.sql": "CREATE INDEX items_name ON items (lower(name));",
        "3_index_names.down.sql": "DROP INDEX items_name;"})
    execute(db_url, ITEMS + COVER + PRICE + "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
                                    "dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (2, false);")
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder), "--adopt-history")
    assert "importing 3 golang-migrate migrations" in out
    assert "CREATE INDEX items_cover ON items (id) INCLUDE (name) -> create_index" in out
    assert "2 migrations recorded as applied (not run)" in out
    assert "1 migration applied" in project.ok("up")
    assert 'create_index("items", "lower(name)", name="items_name")' in \
        (project.migrations / "003_index_names.py").read_text()
    project.ok("down", "--to", "0")
    assert public_relations(db_url) == ["schema_migrations", "schema_migrations_pkey"]


def test_golang_migrate_dirty_history_is_refused(db_url, tmp_path):
    folder = write(tmp_path / "gm", {"1_create_items.up.sql": ITEMS, "1_create_items.down.sql": "DROP TABLE items;"})
    execute(db_url, ITEMS + "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, "
                            "dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (1, true);")
    res = Project(tmp_path, db_url).run("import", str(folder), "--adopt-history")
    assert_clean_error(res, "schema_migrations says version 1 is dirty", "nothing was written")
    assert not (tmp_path / "migrations").exists() or list((tmp_path / "migrations").iterdir()) == []


def test_adopting_refuses_before_writing_anything(db_url, tmp_path):
    folder = write(tmp_path / "sql", {"001_create_items.sql": ITEMS, "002_add_price.sql": PRICE})
    project = Project(tmp_path, db_url)
    res = project.run("import", str(folder), "--adopt-history")
    assert_clean_error(res, "the database has no schema_migrations table", "nothing was written")
    execute(db_url, "CREATE TABLE schema_migrations (version varchar(50) PRIMARY KEY);"
                    "INSERT INTO schema_migrations VALUES ('001_create_items'), ('002_add_price')")
    res = project.run("import", str(folder), "--adopt-history")  # the runner's table says so, the database does not
    assert_clean_error(res, "migrations/001_create_items.py: create_table items: table items does not exist",
                       "nothing was recorded")
    assert list(project.migrations.iterdir()) == []
    assert log(db_url) == []


def test_dbmate_layout(db_url, tmp_path):
    folder = write(tmp_path / "db" / "migrations", {
        "20240101120000_create_items.sql": f"-- migrate:up\n{ITEMS}\n\n-- migrate:down\nDROP TABLE items;\n",
        "20240102120000_add_price.sql": f"-- migrate:up\n{PRICE}\n-- migrate:down\n{UNPRICE}\n"})
    execute(db_url, ITEMS + "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
                            "INSERT INTO schema_migrations VALUES ('20240101120000');")
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder), "--adopt-history")
    assert "importing 2 dbmate migrations" in out
    assert (project.migrations / "20240101120000_create_items.py").exists()
    assert "the migrate:down section: agrees with the inverse pymig derives" in out
    assert "1 migration recorded as applied" in out
    assert "1 migration applied" in project.ok("up")
    project.ok("down", "--to", "0")
    assert public_relations(db_url) == ["schema_migrations", "schema_migrations_pkey"]


BAD = {
    "gaps": ({"001_a.sql": ITEMS, "002_b.sql": PRICE, "004_c.sql": UNPRICE},
             ["version 3 is missing between 1 and 4", "--allow-gaps"]),
    "duplicates": ({"001_a.sql": ITEMS, "001_b.sql": PRICE}, ["duplicate version 1:", "001_a.sql", "001_b.sql"]),
    "down without up": ({"001_a.sql": ITEMS, "002_b_down.sql": UNPRICE},
                        ["002_b_down.sql is a down file without an up file"]),
    "not utf-8": ({"001_a.sql": ITEMS, "002_b.sql": b"-- caf\xe9\nSELECT 1;"}, ["002_b.sql is not UTF-8 text"]),
    "unknown format": ({"create_items.sql": ITEMS, "notes.sql": PRICE},
                       ["cannot tell the format from the file names", "--format seed"]),
}


@pytest.mark.parametrize("case", BAD, ids=str)
def test_bad_input_is_refused_and_nothing_is_written(case, tmp_path):
    files, needles = BAD[case]
    folder = tmp_path / "sql"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    project = Project(tmp_path, None)
    res = project.run("import", str(folder), url=None)
    assert_clean_error(res, *needles, "nothing was written")
    assert list(project.migrations.iterdir()) == []


def test_unknown_format_option_and_taken_versions(tmp_path):
    folder = write(tmp_path / "sql", {"001_a.sql": ITEMS})
    project = Project(tmp_path, None)
    res = project.run("import", str(folder), "--format", "liquibase", url=None)
    assert res.returncode == 2 and "'liquibase' is not one of 'seed', 'flyway', 'golang-migrate', 'dbmate'" in res.stderr
    project.write("001_existing.py", "operations = []\n")
    res = project.run("import", str(folder), url=None)
    assert_clean_error(res, "version 1 is taken: migrations/001_existing.py already exists", "nothing was written")
    assert sorted(p.name for p in project.migrations.iterdir()) == ["001_existing.py"]


def test_a_statement_sqlglot_cannot_parse_stays_sql(tmp_path):
    folder = write(tmp_path / "sql", {"001_a.sql": ITEMS + "\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS "
                                                          "$$ SELECT 1 $$;\nVACUUM FULL items;\n"})
    down = "DROP FUNCTION f();\nDROP TABLE items;\n"
    (folder / "001_a_down.sql").write_text(down)
    out = Project(tmp_path, None).ok("import", str(folder), url=None)
    text = (tmp_path / "migrations" / "001_a.py").read_text()
    assert "VACUUM FULL items" in text and "CREATE FUNCTION f()" in text
    assert "$$ SELECT 1 $$ -> run_sql (pymig has no operation for CREATE FUNCTION)" in out  # the kind, not its name
    # the function's CREATE pairs with the down file's DROP of it; nothing undoes the VACUUM
    assert "run_sql 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$...': down= 'DROP FUNCTION f()' " \
           "(from the down file)" in out
    assert "IRREVERSIBLE: run_sql 'VACUUM FULL items' has no statement in the down file" in out


def test_tables_kept_as_sql_pair_with_their_drop(db_url, tmp_path):
    """A table UNIQUE named otherwise than create_table would is add_unique after it; a CREATE
    TABLE pymig keeps as SQL (PARTITION BY, UNLOGGED) gets the down file's DROP TABLE as its down=
    (that DROP is an operation there), or without a down file the DROP of what it creates."""
    folder = write(tmp_path / "sql", {
        "001_a.sql": "CREATE TABLE accounts (id serial PRIMARY KEY, email text NOT NULL,\n"
                     "    CONSTRAINT accounts_email_unique UNIQUE (email));\n"
                     "CREATE TABLE audit (id int, at date) PARTITION BY RANGE (at);\n"
                     "CREATE UNLOGGED TABLE scratch (id int);\n",
        "001_a_down.sql": "DROP TABLE scratch;\nDROP TABLE IF EXISTS audit;\nDROP TABLE accounts;\n",
        "002_b.sql": "CREATE TABLE IF NOT EXISTS later (id int) PARTITION BY LIST (id);\n"
                     "CREATE TABLE other (id int) PARTITION BY LIST (id);\n"})
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder), url=None)
    assert "CONSTRAINT accounts_email_unique ... -> create_table, add_unique" in out
    assert 'add_unique("accounts", "email", name="accounts_email_unique")' in \
        (project.migrations / "001_a.py").read_text()
    assert "run_sql 'CREATE TABLE audit (id int, at date) PARTITION BY ...': down= 'DROP TABLE IF EXISTS audit' " \
           "(from the down file)" in out
    assert "run_sql 'CREATE UNLOGGED TABLE scratch (id int)': down= 'DROP TABLE scratch' (from the down file)" in out
    assert "down= 'DROP TABLE other' (derived: the DROP of what it creates)" in out
    # IF NOT EXISTS: the table may have been there before; its DROP would be a guess
    assert "IRREVERSIBLE: run_sql 'CREATE TABLE IF NOT EXISTS later (id int) PARTITIO...'" in out
    assert "irreversible: 002_b.py" in out
    (project.migrations / "002_b.py").unlink()
    project.ok("up")
    with connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'accounts_email_unique' "
                            "AND contype = 'u'").fetchone()[0] == 1
    project.ok("down", "--to", "0")
    assert public_relations(db_url) == []


def test_columns_kept_as_sql_pair_with_their_drop(db_url, tmp_path):
    """ADD COLUMN IF NOT EXISTS stays SQL: the down file's DROP COLUMN (an operation there) is its
    down=; an ADD COLUMN the DSL cannot say (ON UPDATE) gets the derived DROP COLUMN."""
    folder = write(tmp_path / "sql", {
        "001_a.sql": ITEMS,
        "002_b.sql": "ALTER TABLE items ADD COLUMN IF NOT EXISTS price numeric;\n"
                     "ALTER TABLE items ADD COLUMN owner int REFERENCES items(id) ON UPDATE CASCADE;\n",
        "002_b_down.sql": "ALTER TABLE items DROP COLUMN IF EXISTS price;\n"})
    project = Project(tmp_path, db_url)
    out = project.ok("import", str(folder), url=None)
    assert "run_sql 'ALTER TABLE items ADD COLUMN IF NOT EXISTS price n...': down= 'ALTER TABLE items DROP COLUMN " \
           "IF EXISTS price' (from the down file)" in out
    assert "down= 'ALTER TABLE items DROP COLUMN owner' (derived: the DROP of what it creates)" in out
    assert "IRREVERSIBLE" not in out
    project.ok("up")
    project.ok("down", "--to", "1")
    with connect(db_url) as conn:
        assert [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                           "WHERE table_name = 'items' ORDER BY 1")] == ["id", "name"]


def test_creates_without_a_down_file_get_their_drop(tmp_path):
    folder = write(tmp_path / "sql", {"001_a.sql": ITEMS + "\nCREATE VIEW named AS SELECT name FROM items;\n"
                                                          "CREATE INDEX items_cover ON items USING gist (id) WITH (buffering = on);\n"
                                                          "CREATE OR REPLACE VIEW named AS SELECT name FROM items;\n"})
    out = Project(tmp_path, None).ok("import", str(folder), url=None)
    assert "run_sql 'CREATE VIEW named AS SELECT name FROM items': down= 'DROP VIEW named' (derived" in out
    assert "down= 'DROP INDEX items_cover' (derived" in out
    # OR REPLACE may have replaced a view that existed before: its DROP would be a guess
    assert "IRREVERSIBLE: run_sql 'CREATE OR REPLACE VIEW named AS SELECT name FROM i...'" in out
    assert "1 migration written to migrations; irreversible: 001_a.py" in out
