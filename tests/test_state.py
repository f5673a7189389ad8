"""State, no database: for every case, the derived inverse undoes the operations' state change,
the inverse survives its JSON form (the history stores it so), and the inverse the suites derive
is the one the executor stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cases import CASES, USERS, add_guest, build, inverse_ops, resolve
from pymig import add_column, backfill, rename_table, run_python, run_sql
from pymig.dialects.postgres import PostgresDialect
from pymig.errors import IrreversibleError
from pymig.executor import Executor
from pymig.loader import Migration, MigrationFile
from pymig.ops import decode, encode
from pymig.schema import Index


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inverse_restores_the_state(case):
    before = build(case.setup)
    after = build(case.ops, before)
    restored = build(inverse_ops(case.ops, before), after)
    assert restored == before


DATA_ONLY = {"backfill", "preflight", "run_sql", "run_python", "refresh_materialized_view"}  # no schema change pymig can follow


@pytest.mark.parametrize("case", CASES, ids=str)
def test_state_changes_when_the_schema_does(case):
    """Guards the invariant above against cases whose operations change nothing it could see."""
    before = build(case.setup)
    changes_schema = any(op.kind not in DATA_ONLY for op in case.ops)
    assert (build(case.ops, before) != before) == changes_schema


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inverse_survives_json(case):
    inverse = inverse_ops(case.ops, build(case.setup))
    stored = json.loads(json.dumps(encode(inverse)))
    assert list(decode(stored, resolve)) == inverse


@pytest.mark.parametrize("case", CASES, ids=str)
def test_executor_stores_the_same_inverse(case):
    before = build(case.setup)
    migration = Migration(MigrationFile(2, case.id, Path(f"002_{case.id}.py")), case.id, tuple(case.ops), "-")
    executor = Executor(PostgresDialect(), preview=True, schema=before)
    executor.apply(migration, migration.file.label)
    assert list(decode(executor.last_plan["operations"], resolve)) == inverse_ops(case.ops, before)


def test_rename_table_renames_the_table_in_catalog_text():
    """pg_get_indexdef qualifies the table (`ON public.users`); a rename must follow it there,
    or the index's re-creation (the inverse of a later drop_index) names a missing table."""
    read = Index("users_email_idx", "users", ("email",),
                 definition="CREATE INDEX users_email_idx ON public.users USING btree (email)")
    before = build([USERS]).with_index(read)
    after = rename_table("users", "accounts").state_forwards(before)
    assert after.indexes["users_email_idx"].definition == \
        "CREATE INDEX users_email_idx ON public.accounts USING btree (email)"


@pytest.mark.parametrize("ops", [
    [run_sql("DELETE FROM users WHERE name IS NULL")],
    [run_python(add_guest)],
    [backfill("users", set={"name": "upper(name)"})],
    [add_column("users", "nick", "text"), backfill("users", set={"nick": "name", "name": "upper(name)"})],
], ids=["run_sql_without_down", "run_python_without_down", "backfill_without_reverse",
        "backfill_of_an_added_and_an_existing_column"])
def test_irreversible_operations_derive_no_inverse(ops):
    """The cases above are all reversible; these are not, and say so when the inverse is derived
    (the executor stores that in the history, and `down` refuses before changing anything)."""
    with pytest.raises(IrreversibleError, match="not reversible"):
        inverse_ops(ops, build([USERS]))
