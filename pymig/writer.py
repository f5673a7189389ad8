"""Operations -> the Python source of a migration module, as a person would write it.

`pymig baseline`, `pymig import` and `pymig diff` write migration files with this module. Each
operation kind has one small writer, registered with ``@writes(OpClass)``, that returns the DSL
call as a `Call` (function name, positional and keyword arguments; keyword arguments only where
they differ from the DSL's default). `layout` turns calls into text in the form `ruff format`
keeps (one line when it fits in 120 columns, else one argument per line with a trailing comma),
so a written file passes `ruff format --check` and `ruff check` unchanged. The output is a pure
function of the operations: the same operations always give the same bytes.

To support a new operation kind, add one function:

    @writes(CreateView)
    def _create_view(op):
        return Call("create_view", [op.name, op.query], {"materialized": op.materialized or None})

An operation with no writer, or one the DSL cannot spell (a run_python function), raises
PymigError naming it: nothing is written that would not load back as the same operation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import names
from .errors import PymigError
from .ops import (AddColumn, AddConstraint, AlterColumn, Backfill, CreateIndex, CreateTable, DropColumn,
                  DropConstraint, DropIndex, DropTable, Preflight, RenameColumn, RenameIndex, RenameTable, RunSQL)
from .ops.base import object_name
from .ops.comments import CommentOn
from .ops.constraints import DropPrimaryKey, RenameConstraint
from .ops.namespaces import CreateExtension, CreateSchema, DropExtension, DropSchema
from .ops.partitions import AttachPartition, CreatePartition, DetachPartition, for_values
from .ops.enums import AddEnumValue, CreateEnum, DropEnum, RenameEnumValue
from .ops.functions import CreateFunction, CreateTrigger, DropFunction, DropTrigger, ReplaceFunction
from .ops.grants import Grant, Revoke
from .ops.sequences import AlterSequence, CreateSequence, DropSequence
from .ops.views import CreateView, DropView, RefreshMaterializedView, ReplaceView
from .schema import Column, Constraint, Index

LINE_LENGTH = 88  # ruff format's default; the project's own is config.line_length
INDENT = "    "


@dataclass(frozen=True)
class Call:
    """One DSL call. `kwargs` entries whose value is None are left out (None means "the default")."""

    name: str
    args: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SqlText:
    """A default written as `sql("expression")`."""

    text: str


@dataclass(frozen=True)
class Commented:
    """An operation with a comment written above it in the operations list."""

    comment: str
    operation: object


_WRITERS: dict[type, Callable] = {}


def writes(cls: type):
    """Register the writer of one operation class."""

    def register(fn):
        _WRITERS[cls] = fn
        return fn

    return register


def call_for(op) -> Call:
    writer = _WRITERS.get(type(op))
    if writer is None:
        raise PymigError(f"{op.describe()}: pymig cannot write this operation as Python source")
    return writer(op)


def operation_source(op) -> str:
    """One DSL call, e.g. `add_column("users", "avatar_url", "varchar(500)")`."""
    return layout(call_for(op), 0)


def module_source(description: str, operations, width: int = LINE_LENGTH) -> str:
    """A whole migration module: docstring, the imports it uses, `operations = [...]`.
    `operations` holds operations, or `Commented(text, operation)` for one with a comment; lines
    are laid out to `width` (the project's ruff line-length), as ruff format would."""
    items = [(o.comment, call_for(o.operation)) if isinstance(o, Commented) else (None, call_for(o))
             for o in operations]
    used = sorted({n for _, c in items for n in _names(c)})
    lines = [_docstring(description), ""]
    if used:
        lines += [_import(used, width), ""]
    if not items:
        lines.append("operations = []")
    else:
        lines.append("operations = [")
        for comment, c in items:
            for text in (comment or "").splitlines():
                lines.append(f"{INDENT}# {text}".rstrip())
            lines.append(INDENT + layout(c, 1, ",", width) + ",")
        lines.append("]")
    return "\n".join(lines) + "\n"


# -- layout ----------------------------------------------------------------------------------------

def layout(value, depth: int, suffix: str = "", width: int = LINE_LENGTH) -> str:
    """`value` as Python source starting at indentation `depth`; `suffix` is what follows it on
    its last line (a comma), which counts against the line length `width`."""
    flat = _flat(value)
    if flat is not None and len(INDENT * depth) + len(flat) + len(suffix) <= width:
        return flat
    if isinstance(value, Call):
        parts = [layout(a, depth + 1, ",", width) for a in value.args]
        parts += [f"{k}={layout(v, depth + 1, ',', width)}" for k, v in _kwargs(value)]
        return _exploded(value.name + "(", parts, ")", depth)
    if isinstance(value, (list, tuple)):
        return _exploded("[", [layout(v, depth + 1, ",", width) for v in value], "]", depth)
    if isinstance(value, dict):
        return _exploded("{", [f"{_string(k)}: {layout(v, depth + 1, ',', width)}" for k, v in value.items()], "}",
                         depth)
    if isinstance(value, SqlText):
        return _exploded("sql(", [layout(value.text, depth + 1, ",", width)], ")", depth)
    return _literal(value)  # a long string stays on one line: ruff does not split strings


def _exploded(head: str, parts: list[str], tail: str, depth: int) -> str:
    """One part per line with a trailing comma, the form ruff keeps (its "magic trailing comma")."""
    inner = INDENT * (depth + 1)
    return head + "\n" + "".join(f"{inner}{p},\n" for p in parts) + INDENT * depth + tail


def _flat(value) -> str | None:
    """`value` on one line, or None when it cannot be (it holds a multi-line string)."""
    if isinstance(value, Call):
        parts = [_flat(a) for a in value.args] + [
            None if (f := _flat(v)) is None else f"{k}={f}" for k, v in _kwargs(value)]
        return None if None in parts else f"{value.name}({', '.join(parts)})"
    if isinstance(value, (list, tuple)):
        parts = [_flat(v) for v in value]
        return None if None in parts else "[" + ", ".join(parts) + "]"
    if isinstance(value, dict):
        parts = [None if (f := _flat(v)) is None else f"{_string(k)}: {f}" for k, v in value.items()]
        return None if None in parts else "{" + ", ".join(parts) + "}"
    if isinstance(value, SqlText):
        inner = _flat(value.text)
        return None if inner is None else f"sql({inner})"
    if isinstance(value, str) and "\n" in value:
        return None
    return _literal(value)


def _kwargs(c: Call) -> list[tuple[str, object]]:
    return [(k, v) for k, v in c.kwargs.items() if v is not None]


def _literal(value) -> str:
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (bool, int, float)) or value is None or value is _Null:
        return repr(value)
    raise PymigError(f"pymig cannot write {value!r} as Python source")


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _string(s: str) -> str:
    """A string literal as ruff format spells it: double quotes, unless the text holds more double
    quotes than single ones; triple double quotes for text of several lines."""
    if "\n" in s:
        body = s.replace("\\", "\\\\").replace('"""', '""\\"')
        if body.endswith('"'):
            body = body[:-1] + '\\"'
        return '"""' + _printable(body, keep="\n\t") + '"""'
    quote = "'" if s.count('"') > s.count("'") else '"'
    body = "".join(_ESCAPES.get(ch, ch) for ch in s).replace(quote, "\\" + quote)
    return quote + _printable(body, keep="") + quote


def _printable(text: str, keep: str) -> str:
    return "".join(ch if ch.isprintable() or ch in keep else f"\\x{ord(ch):02x}" if ord(ch) < 256
                   else f"\\u{ord(ch):04x}" for ch in text)


def _docstring(description: str) -> str:
    text = "\n".join(line.rstrip() for line in description.strip().splitlines()) or "Migration."
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text += " "
    return f'"""{text}"""' if "\n" not in text else f'"""{text}\n"""'


def _import(names: list[str], width: int) -> str:
    line = f"from pymig import {', '.join(names)}"
    if len(line) <= width:
        return line
    return "from pymig import (\n" + "".join(f"{INDENT}{n},\n" for n in names) + ")"


def _names(value) -> set[str]:
    """The DSL names a value uses, for the import line."""
    if isinstance(value, Call):
        found = {value.name}
        for v in [*value.args, *value.kwargs.values()]:
            found |= _names(v)
        return found
    if isinstance(value, (list, tuple)):
        return set().union(*(_names(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(_names(v) for v in value.values())) if value else set()
    if isinstance(value, SqlText):
        return {"sql"}
    return set()


# -- values ----------------------------------------------------------------------------------------

_CAST_STRING = re.compile(r"'((?:[^']|'')*)'::([a-z_][a-z0-9_ ]*(?:\[\])*)")


def default_value(column: Column):
    """A column's default as the DSL takes it: a plain Python value where writing it gives the
    same default back, else sql(...). A quoted literal cast to the column's own type (the
    catalog's `'draft'::character varying`) is the string: PostgreSQL casts it the same way."""
    return literal_value(column.default, _base_type(column.type))


def literal_value(text: str | None, base_type: str | None = None):
    from .dialects.base import Dialect

    if text is None:
        return None
    m = _CAST_STRING.fullmatch(text)
    if m and m[2] == base_type:
        return m[1].replace("''", "'")
    for candidate in _candidates(text):
        if Dialect.literal(candidate) == text:
            return candidate
    return SqlText(text)


def _candidates(text: str) -> list:
    if text in ("true", "false"):
        return [text == "true"]
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return [text[1:-1].replace("''", "'")]
    try:
        return [int(text)]
    except ValueError:
        pass
    try:
        return [float(text)]
    except ValueError:
        return []


_SHORT = [(re.compile(p), r) for p, r in [
    (r"^character varying\b", "varchar"), (r"^character\b", "char"),
    (r"^timestamp(\(\d+\))? with time zone", r"timestamptz\1"), (r"^timestamp(\(\d+\))? without time zone", r"timestamp\1"),
    (r"^time(\(\d+\))? with time zone", r"timetz\1"), (r"^time(\(\d+\))? without time zone", r"time\1"),
]]


def short_type(type_: str) -> str:
    """A type as people write it (`varchar(500)`, `timestamptz`); the DSL reads it back to the
    catalog's spelling (pymig.types.canonical_type), so nothing changes but the text."""
    for pattern, short in _SHORT:
        type_ = pattern.sub(short, type_, count=1)
    return type_


def _base_type(type_: str) -> str:
    return re.sub(r"\(.*?\)", "", type_).strip()


def _one_or_list(items) -> str | list:
    return items[0] if len(items) == 1 else list(items)


# -- one writer per operation kind -----------------------------------------------------------------

def column_call(table: str, column: Column, constraints=(), primary_key: bool = False) -> Call:
    """`column(...)` for create_table, with the column-level constraints it carries."""
    kwargs = _column_kwargs(table, column, constraints)
    if primary_key:
        kwargs = {"primary_key": True, **{k: v for k, v in kwargs.items() if k != "nullable"}}
    return Call("column", [column.name, short_type(column.type)], kwargs)


def _column_kwargs(table: str, column: Column, constraints) -> dict:
    """nullable=, default=, and unique= / references= / on_delete= / check= for the column-level
    constraints; each constraint must carry the name the DSL gives it."""
    if column.identity_options or column.sequence or (column.type in _SERIALS and column.nullable):
        raise PymigError(f"column {table}.{column.name}: the DSL cannot write its identity options, "
                         "its sequence's name or a nullable serial")
    implied = column.type in _SERIALS or column.identity  # NOT NULL without saying so
    kwargs: dict = {"nullable": False if not column.nullable and not implied else None,
                    "default": default_value(column), "identity": column.identity, "collation": column.collation,
                    "generated": column.generated, "comment": column.comment}
    for c in constraints:
        expected = object_name(table, column.name, suffix=_SUFFIX[c.kind])
        if c.name != expected:
            raise PymigError(f"constraint {c.name} on {table}: the DSL names it {expected}")
        if c.kind == "unique":
            kwargs["unique"] = True
        elif c.kind == "check":
            kwargs["check"] = c.expression
        elif c.kind == "foreign_key":
            refs = f"{c.ref_table}({', '.join(c.ref_columns)})" if c.ref_columns else c.ref_table
            kwargs["references"], kwargs["on_delete"] = refs, c.on_delete
        else:
            raise PymigError(f"constraint {c.name} on {table}: not a column-level constraint")
    return kwargs


_SERIALS = ("serial", "bigserial", "smallserial")
_SUFFIX = {"unique": "key", "check": "check", "foreign_key": "fkey", "primary_key": "pkey"}


@writes(CreateTable)
def _create_table(op: CreateTable) -> Call:
    t = op.table
    pk = next((c for c in t.constraints if c.kind == "primary_key"), None)
    if pk is not None and (pk.name != object_name(t.name, suffix="pkey")
                           or list(pk.columns) != [c.name for c in t.columns if c.name in pk.columns]):
        raise PymigError(f"create_table {t.name}: its primary key {pk.name} cannot be written in create_table")
    by_column: dict[str, list[Constraint]] = {}
    unique, checks = [], {}
    for c in t.constraints:
        if c.kind == "primary_key":
            continue
        if c.kind == "check" and (len(c.columns) != 1 or c.name != object_name(t.name, c.columns[0], suffix="check")):
            checks[c.name] = c.expression
        elif c.kind == "unique" and len(c.columns) > 1:
            if c.name != object_name(t.name, *c.columns, suffix="key"):
                raise PymigError(f"create_table {t.name}: unique constraint {c.name} has a name the DSL does not give")
            unique.append(list(c.columns))
        else:
            by_column.setdefault(c.columns[0] if len(c.columns) == 1 else "", []).append(c)
    if "" in by_column:
        raise PymigError(f"create_table {t.name}: constraint {by_column[''][0].name} spans several columns")
    columns = [column_call(t.name, col, by_column.get(col.name, ()), pk is not None and col.name in pk.columns)
               for col in t.columns]
    if t.grants or t.triggers:
        raise PymigError(f"create_table {t.name}: write its privileges and triggers as grant() and create_trigger()")
    if t.partition_of:
        raise PymigError(f"create_table {t.name}: it is a partition; write it with create_partition()")
    return Call("create_table", [t.name, *columns], {"unique": unique or None, "checks": checks or None,
                                                     "comment": t.comment, "partition_by": t.partition_by})


@writes(DropTable)
def _drop_table(op: DropTable) -> Call:
    return Call("drop_table", [op.name], {"allow_data_loss": op.allow_data_loss or None})


@writes(RenameTable)
def _rename_table(op: RenameTable) -> Call:
    return Call("rename_table", [op.old, names.bare(op.new)], {"compatible": None if op.compatible else False})


@writes(AddColumn)
def _add_column(op: AddColumn) -> Call:
    return Call("add_column", [op.table, op.column.name, short_type(op.column.type)],
                _column_kwargs(op.table, op.column, op.constraints))


@writes(DropColumn)
def _drop_column(op: DropColumn) -> Call:
    return Call("drop_column", [op.table, op.name], {"allow_data_loss": op.allow_data_loss or None})


@writes(RenameColumn)
def _rename_column(op: RenameColumn) -> Call:
    return Call("rename_column", [op.table, op.old, op.new], {"compatible": None if op.compatible else False})


@writes(AlterColumn)
def _alter_column(op: AlterColumn) -> Call:
    kwargs = {"type": op.type and short_type(op.type), "nullable": op.nullable}
    if op.change_default:
        kwargs["default"] = _Null if op.default is None else literal_value(op.default)
    kwargs["using"] = op.using
    kwargs["down"] = op.down
    if op.rewrite:
        kwargs["rewrite"] = True
    return Call("alter_column", [op.table, op.name], kwargs)


class _NullType:
    """`default=None` (drop the default), which a plain None would leave out."""

    def __repr__(self):
        return "None"


_Null = _NullType()


@writes(CreateIndex)
def _create_index(op: CreateIndex) -> Call:
    from .sqltext import split_direction

    i: Index = op.index
    if i.definition:
        raise PymigError(f"create_index {i.name}: it carries catalog text, write it with index_call()")
    default = object_name(i.table, *(split_direction(c)[0] for c in i.columns), suffix="idx")
    return Call("create_index", [i.table, _one_or_list(i.columns)], {
        "name": names.bare(i.name) if names.bare(i.name) != default else None, "unique": i.unique or None,
        "where": i.where, "method": i.method, "include": list(i.include) or None})


@writes(DropIndex)
def _drop_index(op: DropIndex) -> Call:
    return Call("drop_index", [op.name])


@writes(RenameIndex)
def _rename_index(op: RenameIndex) -> Call:
    return Call("rename_index", [op.old, names.bare(op.new)])  # it stays in its schema


@writes(AddConstraint)
def _add_constraint(op: AddConstraint) -> Call:
    c = op.constraint
    if c.kind == "foreign_key":
        default = object_name(op.table, *c.columns, suffix="fkey")
        return Call("add_foreign_key", [op.table, _one_or_list(c.columns), c.ref_table,
                                        _one_or_list(c.ref_columns) if c.ref_columns else None], {
            "name": c.name if c.name != default else None, "on_delete": c.on_delete})
    if c.kind == "unique":
        default = object_name(op.table, *c.columns, suffix="key")
        return Call("add_unique", [op.table, _one_or_list(c.columns)],
                    {"name": c.name if c.name != default else None})
    if c.kind == "check":
        return Call("add_check", [op.table, c.name, c.expression])
    if c.kind == "exclusion" and not c.definition:
        return Call("add_exclusion", [op.table, c.name, c.method, [list(e) for e in c.elements]], {"where": c.where})
    if c.kind == "primary_key" and not c.definition:
        default = object_name(op.table, suffix="pkey")
        return Call("add_primary_key", [op.table, _one_or_list(c.columns)],
                    {"name": c.name if c.name != default else None})
    raise PymigError(f"{op.describe()}: the DSL has no operation for it")


@writes(DropConstraint)
def _drop_constraint(op: DropConstraint) -> Call:
    return Call("drop_constraint", [op.table, op.name])


@writes(RunSQL)
def _run_sql(op: RunSQL) -> Call:
    return Call("run_sql", [op.up], {"down": op.down})


@writes(Backfill)
def _backfill(op: Backfill) -> Call:
    return Call("backfill", [op.table], {"set": dict(op.set), "where": op.where,
                                         "batch_size": op.batch_size if op.batch_size != 10_000 else None,
                                         "reverse": dict(op.reverse) if op.reverse else None})


@writes(Preflight)
def _preflight(op: Preflight) -> Call:
    return Call("preflight", [op.query, op.message])




# -- views, enums, comments, privileges, sequences, functions, triggers ------------------------------

def _bare_object(op, obj, *carried: str) -> None:
    """An object read from the catalog carries what its own DSL call does not say."""
    if any(getattr(obj, name) for name in carried):
        raise PymigError(f"{op.describe()}: it carries {' or '.join(carried)}, which the DSL writes as "
                         "separate operations (comment_on, grant) or cannot write (catalog text)")


@writes(CreateView)
def _create_view(op: CreateView) -> Call:
    v = op.view
    _bare_object(op, v, "comment", "grants")
    return Call("create_view", [v.name, v.query], {"materialized": v.materialized or None,
                                                   "columns": list(v.columns) or None})


@writes(DropView)
def _drop_view(op: DropView) -> Call:
    return Call("drop_view", [op.name])


@writes(ReplaceView)
def _replace_view(op: ReplaceView) -> Call:
    if op.recreate:
        raise PymigError(f"{op.describe()}: the DSL writes a re-creation as drop_view and create_view")
    return Call("replace_view", [op.name, op.query])


@writes(RefreshMaterializedView)
def _refresh(op: RefreshMaterializedView) -> Call:
    return Call("refresh_materialized_view", [op.name], {"concurrently": False if not op.concurrently else None})


@writes(CreateEnum)
def _create_enum(op: CreateEnum) -> Call:
    _bare_object(op, op.enum, "comment")
    return Call("create_enum", [op.enum.name, list(op.enum.values)])


@writes(DropEnum)
def _drop_enum(op: DropEnum) -> Call:
    return Call("drop_enum", [op.name])


@writes(AddEnumValue)
def _add_enum_value(op: AddEnumValue) -> Call:
    return Call("add_enum_value", [op.name, op.value], {"before": op.before, "after": op.after})


@writes(RenameEnumValue)
def _rename_enum_value(op: RenameEnumValue) -> Call:
    return Call("rename_enum_value", [op.name, op.value, op.new_value])


@writes(CommentOn)
def _comment_on(op: CommentOn) -> Call:
    return Call("comment_on", [op.target, op.text])


@writes(Grant)
def _grant(op: Grant) -> Call:
    return Call("grant", [list(op.privileges), op.on, op.to], {
        "columns": list(op.columns) or None, "with_grant_option": op.with_grant_option or None})


@writes(Revoke)
def _revoke(op: Revoke) -> Call:
    if op.grant_option_for:
        raise PymigError(f"{op.describe()}: the DSL has no call that revokes only the grant option")
    return Call("revoke", [list(op.privileges), op.on, op.to], {"columns": list(op.columns) or None})


@writes(CreateSequence)
def _create_sequence(op: CreateSequence) -> Call:
    q = op.sequence
    _bare_object(op, q, "comment")
    return Call("create_sequence", [q.name], {"start": q.start, "increment": q.increment, "min": q.min,
                                              "max": q.max, "cycle": q.cycle or None, "owned_by": q.owned_by})


@writes(AlterSequence)
def _alter_sequence(op: AlterSequence) -> Call:
    return Call("alter_sequence", [op.name], {k: _Null if v is None else v for k, v in op.changes.items()})


@writes(DropSequence)
def _drop_sequence(op: DropSequence) -> Call:
    return Call("drop_sequence", [op.name])


def _function_call(name: str, fn) -> Call:
    if fn.definition or fn.comment:
        raise PymigError(f"{name} {fn.name}: it carries catalog text or a comment; write it with run_sql "
                         "or give its parts")
    return Call(name, [fn.name, fn.args, fn.returns, fn.body], {
        "language": fn.language if fn.language != "plpgsql" else None, "volatility": fn.volatility})


@writes(CreateFunction)
def _create_function(op: CreateFunction) -> Call:
    return _function_call("create_function", op.function)


@writes(ReplaceFunction)
def _replace_function(op: ReplaceFunction) -> Call:
    return _function_call("replace_function", op.function)


@writes(DropFunction)
def _drop_function(op: DropFunction) -> Call:
    return Call("drop_function", [op.name])


@writes(CreateTrigger)
def _create_trigger(op: CreateTrigger) -> Call:
    t = op.trigger
    _bare_object(op, t, "definition")
    return Call("create_trigger", [t.table, t.name, t.function], {
        "when": t.when if t.when != "before" else None,
        "events": list(t.events) if t.events != ("insert", "update") else None,
        "for_each": t.for_each if t.for_each != "row" else None, "condition": t.condition})


@writes(DropTrigger)
def _drop_trigger(op: DropTrigger) -> Call:
    return Call("drop_trigger", [op.table, op.name])


@writes(DropPrimaryKey)
def _drop_primary_key(op: DropPrimaryKey) -> Call:
    return Call("drop_primary_key", [op.table])


@writes(RenameConstraint)
def _rename_constraint(op: RenameConstraint) -> Call:
    return Call("rename_constraint", [op.table, op.name, op.new_name])


@writes(CreateExtension)
def _create_extension(op: CreateExtension) -> Call:
    return Call("create_extension", [op.extension.name], {"schema": op.extension.schema,
                                                          "version": op.extension.version})


@writes(DropExtension)
def _drop_extension(op: DropExtension) -> Call:
    return Call("drop_extension", [op.name])


@writes(CreateSchema)
def _create_schema(op: CreateSchema) -> Call:
    _bare_object(op, op.namespace, "comment")
    return Call("create_schema", [op.namespace.name])


@writes(DropSchema)
def _drop_schema(op: DropSchema) -> Call:
    return Call("drop_schema", [op.name])


@writes(CreatePartition)
def _create_partition(op: CreatePartition) -> Call:
    return Call("create_partition", [op.parent, op.name], {"for_values": for_values(op.bound)})


@writes(AttachPartition)
def _attach_partition(op: AttachPartition) -> Call:
    return Call("attach_partition", [op.parent, op.name], {"for_values": for_values(op.bound)})


@writes(DetachPartition)
def _detach_partition(op: DetachPartition) -> Call:
    return Call("detach_partition", [op.parent, op.name], {"concurrently": None if op.concurrently else False})
