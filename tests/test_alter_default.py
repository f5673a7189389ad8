"""alter_column(default=...) and default=None on the columns whose values no default gives:
identity, generated and serial columns. PostgreSQL refuses SET/DROP DEFAULT on the first two (a
serial's default is its sequence, which would be left behind); pymig refuses all of them when the
migration is planned, in one line naming the file, the operation and the column, with what to do
instead, and changes nothing. A plain column of the same table still takes a default."""

from __future__ import annotations

import pytest

from helpers import Project, assert_clean_error, snapshot

TABLE = '''
    """Items."""
    from pymig import column, create_table

    operations = [
        create_table(
            "items",
            column("id", "bigint", primary_key=True, identity="always"),
            column("seq", "serial", nullable=False),
            column("price", "integer"),
            column("total", "integer", generated="price * 2"),
        ),
    ]
'''

REFUSED = [
    ("id", "default=None", 'column "items.id" is an identity column (generated always)', "cannot drop its default",
     "DROP IDENTITY"),
    ("id", "default=5", 'column "items.id" is an identity column', "cannot set a default", "DROP IDENTITY"),
    ("total", "default=0", 'column "items.total" is a generated column (GENERATED ALWAYS AS ((price * 2)) STORED)',
     "cannot set a default", "DROP EXPRESSION"),
    ("total", "default=None", 'column "items.total" is a generated column', "cannot drop its default", "DROP EXPRESSION"),
    ("seq", "default=None", 'column "items.seq" is serial', "cannot drop", "run_sql"),
]


@pytest.mark.parametrize("column, change, message, verb, instead", REFUSED, ids=[f"{r[0]}-{r[1]}" for r in REFUSED])
def test_refused_when_planned(column, change, message, verb, instead):
    from pymig import alter_column, column as col, create_table
    from pymig.errors import PymigError
    from pymig.schema import Schema

    items = create_table("items", col("id", "bigint", primary_key=True, identity="always"),
                         col("seq", "serial", nullable=False), col("price", "integer"),
                         col("total", "integer", generated="price * 2"))
    op = alter_column("items", column, default=None if change == "default=None" else int(change.split("=")[1]))
    with pytest.raises(PymigError) as refused:
        op.state_forwards(items.state_forwards(Schema()))
    text = f"{refused.value.message}\n{refused.value.hint}"
    for needle in (message.replace("((price * 2))", "(price * 2)"), verb, instead):
        assert needle in text


@pytest.mark.db
def test_through_pymig_refused_in_one_line_and_nothing_changes(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_items.py", TABLE)
    project.ok("up")
    before = snapshot(db_url)
    path = project.write("002_default.py", '''
        """A default."""
        from pymig import alter_column

        operations = [alter_column("items", "total", default=0)]
    ''')
    assert_clean_error(project.run("up"), "002_default.py", "alter_column items.total",
                       'column "items.total" is a generated column (GENERATED ALWAYS AS ((price * 2)) STORED)',
                       "DROP EXPRESSION")
    assert snapshot(db_url) == before
    path.unlink()
    project.write("002_default.py", '''
        """A default on the plain column beside them."""
        from pymig import alter_column

        operations = [alter_column("items", "price", default=0)]
    ''')
    project.ok("up")
    project.ok("down")
    assert snapshot(db_url)[:2] == before[:2]
