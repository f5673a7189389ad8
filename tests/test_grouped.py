"""Migrations grouped in one transaction (pymig.engine.batch), checks sent as assertions, and the
tables a `down` drops anyway (pymig.engine.doomed), through the installed `pymig`: the outcome of
every run is the one it has without them (which commit, which fails, with which message)."""

from __future__ import annotations

import pytest

from helpers import Project, assert_clean_error, connect, versions

TABLE = '''
    from pymig import column, create_table
    operations = [create_table("t", column("id", "bigint", primary_key=True))]
'''


def add(name: str, index: bool = False) -> str:
    extra = f', create_index("t", "{name}", name="ix_t_{name}")' if index else ""
    return f'''
        from pymig import add_column, create_index
        operations = [add_column("t", "{name}", "integer"){extra}]
    '''


@pytest.fixture
def project(tmp_path, db_url):
    project = Project(tmp_path, db_url)
    project.write("001_t.py", TABLE)
    for n, name in enumerate("abcd", 2):
        project.write(f"00{n}_{name}.py", add(name, index=name == "b"))
    return project


def applied_at(url: str) -> dict[int, object]:
    with connect(url) as conn:
        return dict(conn.execute("SELECT version, applied_at FROM pymig_migrations").fetchall())


def test_a_fresh_history_commits_as_one_group_and_reverts_the_same_way(project):
    out = project.ok("up")
    assert [line.split()[1] for line in out.splitlines() if line.startswith("applied ")] == [
        "migrations/001_t.py", "migrations/002_a.py", "migrations/003_b.py", "migrations/004_c.py",
        "migrations/005_d.py"]
    assert len(set(applied_at(project.url).values())) == 1  # one transaction: the tables are new
    with connect(project.url) as conn:
        logged = conn.execute("SELECT version, duration_ms FROM pymig_log ORDER BY id").fetchall()
    assert [v for v, _ in logged] == [1, 2, 3, 4, 5] and all(ms >= 0 for _, ms in logged)
    out = project.ok("down", "--to", "0")
    assert out.splitlines()[-1] == "5 migrations reverted"
    assert versions(project.url) == []
    with connect(project.url) as conn:
        assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)


def test_a_failure_inside_a_group_keeps_the_migrations_before_it_and_names_itself(project):
    project.write("004_c.py", '''
        from pymig import run_sql
        operations = [run_sql("SELECT 1 / 0", "SELECT 1")]
    ''')
    res = project.run("up")
    assert_clean_error(res, "migrations/004_c.py", "division by zero", "nothing was changed")
    assert "applied migrations/003_b.py" in res.stdout and "004_c" not in res.stdout
    assert versions(project.url) == [1, 2, 3]  # run again one by one: 1 to 3 committed, 4 did not


def test_a_refused_check_inside_a_group_reports_as_without_it(project):
    project.ok("up")
    with connect(project.url) as conn:
        conn.execute("CREATE VIEW uses_a AS SELECT a FROM t")
    res = project.run("down", "--to", "0", "--allow-data-loss")
    assert_clean_error(res, "rolling back migrations/002_a.py: refused by 1 preflight check; nothing was changed",
                       'column "t.a" is used by 1 other object', "view uses_a")
    assert "reverted migrations/003_b.py" in res.stdout
    assert versions(project.url) == [1, 2]  # 5, 4 and 3 reverted, each on its own after the refusal


def test_migrations_on_a_table_in_use_commit_one_by_one(project):
    project.ok("up", "--to", "1")
    project.ok("up")
    at = applied_at(project.url)
    assert len({at[v] for v in (2, 3, 4, 5)}) == 4  # t existed before this run: no group holds its locks


def test_an_index_on_a_table_the_same_down_drops_goes_without_concurrently(project):
    project.ok("up")
    whole = project.ok("sql", "--down", "--to", "0")
    assert 'DROP INDEX "ix_t_b";' in whole and "CONCURRENTLY" not in whole
    kept = project.ok("sql", "--down", "--to", "1")
    assert 'DROP INDEX CONCURRENTLY IF EXISTS "ix_t_b";' in kept
    project.ok("down", "--to", "0")
    assert versions(project.url) == []
