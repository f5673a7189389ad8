"""Real round trips on PostgreSQL, one fresh database per case of tests/cases.py.

The setup runs as migration 1 and the operations under test as migration 2, both through the
real Executor with the real history table. Then: the catalog after migration 2 equals the state
its operations predict (normalised only as tests/catalog.py explains); reverting it from its
stored history record gives back exactly the catalog before; applying it again gives exactly
the catalog of the first time. Each phase uses a new Executor, as separate `pymig` runs do.

Every case runs in `public`, the database's default schema; a few cases that together use every
operation kind (and the schema-qualified rows) run again with the default schema `app` (the
`schema` setting: search_path) and the history tables in a schema of their own
(`history_schema = "pymig_history"`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import CASES, SCHEMA_CASES, build, inverse_ops, resolve
from catalog import comparable, relations, spelled_by_catalog
from pymig.dialects.postgres import PostgresDialect
from pymig.executor import Executor
from pymig.history import ensure_tables, read_records
from pymig.loader import Migration, MigrationFile
from pymig.names import schemas_named
from pymig.ops import decode
from pymig.snapshot import take

DIALECT = PostgresDialect()
IN_APP = PostgresDialect().configured("app", "pymig_history")


def _covering(cases) -> list:
    """Few cases that together use every operation kind (each pick the case with the most kinds
    not yet used), and every schema-qualified row, in the table's order."""
    left, chosen = {op.kind for c in cases for op in c.ops}, {c.id for c in SCHEMA_CASES}
    while left:
        best = max(cases, key=lambda c: len({op.kind for op in c.ops} & left))
        chosen.add(best.id)
        left -= {op.kind for op in best.ops}
    return [c for c in cases if c.id in chosen]


PARAMS = [*(pytest.param(c, DIALECT, id=str(c)) for c in CASES),
          *(pytest.param(c, IN_APP, id=f"app-{c}") for c in _covering(CASES))]


@pytest.fixture
def connect(db_url):
    opened = []

    def open_(dialect):
        if dialect.schema is not None:
            plain = DIALECT.connect(db_url)
            plain.execute(f"CREATE SCHEMA {dialect.quote(dialect.schema)}")
            plain.close()
        database = dialect.connect(db_url)
        opened.append(database)
        ensure_tables(database, dialect)
        return database

    yield open_
    for database in opened:
        database.close()


def migration(version: int, name: str, ops) -> Migration:
    path = Path(f"{version:03d}_{name}.py")  # never read: the operations are given
    return Migration(MigrationFile(version, name, path), name, tuple(ops), f"checksum of {path}")


def snapshot(db, case, dialect):
    """What the round trip compares: pymig's view of the catalog (of the default schema and of
    those the case names), the relations it does not model, the whole catalog as `pymig verify`
    reads it (every kind of object, with comments and privileges), and the case's data."""
    data = db.rows(case.data) if case.data else None
    return (dialect.introspect(db, schemas_named([*case.setup, *case.ops])), relations(db), take(db, dialect),
            data)


@pytest.mark.parametrize("case, dialect", PARAMS)
def test_round_trip(case, dialect, connect):
    db = connect(dialect)

    def executor(db) -> Executor:
        return Executor(dialect, db, backfill_pause=0, resolve_callable=resolve)

    if case.setup:
        executor(db).apply(migration(1, "setup", case.setup), "001_setup")
    for statement in case.rows:
        db.execute(statement)
    before = snapshot(db, case, dialect)
    schema_before = before[0]
    actual, expected = comparable(schema_before, spelled_by_catalog(db, dialect, build(case.setup)))
    assert actual == expected, "the catalog after the setup differs from its operations' state"

    up = migration(2, case.id, case.ops)
    executor(db).apply(up, f"002_{case.id}")
    after = snapshot(db, case, dialect)
    if dialect.schema is not None:  # everything in app, the history in pymig_history, nothing in public
        assert db.rows("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace")[0][0] == 0
        assert db.rows("SELECT to_regclass('pymig_history.pymig_migrations') IS NOT NULL")[0][0]
    predicted = build(case.ops if case.state_ops is None else case.state_ops, schema_before)
    actual, expected = comparable(after[0], spelled_by_catalog(db, dialect, predicted))
    assert actual == expected
    if case.data_after is not None:
        assert after[3] == case.data_after

    records = read_records(db, dialect)
    assert [r.version for r in records] == ([1] if case.setup else []) + [2]
    record = records[-1]
    assert record.progress is None
    assert list(decode(record.inverse["operations"], resolve)) == inverse_ops(case.ops, schema_before)

    executor(db).revert(record, f"002_{case.id}")
    assert snapshot(db, case, dialect) == before
    assert [r.version for r in read_records(db, dialect)] == ([1] if case.setup else [])

    executor(db).apply(up, f"002_{case.id}")
    assert snapshot(db, case, dialect) == after
