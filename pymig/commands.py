"""What each CLI command does, without click: plan, lock, execute, report."""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from pathlib import Path

from .config import DEFAULT_DATABASE_URL, Config
from .errors import ConfigError, MigrationFileError, PymigError
from .loader import Migration, MigrationFile, discover, display_path, load, FunctionFinder
from .plan import Record, plan_complete, plan_down, plan_up


def _database_url(config: Config, echo=None) -> str:
    """The configured URL, else the embedded SQLite database, announced when pymig creates it."""
    if config.database_url:
        return config.database_url
    from .dialects.sqlite import database_path

    path = Path(database_path(DEFAULT_DATABASE_URL))
    if not path.exists():
        (echo or _to_stderr)(f"no database URL configured: using the SQLite database {path} in this directory "
                             "(set one with --database-url, DATABASE_URL or [tool.pymig] database_url)")
    return DEFAULT_DATABASE_URL


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr)


def _discover(config: Config, source=None) -> list[MigrationFile]:
    """The migration files; ignored files that look like migrations get a notice on stderr.
    `source` (pymig.fleet.Source): the files one run over many targets listed once."""
    if source is not None:
        return source.files
    return discover(config.migrations, notice=_to_stderr)


def dialect_for(config: Config, url: str | None = None):
    """The dialect of the configured database (or `url`), with the config's default schema and
    history schema (Dialect.configured)."""
    from .dialects import for_url

    return for_url(url or config.database_url or DEFAULT_DATABASE_URL, config.schema, config.history_in)


@contextmanager
def connected(config: Config, lock: bool, echo=None):
    """A connection (and, for commands that change things, the runner lock and history tables).
    With a default schema (config.schema), search_path is set to it on this connection."""
    from .history import ensure_tables

    url = _database_url(config, echo)
    dialect = dialect_for(config, url)
    db = dialect.connect(url)
    try:
        if lock:
            db.acquire_lock(config.lock_wait, on_wait=lambda: echo and echo("waiting for another pymig run to finish ..."))
            created = ensure_tables(db, dialect)
            if created:
                (echo or _to_stderr)(f'created schema "{created}" for pymig\'s history tables')
        yield dialect, db
    finally:
        db.close()


def _records(db, dialect) -> list[Record]:
    from .history import read_records

    return read_records(db, dialect)


def _label(record: Record, files: dict[int, MigrationFile]) -> str:
    f = files.get(record.version)
    return f.label if f else missing_label(record.version, record.name)


def missing_label(version: int, name: str) -> str:
    return f"migration {version} ({name}; its file is missing)"


def _executor(config: Config, dialect, db, echo=None, preview=False, script=False):
    from .executor import Executor

    report = None
    progress = getattr(echo, "progress", None)  # the CLI's Display: lines rewritten in place
    if progress is not None:
        report = progress.report
    elif echo is not None:
        def report(text, final=False):
            echo(text, err=True)
    return Executor(dialect, db, preview=preview, script=script, lock_timeout=config.lock_timeout,
                    retry_for=config.lock_retry_for, backfill_pause=config.backfill_pause,
                    report=report, progress=progress, resolve_callable=FunctionFinder(config.migrations))


def _load_all(files: list[MigrationFile], dialect, source=None) -> list[Migration]:
    """Import and validate every migration that will run before running any of them, for the
    database they will run on (a type SQLite has no meaning for fails here, not halfway).
    `source`: each file imported once for all the targets of a run."""
    migrations = [source.load(f) if source is not None else load(f) for f in files]
    for m in migrations:
        for i, op in enumerate(m.operations, 1):
            try:
                dialect.check_operation(op)
            except PymigError as e:
                raise MigrationFileError(f"{m.file.label}: operation {i} ({op.describe()}): {e.message}",
                                         e.hint) from e
    return migrations


def up(config: Config, to: int | None, echo, source=None, done=None) -> int:
    """Apply the pending migrations; how many were applied (`done(version)` hears of each one)."""
    files = _discover(config, source)
    with connected(config, lock=True, echo=echo) as (dialect, db):
        applied = {r.version: r for r in _records(db, dialect)}
        executor = _executor(config, dialect, db, echo)
        if config.auto_complete:
            by_version = {f.version: f for f in files}
            for r in plan_complete(list(applied.values()), None):
                executor.complete(r, _label(r, by_version))
                echo(f"completed {_label(r, by_version)} (auto_complete)")
            applied = {r.version: r for r in _records(db, dialect)}
        pending = _load_all(plan_up(files, applied, to, config.out_of_order), dialect, source)
        if not pending:
            echo("nothing to apply: the database is up to date")
            return 0
        from .engine.batch import BATCH_SIZE, run_each

        executor.batch_size = BATCH_SIZE

        def apply(m) -> None:
            resume = applied.get(m.version)
            if resume is not None:
                echo(f"resuming {m.file.label} at operation {resume.progress['op']}")

            def report(seconds: float, plan: dict | None) -> None:
                expanded = " (expanded: `pymig complete` runs its contract)" if plan and "expanded" in plan else ""
                echo(f"applied {m.file.label} ({seconds * 1000:.0f} ms){expanded}")
                if done is not None:
                    done(m.version)

            executor.apply(m, m.file.label, resume=resume, done=report)

        run_each(executor, pending, apply, lambda m: m.version, "pymig up")
        echo(f"{len(pending)} migration{'s' if len(pending) != 1 else ''} applied")
        return len(pending)


def complete(config: Config, version: int | None, echo, source=None) -> int:
    """`pymig complete [VERSION]`: the contract of expanded migrations (all, oldest first, or one);
    how many were completed."""
    by_version = {f.version: f for f in discover_if_present(config, source)}
    with connected(config, lock=True, echo=echo) as (dialect, db):
        chosen = plan_complete(_records(db, dialect), version, lambda r: _label(r, by_version))
        if not chosen:
            echo("nothing to complete: no migration is expanded")
            return 0
        executor = _executor(config, dialect, db, echo)
        for r in chosen:
            executor.complete(r, _label(r, by_version))
            echo(f"completed {_label(r, by_version)}")
        echo(f"{len(chosen)} migration{'s' if len(chosen) != 1 else ''} completed")
        return len(chosen)


def down(config: Config, steps: int | None, to: int | None, echo, allow_data_loss: bool = False,
         source=None, done=None) -> int:
    """Revert applied migrations; how many were reverted (`done(version)` hears of each one)."""
    by_version = {f.version: f for f in discover_if_present(config, source)}
    with connected(config, lock=True, echo=echo) as (dialect, db):
        chosen = plan_down(_records(db, dialect), steps, to, lambda r: _label(r, by_version))
        if not chosen:
            echo("nothing to undo")
            return 0
        executor = _executor(config, dialect, db, echo)
        plans = executor.plan_reverts(chosen)
        if not (allow_data_loss or config.allow_data_loss):
            _refuse_data_loss(executor, plans, by_version, db, dialect)
        from .engine.batch import BATCH_SIZE, run_each

        executor.batch_size = BATCH_SIZE

        def revert(r) -> None:
            what = "aborted" if r.progress is not None and not r.reverting else "reverted"

            def report(seconds: float, plan: dict | None) -> None:
                echo(f"{what} {_label(r, by_version)}")
                if done is not None:
                    done(r.version)

            executor.revert(r, _label(r, by_version), done=report)

        run_each(executor, chosen, revert, lambda r: r.version, "pymig down")
        echo(f"{len(chosen)} migration{'s' if len(chosen) != 1 else ''} reverted")
        return len(chosen)


def _refuse_data_loss(executor, plans, by_version, db, dialect, what: str = "pymig down") -> None:
    """Before anything runs: every table with rows and column with values the whole plan drops
    (`plans`: Executor.plan_reverts)."""
    from .engine.dataloss import data_loss
    from .errors import PreflightError

    losses = data_loss([(_label(r, by_version), ops) for r, ops in plans], executor.before(), db, dialect)
    if losses:
        lines = "\n".join(f"  {loss}" for loss in losses)
        raise PreflightError(
            f"{what} would delete data; nothing was changed:\n{lines}",
            hint="back it up if it matters, then run the same command with --allow-data-loss "
            "([tool.pymig] allow_data_loss = true allows it for a development database)")


def discover_if_present(config: Config, source=None) -> list[MigrationFile]:
    """`down` works from the history alone, so a missing directory is no error (unless it was
    named, with --dir or [tool.pymig] migrations: then a typo would go unnoticed)."""
    if source is not None:
        return source.files
    if config.migrations.is_dir() or config.migrations_configured:
        return _discover(config)
    return []


def sql(config: Config, down_: bool, steps, to, from_, offline: bool, script: bool = False,
        allow_data_loss: bool = False, source=None, complete_: bool = False) -> str:
    """What `up` (or `down`) would run: for reading, or (`script`) as a psql script that runs on its own.

    A down script is held to `pymig down`'s rule: it deletes no data without --allow-data-loss, since
    whoever runs it with psql gets no second chance to refuse."""
    files = _discover(config, source) if not down_ or offline else discover_if_present(config, source)
    if offline:
        return _offline_sql(config, files, down_, steps, to, from_ or 0, script)
    by_version = {f.version: f for f in files}
    with connected(config, lock=False) as (dialect, db):
        records = _records(db, dialect)
        executor = _executor(config, dialect, db, preview=True, script=script)
        if complete_ or (config.auto_complete and not down_):
            for r in plan_complete(records, to if complete_ else None, lambda r: _label(r, by_version)):
                executor.complete(r, _label(r, by_version))
            if complete_:
                return executor.output() or "-- nothing to complete: no migration is expanded"
            executor.schema = None  # read again: the contract is only previewed
        if down_:
            chosen = plan_down(records, steps, to, lambda r: _label(r, by_version))
            plans = executor.plan_reverts(chosen)
            if script and chosen and not (allow_data_loss or config.allow_data_loss):
                _refuse_data_loss(executor, plans, by_version, db, dialect, "the down script")
            for r in chosen:
                executor.revert(r, _label(r, by_version))
        else:
            pending = _load_all(plan_up(files, {r.version: r for r in records}, to, config.out_of_order), dialect,
                                source)
            if pending and not db.rows(dialect.history_exists)[0][0]:
                _show_history_setup(executor, dialect)
            for m in pending:
                _preview_apply(executor, m)
        return executor.output() or "-- nothing to do"


def _preview_apply(executor, m: Migration) -> None:
    """A migration as `up` runs it; one that ends expanded is followed by its contract, which
    `pymig complete` runs later (shown here so that every phase can be read before any runs)."""
    executor.apply(m, m.file.label)
    plan = executor.last_plan or {}
    if "expanded" in plan:
        schema = executor.schema
        executor.complete(Record(m.version, m.name, m.checksum, None, 0.0, "", plan), m.file.label)
        executor.schema = schema  # the migrations after it run while it is expanded


def _show_history_setup(executor, dialect) -> None:
    """`up` creates the history tables before the first migration; so does the script it prints,
    or its first history record would fail when run by hand on a fresh database."""
    executor.session.history(list(dialect.history_ddl), "pymig creates its history tables, "
                             f"{dialect.migrations_table} and {dialect.log_table}")


def _offline_sql(config, files, down_, steps, to, from_, script) -> str:
    """Render from the files alone: the schema at `from_` is rebuilt by replaying the operations."""
    from .schema import Schema

    dialect = dialect_for(config)
    if down_:
        if steps is None and to is None:
            raise ConfigError("offline --down needs --to VERSION or --steps N (from the version given by --from)")
        if not from_:
            raise ConfigError("offline --down needs --from VERSION: the version the database is at")
    replay_to = from_
    applied_files = [f for f in files if f.version <= replay_to]
    state = _executor(config, dialect, None, preview=True)
    state.schema = Schema()
    records = []
    for m in _load_all(applied_files, dialect):
        state.apply(m, m.file.label)
        records.append(_replayed_record(m, state))
    if not down_:
        pending = [f for f in files if f.version > from_ and (to is None or f.version <= to)]
        executor = _executor(config, dialect, None, preview=True, script=script)
        executor.schema = state.schema
        pending = _load_all(pending, dialect)
        if pending and not from_:
            _show_history_setup(executor, dialect)
        for m in pending:
            _preview_apply(executor, m)
        return executor.output() or "-- nothing to do"
    executor = _executor(config, dialect, None, preview=True, script=script)
    executor.schema = state.schema
    by_version = {f.version: f for f in files}
    for r, _ops in executor.plan_reverts(plan_down(records, steps, to, lambda r: _label(r, by_version))):
        executor.revert(r, _label(r, by_version))
    return executor.output() or "-- nothing to do"


def _replayed_record(m: Migration, executor) -> Record:
    return Record(m.version, m.name, m.checksum, None, 0.0, "", executor.last_plan)


def status(config: Config, source=None) -> list[dict]:
    files = _discover(config, source)
    with connected(config, lock=False) as (dialect, db):
        records = _records(db, dialect)
    by_version = {r.version: r for r in records}
    files_by_version = {f.version: f for f in files}
    rows = []
    for v in sorted(set(files_by_version) | set(by_version)):
        f = files_by_version.get(v)
        r = by_version.get(v)
        if r is None:
            state = "pending"
        elif r.progress is not None or r.expanded:
            state = r.state
        elif f is None:
            state = "missing"
        elif not f.matches(r.checksum):
            state = "modified"
        else:
            state = "applied"
        rows.append({
            "version": v,
            "name": f.name if f else r.name,
            "label": f.label if f else f"{v} ({r.name})",
            "state": state,
            "applied_at": r.applied_at.isoformat() if r and r.applied_at else None,
            "applied_by": r.applied_by if r else None,
            "checksum": r.checksum if r else None,
            "duration_ms": round(r.duration_ms, 3) if r else None,
        })
    return rows


def status_json(rows: list[dict], form: str):
    """`--json` (v1): the list, one object per migration. `--json=v2`: an object with the current
    version (the newest fully applied one, 0 before any) and that list."""
    if form == "v1":
        return rows
    done = [r["version"] for r in rows if r["state"] in ("applied", "expanded", "modified", "missing")]
    return {"current_version": max(done, default=0), "migrations": rows}


def all_missing_reason(config: Config, rows: list[dict]) -> str | None:
    """Applied migrations and not one of their files here: most likely the wrong directory."""
    applied = [r for r in rows if r["state"] not in ("pending",)]
    if not applied or any(r["state"] != "missing" for r in applied):
        return None
    return (f"note: none of the {len(applied)} applied migrations has its file in {display_path(config.migrations)}: "
            "is this the project's directory? (--dir or [tool.pymig] migrations names the migrations directory)")


def history(config: Config, limit: int | None) -> list[dict]:
    """pymig_log, oldest first: every up and down, with who ran it and how long it took."""
    from .history import read_log

    files = {f.version: f for f in discover_if_present(config)}
    with connected(config, lock=False) as (dialect, db):
        entries = read_log(db, dialect)
    rows = [{
        "version": e.version,
        "name": e.name,
        "label": files[e.version].label if e.version in files else f"{e.version} ({e.name})",
        "direction": e.direction,
        "at": e.at.isoformat() if hasattr(e.at, "isoformat") else str(e.at),
        "by": e.by,
        "duration_ms": round(e.duration_ms, 3),
    } for e in entries]
    return rows[-limit:] if limit else rows


TEMPLATE = '''"""{title}"""

# Import what the operations use, e.g.:
# from pymig import add_column, column, create_index, create_table, sql

operations = [
]
'''

# Letters NFKD does not split into an ASCII letter and accents.
_ASCII = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
                        "ı": "i"})


def slugify(name: str) -> str:
    """A file name part from any text: accents dropped (`ünïcode` -> `unicode`), the rest `_`."""
    import unicodedata

    ascii_ = unicodedata.normalize("NFKD", name.lower().translate(_ASCII)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")


def next_migration_path(directory: Path, name: str) -> Path:
    """The file `pymig new NAME` (and `pymig diff`) writes: the next number, as wide as the others."""
    if directory.exists() and not directory.is_dir():
        discover(directory)  # the error for a --dir that names a file
    directory.mkdir(parents=True, exist_ok=True)
    files = discover(directory, notice=_to_stderr)
    slug = slugify(name)
    if not slug:
        raise ConfigError(f"cannot make a file name from {name!r}")
    width = max((len(f.path.name.split("_", 1)[0]) for f in files), default=3)
    version = (files[-1].version + 1) if files else 1
    return directory / f"{version:0{width}d}_{slug}.py"


def new(config: Config, name: str) -> str:
    path = next_migration_path(config.migrations, name)
    title = name.strip()[:1].upper() + name.strip()[1:]
    path.write_text(TEMPLATE.format(title=title.rstrip(".") + "."))
    return display_path(path)


def check(config: Config, offline: bool, pending: bool = False, since: int | None = None, source=None):
    """Lint every migration file; with a database, the pending ones against its live catalog.
    `pending` / `since` report only the newer files (the older ones still give the schema)."""
    from .lint import lint

    files = _discover(config, source)
    chosen = files if since is None else [f for f in files if f.version > since]
    if pending:
        with connected(config, lock=False) as (dialect, db):
            done = {r.version for r in _records(db, dialect) if r.progress is None}
        chosen = [f for f in files if f.version not in done]
    if offline or not config.database_url:
        findings = lint(files, dialect_for(config))
    else:
        with connected(config, lock=False) as (dialect, db):
            from .lint import Database

            applied = {r.version for r in _records(db, dialect) if r.progress is None}
            database = Database(dialect.introspect(db), applied, dialect.table_sizes(db),
                                lambda types: dialect.unknown_types(db, types),
                                lambda schemas: dialect.introspect_schemas(db, schemas))
            findings = lint(files, dialect, database=database)
    labels = {f.label for f in chosen}
    return [f for f in findings if f.file in labels]
