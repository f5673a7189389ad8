"""SQLite, the embedded default: SQL spelling, table rebuilds, introspection, the runner lock and
the history tables, on the standard library's sqlite3.

The schema state stays in PostgreSQL's spelling (types.py). This module maps types and
expressions to SQLite when it renders, and maps the catalog back when it reads it, so the same
migration files and the same state work on both databases.

What SQLite's ALTER TABLE cannot do (change a column's type, nullability or default; add or drop
a constraint) is done by rebuilding the table, the procedure SQLite's documentation gives
("Making Other Kinds Of Table Schema Changes"): create the new table, copy the rows, drop the old
table, rename the new one, recreate its indexes and triggers, check the foreign keys. pymig's
connection keeps foreign-key enforcement off, as that procedure requires: PRAGMA foreign_keys
cannot change inside a transaction, and with enforcement on, dropping the old table would fire
ON DELETE actions on the tables that reference it. Instead, every operation that can leave rows
without their parent is followed by a PRAGMA foreign_key_check that refuses the migration.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from dataclasses import replace
from urllib.parse import unquote

from ..errors import ConfigError, LockError, PymigError
from ..schema import Column, Constraint, Index, Schema, Table, View
from .base import Dialect, Unbatched
from .sqlite_history import SqliteHistory
from .sqlite_introspect import _TABLES, _TABLES_SQL, SqliteIntrospection
from .sqlite_rebuild import TableRebuilds
from .sqlite_types import SqliteTypes, _refuse_generated, _refuse_include

BUSY_TIMEOUT = 30.0  # seconds a statement waits for another connection's write lock

class SqliteDialect(TableRebuilds, SqliteTypes, SqliteIntrospection, SqliteHistory, Dialect):
    name = "sqlite"
    online_recipes = False  # one writer at a time: no CONCURRENTLY, no NOT VALID, nothing to keep flowing
    lock_timeout = False
    sqlglot_name = "sqlite"
    enforces_types = False  # any column holds any value: a type change loses nothing, so nothing to check
    begin = "BEGIN IMMEDIATE"  # take the write lock at once: a deferred BEGIN can fail halfway on SQLITE_BUSY
    # -- fragments -----------------------------------------------------------------------------
    def column_type(self, column: Column) -> str:
        return self.sqlite_type(column.type)

    def column_sql(self, column: Column, primary_key: Constraint | None = None) -> str:
        _refuse_generated(column)
        """`primary_key`: the constraint of a serial column, spelled on the column with AUTOINCREMENT
        (so numbers are never reused, as with a PostgreSQL sequence)."""
        if column.identity:
            raise PymigError(f'column "{column.name}" is an identity column, which SQLite does not have')
        parts = [self.quote(column.name), self.column_type(column)]
        if column.collation:
            parts.append(f"COLLATE {self.quote(column.collation)}")
        if column.default is not None:
            parts.append(f"DEFAULT {self._default_sql(column.default)}")
        if not column.nullable:
            parts.append("NOT NULL")
        if primary_key is not None:
            parts.append(f"CONSTRAINT {self.quote(primary_key.name)} PRIMARY KEY AUTOINCREMENT")
        return " ".join(parts)

    def constraint_body(self, c: Constraint) -> str:
        if c.kind == "check" and not c.definition:
            return f"CHECK ({self.expression(c.expression)})"
        return super().constraint_body(c)

    def index_column(self, text: str) -> str:
        from ..sqltext import split_direction

        expr, direction = split_direction(text)
        return super().index_column(self.expression(expr) + direction)

    # -- statements ----------------------------------------------------------------------------
    def create_table(self, table: Table, options: str = "") -> list[str]:
        """`options`: what follows the column list (WITHOUT ROWID, STRICT), kept by a rebuild."""
        serial = self._serial_key(table)
        key = next((c for c in table.constraints if c.kind == "primary_key"), None) if serial else None
        items = [self.column_sql(c, key if c is serial else None) for c in table.columns]
        items += [self.constraint_sql(c) for c in table.constraints if c is not key]
        body = ",\n    ".join(items)
        return [f"CREATE TABLE {self.quote(table.name)} (\n    {body}\n){options}"]

    # Privileges and comments are what a database keeps about its objects for other users and
    # tools; SQLite keeps neither (access is the file's permissions), so a migration that grants or
    # comments means nothing more there, and runs on both databases unchanged.
    def grant(self, privileges, on, role, columns=(), with_grant_option=False) -> list[str]:
        return []

    def revoke(self, privileges, on, role, columns=(), grant_option_for=False) -> list[str]:
        return []

    def set_comment(self, kind, name, text, table=None) -> list[str]:
        return []

    def create_view(self, view: View) -> list[str]:
        cols = f" ({self.quote_list(view.columns)})" if view.columns else ""
        return [f"CREATE VIEW {self.quote(view.name)}{cols} AS\n{view.query}"]

    def replace_view(self, view: View) -> list[str]:
        """SQLite has no CREATE OR REPLACE VIEW: the view is dropped and created again."""
        return self.drop_view(view.name, False) + self.create_view(view)

    def drop_view(self, name: str, materialized: bool) -> list[str]:
        return [f"DROP VIEW {self.quote(name)}"]

    def create_index(self, index: Index) -> list[str]:
        if index.definition:
            return [index.definition]
        if index.method:
            raise PymigError(f'index method {index.method} has no SQLite meaning (SQLite indexes are b-trees)')
        _refuse_include(index)
        (text,) = super().create_index(replace(index, where=None))
        return [text + (f" WHERE {self.expression(index.where)}" if index.where else "")]

    def backfill(self, table, values, where, batch_size, online=False):
        values = {c: self.expression(e) for c, e in values.items()}
        return super().backfill(table, values, where and self.expression(where), batch_size, online)
    # -- what `pymig check` and the preflight checks ask -----------------------------------------
    def rewrite_cost(self, old_type, new_type, using):
        return ("SQLite rebuilds the table for this change: every row is copied while the migration "
                "holds the database's write lock, so other writers wait until it commits")

    def table_sizes(self, db) -> dict[str, tuple[int, int]]:
        names = [n for (n,) in db.rows(_TABLES)]
        has_dbstat = bool(db.rows("SELECT count(*) FROM pragma_module_list WHERE name = 'dbstat'")[0][0])
        sizes = {}
        for name in names:
            rows = db.rows(f"SELECT count(*) FROM {self.quote(name)}")[0][0]
            size = db.rows("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?", (name,))[0][0] if has_dbstat else 0
            sizes[name] = (int(rows), int(size))
        return sizes

    def dependents_query(self, table, column=None):
        """Foreign keys of other tables that point at the table (or the column): SQLite's DROP
        would go through and leave their rows pointing nowhere."""
        match = f' AND (f."to" = {self.literal(column)} OR f."to" IS NULL)' if column else ""
        return (
            "SELECT 'foreign key of table ' || m.name || ' (' || f.\"from\" || ')' AS dependent\n"
            "FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f\n"
            f"WHERE m.type = 'table' AND m.name <> {self.literal(table)} AND f.\"table\" = {self.literal(table)}{match}\n"
            "ORDER BY 1"
        )

    # -- what `pymig verify` compares ------------------------------------------------------------
    def catalog_objects(self, db):
        """(kind, name, parent, attributes) of every table, column, constraint, index, view and
        trigger, as snapshot.take expects them. Structural, from introspection, not SQLite's stored
        text: a rebuild spells a table anew, and RENAME COLUMN re-quotes names, without changing
        what they mean. Views and triggers have no structure pymig reads: their text is compared."""
        schema = self.introspect(db)
        for table in schema.tables.values():
            yield "table", table.name, None, {"column order": tuple(c.name for c in table.columns),
                                              "options": table.options.strip()}
            for c in table.columns:
                yield "column", f"{table.name}.{c.name}", ("table", table.name), {
                    "type": c.type, "nullable": c.nullable, "default": c.default, "collation": c.collation}
            for c in table.constraints:
                yield "constraint", f"{table.name}.{c.name}", ("table", table.name), {
                    "kind": c.kind.replace("_", " "), "columns": c.columns, "expression": c.expression,
                    "references": f"{c.ref_table}({', '.join(c.ref_columns)})" if c.ref_table else None,
                    "on delete": c.on_delete}
        for index in schema.indexes.values():
            yield "index", index.name, ("table", index.table), {
                "table": index.table, "columns": index.columns, "unique": index.unique, "where": index.where}
        for kind, name, table, sql in db.rows("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                              "WHERE type IN ('view', 'trigger') ORDER BY name"):
            yield kind, name, ("table", table) if kind == "trigger" else None, {"definition": sql}

    def table_exists(self, name):
        return f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {self.literal(name)}"

    def read_catalog(self, db):
        """The Schema, plus views and triggers as SQLite stores their text (pymig.catalog)."""
        return _read_catalog(self, db)

    def check_url(self, url: str) -> None:
        database_path(url)

    def configured(self, schema=None, history_schema=None):
        """SQLite has no schemas (an attached database is not one pymig would migrate)."""
        if schema is not None or history_schema is not None:
            setting = "schema" if schema is not None else "history_schema"
            raise ConfigError(f"the {setting} setting is for PostgreSQL: SQLite has no schemas",
                              hint="leave schema and history_schema unset for an SQLite database")
        return self

    @contextmanager
    def scratch_database(self, target_url: str, prefix: str):
        """A file of its own, in a temporary directory."""
        with tempfile.TemporaryDirectory(prefix=prefix) as directory:
            yield f"sqlite:///{Path(directory, 'scratch.db').as_posix()}"

    # -- connection ----------------------------------------------------------------------------
    def connect(self, url: str) -> SqliteDatabase:
        return SqliteDatabase(database_path(url))


def _read_catalog(dialect: SqliteDialect, db):
    """A table the DSL cannot write (WITHOUT ROWID, STRICT, generated columns) is kept as its own text."""
    from ..catalog import Catalog, CatalogObject

    schema = dialect.introspect(db)
    exact = {n for n, t in schema.tables.items() if t.options.strip() or t.generated}
    objects = [CatalogObject("table", name, sql, f"DROP TABLE {dialect.quote(name)}")
               for name, sql in db.rows(_TABLES_SQL) if name in exact]
    for kind, name, table, sql in db.rows("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                          "WHERE type IN ('view', 'trigger') ORDER BY type DESC, name"):
        needs = (f"table {table}",) if kind == "trigger" else ()
        objects.append(CatalogObject(kind, name, sql, f"DROP {kind.upper()} {dialect.quote(name)}", needs,
                                     table if kind == "trigger" else None))
    kept = Schema({n: t for n, t in schema.tables.items() if n not in exact},
                  {n: i for n, i in schema.indexes.items() if i.table not in exact})
    objects += [CatalogObject("index", i.name, dialect.create_index(i)[0], f"DROP INDEX {dialect.quote(i.name)}",
                              (f"table {i.table}",), i.table) for i in schema.indexes.values() if i.table in exact]
    return Catalog(kept, tuple(objects), typed=schema.objects)


def database_path(url: str) -> str:
    """sqlite:///relative/path.db, sqlite:////absolute/path.db; sqlite:// or sqlite:///:memory:
    for a database in memory."""
    rest = url.split(":", 1)[1] if ":" in url else ""
    if not rest.startswith("//") or "?" in rest:
        raise ConfigError(f"malformed SQLite URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
    path = rest[2:]
    if path in ("", "/:memory:"):
        return ":memory:"
    if not path.startswith("/") or path == "/":
        raise ConfigError(f"malformed SQLite URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return unquote(path[1:])


# -- the connection --------------------------------------------------------------------------------

class SqliteDatabase(Unbatched):
    """One sqlite3 connection in autocommit mode (isolation_level=None), so the executor's explicit
    BEGIN and COMMIT are the only transactions; foreign-key enforcement off (see the module)."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
            self.conn.execute("PRAGMA foreign_keys = OFF")
        except sqlite3.Error as e:
            raise ConfigError(f"cannot open the SQLite database {path}: {e}") from None
        self._lock = None

    @property
    def raw(self):
        """The sqlite3 connection handed to run_python functions (placeholders are `?`)."""
        return self.conn

    def execute(self, sql: str, params=None) -> None:
        self.conn.execute(sql, params or ())


    def rows(self, sql: str, params=None) -> list[tuple]:
        return self.conn.execute(sql, params or ()).fetchall()

    def query(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        cur = self.conn.execute(sql, params or ())
        return [d[0] for d in cur.description or ()], cur.fetchall()

    def error_text(self, error: Exception) -> str | None:
        """SQLite's message for a database error, or None when `error` is not one."""
        if not isinstance(error, sqlite3.Error):
            return None
        text = str(error) or type(error).__name__
        if isinstance(error, sqlite3.OperationalError) and "locked" in text:
            text += f" (another connection held the write lock for more than {BUSY_TIMEOUT:g} s)"
        return text

    def transaction_state(self) -> str:
        return "open" if self.conn.in_transaction else "idle"

    def connection_lost(self, error: Exception) -> bool:
        return False  # a file: there is no session to lose

    def is_lock_timeout(self, error: Exception) -> bool:
        return False  # BEGIN IMMEDIATE waits for the write lock up to BUSY_TIMEOUT, then fails

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def acquire_lock(self, timeout: float, on_wait=None) -> None:
        """An exclusive lock on `<database>.lock`, held until release: keeps other pymig runs out
        between this run's transactions. Not the database file itself: closing any descriptor of
        that file would drop the locks SQLite holds on it (POSIX advisory locks are per process)."""
        if self.path == ":memory:":
            return
        deadline = time.monotonic() + timeout
        waited = False
        while (handle := _try_lock(self.path + ".lock")) is None:
            if not waited and on_wait:
                on_wait()
            waited = True
            if time.monotonic() > deadline:
                raise LockError(f"another pymig run held the migration lock ({self.path}.lock) for more "
                                f"than {timeout:g} s", hint="wait for it to finish, or raise --lock-wait")
            time.sleep(0.1)
        self._lock = handle

    def release_lock(self) -> None:
        if self._lock is not None:
            if os.name != "nt":  # removed while still held: a waiting run then sees a stale file and retries
                os.unlink(self._lock.name)
            self._lock.close()  # closing the descriptor releases the lock
            self._lock = None

    def close(self) -> None:
        self.release_lock()
        self.conn.close()


def _try_lock(path: str):
    """The open lock file, locked; None when another process holds it."""
    handle = open(path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return handle
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.exists(path) and os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
            return handle
    except OSError:
        pass
    handle.close()  # held elsewhere, or removed by the run that just released it
    return None
