"""The two interfaces a database implements: `Dialect` (how SQL is spelled, how each operation is
done, how the catalog is read) and `Database` (one connection). PostgreSQL and SQLite implement
both; the rendering here is shared, and a dialect overrides only what it spells differently."""

from __future__ import annotations

from typing import Protocol

from ..errors import ConfigError, PymigError
from .object_steps import ObjectSteps
from .runsql import RunSql
from .statements import Statements
from .steps import OperationSteps


class Database(Protocol):
    """One connection, as the executor, the checks and the history use it. It runs what it is
    given, in autocommit mode: the transactions are the BEGIN/COMMIT statements of the plan.
    The last group of members lets a database hold statements back and send several migrations
    in one message (PostgresDatabase); `Unbatched` has them for one that sends each at once."""

    @property
    def raw(self):
        """The driver's connection, handed to run_python functions."""

    def execute(self, sql: str, params=None) -> None: ...

    def defer(self, sql: str) -> None:
        """Run a migration's last statement; it may wait to go out with the history record."""

    def rows(self, sql: str, params=None) -> list[tuple]: ...

    def query(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        """Column names and rows."""

    def error_text(self, error: Exception) -> str | None:
        """The database's message for an error it raised; None for any other exception."""

    def is_lock_timeout(self, error: Exception) -> bool: ...

    def connection_lost(self, error: Exception) -> bool:
        """Whether the error ended the session (the server's reason is in `error_text`)."""

    def transaction_state(self) -> str:
        """"idle", "open" or "failed" (a statement of the open transaction failed)."""

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""

    def acquire_lock(self, timeout: float, on_wait=None) -> None:
        """Take the runner lock (one pymig run per database); LockError after `timeout` s."""

    def release_lock(self) -> None: ...

    def close(self) -> None: ...

    # -- groups of migrations in one message (engine/batch.py) -----------------------------------
    groups_migrations: bool  # whether it can hold a group at all (the executor then sets batch_size)
    batch_size: int  # migrations a group may hold; 0 or 1: none is held

    def hold_assertion(self, sql: str) -> None:
        """Run a check's assertion (Dialect.check_assertion); it may wait for the statements after it."""

    def can_hold(self) -> bool:
        """Whether the open migration's last transaction may join the held group."""

    def hold_commit(self, statements: list[str], held) -> bool:
        """Hold the migration's history record and commit in the group (True), or do nothing (False)."""

    def flush(self) -> None:
        """Send the held group: its migrations commit now."""


class Unbatched:
    """The group members of a Database that sends every statement as it comes (SQLite)."""

    groups_migrations = False
    batch_size = 0

    def defer(self, sql: str) -> None:
        self.execute(sql)

    def hold_assertion(self, sql: str) -> None:
        self.execute(sql)

    def can_hold(self) -> bool:
        return False

    def hold_commit(self, statements: list[str], held) -> bool:
        return False

    def flush(self) -> None:
        return None


class Dialect(Statements, OperationSteps, ObjectSteps, RunSql):
    """What a database must implement besides its Database: `connect`, `introspect`, the history
    statements; and what it spells differently from the defaults here."""

    name = "base"
    multi_statement = False  # one execute() may carry several statements
    online_recipes = False  # CONCURRENTLY, NOT VALID + VALIDATE, batched backfills outside the DDL transaction
    compatible_renames = False  # rename_table / rename_column can serve both names (a view) until `pymig complete`
    lock_timeout = False  # SET LOCAL lock_timeout exists
    begin = "BEGIN"  # opens each of a migration's transactions
    enforces_types = True  # a column refuses values its type cannot hold (preflight checks the data)
    canonical_definitions = False  # the catalog spells constraint/index text itself, so the text compares
    sqlglot_name = "postgres"  # how sqlglot names this SQL dialect (splitting schema files)
    # The default schema of unqualified names (None: the connection's current schema) and the
    # schema of the history tables (None: unqualified); `configured` sets them for one connection.
    schema: str | None = None
    history_schema: str | None = None
    # The schema unqualified names are in, as far as known: `schema`, else what a connection said
    # (current_schema()); names qualified with it are taken as unqualified (names.canonical).
    _default_schema: str | None = None
    _ask_current = None  # a connection to ask current_schema() once, when a qualified name needs it
    migrations_table = "pymig_migrations"  # as statements name them: "app".pymig_migrations
    log_table = "pymig_log"

    def configured(self, schema: str | None = None, history_schema: str | None = None):
        """This dialect for a default schema and a history schema (the `schema` and
        `history_schema` settings); the dialect itself is not changed."""
        if schema is None and history_schema is None:
            return self
        import copy

        d = copy.copy(self)
        d.schema, d.history_schema = schema, history_schema
        if history_schema is not None:
            d.migrations_table = f"{self.quote(history_schema)}.pymig_migrations"
            d.log_table = f"{self.quote(history_schema)}.pymig_log"
        return d

    @property
    def default_schema(self) -> str | None:
        """The schema unqualified names are in: `schema`, else the connection's current schema,
        asked only when a qualified name needs it (an unqualified run costs no round trip)."""
        if self.schema is not None:
            return self.schema
        if self._default_schema is None and self._ask_current is not None:
            db, self._ask_current = self._ask_current, None
            self._default_schema = db.rows("SELECT current_schema()")[0][0]
        return self._default_schema

    def canonical(self, op):
        """`op` with the default schema's qualifier dropped from its names (names.canonical)."""
        from ..names import canonical, may_name_schemas

        return canonical(op, self.default_schema) if may_name_schemas(op) else op

    def introspect_schemas(self, db, schemas):
        """The objects of other schemas than the default one, qualified (pymig.names); a database
        without schemas has none."""
        from ..schema import Schema

        return Schema()

    def script_setup(self) -> list[str]:
        """What a script run by hand says first, that pymig's own connection does on connecting
        (the history schema, the search_path)."""
        return []

    def ensure_schemas(self, db) -> str | None:
        """Make the schemas the history and the migrations need exist (before the history
        tables); the name of one it created, or None."""
        return None

    @property
    def log_select(self) -> str:
        return f"SELECT version, name, direction, at, by, duration_ms FROM {self.log_table} ORDER BY id"
    script_form = None  # renders what only a script run by hand needs (`pymig sql --script`)

    def check_url(self, url: str) -> None:
        """Refuse a URL this dialect cannot connect to (ConfigError), before anything runs."""
        return None

    schema_names_query: str | None = None  # the schemas a target group's pattern is matched against


    def table_exists(self, name: str) -> str:
        return f"SELECT to_regclass({self.literal(self.qname(name))}) IS NOT NULL"

    def forget(self, version: int) -> list[str]:
        """Drop the progress record of a migration whose committed steps were undone."""
        return [f"DELETE FROM {self.migrations_table} WHERE version = {int(version)}"]

    # -- what `pymig check` and `pymig verify` ask, and the runner ------------------------------
    def table_sizes(self, db) -> dict[str, tuple[int, int]] | None:
        """(rows, bytes) per table, which `pymig check` weighs its warnings by; None: unknown."""
        return None

    def describe_blockers(self, db) -> str:
        """Who holds the locks a migration waited for (said when it gives up)."""
        return "the database does not say which sessions hold locks"

    def catalog_objects(self, db):
        """(kind, name, parent, attributes) of every object, as pymig.snapshot.take compares them."""
        raise PymigError(f"pymig verify does not support {self.name} databases yet")

    def scratch_database(self, target_url: str, prefix: str):
        """A context manager giving the URL of a database `pymig verify` may change."""
        raise ConfigError(f"verify cannot create a scratch database on {self.name}; pass --scratch-url")

    # -- what `pymig check` asks ------------------------------------------------------------------
    def rewrite_cost(self, old_type: str, new_type: str, using: str | None) -> str | None:
        """What a column type change costs on a live table; None when it is cheap."""
        return None

    def assignment_casts(self, db) -> frozenset:
        """(from type, to type) pairs that ALTER COLUMN ... TYPE converts without USING, beyond
        the casts to string types and between numbers every database makes (pymig diff asks)."""
        return frozenset()

    def unknown_types(self, db, types) -> set[str]:
        """The column types the database does not know; a dialect that cannot tell knows them all."""
        return set()

    def is_volatile(self, expression: str) -> bool:
        from ..sqltext import is_volatile

        return is_volatile(expression)

    # -- what every operation is checked against ---------------------------------------------
    def check_operation(self, op) -> None:
        """Refuse, before anything runs, what an operation says that this database cannot mean
        (raise PymigError); what PostgreSQL cannot mean, it refuses itself, inside the transaction."""

    def comment(self, text: str) -> str:
        return "\n".join("-- " + line for line in text.splitlines())

    # -- preflight checks (pymig.checks) ---------------------------------------------------------
    @staticmethod
    def sample_sql(query: str, limit: int) -> str:
        return f"SELECT * FROM ({query}) AS pymig_check LIMIT {limit}"

    @staticmethod
    def count_sql(query: str) -> str:
        return f"SELECT count(*) FROM ({query}) AS pymig_check"

    def check_assertion(self, check) -> str | None:
        """The check as one statement that fails when its query returns a row, to be sent with the
        statements after it (no round trip of its own); None where a database cannot (the check then
        runs on its own, pymig.checks.run_check)."""
        return None

    def savepoint(self, name: str) -> str:
        return f"SAVEPOINT {name}"

    def rollback_to(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {name}"

    def release(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {name}"

    def missing_role_query(self, role: str) -> str | None:
        """A query that returns a row when `role` does not exist; None where there are no roles."""
        return None

    def extension_missing_query(self, name: str) -> str | None:
        """A query that returns a row when extension `name` is not installed; None without extensions."""
        return None

    def dependents_query(self, table: str, column: str | None = None) -> str | None:
        """Objects that would stop a DROP of the table (or column) without CASCADE, one per row;
        None when the dialect cannot tell."""
        return None

    def conversion_probe(self, table: str, expr: str, type: str) -> tuple[list[str], str] | None:
        """(setup statements, condition on a row of `table`) that is true where converting `expr`
        to `type` fails, the way ALTER COLUMN ... TYPE converts it; None when the dialect cannot tell."""
        return None
