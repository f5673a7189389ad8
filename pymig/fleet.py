"""`pymig up|down|status|check|sql --target NAME`: the command of pymig.commands on every target of
a group (or on one named target), in parallel, and what is printed at the end. No click here.

Each target runs exactly what the command runs on one database (the same executor, history and
runner lock), with its own configuration (groups.target_config)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from . import commands
from .board import Board
from .config import Config
from .errors import ConfigError
from .fanout import DEFAULT_JOBS, Fanout, Outcome
from .groups import Target, expand, target_config
from .loader import MigrationFile, load
from .targets import TargetSpec, select


class Source:
    """The migration files of one run over many targets: listed once, each imported once, by the
    first target that needs it (an error importing it is the same error for every target)."""

    def __init__(self, files: list[MigrationFile]):
        self.files = files
        self._loaded: dict[int, object] = {}
        self._lock = threading.Lock()

    def load(self, mf: MigrationFile):
        with self._lock:
            if mf.version not in self._loaded:
                try:
                    self._loaded[mf.version] = load(mf)
                except Exception as e:
                    self._loaded[mf.version] = e
            found = self._loaded[mf.version]
        if isinstance(found, Exception):
            raise found
        return found


@dataclass
class Options:
    jobs: int = DEFAULT_JOBS
    fail_fast: bool = False
    debug: bool = False
    stream: object = None  # where the live lines go (stderr)
    tty: bool | None = None


def spec_for(config: Config, name: str) -> TargetSpec:
    return select(config.targets, name)


def single_config(config: Config, spec: TargetSpec) -> Config:
    """A plain target run as the command runs on one database, with the target's configuration."""
    (target,) = expand(spec)
    return target_config(config, target)


class Fleet:
    """The targets of one `--target NAME` and the run of a command over them."""

    def __init__(self, config: Config, spec: TargetSpec, options: Options):
        self.config, self.spec, self.options = config, spec, options
        self.wall = 0.0  # seconds the last run took
        self.targets: list[Target] = expand(spec)
        if not self.targets:
            what = f"schemas = {list(spec.schemas)!r} matches no schema" if spec.schemas else \
                "schemas_query returned no schema"
            raise ConfigError(f"target {spec.name}: {what} now; nothing to do")

    def run(self, work, verbose: bool = True, verb: str = "applied") -> list[Outcome]:
        warm_imports()
        board = Board(len(self.targets), self.options.stream, self.options.tty, verbose, verb)
        fanout = Fanout(self.targets, work, self.options.jobs, self.options.fail_fast, board,
                        self.options.debug, tuple(self.spec.urls()))
        started = time.monotonic()
        try:
            return fanout.run()
        except KeyboardInterrupt:
            board.close()
            board.say(stopped_line(fanout.outcomes))
            raise
        finally:
            board.close()
            self.wall = time.monotonic() - started

    def source(self, down: bool = False) -> Source:
        files = commands.discover_if_present(self.config) if down else commands._discover(self.config)
        return Source(files)

    def each(self, target: Target) -> Config:
        return target_config(self.config, target)

    # -- the commands ----------------------------------------------------------------------------
    def up(self, to: int | None) -> list[Outcome]:
        source = self.source()

        def work(outcome, line):
            commands.up(self.each(outcome.target), to, _echo(line), source, done=_counter(outcome))

        return self.run(work)

    def down(self, steps: int | None, to: int | None, allow_data_loss: bool) -> list[Outcome]:
        source = self.source(down=True)

        def work(outcome, line):
            commands.down(self.each(outcome.target), steps, to, _echo(line), allow_data_loss, source,
                          done=_counter(outcome))

        return self.run(work, verb="reverted")

    def complete(self, version: int | None) -> list[Outcome]:
        source = self.source(down=True)

        def work(outcome, line):
            outcome.count = commands.complete(self.each(outcome.target), version, _echo(line), source)

        return self.run(work, verb="completed")

    def status(self) -> list[Outcome]:
        source = self.source()

        def work(outcome, line):
            return commands.status(self.each(outcome.target), source)

        return self.run(work, verbose=False)

    def check(self, offline: bool, pending: bool, since: int | None) -> list[Outcome]:
        source = self.source()

        def work(outcome, line):
            return commands.check(self.each(outcome.target), offline, pending, since, source)

        return self.run(work, verbose=False)

    def sql(self, down_: bool, steps, to, from_, offline: bool, script: bool, allow_data_loss: bool) -> list[Outcome]:
        source = self.source(down=down_ and not offline)

        def work(outcome, line):
            return commands.sql(self.each(outcome.target), down_, steps, to, from_, offline, script,
                                allow_data_loss, source)

        return self.run(work, verbose=False)


# Imported on first use by the commands (in the worker threads); pymig.cli and the test helpers are not needed.
_NOT_NEEDED = {"pymig.cli", "pymig.pytest_plugin", "pymig.testing", "pymig.__main__"}


def warm_imports() -> None:
    """Import, in this thread, what the commands import lazily: two threads importing a package for
    the first time at once can see it half initialised (sqlglot's ImportError "partially initialized
    module"). pymig's own modules, and sqlglot's parser with the dialects pymig reads SQL as."""
    import importlib
    import pkgutil

    import pymig

    for module in pkgutil.walk_packages(pymig.__path__, "pymig."):
        if module.name not in _NOT_NEEDED:
            importlib.import_module(module.name)
    import sqlglot

    from .dialects import REGISTRY

    for target in sorted(set(REGISTRY.values())):
        module, name = target.split(":")
        read = getattr(importlib.import_module(module), name).sqlglot_name
        sqlglot.parse_one("SELECT 1", read=read)
        sqlglot.tokenize("x", read=read)


def stopped_line(outcomes: list[Outcome]) -> str:
    """What Ctrl-C or SIGTERM left: the targets done, those whose open transaction the server rolls
    back as the process ends, and those not started."""
    from .fleet_report import names

    running = [o for o in outcomes if o.result == "running"]
    done = [o for o in outcomes if o.result in ("ok", "failed")]
    waiting = len(outcomes) - len(running) - len(done)
    return (f"stopped: {len(done)} of {len(outcomes)} targets finished, {len(running)} running "
            f"({names(running) or '-'}: their transactions end with this process, each migration applied with its "
            f"history record or not at all), {waiting} not started; `pymig status --target` shows where each is")


def _counter(outcome: Outcome):
    """`done(version)` for the command: one more migration applied (or reverted) on this target."""
    def done(version: int) -> None:
        outcome.count += 1

    return done


def _echo(line):
    """The command's echo(message, err) for one target: its messages become the target's live line."""
    def echo(message=None, err=False):
        if message:
            line(str(message).splitlines()[0])

    return echo
