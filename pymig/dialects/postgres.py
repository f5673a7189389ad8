"""PostgreSQL: SQL spelling, catalog introspection, the runner lock and the history tables.

psycopg is imported here and nowhere else."""

from __future__ import annotations

import time

from ..errors import ConfigError, LockError
from ..schema import Column, Constraint, Index, Schema, Table
from ..types import SERIAL_BASE
from .base import Dialect

LOCK_KEY = 0x706D6967  # "pmig": one advisory lock per database

_FK_ACTIONS = {"a": None, "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, co.collname,
       EXISTS (SELECT 1 FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
               WHERE dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'a'
                 AND pg_get_expr(d.adbin, d.adrelid) = 'nextval(''' || s.relname || '''::regclass)')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
     AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped AND c.relname NOT LIKE 'pymig\\_%'
ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS = """
SELECT c.relname, con.conname, con.contype, con.convalidated, pg_get_constraintdef(con.oid),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       fc.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
       con.confdeltype, pg_get_expr(con.conbin, con.conrelid, true)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
WHERE c.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'c', 'f')
  AND c.relname NOT LIKE 'pymig\\_%'
ORDER BY c.relname, con.conname
"""

_INDEXES = """
SELECT i.relname, t.relname, pg_get_indexdef(ix.indexrelid), ix.indisunique, am.amname,
       pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                    || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
             FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relnamespace = current_schema()::regnamespace AND t.relname NOT LIKE 'pymig\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid
                  AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.relname
"""

_KINDS = {"p": "primary_key", "u": "unique", "c": "check", "f": "foreign_key"}


class PostgresDialect(Dialect):
    name = "postgresql"

    def alter_column(self, table, name, *, type=None, **changes):
        # `serial` is a pseudo-type that ALTER ... TYPE does not accept
        return super().alter_column(table, name, type=SERIAL_BASE.get(type, type), **changes)

    # -- connection ----------------------------------------------------------------------------
    def connect(self, url: str) -> PostgresDatabase:
        return PostgresDatabase(url)

    # -- history -------------------------------------------------------------------------------
    history_ddl = [
        """CREATE TABLE IF NOT EXISTS pymig_migrations (
    version bigint PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision NOT NULL,
    applied_by text NOT NULL,
    inverse jsonb NOT NULL
)""",
        """CREATE TABLE IF NOT EXISTS pymig_log (
    id bigserial PRIMARY KEY,
    version bigint NOT NULL,
    name text NOT NULL,
    direction text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    by text NOT NULL,
    duration_ms double precision NOT NULL
)""",
    ]
    _elapsed = "1000 * extract(epoch FROM clock_timestamp() - now())"

    def record_applied(self, version, name, checksum, user, inverse_json) -> list[str]:
        lit = self.literal
        return [
            "WITH m AS (INSERT INTO pymig_migrations "
            "(version, name, checksum, duration_ms, applied_by, inverse) VALUES "
            f"({version}, {lit(name)}, {lit(checksum)}, {self._elapsed}, {lit(user)}, {lit(inverse_json)}) "
            "RETURNING version, name, applied_by, duration_ms) "
            "INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
            "SELECT version, name, 'up', applied_by, duration_ms FROM m"
        ]

    def record_reverted(self, version, name, user) -> list[str]:
        lit = self.literal
        return [
            f"WITH m AS (DELETE FROM pymig_migrations WHERE version = {version} RETURNING version) "
            "INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
            f"SELECT version, {lit(name)}, 'down', {lit(user)}, {self._elapsed} FROM m"
        ]

    history_select = (
        "SELECT version, name, checksum, applied_at, duration_ms, applied_by, inverse::text "
        "FROM pymig_migrations ORDER BY version"
    )
    history_exists = "SELECT to_regclass('pymig_migrations') IS NOT NULL"

    # -- introspection -------------------------------------------------------------------------
    def introspect(self, db: PostgresDatabase) -> Schema:
        columns: dict[str, list[Column]] = {}
        for table, name, typ, nullable, default, identity, collation, serial in db.rows(_COLUMNS):
            if serial and typ in ("integer", "bigint", "smallint"):
                typ = {v: k for k, v in SERIAL_BASE.items()}[typ]
                default = None
            columns.setdefault(table, []).append(Column(
                name, typ, nullable, default,
                {"a": "always", "d": "by default"}.get(identity or ""), collation,
            ))
        constraints: dict[str, list[Constraint]] = {}
        for table, name, kind, valid, definition, cols, ref, ref_cols, fk_del, expr in db.rows(_CONSTRAINTS):
            constraints.setdefault(table, []).append(Constraint(
                name, _KINDS[kind], tuple(cols), expr if kind == "c" else None,
                ref, tuple(ref_cols or ()), _FK_ACTIONS.get(fk_del) if kind == "f" else None,
                definition, valid,
            ))
        tables = {
            t: Table(t, tuple(cols), tuple(constraints.get(t, ())))
            for t, cols in columns.items()
        }
        indexes = {}
        for name, table, definition, unique, method, where, cols in db.rows(_INDEXES):
            indexes[name] = Index(name, table, tuple(cols), unique, where,
                                  None if method == "btree" else method, definition)
        return Schema(tables, indexes)


class PostgresDatabase:
    """One autocommit psycopg connection; transactions are the explicit BEGIN/COMMIT the plan holds."""

    def __init__(self, url: str):
        import psycopg

        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            raise ConfigError(f"cannot connect to the database: {_first_line(e)}") from None
        self._url = url
        self._lock_conn = None

    @property
    def raw(self):
        """The psycopg connection handed to run_python functions."""
        return self.conn

    def execute(self, sql: str, params=None) -> None:
        self.conn.execute(sql, params)

    def rows(self, sql: str, params=None) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def query(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        cur = self.conn.execute(sql, params)
        names = [d.name for d in cur.description or ()]
        return names, cur.fetchall()

    def error_text(self, error: Exception) -> str | None:
        """The server's message for a database error, or None when `error` is not one."""
        if not isinstance(error, self._psycopg.Error):
            return None
        diag = getattr(error, "diag", None)
        text = (diag.message_primary if diag and diag.message_primary else _first_line(error))
        if diag and diag.message_detail:
            text += f" ({diag.message_detail})"
        return text

    def rollback(self) -> None:
        if self.conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")

    def acquire_lock(self, timeout: float, on_wait=None) -> None:
        """A session advisory lock on its own connection, so it never sits inside a migration's
        transaction (and later, CREATE INDEX CONCURRENTLY does not wait on it)."""
        self._lock_conn = self._psycopg.connect(self._url, autocommit=True)
        deadline = time.monotonic() + timeout
        waited = False
        while not self._lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            if not waited and on_wait:
                on_wait()
            waited = True
            if time.monotonic() > deadline:
                self._lock_conn.close()
                self._lock_conn = None
                raise LockError(
                    f"another pymig run held the migration lock for more than {timeout:g} s",
                    hint="wait for it to finish, or raise --lock-wait",
                )
            time.sleep(0.1)

    def release_lock(self) -> None:
        if self._lock_conn is not None:
            self._lock_conn.close()
            self._lock_conn = None

    def close(self) -> None:
        self.release_lock()
        self.conn.close()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

