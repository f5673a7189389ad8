"""PostgreSQL: SQL spelling, catalog introspection, the runner lock and the history tables.

psycopg is imported here and nowhere else."""

from __future__ import annotations

import time

from ..errors import AssertedCheckFailed, ConfigError, LockError
from ..names import sequence_name
from ..schema import Column, Constraint, Index, Schema, Table
from ..types import SERIAL_BASE
from .base import Dialect
from .postgres_expand import ExpandContract
from .postgres_online import OnlineRecipes, rewrite_warning
from .postgres_renames import CompatibleRenames
from .postgres_verify import VerifySupport
from .postgres_objects import PostgresObjects, read_objects
from .postgres_script import PsqlScript
from .postgres_held import ASSERTION_FAILED, HeldMessages, HeldSql
from .postgres_history import PostgresHistory
from .postgres_schemas import SchemaSupport, name_sql
from .postgres_targets import TargetSupport

LOCK_KEY = 0x706D6967  # "pmig": one advisory lock per database

_FK_ACTIONS = {"a": None, "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, co.collname,
       EXISTS (SELECT 1 FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
               WHERE dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid
                 AND dep.refobjsubid = a.attnum AND dep.deptype = 'a'
                 AND pg_get_expr(d.adbin, d.adrelid) = 'nextval(' || quote_literal(s.oid::regclass::text) || '::regclass)'),
       (SELECT nullif(concat_ws(' ',
                 CASE WHEN s.seqstart <> CASE WHEN s.seqincrement > 0 THEN s.seqmin ELSE s.seqmax END
                      THEN 'START WITH ' || s.seqstart END,
                 CASE WHEN s.seqincrement <> 1 THEN 'INCREMENT BY ' || s.seqincrement END,
                 CASE WHEN s.seqmin <> CASE WHEN s.seqincrement < 0 THEN lim.lo ELSE 1 END
                      THEN 'MINVALUE ' || s.seqmin END,
                 CASE WHEN s.seqmax <> CASE WHEN s.seqincrement < 0 THEN -1 ELSE lim.hi END
                      THEN 'MAXVALUE ' || s.seqmax END,
                 CASE WHEN s.seqcache <> 1 THEN 'CACHE ' || s.seqcache END,
                 CASE WHEN s.seqcycle THEN 'CYCLE' END), '')
        FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid,
             LATERAL (SELECT CASE s.seqtypid WHEN 'int2'::regtype THEN -32768 WHEN 'int4'::regtype
                                  THEN -2147483648 ELSE -9223372036854775808 END AS lo,
                             CASE s.seqtypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype
                                  THEN 2147483647 ELSE 9223372036854775807 END AS hi) lim
        WHERE a.attidentity <> '' AND dep.classid = 'pg_class'::regclass
          AND dep.refclassid = 'pg_class'::regclass AND dep.refobjid = c.oid
          AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'),
       a.attgenerated = 's',
       (SELECT s.relname FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid AND s.relkind = 'S'
        WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass
          AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum
          AND (dep.deptype = 'i' OR dep.deptype = 'a' AND pg_get_expr(d.adbin, d.adrelid)
               = 'nextval(' || quote_literal(s.oid::regclass::text) || '::regclass)') LIMIT 1)
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
     AND a.attcollation <> (SELECT typcollation FROM pg_type WHERE oid = a.atttypid)
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped AND c.relname NOT LIKE 'pymig\\_%'
ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS = f"""
SELECT c.relname, con.conname, con.contype, con.convalidated, pg_get_constraintdef(con.oid),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       {name_sql('fc.relnamespace', 'fc.relname', here='c.relnamespace')},
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
       con.confdeltype, pg_get_expr(con.conbin, con.conrelid, true),
       xi.amname, pg_get_expr(xi.indpred, xi.indrelid, true),
       ARRAY(SELECT pg_get_indexdef(con.conindid, k.n::int, true) FROM unnest(con.conexclop) WITH ORDINALITY k(op, n)
             ORDER BY k.n),
       ARRAY(SELECT o.oprname::text FROM unnest(con.conexclop) WITH ORDINALITY k(op, n)
             JOIN pg_operator o ON o.oid = k.op ORDER BY k.n)
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN LATERAL (SELECT am.amname, ix.indpred, ix.indrelid FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
                   JOIN pg_am am ON am.oid = i.relam WHERE ix.indexrelid = con.conindid) xi ON con.contype = 'x'
WHERE c.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'c', 'f', 'x')
  -- a foreign key to a partitioned table has a clone per partition on the referencing table: not its own
  AND NOT EXISTS (SELECT 1 FROM pg_constraint pc WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid)
  AND c.relname NOT LIKE 'pymig\\_%'
ORDER BY c.relname, con.conname
"""

_INDEXES = """
SELECT i.relname, t.relname, pg_get_indexdef(ix.indexrelid), ix.indisunique, am.amname,
       pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                    || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
             FROM generate_series(1, ix.indnkeyatts) k ORDER BY k),
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
             FROM generate_series(ix.indnkeyatts + 1, ix.indnatts) k ORDER BY k)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_am am ON am.oid = i.relam
WHERE t.relnamespace = current_schema()::regnamespace AND t.relname NOT LIKE 'pymig\\_%'
  AND ix.indisvalid  -- an INVALID index is the leftover of a failed build, not part of the schema
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid
                  AND con.conrelid = ix.indrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY i.relname
"""

_PARTITIONING = f"""
SELECT c.relname, CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       {name_sql('p.relnamespace', 'p.relname', here='c.relnamespace')},
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END
FROM pg_class c
LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_class p ON p.oid = i.inhparent
WHERE c.relnamespace = current_schema()::regnamespace AND (c.relkind = 'p' OR c.relispartition)
"""

_KINDS = {"p": "primary_key", "u": "unique", "c": "check", "f": "foreign_key", "x": "exclusion"}

_BLOCKERS = """
SELECT DISTINCT a.pid, a.state, date_trunc('second', now() - a.xact_start)::text,
       a.query_start::timestamp(0)::text, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80)
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.locktype = 'relation' AND a.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.relation IN (SELECT oid FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
ORDER BY 1
"""

# Type changes PostgreSQL makes without rewriting the table (SAFETY.md row 14).
def _as_read_back(definition: str) -> str:
    """Catalog text (pg_get_constraintdef, pg_get_indexdef) that creates the same catalog text again."""
    if "ARRAY" not in definition:  # the one rewrite known (sqltext.without_array_coercions); no sqlglot import
        return definition
    from ..sqltext import without_array_coercions

    return without_array_coercions(definition)




class PostgresDialect(SchemaSupport, ExpandContract, CompatibleRenames, OnlineRecipes, PostgresObjects, VerifySupport, HeldSql,
                      PostgresHistory, TargetSupport, Dialect):
    name = "postgresql"
    canonical_definitions = True  # pg_get_constraintdef / pg_get_indexdef
    online_recipes = True
    multi_statement = True
    script_form = PsqlScript
    lock_timeout = True
    row_id = "ctid"

    def constraint_body(self, c):
        body = super().constraint_body(c)
        return _as_read_back(body) if c.definition else body

    def create_index(self, index):
        statements = super().create_index(index)  # and its comment (PostgresObjects)
        return [_as_read_back(statements[0]), *statements[1:]] if index.definition else statements

    def alter_column(self, table, name, *, type=None, **changes):
        # `serial` is a pseudo-type that ALTER ... TYPE does not accept
        return super().alter_column(table, name, type=SERIAL_BASE.get(type, type), **changes)

    def assignment_casts(self, db):
        return frozenset(db.rows("SELECT format_type(castsource, NULL), format_type(casttarget, NULL) "
                                 "FROM pg_cast WHERE castcontext IN ('a', 'i')"))

    transaction_id_query = "SELECT txid_current()"

    def transaction_status_query(self, xid):
        return f"SELECT txid_status({int(xid)})"

    def rewrite_cost(self, old_type, new_type, using):
        return rewrite_warning(old_type, new_type, using)

    def unknown_types(self, db, types) -> set[str]:
        """The types PostgreSQL does not know (`pymig check`); serial is a pseudo-type of integer."""
        names = sorted({SERIAL_BASE.get(t, t) for t in types})
        return {t for t, (known,) in zip(names, db.rows(
            "SELECT to_regtype(t) IS NOT NULL FROM unnest(%s::text[]) WITH ORDINALITY u(t, n) ORDER BY n",
            (names,))) if not known} if names else set()

    def table_sizes(self, db) -> dict[str, tuple[int, int]]:
        return {name: (int(rows), int(size)) for name, rows, size in db.rows(
            "SELECT relname, reltuples::bigint, pg_total_relation_size(oid) FROM pg_class "
            "WHERE relkind IN ('r', 'p') AND relnamespace = current_schema()::regnamespace "
            "AND relname NOT LIKE 'pymig\\_%'")}

    def describe_blockers(self, db) -> str:
        rows = db.rows(_BLOCKERS)
        if not rows:
            return "no session holds a lock on this schema's tables now"
        return "sessions holding locks on this schema's tables: " + "; ".join(
            f"pid {pid} ({state}, transaction open {age}, query started {start}: {query})"
            for pid, state, age, start, query in rows
        )

    # -- preflight checks (pymig.checks) ---------------------------------------------------------
    def dependents_query(self, table, column=None):
        """What PostgreSQL itself would name in "cannot drop ... because other objects depend on it":
        objects with a normal (`n`) dependency on the table, its row type or the column, and no
        automatic one (a CHECK of the same table has both, and goes with its column); views are
        shown as views."""
        rel = f"{self.literal(self.qname(table))}::regclass"

        def refs(d: str) -> str:
            if column is None:
                return (f"(({d}.refclassid = 'pg_class'::regclass AND {d}.refobjid = {rel}) OR "
                        f"({d}.refclassid = 'pg_type'::regclass AND {d}.refobjid = "
                        f"(SELECT reltype FROM pg_class WHERE oid = {rel})))")
            return (f"({d}.refclassid = 'pg_class'::regclass AND {d}.refobjid = {rel} AND {d}.refobjsubid = "
                    f"(SELECT attnum FROM pg_attribute WHERE attrelid = {rel} AND attname = {self.literal(column)}))")

        return (
            "SELECT DISTINCT CASE WHEN r.oid IS NOT NULL THEN pg_describe_object('pg_class'::regclass, r.ev_class, 0)\n"
            "       ELSE pg_describe_object(d.classid, d.objid, d.objsubid) END AS dependent\n"
            "FROM pg_depend d\n"
            "LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid\n"
            f"WHERE d.deptype = 'n' AND {refs('d')}\n"
            "  AND NOT EXISTS (SELECT 1 FROM pg_depend a WHERE a.classid = d.classid AND a.objid = d.objid\n"
            f"                  AND a.deptype IN ('a', 'i') AND {refs('a')})\n"
            "ORDER BY 1"
        )

    def conversion_probe(self, table, expr, type):
        """A pg_temp PL/pgSQL function converts each row's value by assignment, as ALTER COLUMN TYPE
        does, and catches the error. pg_input_is_valid (PostgreSQL 16+) is not used: it judges text
        input only, not a cast from another type nor a USING expression, so one probe serves every
        version. The check's savepoint is rolled back, which drops the function again."""
        from ..sqltext import dollar_tag

        from ..names import bare

        t, alias = self.qname(table), self.quote(bare(table))
        fn = "pg_temp.pymig_probe"
        tag = dollar_tag(expr, type, t)  # the user's text cannot end the function body
        setup = (
            f"CREATE FUNCTION {fn}(pymig_row {t}) RETURNS boolean LANGUAGE plpgsql AS {tag}\n"
            f"#variable_conflict use_column\nDECLARE pymig_value {type};\nBEGIN\n"
            f"  SELECT {expr} INTO pymig_value FROM (SELECT (pymig_row).*) AS {alias};\n"
            f"  RETURN true;\nEXCEPTION WHEN others THEN RETURN false;\nEND\n{tag}"
        )
        return [setup], f"NOT {fn}({alias}.*)"

    def check_url(self, url: str) -> None:
        from .urls import url_scheme

        url_scheme(url)

    # -- connection ----------------------------------------------------------------------------
    def connect(self, url: str) -> PostgresDatabase:
        """With a default schema: search_path is that schema, then public (where extensions
        usually are), so unqualified names are created and found there."""
        db = PostgresDatabase(url, self.history_schema)
        if self.schema is None:
            self._ask_current = db  # current_schema(), if a qualified name needs it
        else:
            try:
                self.use_schema(db)
            except Exception:
                db.close()
                raise
        return db

    # -- introspection -------------------------------------------------------------------------
    def read_current(self, db) -> Schema:
        """The current schema (SchemaSupport.introspect reads others through it too)."""
        columns: dict[str, list[Column]] = {}
        for (table, name, typ, nullable, default, identity, collation, serial, options, generated,
             sequence) in db.rows(_COLUMNS):
            if serial and typ in ("integer", "bigint", "smallint"):
                typ = {v: k for k, v in SERIAL_BASE.items()}[typ]
                default = None
            elif not identity:
                sequence = None
            columns.setdefault(table, []).append(Column(
                name, typ, nullable, None if generated else default,
                {"a": "always", "d": "by default"}.get(identity or ""), collation, options,
                default if generated else None,
                sequence=None if sequence == sequence_name(table, name) else sequence,
            ))
        constraints: dict[str, list[Constraint]] = {}
        for (table, name, kind, valid, definition, cols, ref, ref_cols, fk_del, expr, method, where, elements,
             operators) in db.rows(_CONSTRAINTS):
            constraints.setdefault(table, []).append(Constraint(
                name, _KINDS[kind], tuple(cols), expr if kind == "c" else None,
                ref, tuple(ref_cols or ()), _FK_ACTIONS.get(fk_del) if kind == "f" else None,
                definition, valid, method=method, elements=tuple(zip(elements or (), operators or ())),
                where=where,
            ))
        partitioning = {t: (key, parent, bound) for t, key, parent, bound in db.rows(_PARTITIONING)}
        tables = {
            t: Table(t, tuple(cols), tuple(constraints.get(t, ())), partition_by=partitioning.get(t, (None,) * 3)[0],
                     partition_of=partitioning.get(t, (None,) * 3)[1], bound=partitioning.get(t, (None,) * 3)[2])
            for t, cols in columns.items()
        }
        indexes = {}
        for name, table, definition, unique, method, where, cols, include in db.rows(_INDEXES):
            if tables.get(table) is not None and tables[table].partition_by:
                definition = definition.replace(" ON ONLY ", " ON ", 1)  # else it would come back without partitions
            indexes[name] = Index(name, table, tuple(cols), unique, where,
                                  None if method == "btree" else method, definition, tuple(include))
        return read_objects(db, Schema(tables, indexes))

    def read_catalog(self, db):
        """The Schema and every object outside it (pymig.catalog), for baseline and diff: of every
        schema the application has, or of the default schema alone when one is set."""
        from .postgres_catalog import read_catalog
        from .postgres_objects import tables_only

        others = self.application_schemas(db) if self.schema is None else ()
        full = self.introspect(db, others)
        return read_catalog(db, tables_only(full), full, others, self.history_schema)


class PostgresDatabase(HeldMessages):
    """One autocommit psycopg connection; transactions are the explicit BEGIN/COMMIT the plan holds."""

    def __init__(self, url: str, lock_schema: str | None = None):
        """`lock_schema`: the runner lock is taken per history schema (two runners of different
        schemas of one database do not wait for each other); None: one lock per database."""
        import psycopg

        self._psycopg = psycopg
        try:
            # prepare_threshold=None: no server-side prepared statements. A migration repeats only
            # BEGIN/COMMIT, and psycopg would spend a round trip preparing them, then send DEALLOCATE
            # ALL after DDL (about 0.2 round trips per migration; docs/benchmarks.md)
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10, prepare_threshold=None)
        except psycopg.Error as e:
            raise ConfigError(f"cannot connect to the database: {_first_line(e)}") from None
        self._locked = False
        self._held: list[str] = []
        if lock_schema is None:
            self._lock_args, self._lock_sql = (LOCK_KEY,), "%s"
        else:
            self._lock_args, self._lock_sql = (LOCK_KEY, lock_schema), "%s, hashtext(%s)"
        self._asserting = False  # a check assertion is among the held statements
        # Whole migrations (BEGIN ... record; COMMIT) waiting to go out with what follows: one
        # message for up to batch_size of them (hold_commit)
        self.batch_size = 0
        self._batch: list[str] = []
        self._batched: list = []  # their pymig.engine.batch.HeldCommit, in order

    # BEGIN, SET LOCAL and the savepoint statements around a preflight check cannot fail on their
    # own, so they wait and go out in one message with the statement after them: two round trips
    # fewer per transaction, three per check (docs/benchmarks.md). A read without parameters takes
    # them along too; anything else that reads, or hands the connection to user code, sends them first.
    _HELD = ("SET LOCAL ", "SAVEPOINT ", "ROLLBACK TO SAVEPOINT ", "RELEASE SAVEPOINT ")

    def _send_held(self) -> None:
        if self._held:
            text, self._held = "; ".join(self._held), []
            self._send(text)

    def _send(self, text: str | None, params=None):
        """One message: `text`, or (None) the held group of migrations and its COMMIT, which goes on
        its own before anything else (it has committed when the next statement starts). A failure
        of a message that held a check assertion is AssertedCheckFailed (its transaction is aborted:
        the executor runs the migration again, checking one by one); one of the group is BatchFailed
        (_settle)."""
        if self._batch and text is not None:
            self.flush()
        if text is None:  # the group: its migrations' assertions are its own (BatchFailed)
            parts, batched, asserting = [*self._batch, "COMMIT"], self._batched, False
            self._batch, self._batched = [], []
        else:
            parts, batched = [text], []
            asserting, self._asserting = self._asserting, False
        started = time.monotonic()
        try:
            cur = self.conn.execute("; ".join(parts), params)
        except self._psycopg.Error as e:
            failed = not self.conn.closed and self.transaction_state() == "failed"
            if batched:
                self._settle(batched, e)  # returns when the group committed: the error is the rest's
            if asserting and not self.conn.closed and (getattr(e, "sqlstate", None) == ASSERTION_FAILED or failed):
                raise AssertedCheckFailed() from e
            raise
        if batched:
            while cur.nextset():
                pass
            share = (time.monotonic() - started) / len(batched)
            for held in batched:
                held.committed(share)
        return cur

    @property
    def raw(self):
        """The psycopg connection handed to run_python functions."""
        self._send_held()
        self.flush()
        return self.conn

    def execute(self, sql: str, params=None) -> None:
        if params is None and (sql == "BEGIN" or sql.startswith(self._HELD)):
            self._held.append(sql)
        else:
            self._run(sql, params)

    def defer(self, sql: str) -> None:
        """A migration's last statement: it goes out with the history record and COMMIT after it, in
        one message. Should it fail there, the run names the last operation (MigrationRun.execute)."""
        self._held.append(sql)

    def rows(self, sql: str, params=None) -> list[tuple]:
        return self._run(sql, params).fetchall()

    def query(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        cur = self._run(sql, params)
        names = [d.name for d in cur.description or ()]
        return names, cur.fetchall()

    def _run(self, sql: str, params):
        """Execute `sql` with the held statements in front (one message); the cursor is on its result."""
        if params is not None:
            self._send_held()
            return self._send(sql, params)
        text, self._held = "; ".join([*self._held, sql]), []
        cur = self._send(text)
        while cur.nextset():
            pass
        return cur

    def error_text(self, error: Exception) -> str | None:
        """The server's message for a database error, or None when `error` is not one."""
        if not isinstance(error, self._psycopg.Error):
            return None
        diag = getattr(error, "diag", None)
        text = (diag.message_primary if diag and diag.message_primary else _first_line(error))
        if self.conn.closed and not (diag and diag.message_primary):
            text = self._server_reason() or text
        if diag and diag.message_detail:
            text += f" ({diag.message_detail})"
        return text

    def is_lock_timeout(self, error: Exception) -> bool:
        return isinstance(error, self._psycopg.errors.LockNotAvailable)

    def transaction_state(self) -> str:
        """"open", "failed" (a statement failed: only ROLLBACK is accepted) or "idle" (no transaction)."""
        status = self.conn.info.transaction_status
        states = self._psycopg.pq.TransactionStatus
        return {states.INTRANS: "open", states.ACTIVE: "open", states.INERROR: "failed"}.get(status, "idle")

    def _server_reason(self) -> str | None:
        """Why the server ended the session (its FATAL message), when the error psycopg raised
        only says that the connection closed."""
        try:
            raw = self.conn.pgconn.error_message.decode(errors="replace")
        except self._psycopg.Error:
            return None
        fatal = [line[len("FATAL:"):].strip() for line in raw.splitlines() if line.startswith("FATAL:")]
        return fatal[0] if fatal else None

    def connection_lost(self, error: Exception) -> bool:
        """The error ended the session (terminated backend, server restart, idle_session_timeout)."""
        return self.conn.closed or isinstance(error, self._psycopg.OperationalError) and self.conn.broken

    def rollback(self) -> None:
        self._held, self._asserting = [], False
        if self.conn.closed:
            return  # the server ended the session: it rolled back the open transaction itself
        if self.conn.info.transaction_status != self._psycopg.pq.TransactionStatus.IDLE:
            try:
                self.conn.execute("ROLLBACK")
            except self._psycopg.OperationalError:
                # Ctrl-C or SIGTERM landed inside a query psycopg could not cancel cleanly: the session
                # is unusable, and ending it rolls the transaction back on the server
                self.conn.close()

    def acquire_lock(self, timeout: float, on_wait=None) -> None:
        """A session advisory lock, taken outside any transaction, on the connection the migrations
        run on. It cannot be lost while the run goes on: it ends only with that session, and then
        so does the run's open transaction, so every commit of a history record happens while the
        lock is held (a lock on a second, idle connection could die unnoticed: idle_session_timeout,
        a pooler, a terminated backend, and another runner would apply the same migration)."""
        deadline = time.monotonic() + timeout
        waited = False
        while not self.rows(f"SELECT pg_try_advisory_lock({self._lock_sql})", self._lock_args)[0][0]:
            if not waited and on_wait:
                on_wait()
            waited = True
            if time.monotonic() > deadline:
                raise LockError(
                    f"another pymig run held the migration lock for more than {timeout:g} s",
                    hint="wait for it to finish, or raise --lock-wait",
                )
            time.sleep(0.1)
        self._locked = True

    def release_lock(self) -> None:
        """Unlock while staying connected; closing the connection releases the lock as well."""
        if self._locked and not self.conn.closed and \
                self.conn.info.transaction_status == self._psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute(f"SELECT pg_advisory_unlock({self._lock_sql})", self._lock_args)
        self._locked = False

    def close(self) -> None:
        self._locked = False  # the session ends, and its advisory lock with it
        self.conn.close()


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

