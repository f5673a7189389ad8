"""The benchmark harness (benchmarks/): the generated projects are equivalent, and a pymig
measurement runs end to end. Behaviour only: timings are never asserted here."""

from __future__ import annotations

import importlib.util
import shutil
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import TABLES, changes, generate  # noqa: E402
from benchmarks.measure import StatementLog, Traffic, alternate, run_once, split_statements  # noqa: E402

PEERS_MISSING = [name for name, ok in (
    ("alembic", importlib.util.find_spec("alembic") is not None),
    ("yoyo-migrations", importlib.util.find_spec("yoyo") is not None),
    ("psql", shutil.which("psql") is not None),
) if not ok]
needs_peers = pytest.mark.skipif(bool(PEERS_MISSING), reason=f"pip install -e '.[bench]' (missing {PEERS_MISSING})")


# -- without a database ---------------------------------------------------------------------------

def test_history_is_the_table_creation_then_n_column_or_index_migrations():
    history = changes(10)
    assert len(history) == 11
    assert [c.version for c in history] == list(range(1, 12))
    assert history[0].kind == "create_tables"
    assert [c.kind for c in history[1:]].count("create_index") == 3  # i = 3, 6, 9
    for before, c in zip(history, history[1:]):
        if c.kind == "create_index":  # indexes the column added just before, on its table
            assert before.kind == "add_column" and (before.table, before.column) == (c.table, c.column)
    added = [(c.table, c.column) for c in history if c.kind == "add_column"]
    assert len(added) == len(set(added)) == 7
    assert {t for t, _ in added} <= set(TABLES)


def test_every_tool_gets_one_file_per_migration_and_psql_the_same_statements(tmp_path):
    projects = generate(tmp_path, 10, "postgresql://bench:secret@db.example:5432/bench_x")
    assert len(list((projects.pymig / "migrations").glob("*.py"))) == 11
    assert len(list((projects.alembic / "alembic" / "versions").glob("*.py"))) == 11
    assert len(list((projects.yoyo / "migrations").glob("*.py"))) == 11
    up = (projects.psql / "up.sql").read_text().splitlines()
    down = (projects.psql / "down.sql").read_text().splitlines()
    assert len(up) == len(down) == len(TABLES) + 10
    assert up[-1] == "ALTER TABLE products ADD COLUMN c10 timestamp with time zone;"
    assert down[0] == "ALTER TABLE products DROP COLUMN c10;" and down[-1] == "DROP TABLE accounts;"
    assert "sqlalchemy.url = postgresql+psycopg://bench:secret@db.example:5432/bench_x" in \
        (projects.alembic / "alembic.ini").read_text()
    # a linear chain, as `alembic revision` and `yoyo new` write it
    assert 'down_revision = \'000000000010\'' in (projects.alembic / "alembic" / "versions" /
                                                  "000000000011_add_products_c10.py").read_text()
    assert "__depends__ = {'0010_index_accounts_c8'}" in (projects.yoyo / "migrations" /
                                                         "0011_add_products_c10.py").read_text()


def test_statement_log_counts_statements_round_trips_and_backends_of_one_database():
    log = "\n".join([
        "2026-11-24 01:19:12.339 UTC [20407] postgres@bench_a LOG:  execute <unnamed>: SELECT pg_try_advisory_lock($1)",
        "2026-11-24 01:19:12.339 UTC [20407] postgres@bench_a DETAIL:  parameters: $1 = '1886218599'",
        "2026-11-24 01:19:12.340 UTC [20408] postgres@bench_a LOG:  statement: CREATE TABLE t (",
        "\t    id bigint",
        "\t)",
        "2026-11-24 01:19:12.341 UTC [20408] postgres@bench_a LOG:  statement: BEGIN; SELECT ';'; COMMIT",
        "2026-11-24 01:19:12.342 UTC [20409] postgres@bench_ab LOG:  statement: BEGIN",
        "2026-11-24 01:19:12.343 UTC [20410] postgres@other LOG:  statement: SELECT 1",
        "2026-11-24 01:19:12.344 UTC [20408] postgres@bench_a ERROR:  relation \"t\" already exists",
        "2026-11-24 01:19:12.344 UTC [20408] postgres@bench_a STATEMENT:  CREATE TABLE t (id int)",
        "2026-11-24 01:19:12.345 UTC [2184] LOG:  checkpoint complete: wrote 949 buffers",
    ])
    assert StatementLog.parse(log, "bench_a") == Traffic(statements=5, round_trips=3, connections=2)


def test_split_statements_ignores_semicolons_in_quotes():
    assert split_statements("BEGIN") == 1
    assert split_statements("BEGIN; SELECT 'a;b'; COMMIT;") == 3
    assert split_statements('SELECT "x;y" FROM t') == 1
    assert split_statements(" ; ") == 0


# -- against a real server ------------------------------------------------------------------------

@needs_peers
def test_generated_projects_build_the_same_schema_and_undo_it(pymig_server_url, tmp_path):
    import psycopg

    from benchmarks.run import TOOLS, Setup, database_url, databases, executables, schema_fingerprint

    n = 5
    with psycopg.connect(pymig_server_url, autocommit=True) as admin, \
            databases(admin, f"bench_test_{uuid.uuid4().hex[:8]}", n) as names:
        urls = {t: database_url(pymig_server_url, names[t]) for t in TOOLS}
        setup = Setup(n, generate(tmp_path, n, urls["alembic"]), names, urls, executables())

        preview = run_once(setup.pymig("sql"), capture=True).stdout
        for c in changes(n)[1:]:
            assert (f'"{c.column}"' if c.kind == "add_column" else f'"{c.index_name}"') in preview

        for t in TOOLS:
            run_once(setup.forward()[t])
        schemas = {t: schema_fingerprint(urls[t]) for t in TOOLS}
        for t in TOOLS:
            assert schemas[t] == schemas["pymig"], t
        columns = [row for row in schemas["pymig"] if len(row) == 6]
        assert [(table, name) for table, _, name, *_ in columns] == [
            ("accounts", "id"), ("accounts", "c4"), ("events", "id"), ("orders", "id"), ("orders", "c1"),
            ("orders", "c5"), ("products", "id"), ("products", "c2")]
        indexes = [row[2] for row in schemas["pymig"] if row[0] == "index"]
        assert "CREATE INDEX ix_products_c2 ON public.products USING btree (c2)" in indexes
        assert len(indexes) == len(TABLES) + 1  # the primary keys' and the one index

        with psycopg.connect(urls["pymig"]) as conn:
            assert conn.execute("SELECT count(*) FROM pymig_migrations").fetchone()[0] == n + 1
        with psycopg.connect(urls["alembic"]) as conn:
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == f"{n + 1:012d}"
        with psycopg.connect(urls["yoyo"]) as conn:
            assert conn.execute("SELECT count(*) FROM _yoyo_migration").fetchone()[0] == n + 1

        samples = alternate([setup.pymig("status"), setup.alembic("current")], runs=1, warmup=0)
        for sample in samples.values():
            assert len(sample.seconds) == len(sample.rss_kb) == len(sample.cpu) == 1
            assert sample.seconds[0] > 0 and sample.rss_kb[0] > 0 and sample.cpu[0] > 0

        for t in TOOLS:
            run_once(setup.backward()[t])
        for t in TOOLS:
            assert schema_fingerprint(urls[t]) == [], t


@needs_peers
def test_statement_counts_come_from_the_server_log(pymig_server_url, tmp_path):
    import psycopg

    from benchmarks.run import TOOLS, Setup, database_url, databases, executables

    n = 2
    with psycopg.connect(pymig_server_url, autocommit=True) as admin, \
            databases(admin, f"bench_test_{uuid.uuid4().hex[:8]}", n) as names:
        log = StatementLog(admin, StatementLog.find(admin, None))
        if not log.available:
            pytest.skip(f"no statement counts on this server: {log.why_not}")
        urls = {t: database_url(pymig_server_url, names[t]) for t in TOOLS}
        setup = Setup(n, generate(tmp_path, n, urls["alembic"]), names, urls, executables())
        psql = log.count(names["psql"], setup.forward()["psql"])
        assert psql == Traffic(statements=len(TABLES) + n, round_trips=len(TABLES) + n, connections=1)
        pymig = log.count(names["pymig"], setup.forward()["pymig"])
        # each migration: at least its DDL, its history record and a commit
        assert pymig.statements >= psql.statements + 2 * (n + 1)
        assert pymig.round_trips <= pymig.statements
        setting = admin.execute("SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = "
                                "s.setdatabase WHERE d.datname = %s", (names["pymig"],)).fetchone()[0]
        assert setting == 0  # log_statement was reset on the database
