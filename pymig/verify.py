"""`pymig verify`: prove that every migration round-trips, on a scratch database.

For each migration, oldest first: snapshot the catalog, apply up, snapshot, apply down, compare
with the first snapshot, apply up again, compare with the second. Up and down go through the same
Executor as `pymig up` and `pymig down` (down from the history record that up wrote), so verify
tests exactly what those commands will do. Data hooks (run_python, backfill) run too, on empty
tables unless seed files load rows first.

The target database is never touched: the scratch database is created on the target's server
and dropped afterwards (or given with --scratch-url, and then left as it ends)."""

from __future__ import annotations

import importlib.util
import re
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .config import DEFAULT_DATABASE_URL, DEFAULT_SCRATCH_PREFIX
from .errors import ConfigError, PymigError
from .loader import FunctionFinder, Migration, exec_without_bytecode, discover, display_path, load

_SEED_NAME = re.compile(r"^(\d+)[_.-]")


class VerifyError(PymigError):
    """At least one migration does not round-trip; the message holds the structural diff."""


@dataclass(frozen=True)
class Seed:
    """Sample rows (an .sql file, or a .py file with `seed(conn)`), loaded once the schema has
    reached the version the file name starts with: `003_users.sql` loads after migration 003,
    so migrations 004 and later run their data hooks, and their inverses, on those rows."""

    path: Path
    after: int

    @classmethod
    def from_path(cls, path: str | Path) -> Seed:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"seed file {display_path(path)} does not exist")
        if path.suffix not in (".sql", ".py"):
            raise ConfigError(f"seed file {display_path(path)}: expected an .sql or .py file")
        m = _SEED_NAME.match(path.name)
        if not m:
            raise ConfigError(
                f"seed file {display_path(path)}: its name must start with the version after which "
                "it loads, e.g. 003_sample_users.sql loads once migration 003 is applied")
        return cls(path, int(m[1]))

    @property
    def label(self) -> str:
        return display_path(self.path)

    def load(self, db, dialect) -> None:
        """In one transaction: a seed that fails leaves no rows behind."""
        db.execute(dialect.begin)
        try:
            if self.path.suffix == ".sql":
                db.execute(self.path.read_text())
            else:
                self._function()(db.raw)
            db.execute(dialect.commit)
        except PymigError:
            db.rollback()
            raise
        except Exception as e:
            db.rollback()
            text = db.error_text(e) or f"{type(e).__name__}: {e}"
            raise PymigError(f"seed file {self.label}: {text}") from e

    def _function(self):
        spec = importlib.util.spec_from_file_location(f"pymig_seed_{self.path.stem}", self.path)
        module = importlib.util.module_from_spec(spec)
        exec_without_bytecode(spec, module)
        fn = getattr(module, "seed", None)
        if not callable(fn):
            raise PymigError(f"seed file {self.label} defines no seed(conn) function")
        return fn


@dataclass
class Outcome:
    """What verify found for one migration."""

    label: str
    version: int
    changes: str = ""  # what up changed, counted (`+1 table, +8 columns`)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # differences no down can undo (column order)
    stopped: bool = False  # the database is in no state to go on from

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.ok:
            head = [f"ok    {self.label} (up: {self.changes}): down restores the schema, up again rebuilds it"]
            return head + [f"      note: {n}" for n in self.notes]
        n = len(self.problems)
        return [f"FAIL  {self.label}: {n} problem{'s' if n != 1 else ''} (listed at the end)"]


def verify_database(url: str, directory: Path, from_: int | None = None, to: int | None = None,
                    seeds: tuple[Seed, ...] = (), echo=None, schema: str | None = None,
                    history_schema: str | None = None) -> list[Outcome]:
    """Round-trip the migrations in `directory` on the empty database at `url` (the engine behind
    `pymig verify` and the pytest plugin's `migrator.verify()`). Leaves the database at the last
    version verified; raises VerifyError naming each migration and object that differs."""
    from .dialects import for_url
    from .history import ensure_tables

    echo = echo or (lambda line: None)
    files = discover(Path(directory))
    if not files:
        raise PymigError(f"no migrations in {display_path(Path(directory))}")
    known = {f.version for f in files}
    for option, version in (("--from", from_), ("--to", to)):
        if version is not None and version not in known:
            raise ConfigError(f"{option} {version}: no migration has that version")
    first = from_ if from_ is not None else files[0].version
    last = to if to is not None else files[-1].version
    if first > last:
        raise ConfigError(f"--from {first} comes after --to {last}")
    migrations = [load(f) for f in files if f.version <= last]  # all validated before anything runs
    for s in seeds:
        if s.after != 0 and s.after not in known:
            raise ConfigError(f"seed file {s.label} loads after version {s.after}, but no migration has it")
        if s.after >= last:
            raise ConfigError(f"seed file {s.label} loads after version {s.after}, but the last migration "
                              f"verified is {last}: no migration would run on its rows")

    dialect = for_url(url, schema, history_schema)  # the default schema as the target has it (created there)
    db = dialect.connect(url)
    outcomes: list[Outcome] = []
    try:
        _require_empty(db, dialect)
        ensure_tables(db, dialect)
        _seed(db, dialect, seeds, 0, echo)
        progress = getattr(echo, "progress", None)  # the CLI's Display
        todo = sum(m.version >= first for m in migrations)
        for m in migrations:
            if m.version < first:
                _executor(dialect, db).apply(m, m.file.label)
            else:
                what = f"verifying {m.file.label} ({len(outcomes) + 1} of {todo})"
                with progress.ticking(what, after=0) if progress else nullcontext():
                    outcome = _round_trip(db, dialect, m)
                outcomes.append(outcome)
                for line in outcome.lines():
                    echo(line)
                if outcome.stopped:
                    break
            _seed(db, dialect, seeds, m.version, echo)
    finally:
        db.close()
    _raise_failures(outcomes, [m for m in migrations if m.version >= first])
    return outcomes


def run(config, from_: int | None, to: int | None, scratch_url: str | None, seed_paths, echo) -> list[Outcome]:
    """`pymig verify`: the engine on a scratch database, never the target."""
    seeds = tuple(Seed.from_path(p) for p in seed_paths)
    target = config.database_url or DEFAULT_DATABASE_URL
    with scratch_database(target, scratch_url, config.scratch_prefix) as url:
        name = urlsplit(url).path.lstrip("/")
        if scratch_url:
            echo(f"verifying on the --scratch-url database {name}")
        elif url.startswith("sqlite:"):
            echo(f"verifying on a scratch SQLite file, {name} (the target is not touched)")
        else:
            echo(f"verifying on scratch database {name}, created on the target's server (the target is not touched)")
        outcomes = verify_database(url, config.migrations, from_, to, seeds, echo, config.schema, config.history_in)
    echo(f"{len(outcomes)} migration{'s' if len(outcomes) != 1 else ''} verified: "
         "each one's down restores the schema, and up again rebuilds it")
    return outcomes


@contextmanager
def scratch_database(target_url: str | None, scratch_url: str | None, prefix: str = DEFAULT_SCRATCH_PREFIX):
    """The URL of a database verify may change: `scratch_url`, or one created on the target's
    server (through a connection to the target database, which only sends CREATE DATABASE) and
    dropped afterwards."""
    from .dialects import for_url

    if scratch_url:
        if target_url and _same_database(target_url, scratch_url):
            raise ConfigError("--scratch-url names the target database; verify never changes the target: "
                              "give the URL of an empty database it may use")
        for_url(scratch_url)
        yield scratch_url
        return
    if not target_url:
        raise ConfigError("no database URL: verify creates its scratch database on the target's server; "
                          "pass --database-url (or set DATABASE_URL), or --scratch-url URL of an empty database")
    with for_url(target_url).scratch_database(target_url, prefix) as url:
        yield url


# -- one migration -----------------------------------------------------------------------------------

def _round_trip(db, dialect, m: Migration) -> Outcome:
    """up, down, up. A migration that ends expanded (expand/contract) goes up, down before its
    contract, up, complete, down, up and complete: each down compared with the schema before up,
    the last complete with the first."""
    from .snapshot import diff, summary, take

    label = m.file.label
    out = Outcome(label, m.version)
    before = take(db, dialect)
    if not _step(out, "up", lambda: _executor(dialect, db).apply(m, label)):
        out.stopped = True
        return out
    after_up = take(db, dialect)
    out.changes = summary(before, after_up)
    if _newest(db, dialect).expanded:
        if not _step(out, "down before the contract", lambda: _down(db, dialect, m)):
            return out
        for d in diff(before, take(db, dialect)):
            (out.notes if d.is_note else out.problems).append(d.describe("before up", "after down (expanded)"))
        if not (_step(out, "up again", lambda: _executor(dialect, db).apply(m, label))
                and _step(out, "complete", lambda: _complete(db, dialect, m))):
            out.stopped = True
            return out
        after_up = take(db, dialect)
    if not _step(out, "down", lambda: _down(db, dialect, m)):
        return out  # rolled back: still at up, so the next migration can go on from here
    after_down = take(db, dialect)
    for d in diff(before, after_down):
        (out.notes if d.is_note else out.problems).append(d.describe("before up", "after down"))
    if not _step(out, "up again", lambda: _up_completed(db, dialect, m)):
        out.stopped = True
        return out
    out.problems += [d.describe("after up", "after up again")
                     for d in diff(after_up, take(db, dialect)) if not d.is_note]
    return out


def _step(out: Outcome, what: str, action) -> bool:
    try:
        action()
    except PymigError as e:
        out.problems.append(f"{what} failed: {_without(out.label, e)}")
        return False
    return True


def _newest(db, dialect):
    from .history import read_records
    from .plan import plan_down

    return plan_down(read_records(db, dialect), 1, None)[0]


def _down(db, dialect, m: Migration) -> None:
    _executor(dialect, db, m.file.path.parent).revert(_newest(db, dialect), m.file.label)


def _complete(db, dialect, m: Migration) -> None:
    _executor(dialect, db, m.file.path.parent).complete(_newest(db, dialect), m.file.label)


def _up_completed(db, dialect, m: Migration) -> None:
    """up, and its contract when it ends expanded: the state the first up reached after complete."""
    _executor(dialect, db).apply(m, m.file.label)
    if _newest(db, dialect).expanded:
        _complete(db, dialect, m)


def _executor(dialect, db, directory: Path | None = None):
    """A new Executor per run, as each `pymig up` / `pymig down` starts from the live catalog.
    No pause between backfill batches: nothing else uses a scratch database."""
    from .executor import Executor

    return Executor(dialect, db, backfill_pause=0, resolve_callable=directory and FunctionFinder(directory))


def _without(label: str, error: PymigError) -> str:
    return error.message.removeprefix(f"{label}: ")


def _seed(db, dialect, seeds, version: int, echo) -> None:
    for s in seeds:
        if s.after == version:
            s.load(db, dialect)
            echo(f"      seeded {s.label}")


def _require_empty(db, dialect) -> None:
    from .history import read_records
    from .snapshot import take

    if read_records(db, dialect):
        raise PymigError("the scratch database has migrations applied; verify starts from an empty database")
    snapshot = take(db, dialect)
    for kind in ("table", "view", "materialized view", "sequence", "foreign table"):
        names = snapshot.names(kind)
        if names:
            raise PymigError(f"the scratch database is not empty: it has {kind} {names[0]}; "
                             "verify starts from an empty database (version 0)")


def _raise_failures(outcomes: list[Outcome], verified: list[Migration]) -> None:
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return
    lines = [f"{len(failed)} of {len(verified)} migration{'s' if len(verified) != 1 else ''} "
             f"do{'es' if len(failed) == 1 else ''} not round-trip:"]
    lines += [f"  {o.label}: {p}" for o in failed for p in o.problems]
    if outcomes[-1].stopped:
        rest = [m.file.label for m in verified if m.version > outcomes[-1].version]
        if rest:
            lines.append(f"  stopped at {outcomes[-1].label}; not verified: {', '.join(rest)}")
    raise VerifyError("\n".join(lines))


# -- URLs --------------------------------------------------------------------------------------------

def _same_database(a: str, b: str) -> bool:
    def key(url):
        parts = urlsplit(url)
        return (parts.hostname or "localhost", parts.port or 5432, parts.path.lstrip("/"))

    return key(a) == key(b)
