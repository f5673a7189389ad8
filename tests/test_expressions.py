"""User SQL fragments are analysed by sqlglot, never by matching words: string literals, quoted
names and comments are never mistaken for names, and what pymig inserts into its SQL is exactly
one expression (issue 11: the two defects; issue 12: "Expressions are expressions")."""

from __future__ import annotations

import sqlite3

import pytest

from helpers import Project, assert_clean_error, connect
from pymig import add_check, add_column, alter_column, backfill, column, create_index, create_table, drop_column, \
    rename_column, sql
from pymig.errors import PymigError
from pymig.schema import Schema
from pymig.sqltext import columns_used, functions_used, is_immutable, mentions, rename_column_in, \
    rename_table_in

TABLE = create_table("t", column("id", "bigserial", primary_key=True), column("name", "text"),
                     column("note", "text"))
CHECK = add_check("t", "t_note_check", "note <> 'no name given'")


def state(*ops) -> Schema:
    schema = Schema()
    for op in ops:
        schema = op.state_forwards(schema)
    return schema


# -- the analysis module ---------------------------------------------------------------------------

def test_a_literal_is_not_a_column():
    assert columns_used("note <> 'no name given'") == ["note"]
    assert not mentions("note <> 'no name given'", "name")
    assert not mentions("note <> 'x' -- name", "name")
    assert mentions('"name" IS NOT NULL', "name")
    assert not mentions('"Name" IS NOT NULL', "name")
    assert mentions("Name IS NOT NULL", "name")  # unquoted names fold to lower case


def test_rename_touches_names_only():
    assert rename_column_in("note <> 'note' AND note_2 > note", "note", "memo") == "memo <> 'note' AND note_2 > memo"
    assert rename_column_in('"note" || lower(note)', "note", "memo") == '"memo" || lower(memo)'
    assert rename_column_in("lower(x)", "lower", "y") == "lower(x)"  # a function, not the column
    assert rename_column_in("x::date", "date", "d") == "x::date"  # a type, not the column
    assert rename_column_in("note", "note", "Memo") == '"Memo"'  # quoted where the new name needs it
    assert rename_table_in("CREATE INDEX i ON public.users USING btree (users)", "users", "people") \
        == "CREATE INDEX i ON public.people USING btree (people)"
    assert rename_table_in("FOREIGN KEY (a) REFERENCES users(id)", "users", "people") \
        == "FOREIGN KEY (a) REFERENCES people(id)"


def test_functions_and_immutability():
    assert functions_used("now() > created_at") >= {"now"}
    assert "now" not in functions_used("note = 'now()'")
    assert "current_timestamp" in functions_used("CURRENT_TIMESTAMP")
    assert not is_immutable("expires_at > now()")
    assert is_immutable("note <> 'random()'")


# -- defect 1: a literal taken for a column ---------------------------------------------------------

def test_drop_column_keeps_a_check_that_only_quotes_its_name():
    before = state(TABLE, CHECK)
    after = drop_column("t", "name").state_forwards(before)
    assert [c.name for c in after.table("t").constraints if c.kind == "check"] == ["t_note_check"]
    restored = drop_column("t", "name").inverse(before, set())[0]
    assert restored.constraints == ()  # the inverse re-adds no constraint that was never dropped


def test_rename_column_leaves_literals_alone():
    after = rename_column("t", "name", "full_name").state_forwards(state(TABLE, CHECK))
    assert after.table("t").constraint("t_note_check").expression == "note <> 'no name given'"


def write_defect(project: Project) -> None:
    project.write("001_t.py", """
        from pymig import add_check, column, create_table
        operations = [create_table("t", column("id", "bigserial", primary_key=True), column("name", "text"),
                                   column("note", "text")),
                      add_check("t", "t_note_check", "note <> 'no name given'")]
    """)
    project.write("002_drop.py", """
        from pymig import drop_column
        operations = [drop_column("t", "name")]
    """)


def test_literal_check_survives_drop_column_on_postgres(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    write_defect(project)
    project.ok("up")
    with connect(db_url) as conn:
        assert conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c'").fetchall() == [("t_note_check",)]
    project.ok("down")  # failed: the stored inverse re-added the check that was never dropped
    project.ok("up")
    with connect(db_url) as conn:
        assert conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 't'::regclass AND contype = 'c'").fetchall() == [("t_note_check",)]


def test_literal_check_survives_drop_column_on_sqlite(tmp_path):
    path = tmp_path / "db.sqlite"
    project = Project(tmp_path, f"sqlite:///{path}")
    write_defect(project)
    project.ok("up")
    (table_sql,) = sqlite3.connect(path).execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()
    assert "t_note_check" in table_sql  # the rebuild lost it
    project.ok("down")
    project.ok("up")


# -- issue 12: expressions are expressions ----------------------------------------------------------

@pytest.mark.parametrize("op", [
    lambda: add_column("t", "x", "integer", nullable=False, default=sql("0 --")),
    lambda: add_column("t", "x", "integer", default=sql("0 /* c */")),
    lambda: add_check("t", "c", "note <> '' -- why"),
    lambda: alter_column("t", "note", type="integer", using="length(note) --"),
    lambda: create_index("t", ["lower(note) --"]),
    lambda: create_index("t", ["note"], where="note IS NOT NULL --"),
    lambda: backfill("t", {"note": "'x' --"}),
    lambda: backfill("t", {"note": "'x'"}, where="id > 0 --"),
    lambda: backfill("t", {"note": "'x'"}, reverse={"note": "NULL --"}),
], ids=["default", "default_block", "check", "using", "index_expr", "index_where", "set", "where", "reverse"])
def test_comment_in_an_expression_is_refused(op):
    with pytest.raises(PymigError, match="comment"):
        op().validate()


def test_dashes_inside_a_literal_are_no_comment():
    add_column("t", "x", "text", default=sql("'a -- b' || '/* c */'")).validate()
    add_check("t", "c", "note <> '--'").validate()


@pytest.mark.parametrize("text", ["0) , (1", "1; DROP TABLE t", "x y", "id FROM t", "(1", "'a"])
def test_an_expression_is_exactly_one_expression(text):
    with pytest.raises(PymigError, match="malformed SQL expression"):
        add_column("t", "x", "integer", default=sql(text)).validate()


def test_an_expression_is_rendered_so_nothing_binds_to_what_follows():
    from pymig.dialects.postgres import PostgresDialect

    (stmt,) = PostgresDialect().add_column("t", add_column("t", "x", "boolean", nullable=False,
                                                           default=sql("1 NOT NULL")).column)
    assert stmt == 'ALTER TABLE "t" ADD COLUMN "x" boolean DEFAULT (1 NOT NULL) NOT NULL'
    assert PostgresDialect.default_sql("'{}'::jsonb") == "'{}'::jsonb"
    assert PostgresDialect.default_sql("-1") == "-1"
    assert PostgresDialect.default_sql("a || b") == "(a || b)"


def test_comment_default_is_refused_at_load(tmp_path):
    path = tmp_path / "db.sqlite"
    project = Project(tmp_path, f"sqlite:///{path}")
    project.write("001_t.py", """
        from pymig import add_column, column, create_table, sql
        operations = [create_table("t", column("id", "integer", primary_key=True)),
                      add_column("t", "x", "integer", nullable=False, default=sql("0 --"))]
    """)
    assert_clean_error(project.run("up"), "001_t.py", "add_column t.x", "comment")


def test_dollar_quotes_in_using_do_not_break_the_preflight(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_t.py", """
        from pymig import alter_column, column, create_table
        operations = [create_table("t", column("id", "bigserial", primary_key=True), column("n", "text"))]
    """)
    project.ok("up")
    with connect(db_url) as conn:
        conn.execute("INSERT INTO t (n) VALUES ('1'), ('22')")
    project.write("002_n.py", """
        from pymig import alter_column
        operations = [alter_column("t", "n", type="integer",
                                   using="length(n) + length($pymig$ab$pymig$) - 2")]
    """)
    project.ok("up")
    with connect(db_url) as conn:
        assert conn.execute("SELECT n FROM t ORDER BY id").fetchall() == [(1,), (2,)]
