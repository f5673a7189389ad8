"""`pymig diff` and `pymig drift` without click: read both sides, compare, write or report."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULT_DATABASE_URL, Config, pyproject_settings
from ..errors import ConfigError, MigrationFileError, PymigError
from ..loader import discover, display_path, load
from ..snapshot import Difference
from . import states

MIGRATIONS_SIDE = "in the migrations"


@dataclass(frozen=True)
class Desired:
    """Where the desired schema comes from, and how differences name that side."""

    schema_file: Path | None
    url: str | None

    @property
    def label(self) -> str:
        return f"in {display_path(self.schema_file)}" if self.schema_file else "in the --from-url database"

    def read(self, server_url: str, prefix: str) -> states.State:
        if self.url:
            return states.from_database(self.url)
        return states.from_schema_file(server_url, self.schema_file, prefix)


def desired_source(schema_file: str | None, from_url: str | None) -> Desired:
    if schema_file and from_url:
        raise ConfigError("give --schema-file or --from-url, not both")
    if from_url:
        from ..dialects import for_url

        for_url(from_url)
        return Desired(None, from_url)
    configured = pyproject_settings().get("schema_file")
    path = schema_file or configured
    if not path:
        raise ConfigError("no desired schema: pass --schema-file FILE (e.g. schema.sql), set schema_file = \"schema.sql\" "
                          "under [tool.pymig], or --from-url URL of a database to copy the schema from")
    return Desired(Path(path), None)


def _server_url(config: Config, desired: Desired) -> str:
    """Where the scratch databases go: the --from-url database's server (both sides then read on
    the same server), else the target's."""
    target = config.database_url or DEFAULT_DATABASE_URL
    if desired.url:
        from ..dialects import for_url

        if for_url(desired.url).name != for_url(target).name and config.database_url:
            raise ConfigError(f"--from-url is a {for_url(desired.url).name} database but the target is "
                              f"{for_url(target).name}: the migrations must be compared on the same kind of database")
        return desired.url
    return target


def _load_migrations(config: Config, versions=None) -> list:
    files = discover(config.migrations) if config.migrations.is_dir() else []
    return [load(f) for f in files if versions is None or f.version in versions]


def both_sides(config: Config, desired: Desired) -> tuple[states.State, states.State]:
    migrations = _load_migrations(config)  # every file validated before a database is touched
    server = _server_url(config, desired)
    return (states.from_migrations(server, migrations, config.migrations, config.scratch_prefix),
            desired.read(server, config.scratch_prefix))


def differences(first: states.State, second: states.State, ignore=()) -> list[Difference]:
    from ..snapshot import diff

    return [d for d in diff(first.snapshot, second.snapshot) if not d.is_note and not _ignored(d, first, second, ignore)]


def _ignored(d: Difference, first, second, patterns) -> bool:
    parent = first.snapshot.parents.get((d.kind, d.name)) or second.snapshot.parents.get((d.kind, d.name))
    names = [d.name] + ([parent[1]] if parent else [])
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)


def check(config: Config, schema_file, from_url, echo) -> bool:
    """`diff --check`: True when the migrations produce the desired schema; else lists the differences."""
    desired = desired_source(schema_file, from_url)
    current, wanted = both_sides(config, desired)
    found = differences(current, wanted)
    if not found:
        echo(f"ok: the migrations produce the desired schema ({desired.label.removeprefix('in ')})")
        return True
    echo(f"the migrations do not produce the desired schema: {len(found)} difference{'s' if len(found) != 1 else ''}")
    for d in found:
        echo("  " + d.describe(MIGRATIONS_SIDE, desired.label))
    echo("run `pymig diff` to write the migration that closes them")
    return False


def diff(config: Config, name: str | None, schema_file, from_url, rename_options, dry_run: bool,
         ask, echo, warn) -> str | None:
    """Write (or with dry_run, return) the next migration; None when there is nothing to write."""
    from ..dialects import for_url
    from .renames import Renames, candidates, decide, parse
    from .written import migration

    desired = desired_source(schema_file, from_url)
    current, wanted = both_sides(config, desired)
    renames = Renames()
    for option in rename_options:
        renames.add(parse(option, current.schema, wanted.schema, renames))
    accepted, undecided = decide(candidates(current.schema, wanted.schema, renames), ask)
    for r in accepted:
        renames.add(r)
    for r in undecided:
        warn(f"possible rename {r}: written as a drop and an add (the data would be lost); "
             "decide with --rename, or run pymig diff on a terminal to be asked")
    dialect = for_url(_server_url(config, desired))
    plan = migration(current, wanted, dialect, renames, tuple(undecided))
    _refuse_what_pymig_refuses(plan, dialect, desired)
    for w in plan.warnings:
        warn(w)
    for kind, what, why in wanted.catalog.skipped:
        warn(f"{kind} {what} is not written: {why}")
    if not plan.steps:
        left = differences(current, wanted)
        if left:
            warn(f"{len(left)} difference(s) no operation writes: " + "; ".join(
                d.describe(MIGRATIONS_SIDE, desired.label) for d in left))
        echo(f"no changes: the migrations produce the desired schema ({desired.label.removeprefix('in ')})")
        return None
    source = _module(plan, desired, name, config.line_length)
    if dry_run:
        return source
    path = _next_path(config.migrations, name or "schema changes")
    path.write_text(source)
    echo(f"wrote {display_path(path)}: {len(plan.steps)} operation{'s' if len(plan.steps) != 1 else ''}")
    return None


def _refuse_what_pymig_refuses(plan, dialect, desired: Desired) -> None:
    for step in plan.steps:
        try:
            step.op.validate()
            dialect.check_operation(step.op)
        except PymigError as e:
            raise PymigError(f"the desired schema ({desired.label.removeprefix('in ')}) needs "
                             f"{step.op.describe()}, which pymig refuses: {e.message}; nothing was written",
                             e.hint) from None


def _module(plan, desired: Desired, name: str | None, width: int) -> str:
    from ..writer import Commented, module_source

    source = display_path(desired.schema_file) if desired.schema_file else "the --from-url database"
    title = (name or "schema changes").strip()
    title = title[:1].upper() + title[1:]
    description = f"{title.rstrip('.')}.\n\nWritten by `pymig diff` from {source}."
    return module_source(description, [Commented(s.comment, s.op) if s.comment else s.op for s in plan.steps],
                         width)


def _next_path(directory: Path, name: str) -> Path:
    from ..commands import next_migration_path

    return next_migration_path(directory, name)


# -- drift -------------------------------------------------------------------------------------------

def drift(config: Config) -> list[Difference]:
    """The live target against the state its applied migrations (the history's versions, each
    file checked against the checksum stored when it was applied) should have produced: a
    migration the target holds expanded ends expanded on the scratch side too, its old column,
    sync trigger or compatibility view then expected, not drift."""
    from ..dialects import for_url
    from ..history import read_records

    url = config.database_url or DEFAULT_DATABASE_URL
    dialect = for_url(url, config.schema, config.history_in)
    db = dialect.connect(url)
    try:
        records = read_records(db, dialect)
        live = states.read(db, dialect)
    finally:
        db.close()
    if not records:
        raise ConfigError("the target has no pymig history: nothing to compare it with",
                          hint="apply migrations with `pymig up`, or adopt the database with `pymig baseline`")
    files = {f.version: f for f in (discover(config.migrations) if config.migrations.is_dir() else [])}
    for r in records:
        f = files.get(r.version)
        if r.progress is not None:
            raise PymigError(f"migration {r.version} ({r.name}) is partially applied: run `pymig up` to finish it first")
        if f is None:
            raise MigrationFileError(f"migration {r.version} ({r.name}) is applied but its file is gone: "
                                     "drift cannot tell what it created", hint="restore the file")
        if f.checksum() != r.checksum:
            raise MigrationFileError(f"{f.label} was changed after it was applied (checksum differs): "
                                     "drift cannot tell what the applied version created",
                                     hint="restore the file as it was applied")
    expanded = frozenset(r.version for r in records if r.expanded)
    expected = states.from_migrations(url, _load_migrations(config, {r.version for r in records}), config.migrations,
                                      config.scratch_prefix, config.schema, config.history_in, alone=expanded)
    if expected.expanded != expanded:
        versions = ", ".join(str(v) for v in sorted(expected.expanded ^ expanded))
        plural = "s" if len(expected.expanded ^ expanded) > 1 else ""
        raise PymigError(f"migration{plural} {versions} ended expanded (expand/contract) on one side only: drift cannot "
                         "reproduce the target's expanded state on a scratch database",
                         hint="run `pymig complete`, then `pymig drift`")
    return differences(expected, live, pyproject_settings().get("drift_ignore", []))  # its type is checked there
