"""pytest plugin (entry point ``pytest11: pymig``): real PostgreSQL for tests.

pytest loads this module in every run of every project that has pymig
installed, so it imports only pytest here; the server machinery in
``pymig.testing`` is imported inside the fixtures, on first use.

Fixtures (each builds on the previous one, so more can be layered on top,
e.g. a migrator bound to ``pymig_database_url``):

- ``pymig_server`` (session): a ``pymig.testing.TestServer``, started once;
- ``pymig_server_url`` (session): its admin URL;
- ``pymig_database_url`` (function): URL of a fresh empty database, dropped after the test.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pymig", "pymig database migrations")
    group.addoption(
        "--pymig-database-url",
        dest="pymig_database_url",
        default=None,
        metavar="URL",
        help="admin URL of an existing PostgreSQL server for test databases "
        "(default: $PYMIG_TEST_DATABASE_URL, else a Docker container, else embedded PostgreSQL 18)",
    )


@pytest.fixture(scope="session")
def pymig_server(pytestconfig: pytest.Config):
    """The PostgreSQL server for this session (see ``pymig.testing.start_server``)."""
    from pymig.testing import start_server

    server = start_server(url=pytestconfig.getoption("pymig_database_url"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pymig_server_url(pymig_server) -> str:
    """Admin URL (maintenance database) of the session's server."""
    return pymig_server.url


@pytest.fixture
def pymig_database_url(pymig_server_url: str):
    """URL of a new empty database for this test only; dropped (forcibly) afterwards."""
    from pymig.testing import fresh_database

    with fresh_database(pymig_server_url) as url:
        yield url
