"""Run one piece of work on many targets at once: `jobs` threads, each with its own connection
(most of a target's time is spent waiting on the server, so threads overlap it well).

A failure stays with its target: the others go on, unless `fail_fast`, which starts no new target
after the first failure (the running ones finish). Nothing here knows which command runs."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from .config import redact
from .errors import PymigError
from .groups import Target

DEFAULT_JOBS = 4


@dataclass
class Outcome:
    """What happened on one target."""

    target: Target
    result: str = "pending"  # "running", "ok", "failed", or "skipped" (fail-fast, interrupted)
    count: int = 0  # migrations applied (or reverted)
    seconds: float = 0.0
    error: str | None = None  # the whole message, hint included, password-free
    value: object = None  # what the work returned besides the count (status rows, findings, SQL)

    @property
    def error_line(self) -> str:
        """The error in one line: its first, and the first detail under it (the operation a
        preflight check refused and why)."""
        lines = (self.error or "").splitlines()
        if not lines:
            return ""
        return lines[0] + (f": {lines[1].strip()}" if len(lines) > 1 and lines[1].startswith("  ") else "")


class Fanout:
    """`work(outcome, line)` runs on each target (`outcome.target`); `line(text)` shows what it does
    now. It counts in `outcome.count` what it applied or reverted, as it goes (so a failed target
    says how far it got), and returns what else the command gives (status rows, findings, SQL)."""

    def __init__(self, targets: list[Target], work: Callable, jobs: int = DEFAULT_JOBS, fail_fast: bool = False,
                 board=None, debug: bool = False, secrets: tuple[str, ...] = ()):
        self.outcomes = [Outcome(t) for t in targets]
        self.work, self.jobs, self.fail_fast, self.board = work, max(1, jobs), fail_fast, board
        self.debug, self.secrets = debug, secrets
        self.lock = threading.Lock()
        self.next = 0
        self.stopped = False

    def run(self) -> list[Outcome]:
        threads = [threading.Thread(target=self._worker, name=f"pymig-target-{n}", daemon=True)
                   for n in range(min(self.jobs, len(self.outcomes)))]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.2)  # a timed join: Ctrl-C and SIGTERM reach this thread
        except KeyboardInterrupt:
            with self.lock:
                self.stopped = True  # daemon threads end with the process; the server rolls back their transactions
            raise
        for o in self.outcomes:
            if o.result == "pending":
                o.result = "skipped"
        return self.outcomes

    def _take(self) -> Outcome | None:
        with self.lock:
            if self.stopped or self.next >= len(self.outcomes):
                return None
            outcome = self.outcomes[self.next]
            self.next += 1
            outcome.result = "running"
            return outcome

    def _worker(self) -> None:
        while (outcome := self._take()) is not None:
            if self.board:
                self.board.started(outcome)
            self._one(outcome)
            with self.lock:
                if outcome.result == "failed" and self.fail_fast:
                    self.stopped = True
            if self.board:
                self.board.finished(outcome)

    def _one(self, outcome: Outcome) -> None:
        started = time.monotonic()
        line = (lambda text: self.board.line(outcome, text)) if self.board else (lambda text: None)
        try:
            outcome.value = self.work(outcome, line)
            outcome.result = "ok"
        except PymigError as e:
            outcome.result, outcome.error = "failed", self._redact(str(e), outcome)
        except Exception as e:  # pymig's own bug on one target: reported with it, the others go on
            text = f"internal error: {type(e).__name__}: {e}"
            if self.debug:
                text += "\n" + traceback.format_exc()
            outcome.result, outcome.error = "failed", self._redact(text, outcome)
        outcome.seconds = time.monotonic() - started

    def _redact(self, text: str, outcome: Outcome) -> str:
        return redact(text, outcome.target.url, *self.secrets)
