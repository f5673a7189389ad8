"""Where the two sides of a diff come from, each read back from a real catalog.

The state the migrations produce: they are applied to a scratch database (created on the given
server and dropped again, as `pymig verify` does; a scratch file for SQLite). The desired state:
a schema file applied to another scratch database, or a database read as it is. Both are read by
the same introspection, so they compare exactly."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..catalog import Catalog
from ..config import DEFAULT_SCRATCH_PREFIX
from ..errors import ConfigError, PymigError
from ..loader import Migration, display_path
from ..schema import Schema
from ..snapshot import Snapshot


@dataclass(frozen=True)
class State:
    catalog: Catalog  # the Schema operations work on, and every other object with its SQL
    snapshot: Snapshot  # everything in the catalog, as `pymig verify` compares it
    canonical: bool  # the server spells definitions itself, so their text compares
    typed: dict  # (kind, name) -> the objects the DSL has operations for (View, EnumType, ...)
    casts: frozenset | None  # type pairs converted without USING; None: any type converts (SQLite)
    expanded: frozenset = frozenset()  # versions that ended expanded (expand/contract) where migrations ran

    @property
    def schema(self) -> Schema:
        return self.catalog.schema


def read(db, dialect) -> State:
    """Every schema, the default one's names unqualified; with a default schema set (the schema
    setting), that schema alone, as `pymig baseline` reads them."""
    from ..catalog import read_catalog
    from ..snapshot import take

    catalog = read_catalog(db, dialect)
    return State(catalog, take(db, dialect), dialect.canonical_definitions, catalog.typed,
                 frozenset(map(tuple, dialect.assignment_casts(db))) if dialect.enforces_types else None)


def from_database(url: str) -> State:
    """A database as it is (`--from-url`, or the live target for drift); nothing is changed."""
    from ..dialects import for_url

    dialect = for_url(url)
    db = dialect.connect(url)
    try:
        return read(db, dialect)
    finally:
        db.close()


def from_migrations(server_url: str, migrations: list[Migration], directory: Path | None = None,
                    prefix: str = DEFAULT_SCRATCH_PREFIX, schema: str | None = None,
                    history_schema: str | None = None, alone: frozenset = frozenset()) -> State:
    """The migrations applied, in order, to an empty scratch database on `server_url`'s server
    (in `schema`, as the target has them, for drift). One run, as `pymig up` applies them, except
    that each version in `alone` gets a run of its own: a type change or rename of a table an
    earlier run made then ends expanded, as it did on a target where it did (drift)."""
    from ..dialects import for_url
    from ..history import ensure_tables, read_records
    from ..verify import _executor, scratch_database

    with scratch_database(server_url, None, prefix) as url:
        dialect = for_url(url, schema, history_schema)
        db = dialect.connect(url)
        try:
            ensure_tables(db, dialect)
            executor, after_alone = None, False
            for m in migrations:
                if executor is None or after_alone or m.version in alone:
                    executor = _executor(dialect, db, directory)
                after_alone = m.version in alone
                try:
                    executor.apply(m, m.file.label)
                except PymigError as e:
                    raise PymigError(f"the migrations do not apply to an empty database: {e.message}",
                                     e.hint) from e
            expanded = frozenset(r.version for r in read_records(db, dialect) if r.expanded)
            return replace(read(db, dialect), expanded=expanded)
        finally:
            db.close()


def from_schema_file(server_url: str, path: Path, prefix: str = DEFAULT_SCRATCH_PREFIX) -> State:
    """`path` run statement by statement on an empty scratch database; the first that fails is
    reported with the file and line it starts on."""
    from ..dialects import for_url
    from ..sqltext import split_statements
    from ..verify import scratch_database

    label = display_path(path)
    if not path.is_file():
        raise ConfigError(f"schema file {label} does not exist")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"schema file {label}: cannot read it ({e})") from None
    try:
        statements = split_statements(text, for_url(server_url).sqlglot_name)
    except PymigError as e:
        raise ConfigError(f"schema file {label}: {e.message}") from None
    with scratch_database(server_url, None, prefix) as url:
        dialect = for_url(url)
        db = dialect.connect(url)
        try:
            for line, statement in map(_without_meta_commands, statements):
                if not statement:
                    continue
                try:
                    db.execute(statement)
                except Exception as e:
                    message = db.error_text(e)
                    if message is None:
                        raise
                    db.rollback()
                    raise PymigError(f"schema file {label}:{line}: {message}",
                                     hint="fix the schema file; nothing was written") from None
        finally:
            db.close()
        return from_database(url)  # a new session: the file may have changed search_path (pg_dump does)


def _without_meta_commands(numbered: tuple[int, str]) -> tuple[int, str]:
    """psql's backslash commands (pg_dump writes `\\restrict KEY` first) are no SQL and end at the
    end of their line; between statements they come first in the text before the next `;`."""
    line, statement = numbered
    while statement.startswith("\\"):
        _, _, statement = statement.partition("\n")
        statement, line = statement.lstrip(), line + 1
    return line, statement
