"""Preflight checks against a real database: each case plants a known number of offending rows,
runs the real command, and asserts the reported count and that nothing changed; the same for
`down`, whose inverse operations are checked like any other."""

from __future__ import annotations

import pytest

from checks_support import Project


@pytest.fixture
def project(tmp_path, db_url, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path, db_url, capsys)


def seed(project: Project, create: str, insert: str | None = None) -> None:
    """Migration 1: tables made by run_sql (as an adopted database would have them), and rows."""
    project.migration(f'run_sql("""{create}""", down="SELECT 1")')
    project.up()
    if insert:
        project.sql(insert)


# -- alter_column(type=...) ------------------------------------------------------------------------

def test_varchar_narrowing_counts_too_long_and_trailing_space_values(project):
    seed(project, "CREATE TABLE users (id int PRIMARY KEY, email varchar(50))",
         "INSERT INTO users VALUES (1, 'a@b.co'), (2, 'x@example.com'), (3, 'y@example.com'), "
         "(4, 'z@example.com'), (5, 'ab        '), (6, 'cd         '), (7, NULL)")
    label = project.migration('alter_column("users", "email", type="varchar(8)")')
    out = project.refused()
    assert f"{label}: refused by 2 preflight checks; nothing was changed" in out
    assert ('operation 1 (alter_column users.email): column "users.email" has 3 values longer than 8 '
            "characters, which character varying(8) cannot hold") in out
    assert "e.g. id=2, email='x@example.com'; id=3, email='y@example.com'; id=4, email='z@example.com'" in out
    assert 'has 2 values longer than 8 characters only by trailing spaces' in out
    assert "e.g. id=5, email='ab        '; id=6, email='cd         '" in out
    assert 'using="rtrim(email)"' in out


def test_text_to_char_and_char_narrowing(project):
    seed(project, "CREATE TABLE c (id int PRIMARY KEY, code char(5), note text)",
         "INSERT INTO c VALUES (1, 'ab', 'abcd'), (2, 'abc', 'ab'), (3, 'abcde', 'abcde')")
    project.migration('''
        alter_column("c", "code", type="char(3)"),
        alter_column("c", "note", type="char(3)"),
    ''')
    out = project.refused()
    # char(5) 'ab' is stored padded, but padding is no value: only 'abcde' is too long
    assert 'column "c.code" has 1 value longer than 3 characters' in out
    assert 'column "c.note" has 2 values longer than 3 characters' in out
    assert "only by trailing spaces" not in out


def test_widening_is_allowed_and_rollback_refuses_while_longer_values_exist(project):
    seed(project, "CREATE TABLE users (id int PRIMARY KEY, email varchar(20) NOT NULL)",
         "INSERT INTO users VALUES (1, 'a@example.com')")
    project.migration('alter_column("users", "email", type="varchar(100)")')
    project.up()
    project.sql("INSERT INTO users VALUES (2, repeat('x', 30)), (3, repeat('y', 21)), (4, 'short')")
    out = project.refused("down")
    assert "rolling back migrations/002_step2.py: refused by 1 preflight check" in out
    assert 'column "users.email" has 2 values longer than 20 characters' in out
    assert "run `pymig down` again" in out
    project.sql("DELETE FROM users WHERE id IN (2, 3)")
    project.down()
    assert project.sql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                       "WHERE attrelid = 'users'::regclass AND attname = 'email'") == [("character varying(20)",)]


def test_integer_narrowing(project):
    seed(project, "CREATE TABLE m (id int PRIMARY KEY, big bigint, mid integer, amount numeric)",
         "INSERT INTO m VALUES (1, 5000000000, 40000, 1.5), (2, -3000000000, 5, 2), "
         "(3, 7, -40000, 3000000000), (4, NULL, 32767, 2.25)")
    project.migration('''
        alter_column("m", "big", type="integer"),
        alter_column("m", "mid", type="smallint"),
        alter_column("m", "amount", type="integer"),
    ''')
    out = project.refused()
    assert 'column "m.big" has 2 values outside the range of integer (-2147483648 to 2147483647)' in out
    assert 'column "m.mid" has 2 values outside the range of smallint (-32768 to 32767)' in out
    assert 'column "m.amount" has 1 value outside the range of integer' in out
    assert 'column "m.amount" has 2 values with a fractional part that integer would round away' in out
    assert "e.g. id=1, amount=1.5; id=4, amount=2.25" in out


def test_integer_widening_has_no_check(project):
    seed(project, "CREATE TABLE m (id int PRIMARY KEY, small smallint)", "INSERT INTO m VALUES (1, 5)")
    project.migration('alter_column("m", "small", type="bigint")')
    code, out = project.pymig("sql")
    assert "preflight" not in out
    project.up()


def test_numeric_precision_and_scale(project):
    seed(project, "CREATE TABLE p (id int PRIMARY KEY, price numeric(10,4))",
         "INSERT INTO p VALUES (1, 1234.5), (2, -99999.9), (3, 12.345), (4, 1.0001), (5, 9999.994), "
         "(6, 9999.995), (7, NULL), (8, 5.5)")
    project.migration('alter_column("p", "price", type="numeric(6,2)")')
    out = project.refused()
    # at most 4 digits before the point after rounding to 2 places: -99999.9 and 9999.995 (-> 10000.00)
    assert 'column "p.price" has 2 values too large for numeric(6,2)' in out
    assert "e.g. id=2, price=-99999.9000; id=6, price=9999.9950" in out
    assert 'column "p.price" has 4 values with more than 2 decimal places' in out
    assert 'using="round(price, 2)"' in out


def test_numeric_widening_and_explicit_rounding_pass(project):
    seed(project, "CREATE TABLE p (id int PRIMARY KEY, price numeric(6,2), rate numeric(8,4))",
         "INSERT INTO p VALUES (1, 1234.56, 1.2345)")
    project.migration('''
        alter_column("p", "price", type="numeric(12,2)"),
        alter_column("p", "rate", type="numeric(8,2)", using="round(rate, 2)"),
    ''')
    project.up()
    assert project.sql("SELECT price, rate FROM p")[0] == (project.sql("SELECT 1234.56::numeric")[0][0],
                                                          project.sql("SELECT 1.23::numeric")[0][0])


def test_cast_with_using_counts_values_that_fail(project):
    seed(project, "CREATE TABLE s (id int PRIMARY KEY, code text, born text)",
         "INSERT INTO s VALUES (1, '12', '2020-01-01'), (2, 'x9', 'not a date'), (3, '99999999999', NULL), "
         "(4, NULL, '2021-02-30'), (5, ' 7 ', '2021-02-28')")
    project.migration('''
        alter_column("s", "code", type="integer", using="code::integer"),
        alter_column("s", "born", type="date", using="born::date"),
    ''')
    out = project.refused()
    assert """column "s.code" has 2 values that cannot be converted to integer with using='code::integer'""" in out
    assert "e.g. id=2, code='x9'; id=3, code='99999999999'" in out
    assert 'column "s.born" has 2 values that cannot be converted to date' in out
    assert project.sql("SELECT count(*) FROM pg_proc WHERE proname = 'pymig_probe'") == [(0,)]


def test_cast_using_another_column(project):
    seed(project, "CREATE TABLE s (id int PRIMARY KEY, qty text, unit int)",
         "INSERT INTO s VALUES (1, '3', 1), (2, '4', 0), (3, '5', 0)")
    project.migration('alter_column("s", "qty", type="integer", using="qty::int / unit")')
    out = project.refused()
    assert 'column "s.qty" has 2 values that cannot be converted to integer' in out


def test_cast_without_using_counts_values_that_fail(project):
    seed(project, "CREATE TABLE f (id int PRIMARY KEY, x numeric)",
         "INSERT INTO f VALUES (1, 1e39), (2, 1.5), (3, -1e40), (4, NULL)")
    project.migration('alter_column("f", "x", type="real")')
    out = project.refused()
    assert 'column "f.x" has 2 values that cannot be converted to real' in out


def test_rollback_of_a_cast_is_checked(project):
    seed(project, "CREATE TABLE s (id int PRIMARY KEY, code varchar(3))",
         "INSERT INTO s VALUES (1, '12'), (2, '7')")
    project.migration('alter_column("s", "code", type="integer", using="code::integer")')
    project.up()
    # expanded: the new column is the last one now (an INSERT without a column list sees that order)
    project.sql("INSERT INTO s (id, code) VALUES (3, 123456), (4, -1000)")
    out = project.refused("down")
    # the inverse converts back without USING: values that do not fit are refused, not cut
    assert 'column "s.code" has 2 values longer than 3 characters' in out


# -- NOT NULL ---------------------------------------------------------------------------------------

def test_set_not_null_counts_null_rows(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, name text)",
         "INSERT INTO u VALUES (1, 'a'), (2, NULL), (3, NULL), (4, 'd'), (5, NULL)")
    project.migration('alter_column("u", "name", nullable=False)')
    out = project.refused()
    assert 'column "u.name" is NULL in 3 rows, so it cannot become NOT NULL' in out
    assert "e.g. id=2, name=NULL; id=3, name=NULL; id=5, name=NULL" in out
    assert 'where="name IS NULL"' in out


def test_backfill_earlier_in_the_migration_is_seen(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, name text)",
         "INSERT INTO u VALUES (1, 'a'), (2, NULL), (3, NULL)")
    project.migration('''
        backfill("u", {"name": "'unknown'"}, where="name IS NULL", reverse={"name": "NULL"}),
        alter_column("u", "name", nullable=False),
    ''')
    project.up()
    assert project.sql("SELECT count(*) FROM u WHERE name = 'unknown'") == [(2,)]


def test_rollback_of_drop_not_null_refuses_while_nulls_exist(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, name text NOT NULL)", "INSERT INTO u VALUES (1, 'a')")
    project.migration('alter_column("u", "name", nullable=True)')
    project.up()
    project.sql("INSERT INTO u VALUES (2, NULL), (3, NULL)")
    out = project.refused("down")
    assert 'column "u.name" is NULL in 2 rows' in out


def test_add_not_null_column_without_default_on_a_non_empty_table(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE empty (id int PRIMARY KEY)",
         "INSERT INTO u SELECT generate_series(1, 4)")
    project.migration('''
        add_column("empty", "name", "text", nullable=False),
        add_column("u", "name", "text", nullable=False),
    ''')
    out = project.refused()
    assert "refused by 1 preflight check;" in out
    assert ('operation 2 (add_column u.name): column "u.name" is NOT NULL without a default, '
            'but table "u" has 4 rows, which would get NULL') in out


# -- unique -----------------------------------------------------------------------------------------

def test_add_unique_counts_duplicate_groups_and_rows_and_ignores_nulls(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email text, org int)",
         "INSERT INTO u VALUES (1, 'a', 1), (2, 'a', 1), (3, 'b', 1), (4, 'b', 1), (5, 'b', 1), "
         "(6, 'c', 1), (7, NULL, 1), (8, NULL, 1), (9, 'a', NULL), (10, 'a', NULL)")
    project.migration('add_unique("u", ["email", "org"])')
    out = project.refused()
    assert '5 rows of "u" share 2 values of (email, org), which unique "u_email_org_key" allows only once' in out
    assert "e.g. id=1, email='a', org=1; id=2, email='a', org=1; id=3, email='b', org=1" in out


def test_unique_expression_index_with_predicate(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email text, active boolean)",
         "INSERT INTO u VALUES (1, 'A@x', true), (2, 'a@x', true), (3, 'a@X', false), (4, 'b@x', true), "
         "(5, 'B@X', false), (6, NULL, true), (7, NULL, true)")
    project.migration('create_index("u", "lower(email)", unique=True, where="active")')
    out = project.refused()
    assert '2 rows of "u" share 1 value of (lower(email)), which unique index "u_lower_email_idx"' in out
    assert "e.g. id=1, lower(email)='a@x'; id=2, lower(email)='a@x'" in out


def test_rollback_of_drop_unique_refuses_while_duplicates_exist(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email text CONSTRAINT u_email_key UNIQUE)",
         "INSERT INTO u VALUES (1, 'a'), (2, 'b')")
    project.migration('drop_constraint("u", "u_email_key")')
    project.up()
    project.sql("INSERT INTO u VALUES (3, 'a'), (4, 'a'), (5, 'b'), (6, NULL), (7, NULL)")
    out = project.refused("down")
    assert '5 rows of "u" share 2 values of (email)' in out


def test_unique_nulls_not_distinct_counts_nulls(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email text, "
                  "CONSTRAINT u_email_key UNIQUE NULLS NOT DISTINCT (email))",
         "INSERT INTO u VALUES (1, 'a'), (2, NULL)")
    project.migration('drop_constraint("u", "u_email_key")')
    project.up()
    project.sql("INSERT INTO u VALUES (3, NULL), (4, NULL)")
    out = project.refused("down")
    assert '3 rows of "u" share 1 value of (email)' in out


def test_add_column_unique_with_a_constant_default(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY)", "INSERT INTO u SELECT generate_series(1, 3)")
    project.migration('add_column("u", "code", "text", default="x", unique=True)')
    out = project.refused()
    assert '3 rows of "u" share 1 value of (code)' in out


# -- foreign keys -----------------------------------------------------------------------------------

def test_add_foreign_key_counts_orphans(project):
    seed(project, "CREATE TABLE users (id int PRIMARY KEY); "
                  "CREATE TABLE orders (id int PRIMARY KEY, user_id int)",
         "INSERT INTO users VALUES (1), (2); "
         "INSERT INTO orders VALUES (10, 1), (11, 3), (12, NULL), (13, 2), (14, 4)")
    project.migration('add_foreign_key("orders", "user_id", "users")')
    out = project.refused()
    assert ('table "orders" has 2 rows whose (user_id) finds no match in "users"(id), which foreign key '
            '"orders_user_id_fkey" forbids') in out
    assert "e.g. id=11, user_id=3; id=14, user_id=4" in out


def test_multi_column_orphan_only_when_every_column_is_set(project):
    seed(project, "CREATE TABLE wh (region text, code int, PRIMARY KEY (region, code)); "
                  "CREATE TABLE stock (id int PRIMARY KEY, region text, code int)",
         "INSERT INTO wh VALUES ('eu', 1); "
         "INSERT INTO stock VALUES (1, 'eu', 1), (2, 'eu', 2), (3, 'us', NULL), (4, NULL, 9), (5, 'us', 1)")
    project.migration('add_foreign_key("stock", ["region", "code"], "wh", ["region", "code"])')
    out = project.refused()
    assert 'table "stock" has 2 rows whose (region, code) finds no match in "wh"(region, code)' in out
    assert "e.g. id=2, region='eu', code=2; id=5, region='us', code=1" in out


def test_references_on_add_column_with_a_default_checks_every_row(project):
    seed(project, "CREATE TABLE teams (id int PRIMARY KEY); CREATE TABLE users (id int PRIMARY KEY)",
         "INSERT INTO teams VALUES (1); INSERT INTO users SELECT generate_series(1, 3)")
    project.migration('add_column("users", "team_id", "int", default=7, references="teams")')
    out = project.refused()
    assert 'table "users" has 3 rows whose (team_id) finds no match in "teams"(id)' in out


def test_rollback_of_drop_foreign_key_refuses_while_orphans_exist(project):
    seed(project, "CREATE TABLE users (id int PRIMARY KEY); "
                  "CREATE TABLE orders (id int PRIMARY KEY, user_id int CONSTRAINT orders_user_fk REFERENCES users)",
         "INSERT INTO users VALUES (1)")
    project.migration('drop_constraint("orders", "orders_user_fk")')
    project.up()
    project.sql("INSERT INTO orders VALUES (1, 1), (2, 5), (3, 6), (4, 7)")
    out = project.refused("down")
    assert 'table "orders" has 3 rows whose (user_id) finds no match in "users"(id)' in out


# -- check constraints ------------------------------------------------------------------------------

def test_add_check_counts_violations_and_a_null_row_passes(project):
    seed(project, "CREATE TABLE p (id int PRIMARY KEY, price numeric)",
         "INSERT INTO p VALUES (1, 5), (2, -1), (3, NULL), (4, -7), (5, 0)")
    project.migration('add_check("p", "price_positive", "price >= 0")')
    out = project.refused()
    assert 'check "price_positive" (CHECK (price >= 0)) fails for 2 rows of "p"' in out
    assert "e.g. id=2, price=-1; id=4, price=-7" in out


def test_check_on_add_column_sees_the_default(project):
    seed(project, "CREATE TABLE p (id int PRIMARY KEY)", "INSERT INTO p SELECT generate_series(1, 4)")
    project.migration('''
        add_column("p", "qty", "int", default=0, check="qty > 0"),
        add_column("p", "note", "text", check="note IS NOT NULL"),
    ''')
    out = project.refused()
    assert 'operation 1 (add_column p.qty): check "p_qty_check" (CHECK (qty > 0)) fails for 4 rows of "p"' in out
    assert 'operation 2 (add_column p.note): check "p_note_check" (CHECK (note IS NOT NULL)) fails for 4 rows' in out


def test_rollback_of_drop_check_refuses_while_violations_exist(project):
    seed(project, "CREATE TABLE p (id int PRIMARY KEY, price numeric CONSTRAINT p_price_check CHECK (price > 0))")
    project.migration('drop_constraint("p", "p_price_check")')
    project.up()
    project.sql("INSERT INTO p VALUES (1, 5), (2, -1), (3, NULL)")
    out = project.refused("down")
    assert 'check "p_price_check" (CHECK (price > ' in out
    assert ') fails for 1 row of "p"' in out


# -- drop_column / drop_table -----------------------------------------------------------------------

def test_drop_column_with_values_needs_allow_data_loss(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, legacy text, empty text)",
         "INSERT INTO u VALUES (1, 'a', NULL), (2, NULL, NULL), (3, 'c', NULL), (4, 'd', NULL)")
    project.migration('''
        drop_column("u", "empty"),
        drop_column("u", "legacy"),
    ''')
    out = project.refused()
    assert "refused by 1 preflight check;" in out
    assert 'operation 2 (drop_column u.legacy): column "u.legacy" holds 3 non-NULL values' in out
    assert 'allow_data_loss=True to drop_column("u", "legacy")' in out


def test_drop_table_with_rows_needs_allow_data_loss(project):
    seed(project, "CREATE TABLE old (id int PRIMARY KEY)", "INSERT INTO old SELECT generate_series(1, 4)")
    project.migration('drop_table("old")')
    out = project.refused()
    assert 'table "old" holds 4 rows, which dropping it would lose' in out
    assert 'allow_data_loss=True to drop_table("old")' in out


def test_drop_refuses_when_views_or_foreign_keys_depend_even_with_allow_data_loss(project):
    seed(project, "CREATE TABLE users (id int PRIMARY KEY, email text, nick text); "
                  "CREATE TABLE orders (id int PRIMARY KEY, user_id int CONSTRAINT orders_user_fk REFERENCES users); "
                  "CREATE VIEW emails AS SELECT email FROM users; "
                  "CREATE VIEW everyone AS SELECT u.id, o.id AS order_id FROM users u JOIN orders o ON o.user_id = u.id")
    project.migration('''
        drop_column("users", "nick", allow_data_loss=True),
        drop_column("users", "email", allow_data_loss=True),
        drop_table("users", allow_data_loss=True),
    ''')
    out = project.refused()
    assert "refused by 2 preflight checks" in out
    assert 'operation 2 (drop_column users.email): column "users.email" is used by 1 other object' in out
    assert "    view emails\n" in out
    assert 'operation 3 (drop_table users): table "users" is used by 3 other objects' in out
    assert "    constraint orders_user_fk on table orders; view emails; view everyone\n" in out
    assert "no CASCADE" in out


def test_rollback_of_add_column_refuses_when_a_view_uses_it(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY)")
    project.migration('add_column("u", "nick", "text")')
    project.up()
    project.sql("CREATE VIEW nicks AS SELECT nick FROM u")
    out = project.refused("down")
    assert 'operation 1 (drop_column u.nick): column "u.nick" is used by 1 other object' in out
    assert "    view nicks\n" in out


# -- preflight(query, message) ----------------------------------------------------------------------

def test_user_preflight(project):
    seed(project, "CREATE TABLE o (id int PRIMARY KEY, total numeric)",
         "INSERT INTO o VALUES (1, 5), (2, -1), (3, -2)")
    project.migration('preflight("SELECT id, total FROM o WHERE total < 0 ORDER BY id", "orders must not be negative")')
    out = project.refused()
    assert "operation 1 (preflight 'orders must not be negative'): orders must not be negative (2 rows)" in out
    assert "e.g. id=2, total=-1; id=3, total=-2" in out


def test_user_preflight_with_an_error_names_the_operation(project):
    seed(project, "CREATE TABLE o (id int PRIMARY KEY)")
    label = project.migration('preflight("SELECT nope FROM o", "broken")')
    out = project.refused()
    assert f"{label}: operation 1 (preflight 'broken'): the preflight check on query could not run: " \
           'column "nope" does not exist' in out


# -- every failure in one message -------------------------------------------------------------------

def test_all_failures_of_a_migration_in_one_message(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email text, age int, note text)",
         "INSERT INTO u VALUES (1, 'a', NULL, 'x'), (2, 'a', 3, NULL), (3, 'bbbbbbbbbbbb', NULL, NULL)")
    label = project.migration('''
        alter_column("u", "email", type="varchar(5)"),
        add_column("u", "level", "int", nullable=False),
        create_index("u", "level", unique=True),
        backfill("u", {"note": "'n/a'"}, where="note IS NULL", reverse={"note": "NULL"}),
        alter_column("u", "note", nullable=False),
        add_unique("u", "email"),
        alter_column("u", "age", nullable=False),
    ''')
    out = project.refused()
    assert f"{label}: refused by 4 preflight checks; nothing was changed" in out
    assert "operation 1 (alter_column u.email): column \"u.email\" has 1 value longer than 5" in out
    assert "operation 2 (add_column u.level): column \"u.level\" is NOT NULL without a default" in out
    # operation 3 needs the column operation 2 would have added
    assert ("not checked: operation 3 (create_index u_level_idx on u): the preflight check on table \"u\" "
            'could not run: column "level" does not exist (an earlier operation was refused)') in out
    # operation 4 ran (inside the rolled-back transaction), so operation 5 found no NULL left
    assert "operation 5" not in out
    assert "operation 6 (add_unique u_email_key on u): 2 rows of \"u\" share 1 value of (email)" in out
    assert "operation 7 (alter_column u.age): column \"u.age\" is NULL in 2 rows" in out
    assert out.index("operation 1 (") < out.index("operation 2 (") < out.index("operation 6 (") \
        < out.index("operation 7 (") < out.index("not checked")


def test_a_later_segment_failure_undoes_committed_steps(project):
    """An online recipe commits (NOT VALID, then VALIDATE); a check refusing a later operation
    still leaves the database as it was."""
    seed(project, "CREATE TABLE p (id int PRIMARY KEY, price numeric, qty int)",
         "INSERT INTO p VALUES (1, 5, NULL), (2, 6, NULL)")
    project.migration('''
        add_check("p", "price_positive", "price > 0"),
        alter_column("p", "qty", nullable=False),
    ''')
    catalog, rows, _ = project.snapshot()
    code, out = project.pymig("up")
    assert code == 1, out
    assert 'column "p.qty" is NULL in 2 rows' in out
    assert "the steps this migration had committed were undone" in out
    assert project.snapshot()[:2] == (catalog, rows)  # the log records the undo


# -- pymig sql ---------------------------------------------------------------------------------------

def test_sql_preview_prints_each_check_as_a_comment(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email varchar(50), code text)")
    project.migration('''
        alter_column("u", "email", type="varchar(20)", nullable=False),
        alter_column("u", "code", type="int", using="code::int"),
        drop_column("u", "email"),
    ''')
    code, out = project.pymig("sql")
    assert code == 0, out
    assert ('-- preflight for alter_column u.email: refuse if column "u.email" has values longer than 20 '
            "characters, which character varying(20) cannot hold") in out
    assert '-- SELECT "id", "email" FROM "u" WHERE char_length(rtrim(CAST("email" AS text), \' \')) > 20 ORDER BY "id"' in out
    assert '-- preflight for alter_column u.email: refuse if column "u.email" is NULL in rows' in out
    assert "--   CREATE FUNCTION pg_temp.pymig_probe" in out
    assert '-- preflight for drop_column u.email: refuse if column "u.email" is used by other objects' in out
    assert '-- preflight for drop_column u.email: refuse if column "u.email" holds non-NULL values' in out
    for line in out.splitlines():
        assert not line.startswith(("SAVEPOINT", "SELECT", "CREATE FUNCTION")), line


# -- inverses of objects pymig did not create ---------------------------------------------------------

ADOPTED = """
CREATE SEQUENCE shared_seq START 100;
CREATE TABLE parent (id int PRIMARY KEY, k text UNIQUE);
CREATE TABLE t (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 50 INCREMENT BY 5) PRIMARY KEY,
  s serial,
  n bigint NOT NULL DEFAULT nextval('shared_seq'),
  name varchar(40) COLLATE "C" NOT NULL DEFAULT 'x',
  price numeric(10,2) DEFAULT 0 CONSTRAINT t_price_check CHECK (price >= 0),
  pk text CONSTRAINT t_pk_fkey REFERENCES parent(k) ON DELETE SET NULL,
  tags text[] DEFAULT '{}',
  at timestamp(3) with time zone DEFAULT now(),
  q int GENERATED BY DEFAULT AS IDENTITY
);
CREATE INDEX t_name_idx ON t USING hash (name);
CREATE INDEX t_price_idx ON t (price DESC NULLS LAST) WHERE price > 10;
CREATE UNIQUE INDEX t_lower_idx ON t (lower(name) text_pattern_ops);
ALTER TABLE t ADD CONSTRAINT t_two CHECK (price < 1000 OR name <> 'x') NOT VALID;
INSERT INTO parent VALUES (1, 'a');
INSERT INTO t (name, price, pk) VALUES ('a', 5, 'a');
"""


def _without_positions(catalog):
    """Re-added columns go to the end of the table: compare everything but the position."""
    return [(k, n, d.split(" ", 1)[1] if k == "column" else d) for k, n, d in catalog]


def test_dropping_every_kind_of_adopted_column_and_rolling_back_restores_it(project):
    seed(project, ADOPTED)
    before = project.snapshot()[0]
    project.migration("\n".join(f'drop_column("t", "{c}", allow_data_loss=True),'
                                for c in ("id", "s", "n", "name", "price", "pk", "tags", "at")))
    project.up()
    assert project.sql("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 "
                       "AND NOT attisdropped") == [(1,)]
    project.down()
    assert _without_positions(project.snapshot()[0]) == _without_positions(before)


def test_dropping_an_adopted_table_and_rolling_back_restores_it(project):
    seed(project, ADOPTED)
    before = project.snapshot()[0]
    project.migration('drop_table("t", allow_data_loss=True)')
    project.up()
    project.down()
    assert project.snapshot()[0] == before


def test_altering_adopted_objects_and_rolling_back_restores_them(project):
    seed(project, ADOPTED)
    before = project.snapshot()[0]
    project.migration('''
        drop_index("t_price_idx"),
        drop_index("t_lower_idx"),
        drop_constraint("t", "t_two"),
        drop_constraint("t", "t_pk_fkey"),
        alter_column("t", "name", type="text", nullable=True, default=None),
        alter_column("t", "price", type="numeric(12,3)"),
    ''')
    project.up()
    project.down()
    assert project.snapshot()[0] == before


def test_run_sql_table_column_round_trip_keeps_type_nullability_and_default(project):
    seed(project, "CREATE TABLE accounts (id int PRIMARY KEY, "
                  "status varchar(12) NOT NULL DEFAULT 'active', score numeric(5,1) DEFAULT 2.5)",
         "INSERT INTO accounts VALUES (1, 'closed', 1.0)")
    project.migration('''
        drop_column("accounts", "status", allow_data_loss=True),
        drop_column("accounts", "score", allow_data_loss=True),
    ''')
    project.up()
    project.down()
    assert project.sql(
        "SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid) "
        "FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum "
        "WHERE attrelid = 'accounts'::regclass AND attnum > 1 AND NOT attisdropped ORDER BY attname") == [
        ("score", "numeric(5,1)", False, "2.5"),
        ("status", "character varying(12)", True, "'active'::character varying"),
    ]
    # the old row got the default back, as ADD COLUMN gives it
    assert project.sql("SELECT status FROM accounts") == [("active",)]


# -- backfill reversibility ---------------------------------------------------------------------------

def test_backfill_of_an_existing_column_without_reverse_is_irreversible(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, name text)", "INSERT INTO u VALUES (1, NULL), (2, 'b')")
    project.migration('''
        add_column("u", "nick", "text"),
        backfill("u", {"name": "'x'"}, where="name IS NULL"),
    ''')
    project.up()
    out = project.refused("down")
    assert "cannot roll back migrations/002_step2.py: operation 2 (backfill u (name)) is not reversible" in out
    assert "no reverse=" in out


def test_backfill_of_a_column_added_in_the_same_migration_rolls_back_by_dropping_it(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, name text)", "INSERT INTO u VALUES (1, 'a'), (2, 'b')")
    project.migration('''
        add_column("u", "upper_name", "text"),
        backfill("u", {"upper_name": "upper(name)"}),
        alter_column("u", "upper_name", nullable=False),
    ''')
    project.up()
    assert project.sql("SELECT upper_name FROM u ORDER BY id") == [("A",), ("B",)]
    project.down("--allow-data-loss")  # its values go with it
    assert project.sql("SELECT count(*) FROM pg_attribute WHERE attrelid = 'u'::regclass "
                       "AND attname = 'upper_name' AND NOT attisdropped") == [(0,)]


def test_rollback_of_drop_primary_key_refuses_while_duplicates_exist(project):
    seed(project, "CREATE TABLE t (code text CONSTRAINT t_pkey PRIMARY KEY, n int)",
         "INSERT INTO t VALUES ('a', 1)")
    project.migration('drop_constraint("t", "t_pkey")')
    project.up()
    project.sql("INSERT INTO t VALUES ('a', 2), ('b', 3), ('b', 4)")
    out = project.refused("down")
    assert '4 rows of "t" share 2 values of (code), which primary key "t_pkey" allows only once' in out


def test_drop_column_referenced_by_another_tables_foreign_key(project):
    seed(project, "CREATE TABLE users (id int PRIMARY KEY, handle text CONSTRAINT users_handle_key UNIQUE); "
                  "CREATE TABLE posts (id int PRIMARY KEY, author text CONSTRAINT posts_author_fkey "
                  "REFERENCES users (handle))")
    project.migration('drop_column("users", "handle", allow_data_loss=True)')
    out = project.refused()
    assert 'column "users.handle" is used by 1 other object' in out
    assert "    constraint posts_author_fkey on table posts\n" in out


def test_sql_down_prints_the_checks_of_the_inverse(project):
    seed(project, "CREATE TABLE u (id int PRIMARY KEY, email varchar(20))")
    project.migration('alter_column("u", "email", type="varchar(100)", nullable=False)')
    project.up()
    code, out = project.pymig("sql", "--down")
    assert code == 0, out
    assert ('-- preflight for alter_column u.email: refuse if column "u.email" has values longer than 20 '
            "characters") in out
    assert 'ALTER TABLE "u" ALTER COLUMN "email" TYPE character varying(20)' in out


def test_drop_table_refuses_when_another_table_uses_its_row_type(project):
    seed(project, "CREATE TABLE pt (x int, y int); CREATE TABLE shape (id int PRIMARY KEY, corner pt)")
    project.migration('drop_table("pt", allow_data_loss=True)')
    out = project.refused()
    assert 'table "pt" is used by 1 other object' in out
    assert "    column corner of table shape\n" in out


def test_rollback_of_dropping_a_not_null_column_without_default_needs_an_empty_table(project):
    seed(project, "CREATE TABLE t (id int PRIMARY KEY, code text NOT NULL)", "INSERT INTO t VALUES (1, 'a')")
    project.migration('drop_column("t", "code", allow_data_loss=True)')
    project.up()
    out = project.refused("down")
    assert ('operation 1 (add_column t.code): column "t.code" is NOT NULL without a default, but table "t" '
            "has 1 row, which would get NULL") in out
    project.sql("DELETE FROM t")
    project.down()
    assert project.sql("SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass "
                       "AND attname = 'code'") == [(True,)]
