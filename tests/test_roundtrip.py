"""Real round trips on PostgreSQL, one fresh database per case of tests/cases.py.

The setup runs as migration 1 and the operations under test as migration 2, both through the
real Executor with the real history table. Then: the catalog after migration 2 equals the state
its operations predict (normalised only as tests/catalog.py explains); reverting it from its
stored history record gives back exactly the catalog before; applying it again gives exactly
the catalog of the first time. Each phase uses a new Executor, as separate `pymig` runs do."""

from __future__ import annotations

from pathlib import Path

import pytest

from cases import CASES, build, inverse_ops, resolve
from catalog import comparable, relations, spelled_by_catalog
from pymig.dialects.postgres import PostgresDialect
from pymig.executor import Executor
from pymig.history import ensure_tables, read_records
from pymig.loader import Migration, MigrationFile
from pymig.ops import decode
from pymig.snapshot import take

DIALECT = PostgresDialect()


@pytest.fixture
def db(db_url):
    database = DIALECT.connect(db_url)
    ensure_tables(database, DIALECT)
    yield database
    database.close()


def migration(version: int, name: str, ops) -> Migration:
    path = Path(f"{version:03d}_{name}.py")  # never read: the operations are given
    return Migration(MigrationFile(version, name, path), name, tuple(ops), f"checksum of {path}")


def executor(db) -> Executor:
    return Executor(DIALECT, db, backfill_pause=0, resolve_callable=resolve)


def snapshot(db, case):
    """What the round trip compares: pymig's view of the catalog, the relations it does not
    model, the whole catalog as `pymig verify` reads it (every kind of object, with comments and
    privileges), and the case's data."""
    data = db.rows(case.data) if case.data else None
    return DIALECT.introspect(db), relations(db), take(db, DIALECT), data


@pytest.mark.parametrize("case", CASES, ids=str)
def test_round_trip(case, db):
    if case.setup:
        executor(db).apply(migration(1, "setup", case.setup), "001_setup")
    for statement in case.rows:
        db.execute(statement)
    before = snapshot(db, case)
    schema_before = before[0]
    actual, expected = comparable(schema_before, spelled_by_catalog(db, DIALECT, build(case.setup)))
    assert actual == expected, "the catalog after the setup differs from its operations' state"

    up = migration(2, case.id, case.ops)
    executor(db).apply(up, f"002_{case.id}")
    after = snapshot(db, case)
    predicted = build(case.ops if case.state_ops is None else case.state_ops, schema_before)
    actual, expected = comparable(after[0], spelled_by_catalog(db, DIALECT, predicted))
    assert actual == expected
    if case.data_after is not None:
        assert after[3] == case.data_after

    records = read_records(db, DIALECT)
    assert [r.version for r in records] == ([1] if case.setup else []) + [2]
    record = records[-1]
    assert record.progress is None
    assert list(decode(record.inverse["operations"], resolve)) == inverse_ops(case.ops, schema_before)

    executor(db).revert(record, f"002_{case.id}")
    assert snapshot(db, case) == before
    assert [r.version for r in read_records(db, DIALECT)] == ([1] if case.setup else [])

    executor(db).apply(up, f"002_{case.id}")
    assert snapshot(db, case) == after
