"""Pure planning: which migrations run, in which direction, refused before anything runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .errors import IrreversibleError, MigrationFileError, PymigError
from .loader import MigrationFile


@dataclass(frozen=True)
class Record:
    """One row of the history table."""

    version: int
    name: str
    checksum: str
    applied_at: datetime | None
    duration_ms: float
    applied_by: str
    inverse: dict  # {"operations": [...]} or {"irreversible": "why"}
    progress: dict | None = None  # set while a migration is partially applied (see executor)


def plan_up(files: list[MigrationFile], applied: dict[int, Record], to: int | None) -> list[MigrationFile]:
    """Pending files up to `to`, oldest first. Refuses when an applied file was edited."""
    by_version = {f.version: f for f in files}
    for version, record in applied.items():
        f = by_version.get(version)
        if f is not None and f.checksum() != record.checksum:
            raise MigrationFileError(
                f"{f.label} was changed after it was applied (checksum differs)",
                hint="restore the file and write a new migration for the change; "
                "`pymig status` lists modified migrations",
            )
    if to is not None and to not in by_version and to not in applied and to != 0:
        raise PymigError(f"no migration with version {to}")
    done = {v for v, r in applied.items() if r.progress is None}  # partial ones resume
    return [f for f in files if f.version not in done and (to is None or f.version <= to)]


def plan_down(applied: list[Record], steps: int | None, to: int | None) -> list[Record]:
    """Applied records to undo, newest first. Refuses, naming the migration and operation, when
    any of them cannot be undone: before anything changes."""
    for r in applied:
        if r.progress is not None:
            raise PymigError(f"migration {r.version} ({r.name}) is partially applied",
                             hint="run `pymig up` to finish it first; nothing was changed")
    newest_first = sorted(applied, key=lambda r: r.version, reverse=True)
    if to is not None:
        if to != 0 and to not in {r.version for r in applied}:
            raise PymigError(f"version {to} is not applied; `pymig status` lists what is")
        chosen = [r for r in newest_first if r.version > to]
    else:
        chosen = newest_first[: steps if steps is not None else 1]
    for r in chosen:
        why = r.inverse.get("irreversible")
        if why:
            raise IrreversibleError(
                f"cannot roll back migration {r.version} ({r.name}): {why}",
                hint="nothing was changed; add down= (run_sql / run_python) or reverse= (backfill) "
                "in a new migration that replaces this one",
            )
    return chosen
