"""Fixtures for pymig's own tests, on top of the ``pymig`` pytest plugin.

Tests that need a database are auto-marked ``db`` (via the plugin's
``pymig_server`` fixture), so CI can rerun just those on a second server
version: ``PYMIG_TEST_SERVER=embedded pytest -m db``.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: needs a PostgreSQL server (set automatically)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pymig_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_report_header(config: pytest.Config) -> str:
    from pymig.testing import ENV_SERVER, ENV_URL, redact_url

    mode = os.environ.get(ENV_SERVER) or "auto"
    url = config.getoption("pymig_database_url") or (mode in ("auto", "url") and os.environ.get(ENV_URL))
    return f"pymig test server: {redact_url(url) if url else mode}"


class _Databases:
    """Fresh databases for the suite's tests, made one ahead and dropped behind on a thread of its
    own. DROP DATABASE waits for a checkpoint (0.3-1 s on a server with fsync on, longer than many
    tests), CREATE DATABASE copies template1: here neither is waited for by a test, which still gets
    a database nobody used before, named like the plugin's, and every one is dropped by the end of
    the session (an error in a drop fails the session's teardown)."""

    def __init__(self, admin_url: str, prefix: str):
        from concurrent.futures import ThreadPoolExecutor

        self._admin, self._prefix = admin_url, prefix
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pymig-test-databases")
        self._next = self._create()
        self._drops = []

    def _create(self):
        import uuid

        from pymig.testing import create_database

        name = f"{self._prefix}{uuid.uuid4().hex[:16]}"
        return self._thread.submit(lambda: (name, create_database(self._admin, name)))

    def take(self) -> tuple[str, str]:
        """(name, url) of a new empty database; the next one is started meanwhile."""
        made, self._next = self._next, self._create()
        return made.result()

    def drop(self, name: str) -> None:
        from pymig.testing import drop_database

        self._drops.append(self._thread.submit(drop_database, self._admin, name))

    def settle(self) -> None:
        """Wait until every database handed back so far is dropped (a role its grants name can go then)."""
        for drop in self._drops:
            drop.result()

    def close(self) -> None:
        try:
            self.drop(self._next.result()[0])
        finally:
            self._thread.shutdown(wait=True)
        self.settle()


@pytest.fixture(scope="session")
def database_pool(pymig_server_url: str, pymig_scratch_prefix: str):
    """The session's _Databases, on a server where helpers.TEST_ROLES exist."""
    import psycopg

    from helpers import ensure_test_roles

    with psycopg.connect(pymig_server_url, autocommit=True) as conn:
        ensure_test_roles(conn)
    databases = _Databases(pymig_server_url, pymig_scratch_prefix)
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def pymig_database_url(database_pool: _Databases) -> str:
    """A fresh empty database (for `db_url` and the `migrator` fixture alike), dropped after the
    test, on a server where the roles the tests grant to exist (helpers.TEST_ROLES: the example
    project's 002 grants to authenticated_user). The plugin's own fixture of this name does the same
    in the test itself: tests/test_plugin.py runs it in users' projects."""
    name, url = database_pool.take()
    yield url
    database_pool.drop(name)


@pytest.fixture
def db_url(pymig_database_url: str) -> str:
    """URL of a fresh empty database, dropped after the test."""
    return pymig_database_url


@pytest.fixture
def pg_conn(db_url: str):
    """Autocommit psycopg connection to ``db_url``."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        yield conn
