"""The two interfaces a database implements: `Dialect` (how SQL is spelled, how each operation is
done, how the catalog is read) and `Database` (one connection). PostgreSQL and SQLite implement
both; the rendering here is shared, and a dialect overrides only what it spells differently."""

from __future__ import annotations

from typing import Protocol

from ..errors import ConfigError, PymigError
from .object_steps import ObjectSteps
from .statements import Statements
from .steps import OperationSteps


class Database(Protocol):
    """One connection, as the executor, the checks and the history use it. It runs what it is
    given, in autocommit mode: the transactions are the BEGIN/COMMIT statements of the plan."""

    @property
    def raw(self):
        """The driver's connection, handed to run_python functions."""

    def execute(self, sql: str, params=None) -> None: ...

    def rows(self, sql: str, params=None) -> list[tuple]: ...

    def query(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        """Column names and rows."""

    def error_text(self, error: Exception) -> str | None:
        """The database's message for an error it raised; None for any other exception."""

    def is_lock_timeout(self, error: Exception) -> bool: ...

    def connection_lost(self, error: Exception) -> bool:
        """Whether the error ended the session (the server's reason is in `error_text`)."""

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""

    def acquire_lock(self, timeout: float, on_wait=None) -> None:
        """Take the runner lock (one pymig run per database); LockError after `timeout` s."""

    def release_lock(self) -> None: ...

    def close(self) -> None: ...


class Dialect(Statements, OperationSteps, ObjectSteps):
    """What a database must implement besides its Database: `connect`, `introspect`, the history
    statements; and what it spells differently from the defaults here."""

    name = "base"
    multi_statement = False  # one execute() may carry several statements
    online_recipes = False  # CONCURRENTLY, NOT VALID + VALIDATE, batched backfills outside the DDL transaction
    lock_timeout = False  # SET LOCAL lock_timeout exists
    begin = "BEGIN"  # opens each of a migration's transactions
    enforces_types = True  # a column refuses values its type cannot hold (preflight checks the data)
    canonical_definitions = False  # the catalog spells constraint/index text itself, so the text compares
    sqlglot_name = "postgres"  # how sqlglot names this SQL dialect (splitting schema files)
    log_select = "SELECT version, name, direction, at, by, duration_ms FROM pymig_log ORDER BY id"

    def check_url(self, url: str) -> None:
        """Refuse a URL this dialect cannot connect to (ConfigError), before anything runs."""
        return None


    def table_exists(self, name: str) -> str:
        return f"SELECT to_regclass({self.literal(self.quote(name))}) IS NOT NULL"

    def forget(self, version: int) -> list[str]:
        """Drop the progress record of a migration whose committed steps were undone."""
        return [f"DELETE FROM pymig_migrations WHERE version = {int(version)}"]

    def log_entry(self, version: int, name: str, direction: str, user: str, elapsed_ms: float = 0.0) -> str:
        """A row of pymig_log: what was done to a migration ("abort", "repair", ...), by whom."""
        lit = self.literal
        return ("INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
                f"VALUES ({int(version)}, {lit(name)}, {lit(direction)}, {lit(user)}, {float(elapsed_ms):.3f})")

    def record_aborted(self, version: int, name: str, user: str, elapsed_ms: float = 0.0) -> list[str]:
        """A partial migration whose committed part was taken back on request: gone, and logged."""
        return [*self.forget(version), self.log_entry(version, name, "abort", user, elapsed_ms)]

    def record_repaired(self, version: int, name: str, checksum: str, user: str, inverse_json: str) -> list[str]:
        """`pymig repair`: the stored inverse and checksum of an applied migration replaced, and logged."""
        lit = self.literal
        return [f"UPDATE pymig_migrations SET checksum = {lit(checksum)}, inverse = {lit(inverse_json)} "
                f"WHERE version = {int(version)} AND progress IS NULL",
                self.log_entry(version, name, "repair", user)]

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

    def savepoint(self, name: str) -> str:
        return f"SAVEPOINT {name}"

    def rollback_to(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {name}"

    def release(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {name}"

    def missing_role_query(self, role: str) -> str | None:
        """A query that returns a row when `role` does not exist; None where there are no roles."""
        return None

    def dependents_query(self, table: str, column: str | None = None) -> str | None:
        """Objects that would stop a DROP of the table (or column) without CASCADE, one per row;
        None when the dialect cannot tell."""
        return None

    def conversion_probe(self, table: str, expr: str, type: str) -> tuple[list[str], str] | None:
        """(setup statements, condition on a row of `table`) that is true where converting `expr`
        to `type` fails, the way ALTER COLUMN ... TYPE converts it; None when the dialect cannot tell."""
        return None

    # -- transactions (pymig.engine.transaction) --------------------------------------------------
    commit = "COMMIT"

    def lock_timeout_sql(self, value: str) -> str | None:
        """What sets the lock timeout of the open transaction; None when the database has none."""
        return f"SET LOCAL lock_timeout = {self.literal(value)}" if self.lock_timeout else None

    def with_commit(self, statements: list[str]) -> list[str]:
        """A transaction's last statements and its COMMIT as they are sent: one message where the
        database takes several statements at once (a history record and its COMMIT, one round trip)."""
        if self.multi_statement and statements:
            return [*statements[:-1], f"{statements[-1]};\n{self.commit}"]
        return [*statements, self.commit]
