"""`pymig baseline` through the installed command: a database with every object kind written
as one migration, applied to an empty database gives the same catalog snapshot; recorded as
applied on the source, so `pymig up` runs only later migrations."""

from __future__ import annotations

import re
import sqlite3
import uuid

import pytest
from adopt_support import FIXTURES, differences, execute, ruff_clean
from helpers import Project, assert_clean_error, connect, log

from pymig.testing import fresh_database


@pytest.fixture
def role(pymig_server_url, database_pool):
    """A role of this test alone (roles are cluster-wide; others run the suite on the same server)."""
    name = f"pymig_reader_{uuid.uuid4().hex[:8]}"
    with connect(pymig_server_url) as conn:
        conn.execute(f'CREATE ROLE "{name}"')
    yield name  # asked for before the databases, so it is dropped after them (and their grants)
    database_pool.settle()
    with connect(pymig_server_url) as conn:
        conn.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def empty_url(pymig_server_url):
    with fresh_database(pymig_server_url) as url:
        yield url


def test_every_object_kind_round_trips(role, db_url, empty_url, pymig_server_url, tmp_path):
    """Laid out to the project's ruff line-length (120 here, as pymig's own)."""
    execute(db_url, (FIXTURES / "every_kind.sql").read_text().replace("{role}", f'"{role}"'))
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 120\n")
    source = Project(tmp_path, db_url)
    out = source.ok("baseline")
    path = source.migrations / "001_baseline.py"
    for kind in ("1 schema", "1 extension", "1 enum", "1 domain", "1 type", "2 sequences", "2 functions",
                 "12 tables", "10 indexes", "2 views", "1 materialized view", "1 trigger", "1 row security", "1 policy",
                 "4 grants", "1 revoke", "6 comments", "1 generated column", "2 table options", "1 sequence owner"):
        assert kind in out, out
    assert "recorded migrations/001_baseline.py as applied" in out
    text = path.read_text()
    assert 'create_table(\n        "users",' in text
    # the kinds the DSL has operations for are written with them, not as run_sql
    for call in ('create_schema("reporting")', 'create_extension("citext")', 'create_enum("mood", ["sad", "ok", "happy"])',
                 'create_sequence("invoice_numbers", start=1000, increment=5)', 'create_function("touch", "", "trigger"',
                 'create_view(\n        "happy_users",',
                 'materialized=True', 'create_trigger("users", "users_touch", "touch", events=["update"])',
                 'grant(["SELECT"], "teams", "public", columns=["title"])', 'grant(["SELECT"], "users", "public")',
                 'comment_on("users.email", "Unique, case-insensitive")', 'comment_on("reporting", "Reports live here")',
                 'comment_on("users.users_name_len", "Names stay short")',
                 'add_exclusion("bookings", "bookings_no_overlap", "gist", [["during", "&&"]], where="room > 0")',
                 'partition_by="RANGE (at)"', 'create_partition("events", "events_other", for_values="DEFAULT")',
                 'rename_constraint("events_2025", "events_2025_pkey", "events_2025_pk")',
                 'rename_index("events_2025_kind_idx", "events_2025_by_kind")',
                 """create_partition("regions", "regions_eu", for_values="IN ('de', 'fr')")"""):
        assert call in text, call
    assert 'add_foreign_key("users", "best_friend_id", "users", "id", name="users_team_fk", on_delete="set null")' in text
    ruff_clean(path)

    source.write("002_add_nickname.py", 'from pymig import add_column\n\noperations = [add_column("users", "nick", "text")]\n')
    assert re.search(r"migrations/001_baseline.py +applied", source.ok("status"))
    up = source.ok("up")
    assert "applied migrations/002_add_nickname.py" in up and "1 migration applied" in up
    assert [r[2] for r in log(db_url)] == ["mark", "up"]

    copy = Project(tmp_path, empty_url)  # the same files, on an empty database
    copy.ok("up")
    assert differences(db_url, empty_url) == []
    copy.ok("down", "--to", "0")
    with fresh_database(pymig_server_url) as pristine:
        assert differences(pristine, empty_url) == []


def test_the_seed_database_round_trips(role, db_url, empty_url, tmp_path):
    """A database built by the seed's runner from its seven SQL migrations (the role data
    migration included): its baseline, applied to an empty database, gives the same catalog."""
    from test_import import seed_folder, seed_runner_up

    seed_runner_up(db_url, seed_folder(tmp_path, role))
    out = Project(tmp_path, db_url).ok("baseline")
    assert "not written: table schema_migrations: the history table of the seed's runner" in out
    ruff_clean(tmp_path / "migrations" / "001_baseline.py")
    Project(tmp_path, empty_url).ok("up")
    assert differences(db_url, empty_url) == ["table schema_migrations exists in the first but not in the second"]


def test_a_non_default_schema_round_trips(role, db_url, empty_url, pymig_server_url, tmp_path):
    """`--schema app`: every kind of object of schema app, written unqualified (the migrations'
    default schema), the history in app; what public holds is said and left out."""
    execute(db_url, "CREATE TABLE public.elsewhere (id int); CREATE SCHEMA app; SET search_path TO app, public;\n"
            + (FIXTURES / "every_kind.sql").read_text().replace("{role}", f'"{role}"'))
    source = Project(tmp_path, db_url)
    res = source.run("baseline", "--schema", "nope")  # a typo: neither created nor written as an empty baseline
    assert_clean_error(res, 'schema "nope" (--schema, or [tool.pymig] schema) does not exist', "nothing was written")
    assert list(source.migrations.iterdir()) == []
    with connect(db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('nope')").fetchone()[0] is None
    out = source.ok("baseline", "--schema", "app")
    for kind in ("1 schema", "1 extension", "12 tables", "10 indexes", "2 views", "1 trigger", "1 policy", "6 comments"):
        assert kind in out, out
    assert "not written: schema contents public: 1 object(s) in schema public" in out
    path = source.migrations / "001_baseline.py"
    text = path.read_text()
    assert 'create_table(\n        "users",' in text and '"app.' not in text and "elsewhere" not in text
    ruff_clean(path)
    assert re.search(r"migrations/001_baseline.py +applied", source.ok("status", "--schema", "app"))
    assert "nothing to apply" in source.ok("up", "--schema", "app")
    with connect(db_url) as conn:  # the history went with the schema
        assert conn.execute("SELECT to_regclass('app.pymig_migrations') IS NOT NULL").fetchone()[0]

    copy = Project(tmp_path, empty_url)
    copy.ok("up", "--schema", "app")  # creates app with the history tables, then everything in it
    assert differences(db_url, empty_url) == ["table elsewhere exists in the first but not in the second"]
    copy.ok("down", "--to", "0", "--schema", "app")
    with fresh_database(pymig_server_url) as pristine:
        execute(pristine, "CREATE SCHEMA app")
        assert differences(pristine, empty_url) == []


def test_every_schema_round_trips(role, db_url, empty_url, pymig_server_url, tmp_path):
    """Without --schema, every schema is read: each kind of object in public and again in schema
    app (names qualified), with objects that cross between them (a foreign key, a view, a
    trigger's function, a default's sequence); applied to an empty database, the same catalog."""
    every = (FIXTURES / "every_kind.sql").read_text().replace("{role}", f'"{role}"')
    execute(db_url, every)
    execute(db_url, "CREATE SCHEMA app; SET search_path TO app, public;\n"
            + every.replace("CREATE SCHEMA reporting;", "").replace("COMMENT ON SCHEMA reporting", "COMMENT ON SCHEMA app")
            + """
        CREATE TABLE public.orders (id serial PRIMARY KEY, user_id bigint REFERENCES app.users(id),
                                    n integer DEFAULT nextval('app.invoice_numbers'));
        CREATE VIEW public.app_happy AS SELECT u.id, o.id AS order_id FROM app.happy_users u JOIN public.orders o
            ON o.user_id = u.id;
        CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE FUNCTION app.touch();
        CREATE INDEX orders_user ON public.orders (user_id);
        ALTER TABLE public.orders ADD COLUMN mood app.mood NOT NULL DEFAULT 'ok';
        CREATE TABLE app.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        CREATE SCHEMA "Odd Schema";
        CREATE TABLE "Odd Schema"."Mixed Case" ("Id" serial PRIMARY KEY, note text);
        CREATE INDEX "Odd idx" ON "Odd Schema"."Mixed Case" (note);""")
    source = Project(tmp_path, db_url)
    out = source.ok("baseline")
    assert "not written: schema contents" not in out
    for kind in ("3 schemas", "27 tables", "3 triggers", "5 views", "2 materialized views", "12 comments"):
        assert kind in out, out
    path = source.migrations / "001_baseline.py"
    text = path.read_text()
    for call in ('create_schema("app")', 'create_table(\n        "app.users",', 'create_table(\n        "users",',
                 'create_enum("app.mood", ["sad", "ok", "happy"])', 'references="app.users(id)"',
                 'create_trigger("orders", "orders_touch", "app.touch", events=["update"])',
                 'create_trigger("app.users", "users_touch", "app.touch", events=["update"])',
                 'comment_on("app.users.email", "Unique, case-insensitive")', 'comment_on("app", "Reports live here")',
                 'grant(["SELECT"], "app.users", "public")', 'create_index("app.teams", "title", name="teams_title_hash"',
                 'column("mood", "app.mood", nullable=False, default=sql("\'ok\'::app.mood"))', '"app.events_2026",',
                 'create_schema("Odd Schema")', 'create_index("Odd Schema.Mixed Case", "note", name="Odd idx")'):
        assert call in text, call
    ruff_clean(path, config=None)  # no ruff settings in the project: ruff's defaults (88 columns)
    assert "nothing to apply" in source.ok("up")

    copy = Project(tmp_path, empty_url)
    copy.ok("up")
    assert differences(db_url, empty_url) == []
    copy.ok("down", "--to", "0")
    with fresh_database(pymig_server_url) as pristine:
        assert differences(pristine, empty_url) == []


def test_quoted_names_mixed_quotes_and_index_orderings(db_url, empty_url, tmp_path):
    """Names that need quoting, literals holding both kinds of quote (written as ruff format
    spells them), an index with DESC NULLS LAST and an expression with its own collation (which
    create_index cannot say: written as the catalog defines it)."""
    execute(db_url, """
        CREATE TYPE "Status" AS ENUM ('new', 'it''s done');
        CREATE TABLE "Order Items" ("Id" bigserial PRIMARY KEY, "Qty" int NOT NULL DEFAULT 1,
            note text DEFAULT 'it''s "x"', st "Status" DEFAULT 'it''s done', tags text[] DEFAULT '{}',
            j jsonb NOT NULL DEFAULT '{"a": [1, 2]}'::jsonb, lo int, hi int, CHECK (lo < hi));
        CREATE INDEX "Order Items_qty" ON "Order Items" ("Qty" DESC NULLS LAST, lower(note) COLLATE "C");
        CREATE INDEX items_first ON "Order Items" (lo NULLS FIRST);
        CREATE INDEX items_desc ON "Order Items" (hi DESC);
        COMMENT ON TABLE "Order Items" IS 'Ann''s "items"';""")
    project = Project(tmp_path, db_url)
    project.ok("baseline", "--no-mark")
    path = project.migrations / "001_baseline.py"
    ruff_clean(path)
    text = path.read_text()
    assert """default='it\\'s "x"'""" in text
    assert 'USING btree ("Qty" DESC NULLS LAST, lower(note) COLLATE "C")' in text
    assert 'create_index("Order Items", "hi DESC", name="items_desc")' in text  # the default NULLS FIRST
    Project(tmp_path, empty_url).ok("up")
    assert differences(db_url, empty_url) == []


def test_sequences_named_before_a_rename(db_url, empty_url, tmp_path):
    """A serial's and an identity's sequence keep their names when the table is renamed; baseline
    writes them so (the serial as its integer and sequence, the table with an identity whose
    sequence the DSL cannot name as the dialect renders it, its renamed primary key added after)."""
    execute(db_url, """
        CREATE TABLE articles (id serial PRIMARY KEY, title text, ref bigint GENERATED BY DEFAULT AS IDENTITY);
        ALTER TABLE articles RENAME TO posts;""")
    project = Project(tmp_path, db_url)
    project.ok("baseline", "--no-mark")
    text = (project.migrations / "001_baseline.py").read_text()
    assert 'GENERATED BY DEFAULT AS IDENTITY (SEQUENCE NAME "articles_ref_seq")' in text
    Project(tmp_path, empty_url).ok("up")
    assert differences(db_url, empty_url) == []


def test_same_database_same_bytes_and_no_mark(db_url, tmp_path):
    execute(db_url, "CREATE TABLE b (id serial PRIMARY KEY, a_id integer);"
                       "CREATE TABLE a (id serial PRIMARY KEY, b_id integer REFERENCES b(id));"
                       "ALTER TABLE b ADD FOREIGN KEY (a_id) REFERENCES a(id)")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = Project(tmp_path / "one", db_url)
    second = Project(tmp_path / "two", db_url)
    out = first.ok("baseline", "initial", "--no-mark")
    assert "not recorded as applied (--no-mark)" in out
    second.ok("baseline", "initial", "--no-mark", "--version", "1")
    one, two = (p.migrations / "001_initial.py" for p in (first, second))
    assert one.read_bytes() == two.read_bytes()
    text = one.read_text()
    # the foreign-key cycle is closed after both tables
    assert text.index('add_foreign_key("a", "b_id", "b", "id")') > text.index('create_table(\n        "b",') > \
        text.index('create_table(\n        "a",')
    assert 'references="a(id)"' in text
    assert "history" not in first.ok("status")  # nothing recorded
    assert first.ok("status").count("pending") == 2


def test_refuses_a_database_with_history_unless_forced(db_url, tmp_path):
    project = Project(tmp_path, db_url)
    project.write("001_t.py", 'from pymig import column, create_table\n\noperations = [create_table("t", column("id", "serial", primary_key=True))]\n')
    project.ok("up")
    res = project.run("baseline")
    assert_clean_error(res, "the database already has pymig history", "1 migration(s) applied", "--force")
    assert not (project.migrations / "002_baseline.py").exists()
    assert_clean_error(project.run("baseline", "--force", "--version", "1"),
                       "--version 1: migrations/001_t.py already has that version")
    assert_clean_error(project.run("baseline", "--force", "--version", "0"), "--version 0: versions start at 1")
    out = project.ok("baseline", "--force", "--no-mark")
    assert "wrote migrations/002_baseline.py" in out


def test_says_what_it_did_not_write(db_url, tmp_path):
    execute(db_url, "CREATE SCHEMA other; CREATE TABLE other.hidden (id int);"
                       "CREATE TABLE base (id int); CREATE TABLE child (extra int) INHERITS (base);"
                       "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")
    out = Project(tmp_path, db_url).ok("baseline", "--no-mark")
    assert "not written: table alembic_version: the history table of Alembic, not part of the schema" in out
    assert "alembic_version" not in (tmp_path / "migrations" / "001_baseline.py").read_text()
    assert "not written: table child: a table that inherits from another" in out
    assert 'create_table("other.hidden", column("id", "integer"))' in (tmp_path / "migrations" / "001_baseline.py").read_text()
    # one schema read: another that holds objects is neither created nor filled (tenant_001's
    # baseline must not create tenant_002)
    out = Project(tmp_path, db_url).ok("baseline", "--no-mark", "--schema", "public", "--version", "2")
    assert "not written: schema other: 1 object(s) in schema other: only the default schema (public" in out
    assert "other" not in (tmp_path / "migrations" / "002_baseline.py").read_text()


def test_sqlite_file_into_the_dsl(tmp_path):
    source, copy = tmp_path / "source.db", tmp_path / "copy.db"
    with sqlite3.connect(source) as conn:
        conn.executescript("""
            CREATE TABLE authors (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
                                  born DATE, rating REAL DEFAULT 0.5 CHECK (rating >= 0));
            CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id)
                                ON DELETE CASCADE, title TEXT NOT NULL DEFAULT 'untitled');
            CREATE INDEX books_title ON books (title) WHERE title <> 'untitled';
            CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
            CREATE VIEW long_books AS SELECT * FROM books WHERE length(title) > 20;
            CREATE TRIGGER authors_trim AFTER INSERT ON authors BEGIN
                UPDATE authors SET name = trim(name) WHERE id = NEW.id; END;
        """)
    (tmp_path / "p").mkdir()
    project = Project(tmp_path / "p", f"sqlite:///{source}")
    out = project.ok("baseline")
    assert "3 tables" in out and "1 view" in out and "1 trigger" in out, out
    ruff_clean(project.migrations / "001_baseline.py")
    assert "applied" in project.ok("status")
    Project(tmp_path / "p", f"sqlite:///{copy}").ok("up")
    assert differences(f"sqlite:///{source}", f"sqlite:///{copy}") == []
