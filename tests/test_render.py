"""Rendering, no database: each case's operations and their derived inverse, as the SQL a dialect
spells them, against the expected text in the case table (tests/cases.py)."""

from __future__ import annotations

import pytest

from pymig.dialects.postgres import PostgresDialect
from pymig.dialects.sqlite import SqliteDialect
from pymig.errors import PymigError

from cases import CASES, PG, SQLITE, build, inverse_ops, render

DIALECTS = {PG: PostgresDialect, SQLITE: SqliteDialect}  # a dialect's expected text is checked once listed here


def _params():
    return [pytest.param(case, name, id=f"{name}-{case.id}")
            for case in CASES for name in DIALECTS if name in case.sql]


def test_case_table_is_complete():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        assert case.ops, case.id
        assert set(case.down_sql) == set(case.sql), f"{case.id}: expected inverse SQL for every dialect"
        assert PG in case.sql, f"{case.id}: no PostgreSQL expectation"
        for name in DIALECTS:
            assert (name in case.sql) != (name in case.refused), f"{case.id}: {name} needs SQL or a refusal"


def test_every_dsl_operation_has_a_case():
    import pymig

    kinds = {op.kind for case in CASES for op in case.ops}
    dsl = set(pymig.__all__) - {"column", "sql", "literal", "PymigError"}
    assert dsl - kinds == set()


@pytest.mark.parametrize("case, dialect", _params())
def test_forward_sql(case, dialect):
    before = build(case.setup)
    statements, checks = render(case.ops, before, DIALECTS[dialect]())
    assert statements == case.sql[dialect]
    assert checks == case.checks.get(dialect, [])


@pytest.mark.parametrize("case, dialect", _params())
def test_inverse_sql(case, dialect):
    before = build(case.setup)
    after = build(case.ops, before)
    statements, checks = render(inverse_ops(case.ops, before), after, DIALECTS[dialect]())
    assert statements == case.down_sql[dialect]
    assert checks == case.down_checks.get(dialect, [])


@pytest.mark.parametrize("case, dialect", [pytest.param(case, name, id=f"{name}-{case.id}")
                                           for case in CASES for name in case.refused])
def test_refused_before_anything_runs(case, dialect):
    """What a database has no meaning for is refused when the migration is loaded (pymig up,
    pymig sql), naming what; not when it is halfway applied."""
    with pytest.raises(PymigError) as refused:
        for op in [*case.setup, *case.ops]:
            DIALECTS[dialect]().check_operation(op)
    assert case.refused[dialect] in refused.value.message


@pytest.mark.parametrize("case", CASES, ids=str)
def test_case_goes_through_load_validate_and_each_dialects_checks(case, tmp_path):
    """What a migration file goes through before anything runs: `load` imports the module and
    validates each operation, and each dialect accepts the operations (setup included), or
    refuses them as the case says."""
    import re

    from pymig.loader import MigrationFile, load

    path = tmp_path / "002_case.py"
    path.write_text(f"from cases import CASES\n\noperations = [*CASES[{CASES.index(case)}].ops]\n")
    assert list(load(MigrationFile(2, "case", path)).operations) == list(case.ops)
    ops = [*case.setup, *case.ops]
    for name, dialect in DIALECTS.items():
        if name in case.refused:
            with pytest.raises(PymigError, match=re.escape(case.refused[name])):
                for op in ops:
                    dialect().check_operation(op)
        else:
            for op in ops:
                dialect().check_operation(op)


def test_create_table_takes_its_columns_as_arguments_or_as_one_list():
    """Django's CreateModel takes fields=[...], Alembic's create_table takes them one by one: both
    spellings build the same table; anything else is named in the message, shortly."""
    from pymig import column, create_table

    cols = [column("id", "bigserial", primary_key=True), column("name", "text")]
    assert create_table("t", cols) == create_table("t", *cols)
    with pytest.raises(PymigError) as refused:
        create_table("t", "id bigserial")
    assert str(refused.value).startswith("create_table('t'): 'id bigserial' (str) is not a column(...)")
    assert "column(\"id\", \"bigserial\", primary_key=True)" in refused.value.hint
