"""`pymig check`: a static lint of the migrations, with a stable rule code per finding.

It needs no database: the schema is followed by replaying the operations. With a database, the
migrations not applied yet start from the live catalog instead, so a table that exists there (made
by hand, or before pymig) gets the same findings as one a migration created, and a table, column
or type that does not exist is reported before `pymig up` meets it; table sizes say what a lock
would cost."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, replace

from .errors import PymigError
from .loader import MigrationFile, load
from .ops import (AddColumn, AlterColumn, Backfill, CreateIndex, CreateTable, DropColumn, DropTable,
                  RenameColumn, RenameTable, RunPython, RunSQL)
from .ops.columns import blocked_type_changes, expands
from .schema import Schema

RULES = {
    "PM001": ("error", "the migration file does not load"),
    "PM002": ("error", "an operation is invalid"),
    "PM003": ("error", "an operation does not fit the database: a table or column it names is missing, or one it creates exists"),
    "PM004": ("error", "a column type the database does not know"),
    "PM101": ("warning", "irreversible operation"),
    "PM201": ("warning", "type change rewrites the table under an ACCESS EXCLUSIVE lock"),
    "PM202": ("error", "NOT NULL column without a default on an existing table"),
    "PM203": ("info", "volatile default: added without it, then backfilled in batches"),
    "PM204": ("info", "type change of a table in use: runs as expand/contract, then `pymig complete`"),
    "PM301": ("warning", "rename breaks application code that still uses the old name"),
    "PM302": ("warning", "drop breaks application code that still uses the object"),
    "PM303": ("warning", "run_sql / run_python after a drop on an existing table runs under the drop's lock"),
    "PM304": ("info", "compatible rename: the old name is served too, until pymig complete"),
    "PM401": ("error", "non-IMMUTABLE function in an index predicate"),
    "PM402": ("warning", "json instead of jsonb"),
}


@dataclass
class Finding:
    code: str
    severity: str
    file: str
    operation: str | None
    message: str
    fix: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Database:
    """What `pymig check` reads from a database: the live schema, the versions applied, table sizes
    (rows, bytes) and `unknown_types(types) -> the ones the database does not know`."""

    schema: Schema
    applied: set
    sizes: dict
    unknown_types: object
    schemas: object = None  # schemas -> their objects, qualified (Dialect.introspect_schemas)


def lint(files: list[MigrationFile], dialect, sizes: dict[str, tuple[int, int]] | None = None,
         database: Database | None = None) -> list[Finding]:
    """Findings for every file, oldest first. `sizes` maps existing tables to (rows, bytes)."""
    findings: list[Finding] = []
    schema = Schema()
    sizes = database.sizes if database is not None else sizes
    existing = set(sizes or ())
    started = live = False  # the live catalog is followed from the first migration not applied
    read: set[str] = set()
    for mf in files:
        if database is not None and not started and mf.version not in database.applied:
            schema, existing = database.schema, set(database.schema.tables) | existing
            started = live = True
        try:
            migration = load(mf, validate=False)
        except PymigError as e:
            findings.append(_finding("PM001", mf.label, None, e.message, e.hint or "fix the file"))
            continue
        if live and database.schemas is not None:  # the other schemas the pending operations name
            from .names import schemas_named

            wanted = schemas_named(migration.operations) - read
            read |= wanted
            schema = schema.merged(database.schemas(wanted)) if wanted else schema
        created: set[str] = set()
        added: set[tuple[str, str]] = set()
        dropped_live: str | None = None  # a drop on an existing table earlier in this migration
        operations = [dialect.canonical(o) for o in migration.operations]
        blocked = _blocked_renames(operations, schema, dialect)
        plain = blocked_type_changes(operations, schema, dialect)  # as dialect.merge makes them
        operations = [replace(o, rewrite=True) if j in plain else o for j, o in enumerate(operations)]
        blocked.update({j + 1: later + 1 for j, later in plain.items()})
        for i, op in enumerate(operations, 1):
            where = f"operation {i} ({op.describe()})"

            def add(code, message, fix, label=mf.label, where=where):
                findings.append(_finding(code, label, where, message, fix))

            try:
                op.validate()
                dialect.check_operation(op)  # what the database has no meaning for (SQLite: interval, gin)
            except PymigError as e:
                code = "PM401" if isinstance(op, CreateIndex) and "IMMUTABLE" in e.message else "PM002"
                add(code, e.message, e.hint or "fix the operation")
            target = _live_table(op)
            is_live = target is not None and target not in created and (sizes is None or target in existing)
            if live:
                _against_database(op, schema, database, add)
            _rules(op, schema, dialect, is_live, added, sizes or {}, add, blocked.get(i))
            if op.opaque and dropped_live:
                add("PM303", f"it runs in the transaction of the drop on {dropped_live} (pymig cannot commit the drop "
                    "first: undoing a committed drop could not bring its data back), so reads and writes of "
                    f"{dropped_live} wait until it finishes",
                    "move it into a migration of its own, before or after this one")
            if isinstance(op, (DropColumn, DropTable)) and is_live:
                dropped_live = target
            if isinstance(op, CreateTable):
                created.add(op.table.name)
                added.update((op.table.name, c.name) for c in op.table.columns)
            elif isinstance(op, AddColumn):
                added.add((op.table, op.column.name))
            if op.opaque:
                live = False  # run_sql: what it leaves is not known, so nothing is missing for sure
            elif not op.opaque:
                # a table from run_sql or an adopted database: nothing to follow
                with contextlib.suppress(PymigError):
                    schema = op.state_forwards(schema)
        existing |= created
    return findings


def _against_database(op, schema, database: Database, add) -> None:
    """What `pymig up` would refuse in the live catalog: missing tables and columns (a foreign key's
    too), a table created twice, a type the database does not know."""
    if isinstance(op, CreateTable) and op.table.name in schema.tables:
        add("PM003", f'table "{op.table.name}" already exists in the database',
            "drop it first, or leave create_table out (`pymig baseline` records an existing schema)")
    else:
        try:
            op.state_forwards(schema)
        except PymigError as e:
            add("PM003", f"{e.message} in the database", "check the name against the database (psql \\d), "
                "or create what is missing in an earlier operation")
    for name in sorted(database.unknown_types(_types(op))):
        add("PM004", f'type "{name}" does not exist in the database',
            "use a type the database has (text, integer, timestamptz, ...), or create it first "
            "(run_sql(\"CREATE TYPE ...\", down=\"DROP TYPE ...\"))")


def _blocked_renames(ops, schema, dialect) -> dict[int, int]:
    """Operation number of a compatible rename -> the later operation that makes it plain."""
    from .ops.compat import blocked_by_later

    found = {}
    if not dialect.compatible_renames:
        return found
    with contextlib.suppress(PymigError):
        for i, op in enumerate(ops):
            if isinstance(op, (RenameColumn, RenameTable)) and op.compatible:
                later = blocked_by_later(ops, i, schema, dialect)
                if later is not None:
                    found[i + 1] = later
    return found


def _rules(op, schema, dialect, is_live, added, sizes, add, blocked_by=None) -> None:
    size = _size_note(sizes.get(_live_table(op) or ""))
    if isinstance(op, (RunSQL, RunPython)) and op.down is None:
        add("PM101", f"{op.kind} has no down=, so this migration cannot be rolled back",
            f"give {op.kind} a down= that undoes it")
    if isinstance(op, Backfill) and not op.reverse and not all((op.table, c) in added for c in op.set):
        add("PM101", "backfill overwrites existing values without reverse=, so this migration cannot be rolled back",
            "add reverse={column: expression} that restores the old values")
    if isinstance(op, AlterColumn) and op.type is not None and is_live:
        table = schema.tables.get(op.table)
        if table is not None and table.has_column(op.name):
            cost = dialect.rewrite_cost(table.column(op.name).type, op.type, op.using)
            if cost and expands(op, schema, dialect):
                add("PM204", f"a plain ALTER TYPE would rewrite the table{size}; pymig runs it as expand/contract: "
                    "a new column kept equal by a trigger and backfilled in batches, its indexes and constraints "
                    "built online, then a short switch; the migration ends `expanded`, the old column kept in sync "
                    "until `pymig complete` (docs/expand-contract.md)",
                    "deploy code that works with the new type after `pymig up`, then run `pymig complete`; "
                    "rewrite=True runs the plain ALTER TYPE instead")
            elif cost:
                add("PM201", f"{cost}{size}",
                    f"operation {blocked_by} of this migration changes the table too, so pymig runs the plain "
                    "ALTER TYPE: move that operation to a migration of its own to get expand/contract"
                    if blocked_by is not None else
                    "leave out rewrite=True: pymig then runs it as expand/contract (PostgreSQL, not a partitioned "
                    "table)" if op.rewrite and dialect.online_recipes else
                    "expand/contract: add a new column of the new type, backfill it, switch the application, "
                    "drop the old one later")
    if isinstance(op, AddColumn) and is_live:
        c = op.column
        if not c.nullable and c.default is None and not c.identity and not c.type.endswith("serial"):
            add("PM202", f"column {op.table}.{c.name} is NOT NULL without a default: adding it fails once the "
                f"table has a row{size}",
                "give it a default, or add it nullable, backfill it, then alter_column(nullable=False)")
        if c.default is not None and dialect.is_volatile(c.default):
            add("PM203", f"default {c.default} is volatile; pymig adds the column bare, sets the default and "
                f"backfills in batches{size}", "nothing to do; or use a constant default to make it instant")
    if isinstance(op, (RenameColumn, RenameTable)) and is_live and (op_table_column(op) not in added):
        _rename_rule(op, dialect, add, blocked_by)
    if isinstance(op, (DropColumn, DropTable)) and is_live:
        add("PM302", f"application code that still reads or writes it fails from the moment this commits{size}",
            "deploy code that no longer uses it first, then drop it in a later migration")
    for ctype in _types(op):
        if ctype == "json" or ctype.startswith("json["):
            add("PM402", "json keeps the text as written and cannot be indexed or compared",
                "use jsonb")


def op_table_column(op) -> tuple[str, str] | None:
    """The (table, column) a rename_column renames: one added by the same migration breaks nobody."""
    return (op.table, op.old) if isinstance(op, RenameColumn) else None


def _rename_rule(op, dialect, add, blocked_by) -> None:
    from .ops.compat import base_name

    compatible = op.compatible and dialect.compatible_renames
    if compatible and blocked_by is not None:
        add("PM301", f"operation {blocked_by} of this migration changes or references the table, which the "
            "compatible form would leave a view until `pymig complete`, so this rename is the plain one: running "
            "application code that uses the old name fails from the moment it commits",
            "move the rename into a migration of its own (after or before the other changes), "
            "and deploy code that uses the new name before `pymig complete`")
        return
    if compatible:
        if isinstance(op, RenameTable):
            how = (f'the table becomes "{op.new}" and a view "{op.old}" of it serves the old name, for reads '
                   "and writes")
        else:
            how = (f'the table moves to "{base_name(op.table)}" with the column renamed, and a view "{op.table}" '
                   f'shows the column as "{op.new}" and as "{op.old}", for reads and writes')
        add("PM304", f"compatible rename: {how}, in one short transaction, until `pymig complete` drops the view "
            "(docs/expand-contract.md#renames)",
            "deploy code that uses the new name, then run `pymig complete`; compatible=False renames in place")
        return
    add("PM301", "running application code that uses the old name fails from the moment this commits",
        "leave compatible= at its default: both names are then served until `pymig complete`"
        if dialect.compatible_renames else
        "expand/contract: add the new name (a view or a new column kept in sync), deploy code that uses it, "
        "then remove the old one in a later migration")


def _types(op) -> list[str]:
    if isinstance(op, CreateTable):
        return [c.type for c in op.table.columns]
    if isinstance(op, AddColumn):
        return [op.column.type]
    if isinstance(op, AlterColumn) and op.type:
        return [op.type]
    return []


def _live_table(op) -> str | None:
    for attr in ("table", "old", "name"):
        value = getattr(op, attr, None)
        if isinstance(value, str):
            return value
    return None


def _size_note(size) -> str:
    if not size:
        return ""
    rows, nbytes = size
    return f" (table has about {max(rows, 0):,} rows, {nbytes / 1e6:,.1f} MB)"


def _finding(code, file, operation, message, fix) -> Finding:
    return Finding(code, RULES[code][0], file, operation, message, fix)
