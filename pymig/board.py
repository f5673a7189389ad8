"""What a run over many targets shows while it goes, on stderr.

On a terminal: one live line per running target (what it does now) and a progress line under them
(done / failed / running / pending), redrawn in place; a failure is printed above them, where it
stays. Elsewhere (a CI log, a pipe): plain lines, one per finished target (`verbose`; else only the
failures), and the progress line every `every` seconds."""

from __future__ import annotations

import shutil
import sys
import threading
import time


class Board:
    def __init__(self, total: int, stream=None, tty: bool | None = None, verbose: bool = True,
                 verb: str = "applied", every: float = 5.0, clock=time.monotonic):
        self.total, self.stream, self.verb = total, stream or sys.stderr, verb
        self.tty = self.stream.isatty() if tty is None else tty
        self.verbose, self.every, self.clock = verbose, every, clock
        self.lock = threading.Lock()
        self.running: dict[int, tuple[str, str]] = {}  # id(outcome) -> (target name, what it does)
        self.done = self.failed = 0
        self.drawn = 0  # lines of the live block on screen
        self.last_draw = 0.0
        self.last_plain = clock()

    # -- events (from the worker threads) ------------------------------------------------------
    def started(self, outcome) -> None:
        with self.lock:
            self.running[id(outcome)] = (outcome.target.name, "running")
            self._draw()

    def line(self, outcome, text: str) -> None:
        with self.lock:
            if id(outcome) in self.running:
                self.running[id(outcome)] = (outcome.target.name, text)
                self._draw(throttle=True)

    def finished(self, outcome) -> None:
        with self.lock:
            self.running.pop(id(outcome), None)
            self.done += 1
            self.failed += outcome.result == "failed"
            if outcome.result == "failed" or (self.verbose and not self.tty):
                self._permanent(finished_line(outcome, self.verb))
            self._draw()

    def say(self, text: str) -> None:
        """A line of its own, above the live block."""
        with self.lock:
            self._permanent(text)

    def close(self) -> None:
        """Take the live block off the screen (the summary follows on stdout)."""
        with self.lock:
            self._erase()

    # -- drawing ---------------------------------------------------------------------------------
    def progress(self) -> str:
        pending = self.total - self.done - len(self.running)
        return (f"{self.done - self.failed}/{self.total} done, {self.failed} failed, {len(self.running)} running, "
                f"{pending} pending")

    def _draw(self, throttle: bool = False) -> None:
        now = self.clock()
        if not self.tty:
            if now - self.last_plain >= self.every:
                self._write(f"progress: {self.progress()}\n")
                self.last_plain = now
            return
        if throttle and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        width = shutil.get_terminal_size((100, 20)).columns - 1
        lines = [f"  {name}: {text}" for name, text in self.running.values()] + [self.progress()]
        self._erase()
        self._write("".join(line[:width] + "\x1b[K\n" for line in lines))
        self.drawn = len(lines)

    def _permanent(self, text: str) -> None:
        self._erase()
        self._write(text + "\n")

    def _erase(self) -> None:
        if self.tty and self.drawn:
            self._write(f"\x1b[{self.drawn}A\x1b[J")
        self.drawn = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not fail the run
            pass


def finished_line(outcome, verb: str = "applied") -> str:
    if outcome.result == "failed":
        return f"{outcome.target.name}: failed: {outcome.error_line}"
    n, ms = outcome.count, f"{outcome.seconds * 1000:.0f} ms"
    if not n:
        return f"{outcome.target.name}: ok, nothing to do ({ms})"
    return f"{outcome.target.name}: ok, {n} migration{'s' if n != 1 else ''} {verb} ({ms})"
