"""pytest plugin (entry point ``pytest11: pymig``): real PostgreSQL for tests.

pytest loads this module in every run of every project that has pymig
installed, so it imports only pytest here; the server machinery in
``pymig.testing`` is imported inside the fixtures, on first use.

Fixtures (each builds on the previous one, so more can be layered on top,
e.g. a migrator bound to ``pymig_database_url``):

- ``pymig_server`` (session): a ``pymig.testing.TestServer``, started once;
- ``pymig_server_url`` (session): its admin URL;
- ``pymig_database_url`` (function): URL of a fresh empty database, dropped after the test;
- ``migrator`` (function): a ``Migrator`` for the project's migrations, bound to that database.

The migrations directory: ``--pymig-migrations DIR``, else the ``pymig_migrations`` ini option,
else ``[tool.pymig] migrations`` in the rootdir's pyproject.toml, else ``migrations/``.
"""

from __future__ import annotations

from pathlib import Path

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
    group.addoption(
        "--pymig-migrations",
        dest="pymig_migrations",
        default=None,
        metavar="DIR",
        help="migrations directory for the `migrator` fixture (default: the pymig_migrations ini "
        "option, else [tool.pymig] migrations in pyproject.toml, else migrations/)",
    )
    group.addoption(
        "--pymig-scratch-prefix",
        dest="pymig_scratch_prefix",
        default=None,
        metavar="PREFIX",
        help="name of each test database before its random part (default: [tool.pymig] scratch_prefix "
        "in pyproject.toml, else pymig_test_)",
    )
    parser.addini("pymig_migrations", "migrations directory for the `migrator` fixture, relative to the ini file")


@pytest.fixture(scope="session")
def pymig_server(pytestconfig: pytest.Config):
    """The PostgreSQL server for this session (see ``pymig.testing.start_server``)."""
    from pymig.testing import ServerUnavailable, start_server

    try:
        server = start_server(url=pytestconfig.getoption("pymig_database_url"))
    except ServerUnavailable as e:
        # once, in one line, instead of the same long traceback for every test that needs a database
        pytest.exit(f"pymig: {e}", returncode=pytest.ExitCode.TESTS_FAILED)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pymig_server_url(pymig_server) -> str:
    """Admin URL (maintenance database) of the session's server."""
    return pymig_server.url


@pytest.fixture(scope="session")
def pymig_scratch_prefix(pytestconfig: pytest.Config) -> str:
    """How test databases are named: --pymig-scratch-prefix, else [tool.pymig] scratch_prefix, else pymig_test_."""
    from pymig.config import pyproject_settings, scratch_prefix
    from pymig.errors import ConfigError
    from pymig.testing import DB_PREFIX

    try:
        option = pytestconfig.getoption("pymig_scratch_prefix")
        if option is not None:
            return scratch_prefix(option, "--pymig-scratch-prefix")
        return pyproject_settings(pytestconfig.rootpath).get("scratch_prefix") or DB_PREFIX
    except ConfigError as e:
        raise pytest.UsageError(str(e)) from None


@pytest.fixture
def pymig_database_url(pymig_server_url: str, pymig_scratch_prefix: str):
    """URL of a new empty database for this test only; dropped (forcibly) afterwards."""
    from pymig.testing import fresh_database

    with fresh_database(pymig_server_url, pymig_scratch_prefix) as url:
        yield url


@pytest.fixture
def migrator(pymig_database_url: str, pytestconfig: pytest.Config):
    """A ``Migrator`` for the project's migrations on a fresh empty database."""
    m = Migrator(pymig_database_url, migrations_directory(pytestconfig))
    try:
        yield m
    finally:
        m.close()


def migrations_directory(config: pytest.Config) -> Path:
    """--pymig-migrations, else the pymig_migrations ini option, else [tool.pymig] migrations, else migrations/."""
    option = config.getoption("pymig_migrations")
    if option:
        return Path(config.invocation_params.dir, option)
    ini = config.getini("pymig_migrations")
    if ini:
        return Path(config.inipath.parent if config.inipath else config.rootpath, ini)
    from pymig.config import pyproject_settings

    return Path(config.rootpath, pyproject_settings(config.rootpath).get("migrations") or "migrations")


class Migrator:
    """Moves a database between versions of a migrations directory, through the same code as
    `pymig up` / `pymig down`, so a test exercises what production will run.

    ``connection`` is an autocommit psycopg connection to the database, for arranging rows and
    asserting on them between migrations."""

    def __init__(self, url: str, migrations: str | Path):
        self.url, self.migrations = url, Path(migrations)
        self._db = None

    @property
    def connection(self):
        return self._database().raw

    @property
    def applied(self) -> list[int]:
        """Versions applied, oldest first."""
        from pymig.history import read_records

        db = self._database()
        return [r.version for r in read_records(db, self._dialect)]

    @property
    def version(self) -> int:
        """The newest applied version; 0 before any."""
        return max(self.applied, default=0)

    def up(self, steps: int | None = None) -> None:
        """Apply the pending migrations, like `pymig up`; or only the next `steps` of them."""
        from pymig import commands
        from pymig.errors import PymigError
        from pymig.loader import discover

        to = None
        if steps is not None:
            applied = set(self.applied)
            pending = [f.version for f in discover(self.migrations) if f.version not in applied]
            if steps > len(pending):
                raise PymigError(f"up(steps={steps}): only {len(pending)} migration(s) pending")
            to = pending[steps - 1]
        commands.up(self._config(), to, echo=_quiet)

    def down(self, steps: int = 1) -> None:
        """Undo the newest `steps` migrations, like `pymig down --steps N`."""
        from pymig import commands

        commands.down(self._config(), steps, None, echo=_quiet)

    def migrate_to(self, version: int) -> None:
        """Apply or undo migrations until `version` is the newest applied (0: none)."""
        from pymig import commands

        applied = self.applied
        if version == 0 or version in applied:
            if any(v > version for v in applied):
                commands.down(self._config(), None, version, echo=_quiet)
        else:
            commands.up(self._config(), version, echo=_quiet)

    def verify(self, from_: int | None = None, to: int | None = None, seeds=()) -> None:
        """Prove every migration round-trips, exactly as `pymig verify` does, on this (empty)
        database; raises pymig.verify.VerifyError naming each migration and object that differs."""
        from pymig.verify import Seed, verify_database

        verify_database(self.url, self.migrations, from_, to, tuple(Seed.from_path(p) for p in seeds))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _database(self):
        if self._db is None:
            self._db = self._dialect.connect(self.url)
        return self._db

    @property
    def _dialect(self):
        from pymig.dialects import for_url

        return for_url(self.url)

    def _config(self):
        from pymig.config import Config

        return Config(self.url, self.migrations, backfill_pause=0)


def _quiet(*args, **kwargs) -> None:
    """Migrator runs print nothing; failures raise."""
