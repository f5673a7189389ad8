"""How far a migration got (stored with each committed segment, so a rerun resumes there), and the
progress lines a long step reports while it runs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from ..ops import decode, encode
from ..ops.base import encode_plan


@dataclass
class Progress:
    """What undoes a migration run so far, and where it goes on."""

    op: int = 1
    step: int = 0
    inverse: list = field(default_factory=list)  # undoes the completed operations, newest first
    current: list = field(default_factory=list)  # the inverse of the operation in progress
    undo: list = field(default_factory=list)  # takes back its committed steps, newest first
    added: set = field(default_factory=set)  # (table, column) created by this migration
    irreversible: str | None = None
    after: object = None  # last key of a backfill in progress

    def copy(self) -> Progress:
        return replace(self, inverse=list(self.inverse), current=list(self.current),
                       undo=list(self.undo), added=set(self.added))

    def finish_op(self, i: int) -> None:
        """Operation `i` is done: its inverse joins the plan; the next one starts at its first step."""
        self.inverse[:0] = self.current
        self.op, self.step, self.current, self.undo, self.after = i + 1, 0, [], [], None

    def plan(self) -> dict:
        if self.irreversible:
            return {"irreversible": self.irreversible}
        return encode_plan(self.inverse)

    def position(self) -> dict:
        return {"op": self.op, "step": self.step, "current": encode(self.current), "undo": encode(self.undo),
                "added": sorted(self.added), "after": self.after}

    @classmethod
    def resumed(cls, record, resolve) -> Progress:
        p = record.progress
        inverse = list(decode(record.inverse.get("operations", []), resolve))
        return cls(p["op"], p["step"], inverse, list(decode(p["current"], resolve)), list(decode(p["undo"])),
                   {tuple(a) for a in p["added"]}, record.inverse.get("irreversible"), p.get("after"))


def to_json(data) -> str:
    """The compact JSON the history tables store."""
    return json.dumps(data, separators=(",", ":"), default=str)


def backfill_line(table: str, done: int, total: int, seconds: float) -> str:
    """One progress line of an online backfill: rows done, rate, and an estimate of the time left."""
    rate = done / max(seconds, 1e-6)
    left = max(total - done, 0) / rate if total and rate else 0
    pct = f" ({100 * done / total:.0f}%)" if total else ""
    return f"backfill {table}: {done}/{total or '?'} rows{pct}, {rate:,.0f} rows/s, {left:.0f} s left"


def backfill_done(table: str, done: int, seconds: float) -> str:
    return f"backfill {table}: {done} rows in {seconds:.1f} s"
