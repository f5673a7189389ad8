"""Adopting a database pymig did not build: `pymig baseline`, `pymig mark`, `pymig unmark`.

A migration recorded without running it gets the same history row `pymig up` would have
written: its checksum and the inverse plan, derived as the executor derives it (each
operation's inverse from the schema before it, newest first). The schema before it is
replayed from the earlier migration files (operations only; run_sql changes nothing the replay
can follow), so `pymig down` later reverts a marked migration like one that ran."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from . import names
from .config import Config
from .dialects.adoption import record_marked, record_unmarked
from .errors import ConfigError, IrreversibleError, PymigError
from .loader import Migration, MigrationFile, discover, display_path, load

_KIND_ORDER = ["schema", "extension", "enum", "domain", "type", "sequence", "function", "procedure", "table",
               "column", "constraint", "index", "generated column", "table option", "sequence owner", "view",
               "materialized view", "trigger", "row security", "policy", "grant", "revoke", "comment"]


def derive_plan(migration: Migration, before: list[Migration]) -> dict:
    """The inverse plan `pymig up` would have recorded for `migration`, after `before`."""
    from .ops import AddColumn, CreateTable
    from .ops.base import encode_plan
    from .schema import Schema

    schema = Schema()
    for m in before:
        for op in m.operations:
            schema = _follow(op, schema)
    inverse, added = [], set()
    for i, op in enumerate(migration.operations, 1):
        try:
            current = list(op.inverse(schema, added))
        except IrreversibleError as e:
            return {"irreversible": f"operation {i} ({op.describe()}) is not reversible: "
                                    f"{e.message.split(': ', 1)[-1]}"}
        except PymigError as e:
            raise PymigError(f"{migration.file.label}: operation {i} ({op.describe()}): cannot derive its inverse "
                             f"without running the migrations before it: {e.message}",
                             hint="apply the migrations with `pymig up` on a copy instead, or mark the earlier "
                             "migrations first") from None
        if isinstance(op, AddColumn):
            added.add((op.table, op.column.name))
        elif isinstance(op, CreateTable):
            added.update((op.table.name, c.name) for c in op.table.columns)
        inverse[:0] = current
        schema = _follow(op, schema)
    return encode_plan(inverse)


def _follow(op, schema):
    if op.opaque:
        return schema
    try:
        return op.state_forwards(schema)
    except PymigError:
        return schema  # it builds on something a run_sql made: the replay cannot follow it


def replayed(migrations: list[Migration]):
    """The schema the operations of `migrations` leave, as far as the replay can follow them."""
    from .schema import Schema

    schema = Schema()
    for m in migrations:
        for op in m.operations:
            schema = _follow(op, schema)
    return schema


def _json(plan: dict) -> str:
    return json.dumps(plan, separators=(",", ":"), default=str)


def _write(db, dialect, statements: list[str]) -> None:
    """All in one transaction: nothing is recorded unless everything is."""
    db.execute(dialect.begin)
    try:
        for s in statements:
            db.execute(s)
        db.execute(dialect.commit)
    except Exception:
        db.rollback()
        raise


# -- mark / unmark -------------------------------------------------------------------------------

def mark(config: Config, versions: list[int], force: bool, echo) -> None:
    from .commands import connected
    from .history import current_user, read_records

    versions = sorted(set(versions))  # `mark 1 1` records it once
    files = discover(config.migrations)
    by_version = {f.version: f for f in files}
    for v in versions:
        if v not in by_version:
            raise ConfigError(f"no migration file has version {v} in {display_path(config.migrations)}")
    with connected(config, lock=True, echo=echo) as (dialect, db):
        applied = {r.version for r in read_records(db, dialect)}
        for v in versions:
            if v in applied:
                raise PymigError(f"{by_version[v].label} is already recorded as applied; nothing was changed")
        loaded = {f.version: load(f) for f in files if f.version <= max(versions)}
        live = dialect.introspect(db, names.schemas_named(op for m in loaded.values() for op in m.operations))
        statements, user = [], current_user()
        for v in sorted(versions):
            m = loaded[v]
            before = [loaded[x] for x in sorted(loaded) if x < v]
            if not force:
                _require_present(m, before, live)
            plan = derive_plan(m, before)
            statements += record_marked(dialect, v, m.name, m.checksum, user, _json(plan))
        _write(db, dialect, statements)
    for v in sorted(versions):
        echo(f"marked {by_version[v].label} as applied (not run)")


def _require_present(m: Migration, before: list[Migration], live) -> None:
    """Refuse when the database plainly lacks what the migration creates (and keeps)."""
    from .ops import AddColumn, CreateTable

    after = replayed([*before, m])
    for op in m.operations:
        if isinstance(op, CreateTable):
            wanted = [(op.table.name, None)]
        elif isinstance(op, AddColumn):
            wanted = [(op.table, op.column.name)]
        else:
            continue
        for table, column in wanted:
            kept = table in after.tables and (column is None or after.tables[table].has_column(column))
            if not kept:
                continue  # a later operation of the same migration drops or renames it
            if table not in live.tables:
                raise PymigError(f"{m.file.label}: {op.describe()}: table {table} does not exist in the database, "
                                 "so this migration has not run there; nothing was recorded",
                                 hint="run it with `pymig up`, or pass --force to record it anyway")
            if column is not None and not live.tables[table].has_column(column):
                raise PymigError(f"{m.file.label}: {op.describe()}: column {table}.{column} does not exist in the "
                                 "database, so this migration has not run there; nothing was recorded",
                                 hint="run it with `pymig up`, or pass --force to record it anyway")


def unmark(config: Config, versions: list[int], echo) -> None:
    from .commands import connected
    from .history import current_user, read_records

    versions = sorted(set(versions))
    with connected(config, lock=True, echo=echo) as (dialect, db):
        records = {r.version: r for r in read_records(db, dialect)}
        for v in versions:
            if v not in records:
                raise PymigError(f"migration {v} is not recorded as applied; nothing was changed",
                                 hint="`pymig status` lists what is")
        user = current_user()
        _write(db, dialect, [s for v in sorted(versions) for s in record_unmarked(dialect, v, records[v].name, user)])
    for v in sorted(versions):
        echo(f"unmarked migration {v} ({records[v].name}): forgotten, its inverse not run")


# -- baseline ------------------------------------------------------------------------------------

def baseline(config: Config, name: str, version: int | None, no_mark: bool, force: bool, echo) -> Path:
    from .commands import connected
    from .history import current_user, read_records
    from .catalog import read_catalog
    from .recreate import operations
    from .writer import module_source

    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not slug:
        raise ConfigError(f"cannot make a file name from {name!r}")
    directory = config.migrations
    files = discover(directory) if directory.is_dir() else []
    version = version if version is not None else (files[-1].version + 1 if files else 1)
    if version < 1:
        raise ConfigError(f"--version {version}: versions start at 1")
    if any(f.version == version for f in files):
        clash = next(f for f in files if f.version == version)
        raise ConfigError(f"--version {version}: {clash.label} already has that version")
    width = max((len(f.path.name.split("_", 1)[0]) for f in files), default=3)
    path = directory / f"{version:0{width}d}_{slug}.py"
    if config.schema is not None:
        _require_schema(config)
    with connected(config, lock=not no_mark, echo=echo) as (dialect, db):
        records = read_records(db, dialect)
        if records and not force:
            raise PymigError(f"the database already has pymig history ({len(records)} migration(s) applied, the "
                             f"latest {records[-1].version} ({records[-1].name})): a baseline is for a database "
                             "pymig has not managed yet; nothing was written",
                             hint="pass --force to write one anyway")
        catalog = without_tool_history(read_catalog(db, dialect))  # every schema, or --schema's alone
        built = operations(catalog, dialect)
        counts = built.counts
        description = _description(counts)
        source = module_source(description, built.operations, config.line_length)
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        echo(f"wrote {display_path(path)}: {_counts(counts)}")
        for kind, what, why in catalog.skipped:
            echo(f"not written: {kind} {what}: {why}")
        if no_mark:
            echo("not recorded as applied (--no-mark): `pymig mark "
                 f"{version}` records it, `pymig up` would run it")
            return path
        m = load(MigrationFile(version, slug, path))
        plan = derive_plan(m, [])
        try:
            _write(db, dialect, record_marked(dialect, version, m.name, m.checksum, current_user(), _json(plan)))
        except Exception as e:
            text = db.error_text(e) or str(e)
            raise PymigError(f"wrote {display_path(path)}, but recording it as applied failed: {text}",
                             hint=f"fix the cause, then `pymig mark {version}`") from None
        echo(f"recorded {display_path(path)} as applied on this database (not run): "
             "`pymig up` runs only the migrations after it")
        pending = [f.label for f in files if f.version < version and f.version not in {r.version for r in records}]
        if pending:
            echo(f"note: {', '.join(pending)} come before the baseline and are not applied here; "
                 "`pymig mark` them if the database already has what they do")
    return path


def _require_schema(config: Config) -> None:
    """The schema to read must be there: taking the lock would create it (with the history
    tables), and its baseline would be empty."""
    from .commands import connected

    with connected(config, lock=False) as (dialect, db):
        if not dialect.schema_exists(db, config.schema):
            raise ConfigError(f'schema "{config.schema}" (--schema, or [tool.pymig] schema) does not exist in this '
                              "database; nothing was written", hint="`\\dn` in psql lists the schemas there")


# The history tables of other migration tools: their bookkeeping, not the application's schema.
TOOL_HISTORY = {"alembic_version": "Alembic", "flyway_schema_history": "Flyway", "schema_migrations":
                "the seed's runner, golang-migrate, dbmate or Rails", "goose_db_version": "goose",
                "_yoyo_migration": "yoyo", "_yoyo_log": "yoyo", "_yoyo_version": "yoyo", "yoyo_lock": "yoyo",
                "django_migrations": "Django", "knex_migrations": "knex", "knex_migrations_lock": "knex",
                "SequelizeMeta": "Sequelize", "databasechangelog": "Liquibase", "databasechangeloglock": "Liquibase"}


def without_tool_history(catalog):
    """The catalog without other tools' history tables (said in `skipped`, not written)."""
    from dataclasses import replace

    from .schema import Schema

    found = sorted(t for t in catalog.schema.tables if names.bare(t) in TOOL_HISTORY)
    if not found:
        return catalog
    schema = Schema({n: t for n, t in catalog.schema.tables.items() if n not in found},
                    {n: i for n, i in catalog.schema.indexes.items() if i.table not in found})
    objects = tuple(o for o in catalog.objects if o.table not in found
                    and not any(d == f"table {t}" for t in found for d in o.depends_on))
    skipped = tuple(("table", t, f"the history table of {TOOL_HISTORY[names.bare(t)]}, not part of the schema")
                    for t in found)
    return replace(catalog, schema=schema, objects=objects, skipped=catalog.skipped + skipped)


def _description(counts: Counter) -> str:
    return ("Baseline: the schema as pymig found it in the database, written by `pymig baseline`.\n\n"
            f"{_counts(counts)}.")


def _counts(counts: Counter) -> str:
    order = {k: i for i, k in enumerate(_KIND_ORDER)}
    parts = [f"{n} {_plural(kind, n)}" for kind, n in sorted(counts.items(), key=lambda x: order.get(x[0], 99))]
    return ", ".join(parts) or "an empty schema"


def _plural(kind: str, n: int) -> str:
    if n == 1 or kind in ("row security",):
        return kind
    if kind.endswith(("x", "s")):
        return kind + "es"
    if kind.endswith("y"):
        return kind[:-1] + "ies"
    return kind + "s"

