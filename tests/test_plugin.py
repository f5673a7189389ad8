"""The pytest plugin's `migrator` fixture: pymig's own tests of the example project use it (the
typical data-migration test, and the one-line round-trip test), and pytester runs it the way a
user's project would."""

from __future__ import annotations

import textwrap

import pytest

from pymig.errors import PymigError

pytest_plugins = ["pytester"]


def roles(conn) -> list[tuple]:
    return conn.execute("SELECT email, role FROM users ORDER BY id").fetchall()


# -- the example project (pymig's pyproject.toml: [tool.pymig] migrations = "migrations") ---------------

def test_role_conversion_converts_and_restores_rows(migrator):
    migrator.migrate_to(6)
    migrator.connection.execute(
        "INSERT INTO users (email, role) VALUES ('a@x.org', 'admin'), ('u@x.org', 'user'), "
        "('m@x.org', 'moderator'), ('o@x.org', 'owner')")

    migrator.migrate_to(7)
    assert roles(migrator.connection) == [("a@x.org", "administrator"), ("u@x.org", "regular_user"),
                                          ("m@x.org", "moderator"), ("o@x.org", "regular_user")]

    migrator.migrate_to(6)
    # 'owner' was none of the old vocabulary: the seed's ELSE maps it to regular_user, and back to user
    assert roles(migrator.connection) == [("a@x.org", "admin"), ("u@x.org", "user"),
                                          ("m@x.org", "moderator"), ("o@x.org", "user")]
    assert migrator.applied == [1, 2, 3, 4, 5, 6]


def test_migrations_round_trip(migrator):
    migrator.verify()


def test_up_down_and_applied_follow_the_cli(migrator):
    assert migrator.applied == [] and migrator.version == 0
    migrator.up(steps=2)
    assert migrator.applied == [1, 2]
    migrator.up()
    assert migrator.version == 8
    migrator.down()
    assert migrator.version == 7
    migrator.down(steps=4)
    assert migrator.applied == [1, 2, 3]
    migrator.migrate_to(0)
    assert migrator.applied == []
    assert migrator.connection.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'pymig%'"
    ).fetchone()[0] == 0
    with pytest.raises(PymigError, match=r"up\(steps=9\): only 8 migration\(s\) pending"):
        migrator.up(steps=9)
    with pytest.raises(PymigError, match="no migration with version 42"):
        migrator.migrate_to(42)


def test_verify_needs_an_empty_database(migrator):
    migrator.migrate_to(1)
    with pytest.raises(PymigError, match="the scratch database has migrations applied"):
        migrator.verify()


# -- from a user's project, with pytester ------------------------------------------------------------

USER_TESTS = '''
    def test_rows_survive(migrator):
        migrator.migrate_to(1)
        migrator.connection.execute("INSERT INTO notes (body) VALUES ('hello')")
        migrator.up()
        assert migrator.connection.execute("SELECT title FROM notes").fetchall() == [("hello",)]
        migrator.down()
        assert migrator.connection.execute("SELECT body FROM notes").fetchall() == [("hello",)]


    def test_migrations_round_trip(migrator):
        migrator.verify()
'''

NOTES = '''
    from pymig import column, create_table
    operations = [create_table("notes", column("id", "serial", primary_key=True), column("body", "text"))]
'''

RENAME = '''
    from pymig import rename_column
    operations = [rename_column("notes", "body", "title")]
'''


@pytest.fixture
def user_project(pytester):
    pytester.makepyfile(test_notes=textwrap.dedent(USER_TESTS))
    return pytester


def migration_files(root, **files) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source).lstrip())


def test_user_project_with_tool_pymig_in_pyproject(user_project, pymig_server_url):
    user_project.makepyprojecttoml('[tool.pymig]\nmigrations = "db/migrations"\n')
    migration_files(user_project.path / "db" / "migrations", **{"001_notes": NOTES, "002_rename": RENAME})

    result = user_project.runpytest("--pymig-database-url", pymig_server_url)

    result.assert_outcomes(passed=2)


def test_user_project_with_ini_option_and_command_line(user_project, pymig_server_url):
    user_project.makeini("[pytest]\npymig_migrations = schema\n")
    migration_files(user_project.path / "schema", **{"001_notes": NOTES, "002_rename": RENAME})
    user_project.runpytest("--pymig-database-url", pymig_server_url).assert_outcomes(passed=2)

    migration_files(user_project.path / "elsewhere", **{"001_notes": NOTES})  # no 002: the rename test fails
    result = user_project.runpytest("--pymig-database-url", pymig_server_url, "--pymig-migrations", "elsewhere")
    result.assert_outcomes(passed=1, failed=1)


def test_user_round_trip_test_fails_naming_migration_and_object(user_project, pymig_server_url):
    migration_files(user_project.path / "migrations", **{
        "001_notes": NOTES,
        "002_index": '''
            from pymig import run_sql
            operations = [run_sql(up="CREATE INDEX notes_body ON notes (body)", down="SELECT 1")]
        ''',
    })

    result = user_project.runpytest("--pymig-database-url", pymig_server_url, "-k", "round_trip")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*VerifyError: 1 of 2 migrations does not round-trip:*",
                                 "*migrations/002_index.py: index notes_body exists after down but not before up*"])
