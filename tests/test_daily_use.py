"""What a daily user trips over, through the installed `pymig`: configuration, URLs, the migrations
directory, out-of-order files, defaults and names, history views, `pymig new`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers import Project, assert_clean_error, clean_env, connect, versions

pytest_plugins = ["pytester"]

USERS = '''
    """Users."""
    from pymig import column, create_table

    operations = [create_table("users", column("id", "serial", primary_key=True), column("email", "text"))]
'''


def add(column: str) -> str:
    return f'''
        from pymig import add_column
        operations = [add_column("users", "{column}", "text")]
    '''


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_users.py", USERS)
    return project


def both(project: Project, *args: str, url="default", env=None):
    """The command, and the same with --debug."""
    return project.run(*args, url=url, env=env), project.run(*args, "--debug", url=url, env=env)


# -- [tool.pymig] --------------------------------------------------------------------------------------

BAD_SETTINGS = {
    "typo": ('[tool.pymig]\ndatabse_url = "postgresql://app@db/app"\n',
             ["unknown key 'databse_url'", "did you mean 'database_url'"]),
    "duration text": ('[tool.pymig]\nlock_wait = "abc"\n', ["lock_wait", "'abc'", "60s"]),
    "negative duration": ('[tool.pymig]\nbackfill_pause = "-5ms"\n', ["backfill_pause", "negative"]),
    "migrations number": ("[tool.pymig]\nmigrations = 5\n", ["migrations = 5", "directory path"]),
    "url number": ("[tool.pymig]\ndatabase_url = 5\n", ["database_url = 5", "URL"]),
    "pymig not a table": ('[tool]\npymig = "x"\n', ["[tool.pymig]"]),
    "out_of_order text": ('[tool.pymig]\nout_of_order = "yes"\n', ["out_of_order", "true or false"]),
    "scratch prefix": ('[tool.pymig]\nscratch_prefix = "Bad-Prefix"\n', ["scratch_prefix", "lower-case"]),
    "not toml": ("[tool.pymig\n", ["pyproject.toml"]),
}


@pytest.mark.parametrize("case", BAD_SETTINGS, ids=list(BAD_SETTINGS))
def test_bad_settings_are_one_line_with_exit_2(tmp_path, case):
    text, needles = BAD_SETTINGS[case]
    project = Project(tmp_path, "")
    (tmp_path / "pyproject.toml").write_text(text)
    for res in both(project, "status", url=None):
        assert res.returncode == 2, res.stderr
    plain, debug = both(project, "status", url=None)
    assert_clean_error(plain, "pyproject.toml", *needles)
    assert_clean_error(debug, "pyproject.toml", *needles, debug=True)
    assert not (tmp_path / "pymig.db").exists()


def test_every_duration_takes_the_same_forms(tmp_path):
    from pymig.config import duration

    assert [duration(v, "x") for v in (60, "60", "60s", "1min", "60000ms", 1.5)] == [60, 60, 60, 60, 60, 1.5]
    project = Project(tmp_path, "")
    project.write("001_a.py", '"""A."""\noperations = []\n')
    for value in ('"60s"', '"1min"', "60", '"500ms"'):
        (tmp_path / "pyproject.toml").write_text(f"[tool.pymig]\nlock_wait = {value}\nlock_timeout = {value}\n"
                                                 f"lock_retry_for = {value}\nbackfill_pause = {value}\n")
        assert "1 pending" in project.ok("status", url=None)
    (tmp_path / "pyproject.toml").unlink()
    assert "applied" in project.ok("up", "--lock-wait", "30s", "--lock-timeout", "2", url=None)
    res = project.run("up", "--lock-wait", "-5", url=None)
    assert res.returncode == 2
    assert_clean_error(res, "--lock-wait", "negative")


def test_lock_timeout_without_unit_is_seconds_in_the_sql(project):
    out = project.ok("sql", "--lock-timeout", "2")
    assert "SET LOCAL lock_timeout = '2s'" in out


# -- database URLs -------------------------------------------------------------------------------------

def _server(db_url: str) -> str:
    parts = urlsplit(db_url)
    return f"{parts.hostname}:{parts.port or 5432}"


@pytest.mark.parametrize("form", ["bare @", "single slash", "no slash", "key=value", "driver suffix"])
def test_passwords_never_appear_however_the_url_is_malformed(project, form):
    host = _server(project.url)
    url = {
        "bare @": f"postgresql://nosuchrole:s3cret@S3CRETPW@{host}/nosuchdb",
        "single slash": f"postgresql:/postgres:S3CRETPW@{host}/postgres",
        "no slash": f"postgresql:postgres:S3CRETPW@{host}/postgres",
        "key=value": f"host={host.split(':')[0]} password=S3CRETPW dbname=postgres",
        "driver suffix": f"postgresql+psycopg://postgres:S3CRETPW@{host}/postgres",
    }[form]
    for command in (("status",), ("up",), ("verify",)):
        for env in (None, clean_env(DATABASE_URL=url)):
            plain, debug = both(project, *command, url=None if env else url, env=env)
            for res in (plain, debug):
                assert res.returncode in (1, 2), res.stderr
                assert "S3CRETPW" not in res.stdout + res.stderr, res.stderr
                assert "s3cret" not in res.stdout + res.stderr, res.stderr
                assert "internal error" not in res.stderr
            assert_clean_error(plain)


def test_a_bare_at_in_the_password_ends_the_user_info_at_the_last_at(project):
    parts = urlsplit(project.url)
    url = f"postgresql://{parts.username}:pass@word@{_server(project.url)}{parts.path}"
    assert "1 migration applied" in project.ok("up", url=url)


def test_driver_suffix_urls_are_refused(project):
    res = project.run("status", url=project.url.replace("postgresql://", "postgresql+psycopg2://"))
    assert res.returncode == 2
    assert_clean_error(res, "postgresql+psycopg2", "postgresql://")


# -- the migrations directory ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("status",), ("up",), ("check",), ("sql",), ("verify",), ("new", "x")])
def test_a_missing_migrations_directory_is_an_error(project, command):
    shutil.rmtree(project.migrations)
    if command[0] != "new":
        assert_clean_error(project.run(*command), "migrations directory migrations does not exist")
    (project.root / "afile").write_text("")
    assert_clean_error(project.run(*command, "--dir", "afile"), "afile is a file, not a directory")


@pytest.mark.parametrize("command", [("down",), ("history",), ("sql", "--down")])
def test_history_commands_need_the_directory_only_when_it_is_named(project, command):
    project.ok("up")
    shutil.rmtree(project.migrations)
    assert project.run(*command).returncode == 0
    assert_clean_error(project.run(*command, "--dir", "db/migrations"), "db/migrations does not exist")


def test_status_says_why_every_applied_migration_is_missing(project):
    project.ok("up")
    elsewhere = project.root / "elsewhere"
    elsewhere.mkdir()
    res = project.run("status", "--dir", "elsewhere")
    assert res.returncode == 0
    assert "1 missing" in res.stdout
    assert "none of the 1 applied migrations has its file in elsewhere" in res.stderr


def test_files_that_look_like_migrations_get_a_notice(project):
    project.write("02-add.py", add("bio"))
    project.write("003_init.sql", "CREATE TABLE x (id int);")
    project.write("helpers.txt", "not a migration")
    res = project.run("up")
    assert res.returncode == 0
    assert "migrations/02-add.py is ignored: a migration is named NNN_description.py" in res.stderr
    assert "e.g. to 002_add.py" in res.stderr
    assert "migrations/003_init.sql is ignored" in res.stderr and "pymig import" in res.stderr
    assert "helpers.txt" not in res.stderr


@pytest.mark.parametrize("call", ["sys.exit(0)", "raise SystemExit('stop')", "exit()"])
def test_a_module_that_exits_at_import_is_an_error_naming_it(project, call):
    project.write("002_exits.py", f"import sys\n{call}\noperations = []\n")
    res = project.run("up")
    assert res.returncode == 1
    assert_clean_error(res, "migrations/002_exits.py:2", "exit")
    assert versions(project.url) == []


# -- out of order ------------------------------------------------------------------------------------------

def test_out_of_order_is_refused_then_allowed_and_down_follows_the_applied_order(project):
    project.write("003_c.py", add("c"))
    project.ok("up")
    project.write("002_b.py", add("b"))
    res = project.run("up")
    assert res.returncode == 1
    assert_clean_error(res, "migrations/002_b.py is pending but older than migrations/003_c.py",
                       "--allow-out-of-order", "out_of_order = true")
    assert versions(project.url) == [1, 3]
    assert_clean_error(project.run("sql"), "migrations/002_b.py")

    assert "applied migrations/002_b.py" in project.ok("up", "--allow-out-of-order")
    assert versions(project.url) == [1, 2, 3]
    assert project.ok("down").splitlines()[0] == "reverted migrations/002_b.py"
    assert versions(project.url) == [1, 3]

    (project.root / "pyproject.toml").write_text("[tool.pymig]\nout_of_order = true\n")
    project.ok("up")
    assert project.ok("down", "--to", "0").splitlines()[:3] == [
        "reverted migrations/002_b.py", "reverted migrations/003_c.py", "reverted migrations/001_users.py"]


# -- messages name the file --------------------------------------------------------------------------------

def test_irreversible_down_names_the_file_or_says_it_is_missing(project):
    path = project.write("002_touch.py", '''
        from pymig import run_sql
        operations = [run_sql("UPDATE users SET email = lower(email)")]
    ''')
    project.ok("up")
    assert_clean_error(project.run("down"), "cannot roll back migrations/002_touch.py", "run_sql")
    path.unlink()
    assert_clean_error(project.run("down"), "cannot roll back migration 2 (touch; its file is missing)")


# -- defaults and names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("default", ["now()", "current_timestamp", "gen_random_uuid()", "'now'", "NOW()::date"])
def test_string_defaults_that_read_like_sql_are_refused_at_load(project, default):
    project.write("002_seen.py", f'''
        from pymig import add_column
        operations = [add_column("users", "seen_at", "timestamptz", default={default!r})]
    ''')
    for command in ("up", "sql", "check"):
        res = project.run(command)
        assert res.returncode == 1
        text = res.stderr if command != "check" else res.stdout
        assert "migrations/002_seen.py:2" in text and "default=sql(" in text and "literal(" in text, text


def test_sql_and_literal_defaults_are_what_they_say(project):
    project.write("002_defaults.py", '''
        from pymig import add_column, literal, sql
        operations = [
            add_column("users", "seen_at", "timestamptz", default=sql("now()")),
            add_column("users", "motto", "text", default=literal("now()")),
            add_column("users", "role", "text", default="user"),
        ]
    ''')
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('a@x.org')")
        conn.execute("INSERT INTO users (email) VALUES ('b@x.org')")
        motto, role, distinct = conn.execute(
            "SELECT min(motto), min(role), count(DISTINCT seen_at) FROM users").fetchone()
    assert (motto, role, distinct) == ("now()", "user", 2)


@pytest.mark.parametrize("operation", [
    'create_table("{long}", column("id", "int"))',
    'add_column("users", "{long}", "text")',
    'create_index("users", ["email"], name="{long}")',
    'rename_table("users", "{long}")',
    'add_check("users", "{long}", "id > 0")',
])
def test_names_over_63_bytes_are_refused_at_load(project, operation):
    long = "a" * 64
    project.write("002_long.py", f'''
        from pymig import add_check, add_column, column, create_index, create_table, rename_table
        operations = [{operation.format(long=long)}]
    ''')
    res = project.run("up")
    assert_clean_error(res, "migrations/002_long.py:2", "64 bytes", "63")
    assert versions(project.url) == []
    ok = "é" * 31  # 62 bytes
    project.write("002_long.py", f'''
        from pymig import add_column
        operations = [add_column("users", "{ok}", "text")]
    ''')
    project.ok("up")
    project.ok("down", "--to", "0")


SPACED = '''
    from pymig import add_column, add_unique, backfill, column, create_index, create_table, rename_column
    operations = [
        create_table("my users", column("id", "serial", primary_key=True), column("first name", "text"),
                     column("Last", "text")),
        create_index("my users", ["first name", "Last DESC"]),
        create_index("my users", ["first name"], unique=True, name="my_users_first_key"),
        add_unique("my users", ["first name", "Last"]),
        add_column("my users", "nick name", "text"),
        backfill("my users", set={"nick name": '"first name"'}),
        rename_column("my users", "nick name", "Nick Name"),
    ]
'''

SPACED_LIVE = '''
    from pymig import add_unique, alter_column, create_index, drop_column
    operations = [
        create_index("my users", ["Nick Name", "first name"], unique=True),
        add_unique("my users", ["Last", "Nick Name"]),
        alter_column("my users", "first name", type="varchar(50)"),
        drop_column("my users", "Last", allow_data_loss=True),
    ]
'''


def test_names_with_spaces_and_capitals_are_quoted_everywhere(project, tmp_path):
    project.write("002_spaced.py", SPACED)
    project.ok("up", "--to", "2")
    with connect(project.url) as conn:
        conn.execute("""INSERT INTO "my users" ("first name", "Last", "Nick Name") VALUES ('a', 'b', 'n'), ('c', 'b', 'n')""")
    project.write("003_spaced_live.py", SPACED_LIVE)
    assert_clean_error(project.run("up"), "migrations/003_spaced_live.py", "operation 2", "share")
    with connect(project.url) as conn:
        conn.execute("""UPDATE "my users" SET "Nick Name" = 'm' WHERE "first name" = 'c'""")
    project.ok("up")
    project.ok("down", "--to", "0", "--allow-data-loss")
    assert versions(project.url) == []
    assert "3 migrations verified" in project.ok("verify")
    (tmp_path / "sqlite").mkdir()
    sqlite = Project(tmp_path / "sqlite", f"sqlite:///{tmp_path / 'sqlite' / 'x.db'}")
    for name in ("001_users.py", "002_spaced.py", "003_spaced_live.py"):
        shutil.copy(project.migrations / name, sqlite.migrations / name)
    sqlite.ok("up")
    sqlite.ok("down", "--to", "0")


def test_run_python_of_something_not_callable_is_named(project):
    project.write("002_py.py", 'from pymig import run_python\noperations = [run_python("not callable")]\n')
    for command in ("up", "sql", "verify"):
        assert_clean_error(project.run(command), "migrations/002_py.py:2", "not a function")


# -- a history table damaged outside pymig ----------------------------------------------------------------

@pytest.mark.parametrize("change, command, needles", [
    ("""UPDATE pymig_migrations SET inverse = '{"format": 2, "operations": [{"$op": "no_such_op"}]}' WHERE version = 2""",
     "down", ["row for version 2", "stored inverse is damaged", "no_such_op"]),
    ("""UPDATE pymig_migrations SET inverse = '{"operations": [{"$op": "drop_column", "tabel": "users"}]}' WHERE version = 2""",
     "down", ["row for version 2", "stored inverse is damaged", "tabel"]),
    ("""UPDATE pymig_migrations SET inverse = '[1, 2]' WHERE version = 2""", "status", ["row for version 2", "inverse"]),
    ("""UPDATE pymig_migrations SET progress = '{"op": 1}' WHERE version = 2""", "up", ["row for version 2", "stored progress"]),
    ("""UPDATE pymig_migrations SET progress = '{"op": 1, "step": 0, "current": [{"$op": "nope"}], "undo": [],
                                               "added": []}' WHERE version = 2""", "up", ["row for version 2", "stored progress"]),
    ("ALTER TABLE pymig_migrations DROP COLUMN progress", "status", ["pymig_migrations cannot be read", "progress"]),
    ("ALTER TABLE pymig_log DROP COLUMN by", "history", ["pymig_log cannot be read"]),
])
def test_a_damaged_history_row_is_named(project, change, command, needles):
    project.write("002_bio.py", add("bio"))
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute(change)
    for res in both(project, command):
        assert res.returncode == 1, res.stderr
    plain, debug = both(project, command)
    assert_clean_error(plain, *needles)
    assert_clean_error(debug, *needles, debug=True)


# -- status, history, check ----------------------------------------------------------------------------------

def test_status_json_has_who_checksum_duration_and_the_current_version(project):
    project.write("002_bio.py", add("bio"))
    project.write("003_nick.py", add("nick"))
    project.ok("up", "--to", "2")
    rows = json.loads(project.ok("status", "--json"))
    assert [r["state"] for r in rows] == ["applied", "applied", "pending"]
    first = rows[0]
    assert first["applied_by"].count("@") == 1 and first["checksum"].startswith("ast1:") and first["duration_ms"] > 0
    assert rows[2]["applied_by"] is None and rows[2]["checksum"] is None
    v2 = json.loads(project.ok("status", "--json=v2"))
    assert v2["current_version"] == 2 and v2["migrations"] == rows


def test_history_shows_every_up_and_down(project):
    assert "no history" in project.ok("history")
    project.write("002_bio.py", add("bio"))
    project.ok("up")
    project.ok("down")
    project.ok("up")
    entries = json.loads(project.ok("history", "--json"))
    assert [(e["version"], e["direction"]) for e in entries] == [(1, "up"), (2, "up"), (2, "down"), (2, "up")]
    assert entries[1]["label"] == "migrations/002_bio.py" and "@" in entries[1]["by"]
    lines = project.ok("history").splitlines()
    assert len(lines) == 4 and " down  migrations/002_bio.py " in lines[2]
    assert len(json.loads(project.ok("history", "--json", "--limit", "1"))) == 1


def test_check_pending_and_since_lint_only_the_newer_files(project):
    project.write("002_drop.py", '''
        from pymig import drop_column
        operations = [drop_column("users", "email")]
    ''')
    project.write("003_rename.py", '''
        from pymig import rename_column
        operations = [rename_column("users", "id", "user_id")]
    ''')
    everything = json.loads(project.ok("check", "--json"))
    assert {f["file"] for f in everything} == {"migrations/002_drop.py", "migrations/003_rename.py"}
    project.ok("up", "--to", "2")
    pending = json.loads(project.ok("check", "--json", "--pending"))
    assert {f["file"] for f in pending} == {"migrations/003_rename.py"}
    since = json.loads(project.ok("check", "--json", "--since", "2", "--offline"))
    assert since == pending
    assert project.run("check", "--pending", "--offline").returncode == 2


# -- scratch databases -----------------------------------------------------------------------------------------

def test_scratch_prefix_names_the_verify_database(project):
    out = project.ok("verify", "--scratch-prefix", "ci_pymig_")
    assert "verifying on scratch database ci_pymig_" in out
    (project.root / "pyproject.toml").write_text('[tool.pymig]\nscratch_prefix = "team_a_"\n')
    assert "verifying on scratch database team_a_" in project.ok("verify")
    res = project.run("verify", "--scratch-prefix", "Bad Name")
    assert res.returncode == 2
    assert_clean_error(res, "--scratch-prefix", "lower-case")



def test_the_plugin_names_test_databases_with_the_prefix(pytester, pymig_server_url):
    pytester.makepyprojecttoml('[tool.pymig]\nscratch_prefix = "team_b_"\n')
    pytester.makepyfile(test_name='''
        def test_name(pymig_database_url):
            assert pymig_database_url.rsplit("/", 1)[1].startswith("team_b_")
    ''')
    pytester.runpytest("--pymig-database-url", pymig_server_url).assert_outcomes(passed=1)
    pytester.makepyfile(test_name='''
        def test_name(pymig_database_url):
            assert pymig_database_url.rsplit("/", 1)[1].startswith("ci_")
    ''')
    pytester.runpytest("--pymig-database-url", pymig_server_url,
                       "--pymig-scratch-prefix", "ci_").assert_outcomes(passed=1)


# -- pymig new -------------------------------------------------------------------------------------------------------

def test_new_transliterates_and_writes_a_ruff_clean_template(tmp_path):
    project = Project(tmp_path, "")
    assert project.ok("new", "ünïcode", url=None).strip() == "created migrations/001_unicode.py"
    assert project.ok("new", "Straße für Æsir", url=None).strip() == "created migrations/002_strasse_fur_aesir.py"
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed (it comes with the dev extra)")
    res = subprocess.run([str(ruff), "check", "--isolated", "--select", "E,F,W,B,UP,SIM", str(project.migrations)],
                         capture_output=True, text=True, env={**os.environ})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "applied" in project.ok("up", url=None)
