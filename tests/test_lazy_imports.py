"""What a command imports decides how fast it starts (docs/benchmarks.md): `pymig --help` needs
neither the DSL nor psycopg nor sqlglot, and plain migrations never pay for sqlglot. Each check runs
in a fresh interpreter, since this test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def modules_after(code: str) -> set[str]:
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_help_imports_no_dsl_no_driver_no_sqlglot():
    loaded = modules_after("from pymig.cli import main\n"
                           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert "click" in loaded
    assert not {"psycopg", "sqlglot", "pymig.dsl", "pymig.ops", "pymig.schema", "pymig.config", "traceback"} & loaded


def test_the_dsl_is_still_there_on_first_use():
    loaded = modules_after("import pymig\nassert 'pymig.dsl' not in __import__('sys').modules\n"
                           "from pymig import *\nassert create_table and column and PymigError\n"
                           "assert sorted(dir(pymig)) == sorted(set(dir(pymig)))")
    assert "pymig.dsl" in loaded
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import pymig

        pymig.nope  # noqa: B018


def test_indexes_on_bare_column_names_do_not_import_sqlglot():
    loaded = modules_after("from pymig import create_index\n"
                           "create_index('t', ['email', 'created_at DESC', 'update']).validate()")
    assert "sqlglot" not in loaded


def test_index_expressions_are_still_checked():
    from pymig import PymigError, create_index

    create_index("t", "lower(email)", name="t_lower_email_idx").validate()
    with pytest.raises(PymigError, match="malformed SQL expression"):
        create_index("t", "lower(email", name="t_bad_idx").validate()
    with pytest.raises(PymigError, match="malformed SQL expression"):
        create_index("t", "email; DROP TABLE t", name="t_bad_idx").validate()


# Families of operations `pymig status` has no use for: it reads files and history rows, and
# decodes no stored plan (ops.base and ops.expand, which the dialects name, still load).
UNUSED_BY_STATUS = {f"pymig.ops.{family}" for family in ("columns", "constraints", "data", "indexes", "tables", "enums",
                                                         "comments", "sequences", "functions", "grants", "namespaces",
                                                         "partitions", "views", "compat")}


def test_status_defines_no_operation_it_does_not_decode(db_url, tmp_path):
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_t.py").write_text(
        'from pymig import column, create_table\n\noperations = [create_table("t", column("id", "bigint"))]\n')
    argv = ["--database-url", db_url, "--dir", str(tmp_path / "migrations")]
    run = ("from pymig.cli import main\n"
           "try:\n    main({argv!r})\nexcept SystemExit as e:\n    assert not e.code, e.code\n")
    assert modules_after(run.format(argv=[*argv, "up"])) >= UNUSED_BY_STATUS  # the probe sees them when used
    loaded = modules_after(run.format(argv=[*argv, "status"]))
    assert "pymig.dialects.postgres" in loaded
    assert not (UNUSED_BY_STATUS | {"pymig.dsl", "sqlglot"}) & loaded


def test_stored_plans_decode_every_kind_in_a_fresh_process():
    loaded = modules_after("from pymig.ops import decode\n"
                           "op = decode({'$op': 'drop_view', 'name': 'v'})\n"
                           "assert type(op).__name__ == 'DropView', op")
    assert {f"pymig.ops.{family}" for family in __import__("pymig.ops").ops.FAMILIES} <= loaded
