"""Schema-qualified names: the one place that reads "schema.name" and writes it back.

Operations and the schema state carry names as strings in one canonical form: `name` for an
object of the default schema (the `schema` setting, else the connection's current schema) and
`schema.name` for any other. Every part is quoted on its own when rendered (`"billing"."accounts"`);
nothing else in pymig splits a name on its dot. An index lives in its table's schema, a constraint
or a trigger in its table, and a column's full name is `[schema.]table.column`.

`fields(value)` says which fields of an operation or schema value hold which kind of name, for
the walks below (the schemas a plan touches, SQLite's refusal, the default schema's qualifier
made implicit)."""

from __future__ import annotations

from dataclasses import dataclass, fields as dataclass_fields, replace

from .errors import PymigError

# What a name field holds:
QUALIFIED = "qualified"  # a table, view, index, sequence, enum, function: [schema.]name
COLUMN_REF = "column_ref"  # [schema.]table.column (a sequence's owner)
SCHEMA = "schema"  # a schema's own name
TARGET = "target"  # comment_on's target (see ops.comments.resolve_target)


@dataclass(frozen=True)
class Name:
    """A name and the schema it is in (None: the default schema)."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def quoted(self, quote) -> str:
        """`quote` quotes one identifier (Dialect.quote)."""
        return f"{quote(self.schema)}.{quote(self.name)}" if self.schema else quote(self.name)

    def sibling(self, name: str) -> Name:
        """`name` in the same schema (an index of this table, a table renamed)."""
        return Name(self.schema, name)


def split(text: str, most: int = 2) -> tuple[str, ...]:
    """The parts of a dotted name, at most `most` of them; PymigError when there are more or one is empty."""
    if not isinstance(text, str):
        raise PymigError(f"name {text!r}: expected a str")
    parts = tuple(text.split("."))
    if len(parts) > most or any(not p.strip() for p in parts):
        form = {1: "a plain name, without a dot", 2: '"name" or "schema.name"',
                3: '"table.column" or "schema.table.column"'}[most]
        raise PymigError(f'name "{text}" is not {form}')
    return parts


def parse(text: str) -> Name:
    """`name` or `schema.name`."""
    parts = split(text)
    return Name(*parts) if len(parts) == 2 else Name(None, parts[0])


def quote(text: str, quote_part) -> str:
    return parse(text).quoted(quote_part)


def bare(text: str) -> str:
    """The name without its schema (what CREATE INDEX and RENAME TO take)."""
    return parse(text).name


def sequence_name(table: str, column: str) -> str:
    """The name PostgreSQL gives the sequence of a new serial or identity column of `table` (bare):
    <table>_<column>_seq, the longer of the two names cut first to fit 63 bytes (makeObjectName)."""
    first, second = table.encode(), column.encode()
    a, b = len(first), len(second)
    while a + b > 63 - len("_") - len("_seq"):
        if a > b:
            a -= 1
        else:
            b -= 1
    return f"{first[:a].decode(errors='ignore')}_{second[:b].decode(errors='ignore')}_seq"


def schema_of(text: str) -> str | None:
    return parse(text).schema


def sibling(of: str, name: str, what: str = "name") -> str:
    """`name` in the schema of `of`: given bare, or qualified with that same schema."""
    base, given = parse(of), parse(name)
    if given.schema is not None and given.schema != base.schema:
        raise PymigError(f'{what} "{name}" is in schema "{given.schema}", but it belongs to "{of}": it stays in '
                         f'{"schema " + repr(base.schema) if base.schema else "the default schema"}',
                         hint=f'write it without a schema ("{given.name}")')
    return str(base.sibling(given.name))


def relative(text: str, default: str | None) -> str:
    """The canonical form when `default` is the default schema: its qualifier is dropped."""
    n = parse(text)
    return n.name if n.schema is not None and n.schema == default else text


def column_ref(text: str) -> tuple[str, str]:
    """(table, column) of "table.column" or "schema.table.column"."""
    parts = split(text, 3)
    if len(parts) < 2:
        raise PymigError(f'"{text}" is not "table.column" or "schema.table.column"')
    return ".".join(parts[:-1]), parts[-1]


# -- which fields hold names ------------------------------------------------------------------------

_VALUE_FIELDS = {  # schema values (pymig.schema), by class name
    "Table": {"name": QUALIFIED, "partition_of": QUALIFIED},
    "Constraint": {"ref_table": QUALIFIED},
    "Index": {"name": QUALIFIED, "table": QUALIFIED},
    "View": {"name": QUALIFIED},
    "EnumType": {"name": QUALIFIED},
    "Sequence": {"name": QUALIFIED, "owned_by": COLUMN_REF},
    "Function": {"name": QUALIFIED},
    "Trigger": {"table": QUALIFIED, "function": QUALIFIED},
    "Extension": {"schema": SCHEMA},
    "Namespace": {"name": SCHEMA},
}


_T = {"table": QUALIFIED}
_N = {"name": QUALIFIED}
_OP_FIELDS = {  # operations (pymig.ops), by class name; nested schema values are walked on their own
    "Batch": _T, "AddColumn": _T, "DropColumn": _T, "RenameColumn": _T, "AlterColumn": _T,
    "AddConstraint": _T, "DropConstraint": _T, "DropPrimaryKey": _T, "RenameConstraint": _T,
    "Backfill": _T, "DropTrigger": _T, "ContractColumnType": _T, "RevertColumnType": _T, "SerialSequenceType": _T,
    "DropTable": _N, "DropView": _N, "ReplaceView": _N, "RefreshMaterializedView": _N, "DropIndex": _N,
    "DropEnum": _N, "AddEnumValue": _N, "DropEnumValue": _N, "RenameEnumValue": _N, "DropFunction": _N,
    "AlterSequence": _N, "DropSequence": _N,
    "RenameTable": {"old": QUALIFIED, "new": QUALIFIED},
    "Grant": {"on": QUALIFIED}, "Revoke": {"on": QUALIFIED},
    "CommentOn": {"target": TARGET}, "DropSchema": {"name": SCHEMA},
}


def fields(value) -> dict[str, str]:
    """field -> kind of name, for an operation or a schema value. An operation class may declare
    its own (`name_fields = {"table": names.QUALIFIED}`) instead of being listed here."""
    declared = getattr(type(value), "name_fields", None)
    if declared is not None:
        return declared
    cls = type(value).__name__
    return _OP_FIELDS.get(cls) or _VALUE_FIELDS.get(cls, {})


def transform(value, fn):
    """`value` with every name field passed through `fn(kind, text)`, into nested operations and
    schema values (a Table's columns, a Batch's parts)."""
    if isinstance(value, (tuple, list)):
        return type(value)(transform(v, fn) for v in value)
    if not hasattr(value, "__dataclass_fields__"):
        return value
    named = fields(value)
    changes = {}
    for f in dataclass_fields(value):
        v = getattr(value, f.name)
        if f.name in named and isinstance(v, str):
            new = fn(named[f.name], v)
        elif isinstance(v, (tuple, list)) or hasattr(v, "__dataclass_fields__"):
            new = transform(v, fn)
        else:
            continue
        if new is not v and new != v:
            changes[f.name] = new
    return replace(value, **changes) if changes else value


def schemas_named(values) -> set[str]:
    """The schemas the names in `values` (operations) are in, besides the default one."""
    found: set[str] = set()

    def note(kind, text):
        if kind == SCHEMA:
            found.add(text)
        elif kind == COLUMN_REF:
            table, _ = column_ref(text)
            note(QUALIFIED, table)
        elif kind == QUALIFIED:
            s = parse(text).schema
            if s is not None:
                found.add(s)
        elif kind == TARGET:
            found.update(p for p in target_schemas(text))
        return text

    transform(tuple(values), note)
    return found


def target_schemas(text: str) -> tuple[str, ...]:
    """The schema a comment_on target may be in: the first part of two or three."""
    parts = split(text, 3)
    return (parts[0],) if len(parts) > 1 else ()


def canonical(op, default: str | None):
    """`op` with the default schema's qualifier dropped from its names ("app.users" is "users" when
    the default schema is app)."""
    if default is None:
        return op

    def fn(kind, text):
        if kind == QUALIFIED:
            return relative(text, default)
        if kind == COLUMN_REF:
            table, column = column_ref(text)
            return f"{relative(table, default)}.{column}"
        if kind == TARGET:  # "app.users" and "app.users.email" are "users" and "users.email" in app
            parts = split(text, 3)
            return ".".join(parts[1:]) if len(parts) > 1 and parts[0] == default else text
        return text

    return transform(op, fn)


def qualified_names(op) -> list[str]:
    """Every name in `op` that names a schema other than the default (SQLite refuses them)."""
    found: list[str] = []

    def fn(kind, text):
        if (kind == QUALIFIED and parse(text).schema is not None) or (
                kind in (COLUMN_REF, TARGET) and len(split(text, 3)) == 3):
            found.append(text)
        return text

    transform(op, fn)
    return found


def may_name_schemas(op) -> bool:
    """Whether a name in `op` can be in a schema (qualified, or a comment_on target of two parts,
    which is table.column or schema.object): canonical() has something to do."""
    found = []

    def fn(kind, text):
        if kind == TARGET and len(split(text, 3)) > 1:
            found.append(text)
        return text

    transform(op, fn)
    return bool(found or qualified_names(op))
