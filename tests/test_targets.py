"""Targets and groups through the installed `pymig`: 50 tenant schemas in one database, 5 databases,
a failing tenant, --fail-fast, two runners at once, the status matrix, JSON, and passwords."""

from __future__ import annotations

import json
import re
from collections import Counter
from contextlib import ExitStack

import pytest

from helpers import Project, assert_clean_error, clean_env, connect, wait_until

TENANTS = 50
PASSWORD = "s3cret-pw"

MIGRATIONS = {
    "001_accounts.py": '''
        """Accounts."""
        from pymig import column, create_table
        operations = [create_table("accounts", column("id", "serial", primary_key=True), column("name", "text"))]
    ''',
    "002_email.py": '''
        """An email column and its index."""
        from pymig import add_column, create_index
        operations = [add_column("accounts", "email", "text"), create_index("accounts", ["email"])]
    ''',
    "003_seed.py": '''
        """One row per tenant: two rows would mean it ran twice."""
        from pymig import run_sql
        operations = [run_sql("INSERT INTO accounts (name) VALUES ('seeded')", down="DELETE FROM accounts")]
    ''',
}

NOT_NULL = '''
    """Every account has a name (refused where one has none)."""
    from pymig import alter_column
    operations = [alter_column("accounts", "name", nullable=False)]
'''


def with_password(url: str) -> str:
    """The URL with a password (trust authentication ignores it): it must never be printed."""
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def write_targets(project: Project, body: str) -> None:
    (project.root / "pyproject.toml").write_text(body)


def no_password(*results) -> None:
    for res in results:
        assert PASSWORD not in res.stdout + res.stderr


def schema_rows(url: str, query: str) -> dict[str, list]:
    """`query` (with {s} for the schema) in each tenant schema."""
    with connect(url) as conn:
        schemas = [r[0] for r in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1")]
        return {s: conn.execute(query.format(s=f'"{s}"')).fetchall() for s in schemas}


@pytest.fixture
def tenants(tmp_path, db_url):
    """A project whose group `tenants` is TENANTS schemas of one database (and one other schema)."""
    project = Project(tmp_path, db_url)
    for name, source in MIGRATIONS.items():
        project.write(name, source)
    with connect(db_url) as conn:
        for i in range(1, TENANTS + 1):
            conn.execute(f"CREATE SCHEMA tenant_{i:03d}")
        conn.execute("CREATE SCHEMA reporting")  # not a tenant: the pattern leaves it alone
    write_targets(project, f'''
[tool.pymig.targets.tenants]
database_url = "{with_password(db_url)}"
schemas = "tenant_*"

[tool.pymig.targets.first]
database_url = "{db_url}"
schema = "tenant_001"
''')
    return project


def test_schema_group_failure_rerun_and_matrix(tenants, db_url):
    up = tenants.run("up", "--target", "tenants", "--to", "2", "--jobs", "8", url=None)
    assert up.returncode == 0, up.stderr
    assert re.search(rf"^{TENANTS} targets: {TENANTS} ok; {2 * TENANTS} migrations applied", up.stdout, re.M)
    assert "tenant_017  " in up.stdout

    # each tenant has its own tables and history, in its schema; public and `reporting` have none
    history = schema_rows(db_url, "SELECT version FROM {s}.pymig_migrations ORDER BY 1")
    assert len(history) == TENANTS and all(v == [(1,), (2,)] for v in history.values())
    with connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'reporting')").fetchone()[0] == 0

    # tenant_017 has an account without a name: the NOT NULL migration is refused there only
    with connect(db_url) as conn:
        conn.execute("INSERT INTO tenant_017.accounts (name) VALUES (NULL)")
    tenants.write("004_name_required.py", NOT_NULL)
    failed = tenants.run("up", "--target", "tenants", "--jobs", "8", url=None)
    assert failed.returncode == 1
    assert re.search(r"^tenant_017 +1 +\d+ ms +failed$", failed.stdout, re.M), failed.stdout  # 003, then 004 refused
    assert re.search(r"^tenant_016 +2 +\d+ ms +ok$", failed.stdout, re.M), failed.stdout
    assert re.search(r"^failed:\n  tenant_017: .*004_name_required.py.*name", failed.stdout, re.M), failed.stdout
    assert "error: 1 of 50 targets failed (tenant_017)" in failed.stderr
    versions = schema_rows(db_url, "SELECT max(version) FROM {s}.pymig_migrations")
    assert {s for s, v in versions.items() if v != [(4,)]} == {"tenant_017"}
    assert versions["tenant_017"] == [(3,)]  # 003 applied, 004 refused and rolled back

    status = tenants.ok("status", "--target", "tenants", "--jobs", "8", url=None)
    lines = status.splitlines()
    assert re.match(r"TARGETS +VERSION +STATE +WHICH", lines[0])
    assert re.match(r" *49 +4 +up to date +tenant_001, tenant_002, tenant_003 and 46 more$", lines[1]), status
    assert re.match(r" +1 +3 +1 pending \(4\) +tenant_017$", lines[2]), status
    assert len(lines) == 4 and lines[3] == "50 targets: 49 up to date, 1 not, 0 failed"


    with connect(db_url) as conn:
        conn.execute("UPDATE tenant_017.accounts SET name = 'fixed' WHERE name IS NULL")
    rerun = tenants.run("up", "--target", "tenants", "--jobs", "8", url=None)
    assert rerun.returncode == 0, rerun.stderr
    assert re.search(r"^tenant_017 +1 ", rerun.stdout, re.M) and re.search(r"^tenant_018 +0 ", rerun.stdout, re.M)
    assert "50 targets: 50 ok; 1 migration applied" in rerun.stdout
    seeded = schema_rows(db_url, "SELECT count(*) FROM {s}.accounts WHERE name = 'seeded'")
    assert set(map(tuple, seeded.values())) == {((1,),)}
    no_password(up, failed, rerun)


def test_two_runners_at_once_apply_each_migration_once_per_tenant(tenants, db_url):
    tenants.write("004_slow.py", '''
        """Slow enough for the two runners to meet on the same tenants."""
        from pymig import run_sql
        operations = [run_sql("SELECT pg_sleep(0.02)", down="SELECT 1")]
    ''')
    first, second = _run_two(tenants)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    applied = [int(re.search(r"; (\d+) migrations? applied", res.stdout)[1]) for res in (first, second)]
    assert sum(applied) == 4 * TENANTS  # between them, each migration once per tenant
    log = schema_rows(db_url, "SELECT version, direction FROM {s}.pymig_log")
    assert all(Counter(rows) == {(1, "up"): 1, (2, "up"): 1, (3, "up"): 1, (4, "up"): 1} for rows in log.values())
    seeded = schema_rows(db_url, "SELECT count(*) FROM {s}.accounts")
    assert all(rows == [(1,)] for rows in seeded.values())


def _run_two(project: Project):
    """Two `pymig up --target tenants` at once (no --database-url: the target names the database)."""
    import subprocess

    args = [*project.command("up", "--target", "tenants", "--jobs", "4", url=None)]
    procs = [subprocess.Popen(args, cwd=project.root, env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    return [subprocess.CompletedProcess(args, p.returncode, *out) for p, out in zip(procs, outputs)]


def test_plain_target_with_a_schema_runs_as_one_database(tenants, db_url):
    out = tenants.ok("up", "--target", "first", url=None)
    assert "3 migrations applied" in out and "TARGET" not in out
    history = schema_rows(db_url, "SELECT to_regclass('{s}.pymig_migrations') IS NOT NULL")
    assert [s for s, rows in history.items() if rows == [(True,)]] == ["tenant_001"]
    assert "applied" in tenants.ok("status", "--target", "first", url=None)


def test_sql_and_check_say_once_what_is_the_same(tenants):
    sql = tenants.ok("sql", "--target", "tenants", "--jobs", "8", url=None)
    assert sql.count('CREATE TABLE "accounts"') == 1
    assert sql.startswith("-- 50 targets: tenant_001, tenant_002")
    check = tenants.ok("check", "--target", "tenants", "--jobs", "8", url=None)
    assert re.match(r"tenant_001, tenant_002, tenant_003 and 47 more \(50 targets\): \d+ findings?, 0 errors", check)


@pytest.fixture
def databases(tmp_path, pymig_server_url, db_url):
    """Five databases (shard_1 .. shard_5), listed in pyproject.toml and in a control table."""
    from pymig.testing import fresh_database

    with ExitStack() as stack:
        urls = [stack.enter_context(fresh_database(pymig_server_url)) for _ in range(5)]
        project = Project(tmp_path, db_url)
        for name, source in MIGRATIONS.items():
            project.write(name, source)
        with connect(db_url) as conn:  # the control database
            conn.execute("CREATE TABLE shards (url text, active boolean)")
            for i, url in enumerate(urls):
                conn.execute("INSERT INTO shards VALUES (%s, %s)", (with_password(url), i != 4))
        listed = ", ".join(f'"{with_password(u)}"' for u in urls)
        write_targets(project, f'''
[tool.pymig.targets.shards]
database_urls = [{listed}]

[tool.pymig.targets.active]
database_url = "{with_password(db_url)}"
database_urls_query = "SELECT url FROM shards WHERE active ORDER BY url"
''')
        yield project, urls


def test_database_group_fail_fast_json_and_down(databases):
    project, urls = databases
    names = [u.rsplit("/", 1)[1] for u in urls]
    with connect(urls[1]) as conn:  # the second shard already has an `accounts` table: 001 fails there
        conn.execute("CREATE TABLE accounts (id int)")
    fast = project.run("up", "--target", "shards", "--jobs", "1", "--fail-fast", url=None)
    assert fast.returncode == 1
    results = {line.split()[0]: line.split()[-1] for line in fast.stdout.splitlines() if line.startswith(tuple(names))}
    assert results == {names[0]: "ok", names[1]: "failed", names[2]: "skipped", names[3]: "skipped",
                       names[4]: "skipped"}
    assert "3 not started (--fail-fast)" in fast.stderr
    with connect(urls[2]) as conn:
        assert conn.execute("SELECT to_regclass('pymig_migrations')").fetchone()[0] is None

    going_on = project.run("up", "--target", "shards", "--json", url=None)
    assert going_on.returncode == 1
    report = json.loads(going_on.stdout)
    assert [r["target"] for r in report] == names
    assert [r["result"] for r in report] == ["ok", "failed", "ok", "ok", "ok"]
    assert [r["applied"] for r in report] == [0, 0, 3, 3, 3]
    assert "accounts" in report[1]["error"] and report[1]["error"].count("\n") <= 1

    with connect(urls[1]) as conn:
        conn.execute("DROP TABLE accounts")
    assert project.run("up", "--target", "shards", url=None).returncode == 0
    active = project.ok("status", "--target", "active", url=None)
    assert re.search(r"^ +4 +3 +up to date ", active, re.M), active  # the inactive shard is not listed
    down = project.run("down", "--target", "active", "--steps", "1", url=None)
    assert down.returncode == 0 and "4 targets: 4 ok; 4 migrations reverted" in down.stdout, down.stdout
    status = project.ok("status", "--target", "shards", url=None)
    assert re.search(r"^ +4 +2 +1 pending \(3\) ", status, re.M) and re.search(r"^ +1 +3 +up to date ", status, re.M)
    matrix = json.loads(project.ok("status", "--target", "shards", "--json", url=None))
    assert [m["status"]["current_version"] for m in matrix] == [2, 2, 2, 2, 3]
    assert [m["target"] for m in matrix] == names and matrix[0]["status"]["migrations"][2]["state"] == "pending"
    no_password(fast, going_on, down)


def test_sqlite_databases_as_a_group(tmp_path):
    project = Project(tmp_path, "")
    project.write("001_accounts.py", MIGRATIONS["001_accounts.py"])
    write_targets(project, '''
[tool.pymig.targets.local]
database_urls = ["sqlite:///a.db", "sqlite:///b.db"]
''')
    out = project.ok("up", "--target", "local", url=None)
    assert re.search(r"^a +1 .* ok$", out, re.M) and re.search(r"^b +1 .* ok$", out, re.M)
    assert (tmp_path / "a.db").exists() and (tmp_path / "b.db").exists()


@pytest.mark.parametrize("body, needles", [
    ('[tool.pymig.targets.t]\ndatabase_ur = "postgresql://u@h/d"\n', ["unknown key 'database_ur'",
                                                                     "did you mean 'database_url'"]),
    ('[tool.pymig.targets.t]\ndatabase_url = "postgresql://u@h/d"\nschemas = 3\n', ["schemas = 3", "pattern"]),
    ('[tool.pymig.targets.t]\nschemas = "tenant_*"\n', ["[tool.pymig.targets.t]", "no database"]),
    ('[tool.pymig.targets.t]\ndatabase_url = "postgresql://u:pw@h/d"\nschema = "a"\nschemas = "b_*"\n',
     ["give schema or schemas, not both"]),
    ('[tool.pymig]\ntargets = "prod"\n', ["targets must be a table of tables"]),
])
def test_target_configuration_is_checked(tmp_path, body, needles):
    project = Project(tmp_path, "")
    write_targets(project, body)
    res = project.run("status", "--target", "t", url=None)
    assert res.returncode == 2
    message = assert_clean_error(res, *needles)
    assert len(message.strip().splitlines()) == 1 and ":pw@" not in message


def test_unknown_target_and_flags_without_target(tenants):
    res = tenants.run("up", "--target", "tenant", url=None)
    assert_clean_error(res, "--target tenant", "did you mean 'tenants'?", "targets: first, tenants")
    assert res.returncode == 2
    res = tenants.run("up", "--jobs", "3")
    assert res.returncode == 2 and "--jobs goes with --target NAME" in res.stderr
    res = tenants.run("up", "--target", "tenants")
    assert res.returncode == 2 and "give --target or --database-url, not both" in res.stderr


def test_expanded_migration_completed_across_a_group(tmp_path, db_url):
    """A type change on a live table expands on every tenant; `complete --target` contracts it everywhere."""
    project = Project(tmp_path, db_url)
    project.write("001_orders.py", '''
        """Orders."""
        from pymig import column, create_table
        operations = [create_table("orders", column("id", "serial", primary_key=True), column("note", "text"))]
    ''')
    with connect(db_url) as conn:
        for i in (1, 2, 3):
            conn.execute(f"CREATE SCHEMA t_{i}")
    write_targets(project, f'[tool.pymig.targets.t]\ndatabase_url = "{db_url}"\nschemas = "t_*"\n')
    project.ok("up", "--target", "t", url=None)
    project.write("002_bigint.py", '''
        """The key to bigint."""
        from pymig import alter_column
        operations = [alter_column("orders", "id", type="bigint")]
    ''')
    project.ok("up", "--target", "t", url=None)
    assert re.search(r"^ +3 +2 +expanded 2 +t_1, t_2, t_3$", project.ok("status", "--target", "t", url=None), re.M)
    done = project.ok("complete", "--target", "t", "--jobs", "3", url=None)
    assert "3 targets: 3 ok; 3 migrations completed" in done
    assert re.search(r"^ +3 +2 +up to date ", project.ok("status", "--target", "t", url=None), re.M)
    with connect(db_url) as conn:
        assert {conn.execute(f"SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                             f"WHERE attrelid = 't_{i}.orders'::regclass AND attname = 'id'").fetchone()[0]
                for i in (1, 2, 3)} == {"bigint"}


def test_live_lines_on_a_terminal(tmp_path, db_url):
    """stderr on a terminal: one live line per running target and the progress line, redrawn in place
    (cursor up, clear); the summary table still goes to stdout, plain."""
    import os
    import pty
    import subprocess
    import threading

    project = Project(tmp_path, db_url)
    project.write("001_slow.py", '''
        """Slow enough to be seen running."""
        from pymig import run_sql
        operations = [run_sql("SELECT pg_sleep(0.3)", down="SELECT 1")]
    ''')
    with connect(db_url) as conn:
        for i in (1, 2, 3, 4):
            conn.execute(f"CREATE SCHEMA t_{i}")
    write_targets(project, f'[tool.pymig.targets.t]\ndatabase_url = "{db_url}"\nschemas = "t_*"\n')
    master, slave = pty.openpty()
    proc = subprocess.Popen(project.command("up", "--target", "t", "--jobs", "2", url=None), cwd=project.root,
                            env=clean_env(), stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    seen = bytearray()

    def read():
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    out, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    screen = seen.decode()
    assert proc.returncode == 0, screen
    assert re.search(r"  t_\d: running", screen) and "\x1b[J" in screen  # live lines, redrawn in place
    assert re.search(r"\d/4 done, 0 failed, 2 running, \d pending", screen)
    assert "ok, 1 migration applied" not in screen  # no plain per-target lines on a terminal
    assert "4 targets: 4 ok; 4 migrations applied" in out and "\x1b" not in out


def test_sigterm_stops_the_run_and_the_rerun_completes(tmp_path, db_url):
    import signal
    import subprocess

    project = Project(tmp_path, db_url)
    project.write("001_accounts.py", MIGRATIONS["001_accounts.py"])
    project.write("002_slow.py", '''
        """Long enough to be stopped in."""
        from pymig import run_sql
        operations = [run_sql("SELECT pg_sleep(1)", down="SELECT 1")]
    ''')
    with connect(db_url) as conn:
        for i in range(1, 7):
            conn.execute(f"CREATE SCHEMA tenant_{i:03d}")
    write_targets(project, f'[tool.pymig.targets.tenants]\ndatabase_url = "{db_url}"\nschemas = "tenant_*"\n')
    proc = subprocess.Popen(project.command("up", "--target", "tenants", "--jobs", "2", url=None), cwd=project.root,
                            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sleeping():
        with connect(db_url) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid() AND strpos(query, 'pg_sleep(1)') > 0").fetchone()[0] == 2
    wait_until(sleeping, what="two tenants in 002")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert re.search(r"^stopped: 0 of 6 targets finished, 2 running \(tenant_00\d, tenant_00\d: .*\), 4 not started",
                     err, re.M), err
    def gone():  # a migration's last message (its statement, history record and COMMIT) may still finish
        with connect(db_url) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid()").fetchone()[0] == 0
    wait_until(gone, what="the stopped run's sessions to end")
    history = schema_rows(db_url, "SELECT to_regclass('{s}.pymig_migrations') IS NOT NULL")
    with connect(db_url) as conn:
        applied = {s: conn.execute(f"SELECT version, progress IS NULL FROM {s}.pymig_migrations").fetchall()
                   for s, rows in history.items() if rows == [(True,)]}
    assert len(applied) == 2, applied  # the two that were running; each migration whole or not at all
    assert all(rows in ([(1, True)], [(1, True), (2, True)]) for rows in applied.values()), applied
    rerun = project.ok("up", "--target", "tenants", "--jobs", "6", url=None)
    assert "6 targets: 6 ok;" in rerun
    assert all(v == [(2,)] for v in schema_rows(db_url, "SELECT max(version) FROM {s}.pymig_migrations").values())
