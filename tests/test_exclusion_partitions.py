"""add_exclusion and the partition operations through the real `pymig`: what refuses them, in one
clear line naming the file and the operation, with the database unchanged."""

from __future__ import annotations

import pytest

from helpers import Project, assert_clean_error, connect, snapshot
from pymig.schema import Schema

BOOKINGS = '''
    """Bookings."""
    from pymig import column, create_table

    operations = [
        create_table(
            "bookings",
            column("id", "serial", primary_key=True),
            column("room_id", "integer", nullable=False),
            column("during", "tsrange", nullable=False),
        ),
    ]
'''

NO_OVERLAP = '''
    """No two bookings of a room overlap."""
    from pymig import add_exclusion

    operations = [add_exclusion("bookings", "bookings_no_overlap", "gist", [("room_id", "="), ("during", "&&")])]
'''


@pytest.fixture
def bookings(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_bookings.py", BOOKINGS)
    project.ok("up")
    return project


@pytest.mark.db
def test_exclusion_without_btree_gist_is_refused_naming_the_extension(bookings):
    bookings.write("002_no_overlap.py", NO_OVERLAP)
    before = snapshot(bookings.url)
    message = assert_clean_error(bookings.run("up"), "002_no_overlap.py", "add_exclusion bookings_no_overlap",
                                 'column "room_id" (integer)', "btree_gist extension")
    assert 'create_extension("btree_gist")' in message
    assert snapshot(bookings.url) == before


@pytest.mark.db
def test_exclusion_over_conflicting_rows_is_refused_with_the_count(bookings):
    bookings.write("002_btree_gist.py", '''
        """The extension."""
        from pymig import create_extension

        operations = [create_extension("btree_gist")]
    ''')
    bookings.ok("up")
    with connect(bookings.url) as conn:
        conn.execute("INSERT INTO bookings (room_id, during) VALUES (1, '[2024-01-01 10:00, 2024-01-01 11:00)'), "
                     "(1, '[2024-01-01 10:30, 2024-01-01 12:00)'), (1, '[2024-01-01 12:00, 2024-01-01 13:00)'), "
                     "(2, '[2024-01-01 10:00, 2024-01-01 11:00)')")
    bookings.write("003_no_overlap.py", NO_OVERLAP)
    before = snapshot(bookings.url)
    assert_clean_error(bookings.run("up"), "003_no_overlap.py", "add_exclusion bookings_no_overlap",
                       '2 rows of "bookings" conflict with another row under exclusion "bookings_no_overlap"')
    assert snapshot(bookings.url) == before


# -- partitions ------------------------------------------------------------------------------------

def test_partition_refusals_name_what_is_wrong():
    from pymig import add_check, column, create_partition, create_table, detach_partition, drop_table
    from pymig.errors import PymigError
    from pymig.schema import Schema

    def schema(*ops):
        s = Schema()
        for op in ops:
            s = op.state_forwards(s)
        return s

    events = create_table("events", column("id", "bigint", nullable=False),
                          column("created_at", "timestamptz", nullable=False), partition_by="range (created_at)")
    january = create_partition("events", "events_2024_01", for_values="FROM ('2024-01-01') TO ('2024-02-01')")
    other = create_partition("events", "events_other", for_values="DEFAULT")
    with pytest.raises(PymigError, match="partitioned by range, and for_values='IN \\(1\\)' is a list bound"):
        schema(events, create_partition("events", "e", for_values="IN (1)"))
    with pytest.raises(PymigError, match='already has a default partition, "events_other"'):
        schema(events, other, create_partition("events", "e", for_values="DEFAULT"))
    with pytest.raises(PymigError, match="cannot detach concurrently while \"events\" has a default partition"):
        schema(events, january, other, detach_partition("events", "events_2024_01"))
    with pytest.raises(PymigError, match='table "events" has partitions: events_2024_01'):
        schema(events, january, drop_table("events"))
    with pytest.raises(PymigError, match="for_values='FROM \\(1\\)': write the bound as PostgreSQL does"):
        create_partition("events", "e", for_values="FROM (1)")
    with pytest.raises(PymigError, match="lacks the CHECK constraint\\(s\\) of \"events\": events_id_check"):
        from pymig import attach_partition

        loose = create_table("loose", column("id", "bigint", nullable=False),
                             column("created_at", "timestamptz", nullable=False))
        schema(events, add_check("events", "events_id_check", "id > 0"), loose,
               attach_partition("events", "loose", for_values="FROM ('2024-03-01') TO ('2024-04-01')"))


@pytest.mark.db
def test_attach_on_a_live_table_scans_nothing_under_its_lock(db_url):
    """The steps pymig renders for attach_partition on a table in use, run by hand: PostgreSQL
    reports the partition constraint implied by the CHECK validated before (it does not scan)."""
    import psycopg

    from pymig import attach_partition, column, create_table
    from pymig.dialects.postgres import PostgresDialect
    from pymig.steps import Commit, Sql

    events = create_table("events", column("id", "bigint", nullable=False),
                          column("created_at", "timestamptz", nullable=False), partition_by="range (created_at)")
    loose = create_table("events_2024_03", column("id", "bigint", nullable=False),
                         column("created_at", "timestamptz", nullable=False))
    dialect = PostgresDialect()
    schema = loose.state_forwards(events.state_forwards(Schema()))
    op = attach_partition("events", "events_2024_03", for_values="FROM ('2024-03-01') TO ('2024-04-01')")
    notices = []
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: notices.append(d.message_primary))
        for statement in [*dialect.create_table(events.table), *dialect.create_table(loose.table)]:
            conn.execute(statement)
        conn.execute("INSERT INTO events_2024_03 VALUES (1, '2024-03-05')")
        conn.execute("SET client_min_messages = debug1")
        steps = dialect.forward(op, schema)
        assert [type(s) for s in steps] == [Sql, Commit, Sql, Sql, Sql]
        for step in steps:
            if isinstance(step, Sql):
                conn.execute(step.text)
        assert 'partition constraint for table "events_2024_03" is implied by existing constraints' in notices
        assert conn.execute("SELECT count(*) FROM events").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'events_2024_03'::regclass "
                            "AND contype = 'c'").fetchone() == (0,)


def test_sqlite_refuses_partitions_when_loading_naming_file_and_operation(tmp_path):
    project = Project(tmp_path, f"sqlite:///{tmp_path / 'app.db'}")
    project.write("001_events.py", '''
        """Events."""
        from pymig import column, create_partition, create_table

        operations = [
            create_table("events", column("id", "bigint"), column("at", "date")),
            create_partition("events", "events_2024", for_values="FROM ('2024-01-01') TO ('2025-01-01')"),
        ]
    ''')
    assert_clean_error(project.run("up"), "001_events.py", "create_partition events_2024 of events",
                       "SQLite has no partitioned tables")
