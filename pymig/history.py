"""The history tables: which migrations are applied, with the inverse plan each one stored."""

from __future__ import annotations

import getpass
import json
import socket
from datetime import datetime

from .plan import LogEntry, Record


def current_user() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def ensure_tables(db, dialect) -> None:
    """Create the history tables; called under the runner lock, so concurrent runners cannot race."""
    for ddl in dialect.history_ddl:
        db.execute(ddl)


def read_records(db, dialect) -> list[Record]:
    if not db.rows(dialect.history_exists)[0][0]:
        return []
    records = []
    for v, name, checksum, at, ms, by, inverse, *progress in db.rows(dialect.history_select):
        progress = json.loads(progress[0]) if progress and progress[0] else None
        if isinstance(at, str):  # SQLite keeps timestamps as ISO-8601 text
            at = datetime.fromisoformat(at)
        records.append(Record(int(v), name, checksum, at, float(ms), by, json.loads(inverse), progress))
    return records


def read_log(db, dialect) -> list[LogEntry]:
    """pymig_log, oldest first: every up and down ever run."""
    if not db.rows(dialect.history_exists)[0][0]:
        return []
    entries = []
    for v, name, direction, at, by, ms in db.rows(dialect.log_select):
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        entries.append(LogEntry(int(v), name, direction, at, by, float(ms)))
    return entries
