"""The sessions a plan runs through: Live sends each statement to the database; Preview writes it
out for reading (`pymig sql`), Script as a psql script that is safe on its own (`pymig sql
--script`). Everything else is the same code for all three, so the preview cannot drift."""

from __future__ import annotations

from ..checks import describe_check, run_check
from ..errors import PymigError
from ..steps import Batched, Check, Failure, Python


class UserCodeError(Exception):
    """An exception raised by a run_python function (reported as the user's, not as pymig's)."""


class TransactionEnded(UserCodeError):
    """A run_python function committed or rolled back the migration's transaction itself."""


class Live:
    def __init__(self, db, dialect):
        self.db, self.dialect = db, dialect

    def sql(self, text: str, last: bool = False, speculative: bool = False) -> None:
        """`last`: the migration's last statement before its history record, which it may travel
        with (PostgresDatabase.defer: one round trip per plain migration). `speculative`: nothing
        of the migration has committed, so the statement may wait for the ones after it too; a
        failure of their message has the migration run again statement by statement, which names
        the operation that fails (PostgresDatabase.hold_assertion)."""
        if speculative:
            self.db.hold_assertion(text)
        else:
            (self.db.defer if last else self.db.execute)(text)

    def flag(self, query: str) -> bool:
        rows = self.db.rows(query)
        return bool(rows and rows[0][0])

    def can_hold(self) -> bool:
        """Whether the migration's last transaction may join a group (PostgresDatabase.can_hold)."""
        return self.db.can_hold()

    def commit_later(self, record: list[str], held) -> bool:
        """The migration's history record, its transaction held in the group of migrations that
        commits as one (PostgresDatabase.hold_commit), or committed now (False)."""
        if self.db.hold_commit(record, held):
            return True
        for text in self.dialect.with_commit(record):
            self.db.execute(text)
        return False

    def python(self, step: Python) -> None:
        """Call a run_python function in the migration's transaction, and hold it to that transaction."""
        conn = self.db.raw
        xid_query = self.dialect.transaction_id_query
        xid = self.db.rows(xid_query)[0][0] if xid_query else None
        try:
            step.fn(conn)
        except Exception as e:
            state = self.db.transaction_state()
            if state == "idle" and not self.db.connection_lost(e):
                # it committed or rolled back, then raised: what it committed is not rolled back now
                raise TransactionEnded(
                    f"{step.label} ended the migration's transaction itself (commit() or rollback() on the "
                    f"connection), then raised {type(e).__name__}: {e}; {self._ended(xid)}") from e
            if self.db.error_text(e) is not None and state != "idle":
                raise
            raise UserCodeError(f"{step.label} raised {type(e).__name__}: {e}") from e
        state = self.db.transaction_state()
        if state == "failed":
            raise UserCodeError(f"{step.label}: a statement inside it failed and the function went on (it caught "
                                "the error), so the migration's transaction is aborted")
        if state == "idle":
            raise TransactionEnded(f"{step.label} ended the migration's transaction itself (commit() or rollback() "
                                   f"on the connection): {self._ended(xid)}")

    def _ended(self, xid) -> str:
        query = self.dialect.transaction_status_query(xid) if xid is not None else None
        status = self.db.rows(query)[0][0] if query else None
        if status == "aborted":
            return "it rolled back what the migration had done in it; nothing of it is committed"
        if status == "committed":
            return ("it committed what the migration had done in it, without the history record: "
                    "the migration's steps up to it are in the database, and pymig does not know it")
        return "what it did is committed or rolled back without the history record"

    def batch(self, text: str) -> list:
        return [r[0] for r in self.db.rows(text)]

    def scalar(self, query: str):
        return self.db.rows(query)[0][0]

    def batched(self, step: Batched) -> None:
        """All batches inside the current transaction (a table created by this migration)."""
        keys = self.batch(step.first.replace("{limit}", str(step.batch_size)))
        while keys:
            after = self.dialect.literal(max(keys))
            keys = self.batch(step.after.replace("{limit}", str(step.batch_size)).replace("{after}", after))

    def check(self, check: Check, assertion: bool = False) -> Failure | None:
        """Run a check and report what it found. `assertion`: nothing of the migration has committed,
        so the check may go out as an assertion with the statements after it (no round trip of
        its own); should it find rows, the migration is run again with `assertion` off."""
        text = self.dialect.check_assertion(check) if assertion else None
        if text is not None:
            self.db.hold_assertion(text)
            return None
        return run_check(self.db, self.dialect, check)

    def history(self, statements: list[str], what: str) -> None:
        for text in statements:
            self.sql(text)

    def note(self, text: str) -> None:
        pass

    def rollback(self) -> None:
        self.db.rollback()

    def is_lock_timeout(self, error: Exception) -> bool:
        return self.db.is_lock_timeout(error)


class Preview:
    """For reading: what runs, with the history writes and the catalog queries of the dependency
    checks said in one line each (a DBA reviews the changes, not pymig's bookkeeping)."""

    def __init__(self, dialect, db=None):
        self.dialect, self.db = dialect, db
        self.lines: list[str] = []
        self.label = ""  # the migration being rendered

    def sql(self, text: str, last: bool = False, speculative: bool = False) -> None:
        self.lines.append(text.rstrip() + ";")

    def flag(self, query: str) -> bool:
        if self.db is not None:
            rows = self.db.rows(query)
            return bool(rows and rows[0][0])
        self.note(f"only if this returns true at run time, not known offline:\n{query}")
        return False

    def python(self, step: Python) -> None:
        self.note(f"{step.label}: Python code, runs here with the migration's connection")

    def batch(self, text: str) -> list:
        self.sql(self.dialect.batch_for_reading(text))
        return []

    def scalar(self, query: str):
        return 0

    def batched(self, step: Batched) -> None:
        self.note(f'repeated with "{step.key}" > the last key updated, until no row changes:')
        self.batch(step.first.replace("{limit}", str(step.batch_size)))

    def check(self, check: Check, assertion: bool = False) -> None:
        if check.noun == "object":  # the dependency checks: a long catalog query, said in one line
            self.note(describe_check(check).splitlines()[0] + " (pymig reads pg_depend; `pymig sql --script` has the query)")
        else:
            self.note(describe_check(check))
        return None

    def history(self, statements: list[str], what: str) -> None:
        if statements:
            self.note(f"(history: {what})")

    def backfill_loop(self, step: Batched, lock_timeout: str | None) -> bool:
        """Print an online backfill as one loop of its own; False: print its first batch instead."""
        return False

    def note(self, text: str) -> None:
        self.lines.append(self.dialect.comment(text))

    def rollback(self) -> None:
        pass

    def is_lock_timeout(self, error: Exception) -> bool:
        return False


class Script(Preview):
    """A psql script that is safe on its own: the checks refuse with the count (RAISE EXCEPTION),
    backfills loop over all their batches, and the history is written as `pymig up` writes it, so
    `pymig status`, `up` and `down` carry on from where the script got."""

    def __init__(self, dialect, db=None):
        if dialect.script_form is None:
            raise PymigError(f"pymig sql --script writes a psql script, which {dialect.name} has no use for",
                             hint="use pymig up, or pymig sql to read what it runs")
        super().__init__(dialect, db)
        self.form = dialect.script_form(dialect)
        self.lines = [
            "-- pymig sql --script: run it with psql (it stops at the first error; a rerun of the",
            "-- script or `pymig up` goes on from the history it has written)",
            "\\set ON_ERROR_STOP on",
            *(f"{text};" for text in dialect.script_setup()),
        ]

    def python(self, step: Python) -> None:
        raise PymigError(f"{step.label} is Python code, which a psql script cannot run",
                         hint="apply this migration with pymig up")

    def batched(self, step: Batched) -> None:
        self.sql(self.form.backfill_block(step, commit=False))

    def backfill_loop(self, step: Batched, lock_timeout: str | None) -> bool:
        self.note(f"backfill {step.table}: batches of {step.batch_size} rows, each committed on its own, "
                  f'repeated with "{step.key}" > the last key until no row changes')
        self.sql(self.form.backfill_block(step, commit=True, lock_timeout=lock_timeout))
        return True

    def check(self, check: Check, assertion: bool = False) -> None:
        for text in self.form.check_block(check, self.label):
            self.sql(text)
        return None

    def history(self, statements: list[str], what: str) -> None:
        for text in statements:
            self.sql(text)
