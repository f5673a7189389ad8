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
    assert not {"psycopg", "sqlglot", "pymig.dsl", "pymig.ops", "pymig.schema", "pymig.config"} & loaded


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
