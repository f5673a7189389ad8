"""How far a migration got (stored with each committed segment, so a rerun resumes there), and the
progress lines a long step reports while it runs."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
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
    rows: list | None = None  # [done, total] of that backfill, so that a resumed run counts on
    # expand/contract (ops.base.Phases): what `pymig complete` runs, and the inverse once it has
    final: list | None = None  # like `inverse`, with each phased operation's final_inverse (None: the same)
    contract: list = field(default_factory=list)  # the contract operations, in order
    current_final: list | None = None  # the operation in progress: its final_inverse, when it has phases
    current_contract: list = field(default_factory=list)

    def copy(self) -> Progress:
        return replace(self, inverse=list(self.inverse), current=list(self.current),
                       undo=list(self.undo), added=set(self.added),
                       final=None if self.final is None else list(self.final),
                       contract=list(self.contract), current_contract=list(self.current_contract))

    def finish_op(self, i: int) -> None:
        """Operation `i` is done: its inverse joins the plan; the next one starts at its first step."""
        if self.final is not None or self.current_final is not None:
            done = self.inverse if self.final is None else self.final
            self.final = (self.current if self.current_final is None else self.current_final) + done
        self.inverse[:0] = self.current
        self.contract += self.current_contract
        self.op, self.step, self.current, self.undo, self.after, self.rows = i + 1, 0, [], [], None, None
        self.current_final, self.current_contract = None, []

    def plan(self) -> dict:
        """The stored inverse; with an "expanded" part once an operation ran its expand and switch:
        {"contract": operations, "inverse": the inverse after the contract}."""
        plan = {"irreversible": self.irreversible} if self.irreversible else encode_plan(self.inverse)
        if self.contract:
            final = self.inverse if self.final is None else self.final
            plan["expanded"] = {"contract": encode(self.contract), "inverse": encode(final)}
        return plan

    def position(self) -> dict:
        position = {"op": self.op, "step": self.step, "current": encode(self.current), "undo": encode(self.undo),
                    "added": sorted(self.added), "after": self.after, "rows": self.rows}
        if self.current_final is not None:
            position["phases"] = {"final": encode(self.current_final), "contract": encode(self.current_contract)}
        return position

    @classmethod
    def resumed(cls, record, resolve) -> Progress:
        p = record.progress
        inverse = list(decode(record.inverse.get("operations", []), resolve))
        expanded = record.inverse.get("expanded") or {}
        final = list(decode(expanded["inverse"], resolve)) if "inverse" in expanded else None
        phases = p.get("phases")
        return cls(p["op"], p["step"], inverse, list(decode(p["current"], resolve)), list(decode(p["undo"])),
                   {tuple(a) for a in p["added"]}, record.inverse.get("irreversible"), p.get("after"), p.get("rows"),
                   final, list(decode(expanded.get("contract", []), resolve)),
                   list(decode(phases["final"], resolve)) if phases else None,
                   list(decode(phases["contract"], resolve)) if phases else [])


def to_json(data) -> str:
    """The compact JSON the history tables store."""
    return json.dumps(data, separators=(",", ":"), default=str)


def duration_text(seconds: float) -> str:
    """12 s, 3 min 05 s, 1 h 02 min: what a progress line shows."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Meter:
    """Rows done out of a total, at the rate of the last few seconds (a moving average: the first
    batches of a backfill are often faster or slower than the rest) and the time left at that rate.
    `done` starts above 0 for a resumed backfill: the rows the interrupted run did count as done,
    but not towards the rate."""

    WINDOW = 10.0  # seconds of batches the rate is averaged over

    def __init__(self, total: int, done: int = 0, clock=time.monotonic):
        self.total, self.done, self.clock = total, done, clock
        self.started, self.resumed_at = clock(), done
        self.samples: deque = deque()  # (time, done) after each batch: the rate is measured between
        # batches, so it includes the pauses and commits between them

    def add(self, rows: int) -> None:
        self.done += rows
        now = self.clock()
        self.samples.append((now, self.done))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.WINDOW:
            self.samples.popleft()

    @property
    def rate(self) -> float:
        """Rows per second over the window; 0 until two batches are done."""
        if len(self.samples) < 2:
            return 0.0
        (t0, d0), (t1, d1) = self.samples[0], self.samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 > t0 else 0.0

    def line(self, what: str) -> str:
        total = max(self.total, self.done)
        pct = f" ({100 * self.done / total:.0f}%)" if total else ""
        rate = self.rate
        speed = f", {rate:,.0f} rows/s" if rate else ""
        left = f", about {duration_text((total - self.done) / rate)} left" if total and rate else ""
        return f"{what}: {self.done:,}/{f'{total:,}' if total else '?'} rows{pct}{speed}{left}"

    def summary(self, what: str) -> str:
        took = duration_text(self.clock() - self.started)
        if self.resumed_at:
            return f"{what}: {self.done:,} rows, the last {self.done - self.resumed_at:,} in {took} (resumed)"
        return f"{what}: {self.done:,} rows in {took}"


class Display:
    """Where progress lines go. On a terminal: one line, rewritten in place. Elsewhere (a CI log,
    a pipe): a line every `every` seconds, so a long run shows it is alive without flooding the log.
    Lines meant to stay (`done`, and whatever the command prints through `clear` first) end the
    transient one."""

    _shown: list[Display] = []  # displays with a transient line on screen, cleared before an error

    def __init__(self, stream=None, tty: bool | None = None, every: float = 5.0, clock=time.monotonic):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every, self.clock = every, clock
        self.last_shown = clock()  # off a terminal, the first line comes `every` seconds in
        self.last_update = 0.0
        self.transient = False
        self.lock = threading.Lock()
        self.activity: tuple | None = None  # (what, since, after) of the block `ticking` watches
        self.watcher: threading.Thread | None = None

    def update(self, text: str) -> None:
        with self.lock:
            self._update(text)

    def _update(self, text: str) -> None:
        now = self.last_update = self.clock()
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self._write("\r" + text[:width] + "\x1b[K")
            if not self.transient:
                Display._shown.append(self)
            self.transient = True
        elif now - self.last_shown >= self.every:
            self._write(text + "\n")
            self.last_shown = now

    def done(self, text: str) -> None:
        with self.lock:
            self._clear()
            self._write(text + "\n")

    def report(self, text: str, final: bool = False) -> None:
        """The Executor's report(text, final) protocol."""
        (self.done if final else self.update)(text)

    def clear(self) -> None:
        with self.lock:
            self._clear()

    @classmethod
    def clear_all(cls) -> None:
        for display in cls._shown:
            display.clear()
        cls._shown.clear()

    @contextmanager
    def ticking(self, what: str, after: float = 2.0):
        """While the block runs (a run_python function, a table rewrite, an index build: one
        statement with no progress of its own), show how long it has been running, from `after`
        seconds on, unless something else reported progress meanwhile. One watcher thread per
        display, started on first use: a thread per operation would cost a millisecond each."""
        self.activity = (what, self.clock(), after)
        if self.watcher is None:
            self.watcher = threading.Thread(target=self._watch, name="pymig-progress", daemon=True)
            self.watcher.start()
        try:
            yield
        finally:
            with self.lock:
                self.activity = None
                self._clear()

    def _watch(self) -> None:
        tick = 1.0 if self.tty else self.every
        while True:
            time.sleep(tick)
            activity = self.activity
            if activity is None:
                continue
            what, started, after = activity
            now = self.clock()
            if now - started >= after and now - self.last_update >= tick:
                with self.lock:
                    if self.activity is activity:
                        self._update(f"{what}: running for {duration_text(now - started)}")

    def _clear(self) -> None:
        if self.transient:
            self._write("\r\x1b[K")
            self.transient = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not fail the migration
            pass

