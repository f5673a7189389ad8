"""add_exclusion and the partition operations through the real `pymig`: what refuses them, in one
clear line naming the file and the operation, with the database unchanged."""

from __future__ import annotations

import pytest

from helpers import Project, assert_clean_error, connect, snapshot

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
