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


_servers_with_roles: set[str] = set()


@pytest.fixture
def pymig_database_url(pymig_database_url: str) -> str:
    """The plugin's fresh database (for `db_url` and the `migrator` fixture alike), on a server
    where the roles the tests grant to exist (helpers.TEST_ROLES: the example project's 002 grants
    to authenticated_user)."""
    import psycopg

    from helpers import ensure_test_roles

    server = pymig_database_url.rsplit("/", 1)[0]
    if server not in _servers_with_roles:
        with psycopg.connect(pymig_database_url, autocommit=True) as conn:
            ensure_test_roles(conn)
        _servers_with_roles.add(server)
    return pymig_database_url


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
