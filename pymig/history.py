"""The history tables: which migrations are applied, with the inverse plan each one stored."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import datetime

from .errors import PymigError
from .plan import LogEntry, Record



def current_user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def ensure_tables(db, dialect) -> None:
    """Create the history tables; called under the runner lock, so concurrent runners cannot race."""
    created = dialect.ensure_schemas(db)
    for ddl in dialect.history_ddl:
        db.execute(ddl)
    return created


def read_records(db, dialect) -> list[Record]:
    if not db.rows(dialect.history_exists)[0][0]:
        return []
    records = []
    for v, name, checksum, at, ms, by, inverse, *progress in _select(db, dialect.history_select, "pymig_migrations"):
        progress = _json(v, "progress", progress[0]) if progress and progress[0] else None
        if isinstance(at, str):  # SQLite keeps timestamps as ISO-8601 text
            at = datetime.fromisoformat(at)
        plan = _json(v, "inverse", inverse)
        if not isinstance(plan, dict) or not isinstance(plan.get("operations", plan.get("irreversible")), (list, str)):
            raise damaged(v, "inverse", "it is neither a list of operations nor the reason there is none")
        if progress is not None and not (isinstance(progress, dict) and {"op", "step"} <= set(progress)):
            raise damaged(v, "progress", "it does not say which operation and step the migration reached")
        records.append(Record(int(v), name, checksum, at, float(ms), by, plan, progress))
    return records


def damaged(version, column: str, why: str) -> PymigError:
    """A history row pymig cannot use: named, with what to do."""
    return PymigError(f"pymig_migrations row for version {version}: the stored {column} is damaged: {why}",
                      hint="it was changed outside pymig; restore the row from a backup, or remove it with "
                      f"`pymig unmark {version}` and bring the schema back by hand")


def _json(version, column: str, text):
    try:
        return json.loads(text)
    except (TypeError, ValueError) as e:
        raise damaged(version, column, f"not valid JSON ({e})") from None


def _select(db, sql: str, table: str) -> list[tuple]:
    try:
        return db.rows(sql)
    except Exception as e:
        text = db.error_text(e)
        if text is None:
            raise
        db.rollback()
        raise PymigError(f"the history table {table} cannot be read: {text}",
                         hint="it was altered outside pymig; restore its columns as `pymig sql` on an empty "
                         "database creates them") from None


def read_log(db, dialect) -> list[LogEntry]:
    """pymig_log, oldest first: every up and down ever run."""
    if not db.rows(dialect.history_exists)[0][0]:
        return []
    entries = []
    for v, name, direction, at, by, ms in _select(db, dialect.log_select, "pymig_log"):
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        entries.append(LogEntry(int(v), name, direction, at, by, float(ms)))
    return entries
