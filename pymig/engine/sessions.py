"""The two sessions a plan runs through: Live sends each statement to the database, Preview writes
it out for `pymig sql`. Everything else is the same code for both, so the preview cannot drift."""

from __future__ import annotations

from ..checks import describe_check, run_check
from ..steps import Batched, Check, Failure, Python


class UserCodeError(Exception):
    """An exception raised by a run_python function (reported as the user's, not as pymig's)."""


class TransactionEnded(UserCodeError):
    """A run_python function committed or rolled back the migration's transaction itself."""


class Live:
    def __init__(self, db, dialect):
        self.db, self.dialect = db, dialect

    def sql(self, text: str, last: bool = False) -> None:
        """`last`: the migration's last statement before its history record, which it may travel
        with (PostgresDatabase.defer: one round trip per plain migration)."""
        (self.db.defer if last else self.db.execute)(text)

    def flag(self, query: str) -> bool:
        rows = self.db.rows(query)
        return bool(rows and rows[0][0])

    def python(self, step: Python) -> None:
        """Call a run_python function in the migration's transaction, and hold it to that transaction."""
        conn = self.db.raw
        xid_query = self.dialect.transaction_id_query
        xid = self.db.rows(xid_query)[0][0] if xid_query else None
        try:
            step.fn(conn)
        except Exception as e:
            if self.db.error_text(e) is not None and self.db.transaction_state() != "idle":
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

    def check(self, check: Check) -> Failure | None:
        return run_check(self.db, self.dialect, check)

    def note(self, text: str) -> None:
        pass

    def rollback(self) -> None:
        self.db.rollback()

    def is_lock_timeout(self, error: Exception) -> bool:
        return self.db.is_lock_timeout(error)


class Preview:
    def __init__(self, dialect, db=None):
        self.dialect, self.db = dialect, db
        self.lines: list[str] = []

    def sql(self, text: str, last: bool = False) -> None:
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
        self.sql(text)
        return []

    def scalar(self, query: str):
        return 0

    def batched(self, step: Batched) -> None:
        self.note(f'repeated with "{step.key}" > the last key updated, until no row changes:')
        self.sql(step.first.replace("{limit}", str(step.batch_size)))

    def check(self, check: Check) -> None:
        self.note(describe_check(check))
        return None

    def note(self, text: str) -> None:
        self.lines.append(self.dialect.comment(text))

    def rollback(self) -> None:
        pass

    def is_lock_timeout(self, error: Exception) -> bool:
        return False
