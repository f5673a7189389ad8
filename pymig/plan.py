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

    @property
    def reverting(self) -> bool:
        """A revert (or an abort) of this migration stopped half-way: `pymig down` finishes it."""
        return self.progress is not None and self.progress.get("direction") == "down"

    @property
    def completing(self) -> bool:
        """`pymig complete` of this expanded migration stopped half-way: `pymig complete` finishes it."""
        return self.progress is not None and self.progress.get("direction") == "complete"

    @property
    def expanded(self) -> bool:
        """Applied up to the switch of an expand/contract operation: `pymig complete` runs the contract."""
        return self.progress is None and "expanded" in self.inverse

    @property
    def state(self) -> str:
        if self.progress is None:
            return "expanded" if self.expanded else "applied"
        if self.completing:
            return "partial (completing)"
        return "partial (reverting)" if self.reverting else "partial"


@dataclass(frozen=True)
class LogEntry:
    """One row of pymig_log: an up or a down that ran."""

    version: int
    name: str
    direction: str  # "up" or "down"
    at: datetime
    by: str
    duration_ms: float


def plan_up(files: list[MigrationFile], applied: dict[int, Record], to: int | None,
            out_of_order: bool = False) -> list[MigrationFile]:
    """Pending files up to `to`, oldest first. Refuses when an applied file was edited, and (unless
    `out_of_order`) a pending file older than the newest applied one, as Flyway does."""
    by_version = {f.version: f for f in files}
    for version, record in applied.items():
        f = by_version.get(version)
        if f is not None and not f.matches(record.checksum):
            raise MigrationFileError(f"{f.label} was changed after it was applied (checksum differs)",
                                     hint=_edited_hint(record))
    if to is not None and to not in by_version and to not in applied and to != 0:
        raise PymigError(f"no migration with version {to}")
    for r in applied.values():
        if r.reverting:
            what = by_version[r.version].label if r.version in by_version else f"migration {r.version} ({r.name})"
            raise PymigError(f"{what} was stopped half-way through `pymig down`",
                             hint="run `pymig down` to finish reverting it, then `pymig up`; nothing was changed")
    for r in applied.values():
        if r.completing:
            what = by_version[r.version].label if r.version in by_version else f"migration {r.version} ({r.name})"
            raise PymigError(f"{what} was stopped half-way through `pymig complete`",
                             hint=f"run `pymig complete {r.version}` to finish it, then `pymig up`; nothing was changed")
    current = max((v for v, r in applied.items() if r.progress is None), default=0)
    if to is not None and to < current:
        raise PymigError(f"--to {to} is below the current version {current}: `pymig up` only applies",
                         hint=f"to go back to version {to}, run `pymig down --to {to}`")
    done = {v for v, r in applied.items() if r.progress is None}  # partial ones resume
    pending = [f for f in files if f.version not in done and (to is None or f.version <= to)]
    newest = max(done, default=0)
    older = [f for f in pending if f.version < newest and f.version not in applied]
    if older and not out_of_order:
        newest_label = by_version[newest].label if newest in by_version else f"migration {newest} ({applied[newest].name})"
        raise MigrationFileError(
            f"{older[0].label} is pending but older than {newest_label}, which is already applied"
            + (f" ({len(older)} such migrations)" if len(older) > 1 else ""),
            hint="renumber it after the newest applied one, or apply it anyway with `pymig up --allow-out-of-order` "
            "([tool.pymig] out_of_order = true); `pymig down` then undoes migrations in the order they were applied",
        )
    return pending


def _edited_hint(record: Record) -> str:
    """What helps with an applied migration whose file was edited: `pymig repair` re-records a
    completed one; a partial one is taken back (or finished) from its history record first."""
    v = record.version
    if record.completing:
        return (f"run `pymig complete {v}` to finish it (from its history record, not the file); then restore "
                f"the file, or `pymig repair {v}` records an edit that keeps its operations")
    if record.reverting:
        return ("run `pymig down` to finish reverting it (from its history record, not the file); "
                "then `pymig up` applies the file as it is now")
    if record.progress is not None:
        return ("it is partial: `pymig down` takes back what it committed (from its history record, not the "
                "file), then `pymig up` applies the file as it is now")
    return ("restore the file and write a new migration for the change; after an edit that keeps its "
            f"operations (an added down= or reverse=), `pymig repair {v}` records it")


def plan_down(applied: list[Record], steps: int | None, to: int | None, label=None) -> list[Record]:
    """Applied records to undo, the last applied first (the newest version first, unless some were
    applied out of order). Refuses, naming the migration file (`label(record)`) and operation,
    when any of them cannot be undone: before anything changes."""
    label = label or (lambda r: f"migration {r.version} ({r.name})")
    newest_first = sorted(applied, key=_applied_order, reverse=True)
    current = max((r.version for r in applied), default=0)
    if to is not None:
        if to > current:
            raise PymigError(f"--to {to} is above the current version {current}: `pymig down` only reverts",
                             hint=f"to go forward to version {to}, run `pymig up --to {to}`")
        if to != 0 and to not in {r.version for r in applied}:
            raise PymigError(f"version {to} is not applied; `pymig status` lists what is")
        chosen = [r for r in newest_first if r.version > to]
    else:
        if steps is not None and steps > len(applied):
            raise PymigError(f"--steps {steps} is more than the {len(applied)} applied migration(s)",
                             hint="`pymig status` lists them; `pymig down --to 0` reverts them all")
        chosen = newest_first[: steps if steps is not None else 1]
    for r in chosen:
        if r.completing:
            raise PymigError(f"{label(r)} was stopped half-way through `pymig complete`: its contract is partly done",
                             hint=f"nothing was changed; run `pymig complete {r.version}` to finish it, "
                             "then `pymig down` reverts it as an ordinary migration")
        why = r.inverse.get("irreversible")
        if not why or r.reverting:
            continue
        if r.progress is not None:
            raise IrreversibleError(
                f"cannot abort {label(r)}: it committed steps that cannot be undone ({why})",
                hint="nothing was changed; `pymig up` finishes it")
        raise IrreversibleError(
            f"cannot roll back {label(r)}: {why}",
            hint="nothing was changed; add down= (run_sql / run_python) or reverse= (backfill) to the "
            f"operation in its file (restored, if it is gone), then `pymig repair {r.version}` stores the inverse "
            "it derives")
    return chosen


def plan_complete(applied: list[Record], version: int | None, label=None) -> list[Record]:
    """The expanded records `pymig complete` contracts, oldest first: all of them, or `version`'s."""
    label = label or (lambda r: f"migration {r.version} ({r.name})")
    todo = sorted((r for r in applied if r.expanded or r.completing), key=_applied_order)
    if version is None:
        return todo
    chosen = [r for r in todo if r.version == version]
    if not chosen:
        known = {r.version: r for r in applied}
        if version not in known:
            raise PymigError(f"version {version} is not applied; `pymig status` lists what is")
        raise PymigError(f"{label(known[version])} is not expanded (it is {known[version].state}): "
                         "there is no contract to run",
                         hint="`pymig status` shows the expanded migrations")
    return chosen


def _applied_order(r: Record):
    """When it was applied, then the version (migrations of one run can share a timestamp)."""
    return (r.applied_at.timestamp() if r.applied_at else 0.0, r.version)
