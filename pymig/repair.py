"""`pymig repair VERSION` (Flyway's name): re-record an applied migration from its edited file.

The stored inverse and checksum are replaced by what the file derives now, after checking that its
operations still describe what was applied: replayed from the files before it, the schema they lead
to, undone with the inverse stored when it ran, must be the schema before it. Logged, with who ran it."""

from __future__ import annotations

from .commands import _executor, _load_all, _records, connected
from .config import Config
from .engine.progress import to_json
from .errors import PymigError
from .history import current_user
from .loader import FunctionFinder, discover
from .ops import decode
from .schema import Schema


def repair(config: Config, version: int, echo) -> None:
    files = discover(config.migrations)
    by_version = {f.version: f for f in files}
    if version not in by_version:
        raise PymigError(f"no migration file with version {version} in {config.migrations}")
    label = by_version[version].label
    with connected(config, lock=True, echo=echo) as (dialect, db):
        record = {r.version: r for r in _records(db, dialect)}.get(version)
        if record is None:
            raise PymigError(f"{label} is not applied: there is nothing to repair", hint="`pymig up` applies it")
        if record.progress is not None:
            raise PymigError(f"{label} is {record.state}: repair only re-records a migration that completed",
                             hint="`pymig up` finishes it; `pymig down` takes back what it committed")
        replay = _executor(config, dialect, None, preview=True)
        replay.schema = Schema()
        for m in _load_all([f for f in files if f.version < version], dialect):
            replay.apply(m, m.file.label)
        before = replay.schema
        migration = _load_all([by_version[version]], dialect)[0]
        replay.apply(migration, label)
        plan = replay.last_plan
        if "operations" in record.inverse and _undone(record, replay.schema, config) != before:
            raise PymigError(
                f"{label}: its operations no longer describe what was applied (the inverse stored when it "
                "ran does not lead back from them to the schema before it); nothing was changed",
                hint="restore what the file did, and write a new migration for the change")
        if plan == record.inverse and migration.checksum == record.checksum:
            echo(f"{label}: nothing to repair (its stored inverse and checksum are what the file gives)")
            return
        db.execute(dialect.begin)
        for text in dialect.record_repaired(version, record.name, migration.checksum, current_user(),
                                            to_json(plan)):
            db.execute(text)
        db.execute(dialect.commit)
    what = "irreversible" if "irreversible" in plan else f"{len(plan['operations'])} operation(s)"
    echo(f"repaired {label}: checksum re-recorded, stored inverse re-derived from the file ({what})")


def _undone(record, after: Schema, config: Config) -> Schema | None:
    """The schema `after` leads back to through the stored inverse; None when it cannot be followed."""
    try:
        for op in decode(record.inverse["operations"], FunctionFinder(config.migrations)):
            after = after if op.opaque else op.state_forwards(after)
    except PymigError:
        return None
    return after
