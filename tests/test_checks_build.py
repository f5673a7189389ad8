"""Which preflight checks an operation gets, and how failures read: no database needed."""

from __future__ import annotations

import pytest

from pymig import add_column, alter_column, create_index, drop_column, drop_table
from pymig.checks import Refusals, describe_check
from pymig.dialects.checks import constraint_checks
from pymig.dialects.postgres import PostgresDialect
from pymig.errors import PreflightError
from pymig.ops.base import decode, encode
from pymig.schema import Column, Constraint, Index, Schema, Table
from pymig.steps import Check, Failure
from pymig.types import converts_without_using

PG = PostgresDialect()


def schema_with(*columns: Column, pk=("id",)) -> Schema:
    cons = (Constraint("t_pkey", "primary_key", pk),) if pk else ()
    return Schema({"t": Table("t", (Column("id", "integer", False), *columns), cons)})


def messages(op, schema) -> list[str]:
    return [c.message for c in op.checks(schema, PG)]


@pytest.mark.parametrize("old, new, expected", [
    # widening, or a target that holds anything: nothing to check
    ("character varying(20)", "character varying(100)", []),
    ("character varying(20)", "text", []),
    ("integer", "text", []),
    ("smallint", "bigint", []),
    ("serial", "bigint", []),
    ("integer", "numeric", []),
    ("numeric(6,2)", "numeric(8,2)", []),
    ("integer", "numeric(12,0)", []),
    # narrowing
    ("text", "character varying(10)", ["longer than 10", "trailing spaces"]),
    ("character(20)", "character varying(10)", ["longer than 10", "trailing spaces"]),
    ("integer", "character varying(5)", ["longer than 5"]),
    ("bigint", "integer", ["outside the range of integer"]),
    ("bigserial", "smallint", ["outside the range of smallint"]),
    ("numeric", "integer", ["outside the range", "fractional part"]),
    ("double precision", "bigint", ["outside the range", "fractional part"]),
    ("numeric(10,4)", "numeric(6,2)", ["too large", "decimal places"]),
    ("numeric(5,3)", "numeric(4,2)", ["too large", "decimal places"]),  # 99.995 rounds to 100.00
    ("numeric(6,2)", "numeric(8,1)", ["decimal places"]),
    ("numeric(6,2)", "numeric(5,2)", ["too large"]),
    ("integer", "numeric(5,0)", ["too large"]),
    ("double precision", "numeric(8,2)", ["too large", "decimal places"]),
    # anything else converts row by row
    ("text", "integer", ["cannot be converted to integer"]),
    ("numeric", "real", ["cannot be converted to real"]),
    ("text", "date", ["cannot be converted to date"]),
])
def test_type_change_checks(old, new, expected):
    op = alter_column("t", "c", type=new)
    found = messages(op, schema_with(Column("c", old)))
    assert len(found) == len(expected), found
    for text, want in zip(found, expected):
        assert want in text


def test_using_always_probes_the_expression():
    op = alter_column("t", "c", type="varchar(10)", using="upper(c)")
    (check,) = op.checks(schema_with(Column("c", "text")), PG)
    assert "with using='upper(c)'" in check.message
    assert "SELECT upper(c) INTO pymig_value" in check.setup[0]
    assert "DECLARE pymig_value character varying(10);" in check.setup[0]


def test_not_null_only_when_the_column_allows_null():
    assert messages(alter_column("t", "c", nullable=False), schema_with(Column("c", "text", False))) == []
    (text,) = messages(alter_column("t", "c", nullable=False), schema_with(Column("c", "text")))
    assert "is NULL in {count} {noun}" in text


def test_add_column_not_null_needs_no_check_with_a_default_or_identity():
    s = schema_with()
    assert messages(add_column("t", "c", "text", nullable=False, default="x"), s) == []
    assert messages(add_column("t", "c", "bigserial"), s) == []
    assert len(messages(add_column("t", "c", "text", nullable=False), s)) == 1


def test_add_column_constraints_read_the_table_with_the_new_column():
    s = schema_with()
    (check,) = add_column("t", "c", "int", default=3, check="c > 5").checks(s, PG)
    assert 'FROM (SELECT *, CAST(3 AS integer) AS "c" FROM "t") AS "t" WHERE (c > 5) IS FALSE' in check.query
    # without a default the column is NULL: no duplicate, no orphan; a CHECK may still fail on NULL
    assert add_column("t", "c", "int", unique=True, references="t").checks(s, PG) == []
    assert len(add_column("t", "c", "int", check="c IS NOT NULL").checks(s, PG)) == 1


def test_drops_check_dependents_even_with_allow_data_loss():
    s = schema_with(Column("c", "text"))
    assert [c.noun for c in drop_column("t", "c", allow_data_loss=True).checks(s, PG)] == ["object"]
    assert [c.noun for c in drop_column("t", "c").checks(s, PG)] == ["object", "value"]
    assert [c.noun for c in drop_table("t").checks(s, PG)] == ["object", "row"]


def test_unique_index_groups_by_its_expressions_within_its_predicate():
    s = schema_with(Column("email", "text"), Column("active", "boolean"))
    (check,) = create_index("t", ["lower(email)", "id DESC"], unique=True, where="active").checks(s, PG)
    assert "PARTITION BY (lower(email)), \"id\"" in check.query
    assert 'WHERE (active) AND (lower(email)) IS NOT NULL AND "id" IS NOT NULL' in check.query
    assert create_index("t", "email").checks(s, PG) == []


def test_nulls_not_distinct_counts_nulls_as_equal():
    s = schema_with(Column("email", "text"))
    index = Index("t_email", "t", ("email",), True,
                  definition="CREATE UNIQUE INDEX t_email ON public.t USING btree (email) NULLS NOT DISTINCT")
    from pymig.ops.indexes import CreateIndex

    (check,) = CreateIndex(index).checks(s, PG)
    assert "IS NOT NULL" not in check.query


def test_foreign_key_orphans_by_match_type():
    s = Schema({"p": Table("p", (Column("a", "integer"), Column("b", "integer"))),
                "t": Table("t", (Column("x", "integer"), Column("y", "integer")))})
    simple = Constraint("fk", "foreign_key", ("x", "y"), ref_table="p", ref_columns=("a", "b"))
    (check,) = constraint_checks("t", simple, "add_foreign_key", s, PG)
    assert '"t"."x" IS NOT NULL AND "t"."y" IS NOT NULL AND NOT EXISTS' in check.query
    full = Constraint("fk", "foreign_key", ("x", "y"), ref_table="p", ref_columns=("a", "b"),
                      definition="FOREIGN KEY (x, y) REFERENCES p(a, b) MATCH FULL")
    (check,) = constraint_checks("t", full, "add_foreign_key", s, PG)
    assert '("t"."x" IS NOT NULL OR "t"."y" IS NOT NULL) AND NOT' in check.query


def test_not_valid_constraints_check_nothing():
    s = schema_with(Column("c", "integer"))
    c = Constraint("c_pos", "check", ("c",), expression="c > 0", definition="CHECK (c > 0) NOT VALID",
                   validated=False)
    assert constraint_checks("t", c, "add_check", s, PG) == []


def test_primary_key_checks_nulls_and_duplicates():
    s = schema_with(Column("c", "integer"), pk=())
    checks = constraint_checks("t", Constraint("t_pkey", "primary_key", ("id", "c")), "x", s, PG)
    assert ['"id" IS NULL OR "c" IS NULL' in checks[0].query, "PARTITION BY" in checks[1].query] == [True, True]
    assert "IS NOT NULL" not in checks[1].query


def test_inverse_of_a_cast_uses_no_using_when_an_assignment_cast_exists():
    s = schema_with(Column("c", "character varying(3)"))
    (back,) = alter_column("t", "c", type="integer", using="c::integer").inverse(s, set())
    assert back.type == "character varying(3)" and back.using is None
    s = schema_with(Column("c", "integer"))
    (back,) = alter_column("t", "c", type="boolean", using="c <> 0").inverse(s, set())
    assert back.using == '"c"::integer'
    assert converts_without_using("numeric(10,2)", "bigint")
    assert not converts_without_using("text", "integer")


def test_preview_text():
    s = schema_with(Column("c", "text"))
    (check,) = alter_column("t", "c", nullable=False).checks(s, PG)
    assert describe_check(check).splitlines() == [
        'preflight for alter_column t.c: refuse if column "t.c" is NULL in rows, so it cannot become NOT NULL',
        'SELECT "id", "c" FROM "t" WHERE "c" IS NULL ORDER BY "id"',
    ]
    user = Check("preflight 'x'", "query", "SELECT 1", "no bad rows")
    assert describe_check(user).splitlines()[0] == \
        "preflight for preflight 'x': refuse when this query returns any row ('no bad rows')"


def test_report_lists_every_failure_with_counts_examples_and_fixes():
    r = Refusals("migrations/004_x.py", "down")
    unique = Check("add_unique k on t", 'table "t"', "q", '{count} {noun} of "t" share {groups} of (k)', hint="dedupe")
    deps = Check("drop_table t", 'table "t"', "q", 'table "t" is used by {count} other {noun}', noun="object")
    r.add(2, [Failure(unique, 7, [(1, "a"), (2, "a")] * 3, ["id", "k"], groups=3)])
    r.add(5, [Failure(deps, 1, [("view v",)], ["dependent"])])
    r.skip(6, add_column("t", "z", "int"), "why")
    err = r.error()
    assert isinstance(err, PreflightError)
    assert str(err).splitlines() == [
        "rolling back migrations/004_x.py: refused by 2 preflight checks; nothing was changed",
        '  operation 2 (add_unique k on t): 7 rows of "t" share 3 values of (k)',
        "    e.g. (first 6 of 7) id=1, k='a'; id=2, k='a'; id=1, k='a'; id=2, k='a'; id=1, k='a'; id=2, k='a'",
        "    fix: dedupe",
        '  operation 5 (drop_table t): table "t" is used by 1 other object',
        "    view v",
        "  not checked: operation 6 (add_column t.z): why",
        "hint: fix the data (or the migration) and run `pymig down` again",
    ]


def test_identity_options_survive_the_stored_inverse():
    col = Column("id", "bigint", False, identity="always", identity_options="START WITH 50 INCREMENT BY 5")
    assert decode(encode(col)) == col
    assert PG.column_sql(col) == '"id" bigint GENERATED ALWAYS AS IDENTITY (START WITH 50 INCREMENT BY 5) NOT NULL'


def test_type_change_keeps_the_collation():
    before = Column("name", "character varying(40)", collation="C")
    (stmt,) = PG.column_change_steps("t", "name", before, False, type="text", using=None, nullable=None,
                                    change_default=False, default=None)
    assert stmt.text == 'ALTER TABLE "t" ALTER COLUMN "name" TYPE text COLLATE "C"'
