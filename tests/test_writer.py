"""The DSL writer: every operation of the case table written as source loads back as the same
operation, and a written module passes `ruff format --check` and `ruff check` (no database)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pymig
from pymig import add_column, alter_column, backfill, column, create_index, create_table, run_sql
from pymig.errors import PymigError
from pymig.ops import RunPython, encode
from pymig.schema import Column
from pymig.writer import Commented, SqlText, default_value, module_source, operation_source
from cases import CASES

ROOT = Path(__file__).resolve().parent.parent
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


def _writable(ops):
    return [op for op in ops if not isinstance(op, RunPython)]


def load_back(source: str):
    return eval(source, {name: getattr(pymig, name) for name in pymig.__all__})


def _uncast(op) -> str:
    """The JSON form with `'x'::type` defaults read as `'x'`: the writer spells a quoted literal
    cast to the column's own type as the plain string, which PostgreSQL casts the same way."""
    return re.sub(r"(\"default\": \"'(?:[^']|'')*')::[a-z ]+(\[\])*\"", r'\1"', json.dumps(encode(op)))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_each_operation_loads_back_as_itself(case):
    for op in _writable([*case.setup, *case.ops]):
        source = operation_source(op)
        back = load_back(source)
        assert back == op or _uncast(back) == _uncast(op), source
        assert operation_source(back) == source


def test_one_call_as_a_person_writes_it():
    assert operation_source(add_column("users", "avatar_url", "varchar(500)")) == \
        'add_column("users", "avatar_url", "varchar(500)")'
    assert operation_source(alter_column("users", "email", nullable=False, default=None)) == \
        'alter_column("users", "email", nullable=False, default=None)'
    assert operation_source(create_index("users", ["last_login_at DESC"], where="last_login_at IS NOT NULL")) == \
        'create_index("users", "last_login_at DESC", where="last_login_at IS NOT NULL")'
    assert operation_source(backfill("t", {"c": "upper(c)"}, batch_size=500)) == \
        'backfill("t", set={"c": "upper(c)"}, batch_size=500)'


def test_identity_and_collation_columns():
    op = create_table("t", column("id", "bigint", primary_key=True, identity="always"),
                      column("name", "text", collation="C"))
    assert load_back(operation_source(op)) == op
    assert 'identity="always"' in operation_source(op) and 'collation="C"' in operation_source(op)
    assert op.table.columns[0].nullable is False


def test_defaults_as_python_values_where_the_catalog_allows():
    def default(text, type_="character varying(50)"):
        return default_value(Column("c", type_, default=text))

    assert default("'beginner'::character varying") == "beginner"
    assert default("'it''s'::text", "text") == "it's"
    assert default("0", "integer") == 0
    assert default("true", "boolean") is True
    assert default("CURRENT_TIMESTAMP") == SqlText("CURRENT_TIMESTAMP")
    assert default("'x'::text") == SqlText("'x'::text")  # a cast to another type is kept as written
    assert default("0.00", "numeric(10,2)") == SqlText("0.00")  # 0.0 would be another default


def test_strings_survive_quotes_backslashes_and_lines():
    body = 'CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$\nSELECT \'a\\b "q" """ \'\n$$'
    op = run_sql(body, 'DROP FUNCTION "f"')
    assert load_back(operation_source(op)) == op


def test_unknown_operations_are_refused():
    with pytest.raises(PymigError, match="cannot write"):
        operation_source(RunPython(print))


@pytest.mark.parametrize("width", [79, 88, 120])
def test_a_module_is_ruff_clean_deterministic_and_loads(tmp_path, width):
    """Laid out to `width`, it passes ruff at that line-length and at any wider one (a split
    call keeps its magic trailing comma), with pymig's lint rules."""
    from pymig.loader import MigrationFile, load

    ops = [op for case in CASES for op in _writable([*case.setup, *case.ops])]
    ops.insert(0, Commented("view active_users\nwritten from pg_get_viewdef",
                            run_sql("CREATE VIEW active_users AS\n SELECT 1;", "DROP VIEW active_users")))
    ops.append(create_table("wide", *(column(f"a_rather_long_column_name_{i}", "varchar(200)", nullable=False,
                                             default="some default") for i in range(4))))
    source = module_source("Everything the case table holds.\n\nWritten by the writer test.", ops, width)
    assert source == module_source("Everything the case table holds.\n\nWritten by the writer test.", ops, width)
    path = tmp_path / "001_everything.py"
    path.write_text(source)
    if RUFF is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    for line_length in (width, 120):
        for args in (["format", "--check", "--diff"], ["check"]):
            res = subprocess.run([RUFF, *args, "--config", str(ROOT / "pyproject.toml"), "--line-length",
                                  str(line_length), str(path)], capture_output=True, text=True)
            assert res.returncode == 0, res.stdout + res.stderr
    loaded = load(MigrationFile(1, "everything", path))
    written = [o.operation if isinstance(o, Commented) else o for o in ops]
    assert [_uncast(op) for op in loaded.operations] == [_uncast(op) for op in written]
    assert loaded.description == "Everything the case table holds."
    assert "from pymig import (" in source or source.count("from pymig import") == 1


@pytest.mark.parametrize("files, expected", [
    ({}, 88),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, 100),
    ({"pyproject.toml": "[tool.black]\nline-length = 110\n"}, 110),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n[tool.black]\nline-length = 110\n"}, 100),
    ({"ruff.toml": "line-length = 99\n", "pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, 99),
    ({".ruff.toml": "line-length = 98\n", "ruff.toml": "line-length = 99\n"}, 98),
    ({"ruff.toml": "line-length = [", "pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, 100),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 'wide'\n"}, 88),
    ({"ruff.toml": "indent-width = 4\n", "pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, 88),
    ({"pyproject.toml": "[tool.pymig]\nschema = 'app'\n[tool.black]\nline-length = 110\n"}, 110),
])
def test_the_width_is_the_projects_formatter_line_length(tmp_path, files, expected):
    from pymig.config import formatter_line_length

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    assert formatter_line_length(tmp_path) == expected
