"""The public DSL: what migration files call. Each function builds one operation (or a column
spec for create_table), canonicalising types and naming constraints up front."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import names
from .errors import PymigError
from .ops import (AddColumn, AddConstraint, AlterColumn, Backfill, CreateIndex, CreateTable,
                  DropColumn, DropConstraint, DropIndex, DropTable, Preflight, RenameColumn,
                  RenameIndex, RenameTable, RunPython, RunSQL)
from .ops.base import MAX_IDENTIFIER, object_name
from .ops.comments import CommentOn
from .ops.constraints import DropPrimaryKey, RenameConstraint
from .ops.partitions import AttachPartition, CreatePartition, DetachPartition, bound_clause
from .ops.namespaces import CreateExtension, CreateSchema, DropExtension, DropSchema
from .ops.enums import AddEnumValue, CreateEnum, DropEnum, RenameEnumValue
from .ops.functions import CreateFunction, CreateTrigger, DropFunction, DropTrigger, ReplaceFunction
from .ops.grants import Grant, Revoke, privileges_list
from .ops.sequences import AlterSequence, CreateSequence, DropSequence
from .ops.views import CreateView, DropView, RefreshMaterializedView, ReplaceView
from .schema import (Column, Constraint, EnumType, Extension, Function, Index, Namespace, Sequence, Table, Trigger,
                     View, canonical_options)
from .types import canonical_type

__all__ = [  # what `from pymig import ...` offers
    "column", "create_table", "drop_table", "rename_table",
    "add_column", "drop_column", "rename_column", "alter_column",
    "create_index", "drop_index", "rename_index",
    "add_foreign_key", "add_unique", "add_check", "add_exclusion", "drop_constraint",
    "run_sql", "run_python", "backfill", "preflight", "sql", "literal",
    "create_view", "drop_view", "replace_view", "refresh_materialized_view",
    "create_enum", "drop_enum", "add_enum_value", "rename_enum_value",
    "comment_on", "grant", "revoke",
    "create_sequence", "alter_sequence", "drop_sequence",
    "create_function", "replace_function", "drop_function", "create_trigger", "drop_trigger",
    "add_primary_key", "drop_primary_key", "rename_constraint",
    "create_extension", "drop_extension", "create_schema", "drop_schema",
    "create_partition", "attach_partition", "detach_partition",
]

NOT_GIVEN = ...  # `default=...` means "no default" in column specs and "unchanged" in alter_column


class sql(str):
    """Marks a default as an SQL expression: `default=sql("CURRENT_TIMESTAMP")`."""

    __slots__ = ()


class literal(str):
    """Marks a default as text to store as written, even when it reads like SQL: `default=literal("now()")`."""

    __slots__ = ()


# Text that PostgreSQL would take as "the time (or user) when the migration ran" if stored as a
# literal, and what people coming from Alembic's server_default= write for an SQL default.
_SPECIAL = {"now", "today", "tomorrow", "yesterday", "current_timestamp", "current_date", "current_time",
            "localtime", "localtimestamp", "current_user", "session_user", "current_role", "current_schema",
            "current_catalog"}
_CALL = re.compile(r"[A-Za-z_][\w.]*\s*\(.*\)(\s*::\s*\w+)?", re.S)


def _default_sql(value) -> str | None:
    if value is NOT_GIVEN or value is None:
        return None
    if isinstance(value, sql):
        return str(value)
    if isinstance(value, str) and not isinstance(value, literal):
        _refuse_sql_looking(value)
    if isinstance(value, (bool, int, float, str)):
        from .dialects.base import Dialect

        return Dialect.literal(str(value) if isinstance(value, literal) else value)
    raise PymigError(f"default={value!r}: use a str, number, bool, or sql('expression')")


def _refuse_sql_looking(value: str) -> None:
    """A str default is a literal; one that reads like a function call or a special value is
    almost always meant as SQL (`default="now()"` would store the time of the migration). A
    pattern, not a parse: plain defaults must not import sqlglot."""
    text = value.strip().strip("'").strip()
    if text.lower() in _SPECIAL:
        what = f"the special value {text!r}"
    elif _CALL.fullmatch(text):
        what = "a function call"
    else:
        return
    raise PymigError(
        f"default={value!r} reads like {what}, but a str default is stored as that text (for a time "
        "column, the moment the migration ran)",
        hint=f"write default=sql({text!r}) for the SQL expression, or default=literal({value!r}) for the text itself",
    )


# What may be schema-qualified ("billing.accounts"): tables, views, indexes (in their table's
# schema), enums, sequences, functions. Columns, constraints, triggers and schemas are one part.
_QUALIFIED = {"table", "index", "view", "enum", "sequence", "function"}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _name(value, what: str) -> str:
    """A name PostgreSQL keeps whole (it cuts names past 63 bytes, and then later migrations and
    `down` name an object that does not exist); `schema.name` where `what` can be qualified."""
    if not isinstance(value, str) or not value.strip():
        raise PymigError(f"{what} name {value!r}: expected a non-empty str")
    if "." in value:
        if what not in _QUALIFIED:
            raise PymigError(f"{what} name {value!r} has a dot, but a {what} name cannot be schema-qualified",
                             hint=f"write the {what} without a dot; the table's name takes the schema (\"schema.table\")")
        try:
            names.split(value)
        except PymigError:
            raise PymigError(f"{what} name {value!r} is not \"{what}\" or \"schema.{what}\"",
                             hint="a name has at most two parts, neither empty") from None
    for part in value.split(".") if what in _QUALIFIED else (value,):
        size = len(part.encode())
        if size > MAX_IDENTIFIER:
            raise PymigError(f"{what} name {value!r} is {size} bytes long; PostgreSQL keeps only the first "
                             f"{MAX_IDENTIFIER}, so later migrations and `down` would miss it",
                             hint=f"shorten it to {MAX_IDENTIFIER} bytes or fewer")
    return value


def _names(values, what: str) -> tuple:
    values = (values,) if isinstance(values, str) else tuple(values)
    return tuple(_name(v, what) for v in values)


def _references(spec: str) -> tuple[str, tuple[str, ...]]:
    m = re.fullmatch(r"\s*([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s*(?:\(([^)]*)\))?\s*", spec or "")
    if not m:
        raise PymigError(f"references={spec!r}: write 'table', 'table(column, ...)' or 'schema.table(column, ...)'")
    cols = tuple(c.strip() for c in m[2].split(",")) if m[2] else ()
    return m[1], cols


_ON_DELETE = {"cascade", "set null", "set default", "restrict", "no action"}


def _on_delete(value):
    if value is None:
        return None
    norm = " ".join(str(value).lower().replace("_", " ").split())
    if norm not in _ON_DELETE:
        raise PymigError(f"on_delete={value!r}: use one of {', '.join(sorted(_ON_DELETE))}")
    # NO ACTION is the default, which the catalog (and so the state read from it) records as None
    return None if norm == "no action" else norm


@dataclass(frozen=True)
class ColumnSpec:
    """What `column()` returns; `create_table` turns it into a column and its constraints."""

    name: str
    type: str
    nullable: bool = True
    default: object = NOT_GIVEN
    primary_key: bool = False
    unique: bool = False
    references: str | None = None
    on_delete: str | None = None
    check: str | None = None
    identity: str | None = None  # "always" / "by default": GENERATED ... AS IDENTITY
    collation: str | None = None
    generated: str | None = None
    comment: str | None = None

    def build(self, table: str) -> tuple[Column, list[Constraint]]:
        ctype = canonical_type(self.type)
        identity = _identity(self.identity)
        if self.generated is not None and (self.default is not NOT_GIVEN or ctype.serial or identity):
            raise PymigError(f"column {self.name!r}: generated= computes the value, so it takes no default")
        column = Column(self.name, ctype.type,
                        nullable=self.nullable and not self.primary_key and not ctype.serial and not identity,
                        default=_default_sql(self.default), identity=identity, collation=self.collation,
                        generated=self.generated, comment=self.comment)
        constraints = []
        if self.unique:
            constraints.append(Constraint(object_name(table, self.name, suffix="key"), "unique", (self.name,)))
        if self.references:
            ref_table, ref_cols = _references(self.references)
            constraints.append(Constraint(object_name(table, self.name, suffix="fkey"), "foreign_key",
                                          (self.name,), ref_table=ref_table, ref_columns=ref_cols,
                                          on_delete=_on_delete(self.on_delete)))
        elif self.on_delete:
            raise PymigError(f"column {self.name!r}: on_delete= needs references=")
        if self.check:
            constraints.append(Constraint(object_name(table, self.name, suffix="check"), "check",
                                          (self.name,), expression=self.check))
        return column, constraints


def _identity(value):
    if value is None:
        return None
    norm = " ".join(str(value).lower().replace("_", " ").split())
    if norm not in ("always", "by default"):
        raise PymigError(f"identity={value!r}: use 'always' or 'by default'")
    return norm


def column(name: str, type: str, *, nullable: bool = True, default=NOT_GIVEN, primary_key: bool = False,
           unique: bool = False, references: str | None = None, on_delete: str | None = None,
           check: str | None = None, identity: str | None = None, collation: str | None = None,
           generated: str | None = None, comment: str | None = None) -> ColumnSpec:
    """`generated="price * qty"`: a stored generated column (GENERATED ALWAYS AS (...) STORED)."""
    canonical_type(type)  # a malformed type fails where it is written
    _identity(identity)
    _name(name, "column")
    return ColumnSpec(name, type, nullable, default, primary_key, unique, references, on_delete, check,
                      identity, collation, generated, comment)


def create_table(name: str, *columns: ColumnSpec, unique=(), checks=None, comment: str | None = None,
                 partition_by: str | None = None) -> CreateTable:
    """`partition_by="range (created_at)"` (or list/hash): a partitioned table, whose rows live in
    the partitions create_partition / attach_partition give it."""
    _name(name, "table")
    if len(columns) == 1 and isinstance(columns[0], (list, tuple)):
        columns = tuple(columns[0])  # create_table("t", [column(...), ...]), as Django's fields=[...]
    if not columns:
        raise PymigError(f"create_table({name!r}) needs at least one column(...)")
    cols, constraints, pk = [], [], []
    for spec in columns:
        if not isinstance(spec, ColumnSpec):
            raise PymigError(f"create_table({name!r}): {_short(spec)} ({type(spec).__name__}) is not a column(...)",
                             hint=f"write create_table({name!r}, column(\"id\", \"bigserial\", primary_key=True), "
                                  "column(...), ...)")
        col, cons = spec.build(name)
        cols.append(col)
        constraints += cons
        if spec.primary_key:
            pk.append(spec.name)
    if pk:
        constraints.insert(0, Constraint(object_name(name, suffix="pkey"), "primary_key", tuple(pk)))
    for group in unique:
        group = (group,) if isinstance(group, str) else tuple(group)
        constraints.append(Constraint(object_name(name, *group, suffix="key"), "unique", group))
    for cname, expr in (checks or {}).items():
        _name(cname, "constraint")
        constraints.append(Constraint(cname, "check", (), expression=expr))
    if partition_by is not None:
        from .sqltext import partition_key

        strategy, _ = partition_key(partition_by)
        partition_by = f"{strategy} {partition_by.strip()[len(strategy):].strip()}"
    return CreateTable(Table(name, tuple(cols), tuple(constraints), comment, partition_by=partition_by))


def drop_table(name: str, *, allow_data_loss: bool = False) -> DropTable:
    return DropTable(_name(name, "table"), allow_data_loss)


def rename_table(old: str, new: str, *, compatible: bool = True) -> RenameTable:
    """compatible=True: on a table in use (PostgreSQL), the old name stays served by a view until
    `pymig complete` (docs/expand-contract.md); False: the plain instant rename."""
    new = names.sibling(old, _name(new, "table"), "rename_table's new name")  # a table stays in its schema
    return RenameTable(_name(old, "table"), new, compatible=compatible)


def add_column(table: str, name: str, type: str, *, nullable: bool = True, default=NOT_GIVEN,
               unique: bool = False, references: str | None = None, on_delete: str | None = None,
               check: str | None = None, identity: str | None = None, collation: str | None = None,
               generated: str | None = None, comment: str | None = None) -> AddColumn:
    _name(table, "table")
    spec = column(name, type, nullable=nullable, default=default, unique=unique, references=references,
                  on_delete=on_delete, check=check, identity=identity, collation=collation, generated=generated,
                  comment=comment)
    col, constraints = spec.build(table)
    return AddColumn(table, col, tuple(constraints))


def drop_column(table: str, name: str, *, allow_data_loss: bool = False) -> DropColumn:
    return DropColumn(_name(table, "table"), _name(name, "column"), allow_data_loss)


def rename_column(table: str, old: str, new: str, *, compatible: bool = True) -> RenameColumn:
    """compatible=True: on a table in use (PostgreSQL), the old name stays served until
    `pymig complete` (docs/expand-contract.md); False: the plain instant rename."""
    return RenameColumn(_name(table, "table"), _name(old, "column"), _name(new, "column"), compatible=compatible)


def alter_column(table: str, name: str, *, type: str | None = None, nullable: bool | None = None,
                 default=NOT_GIVEN, using: str | None = None, down: str | None = None,
                 rewrite: bool = False) -> AlterColumn:
    """A type change of a table in use runs expand/contract on PostgreSQL when it would rewrite the
    table (docs/expand-contract.md): `down=` computes the old column from the new one until the
    contract (default: a cast); `rewrite=True` runs the plain ALTER ... TYPE instead."""
    return AlterColumn(
        _name(table, "table"), _name(name, "column"),
        type=canonical_type(type).type if type is not None else None,
        nullable=nullable,
        default=_default_sql(default),
        change_default=default is not NOT_GIVEN,
        using=using,
        rewrite=rewrite,
        down=down,
    )


def create_index(table: str, columns, *, name: str | None = None, unique: bool = False,
                 where: str | None = None, method: str | None = None, include=()) -> CreateIndex:
    """`include=["name"]`: columns stored in the index but not part of its key (a covering index)."""
    from .sqltext import split_direction

    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    if not columns:
        raise PymigError(f"create_index on {table!r} needs at least one column")
    if method is not None and not re.fullmatch(r"[a-z_]+", method):
        raise PymigError(f"create_index method={method!r}: expected btree, hash, gin, gist, brin, ...")
    _name(table, "table")
    if name is None:
        name = object_name(table, *(split_direction(c)[0] for c in columns), suffix="idx")
    name = names.sibling(table, _name(name, "index"), "index")  # in its table's schema
    include = (include,) if isinstance(include, str) else tuple(include)
    return CreateIndex(Index(name, table, columns, unique, where, None if method == "btree" else method,
                             include=include))


def drop_index(name: str) -> DropIndex:
    return DropIndex(_name(name, "index"))


def rename_index(old: str, new: str) -> RenameIndex:
    return RenameIndex(_name(old, "index"), names.sibling(old, _name(new, "index"), "rename_index's new name"))


def add_foreign_key(table: str, columns, ref_table: str, ref_columns=None, *, name: str | None = None,
                    on_delete: str | None = None) -> AddConstraint:
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    ref_columns = (ref_columns,) if isinstance(ref_columns, str) else tuple(ref_columns or ())
    name = _name(name or object_name(table, *columns, suffix="fkey"), "constraint")
    _name(table, "table"), _names(columns, "column"), _name(ref_table, "table"), _names(ref_columns, "column")
    return AddConstraint(table, Constraint(name, "foreign_key", columns, ref_table=ref_table,
                                           ref_columns=ref_columns, on_delete=_on_delete(on_delete)))


def add_unique(table: str, columns, *, name: str | None = None) -> AddConstraint:
    columns = _names(columns, "column")
    name = _name(name or object_name(_name(table, "table"), *columns, suffix="key"), "constraint")
    return AddConstraint(table, Constraint(name, "unique", columns))


def add_check(table: str, name: str, expression: str) -> AddConstraint:
    return AddConstraint(_name(table, "table"), Constraint(_name(name, "constraint"), "check", (), expression=expression))


def add_exclusion(table: str, name: str, using: str, elements, *, where: str | None = None) -> AddConstraint:
    """EXCLUDE USING <using> (<element> WITH <operator>, ...) [WHERE (<where>)]: no two rows for
    which every operator holds, e.g. `[("room_id", "="), ("during", "&&")]`, no two bookings of a
    room that overlap (`=` on an integer with gist needs the btree_gist extension)."""
    from .sqltext import is_bare_name

    if isinstance(elements, tuple) and len(elements) == 2 and all(isinstance(e, str) for e in elements):
        elements = [elements]  # one pair given without its list
    pairs = []
    for item in elements:
        if isinstance(item, str) or len(item) != 2:
            raise PymigError(f"add_exclusion {name}: element {item!r} is not a (column or expression, operator) pair")
        pairs.append((str(item[0]), str(item[1]).strip()))
    columns = tuple(e for e, _ in pairs if is_bare_name(e))
    return AddConstraint(_name(table, "table"), Constraint(
        _name(name, "constraint"), "exclusion", columns, method=(using or "").strip().lower() or None,
        elements=tuple(pairs), where=where))


def drop_constraint(table: str, name: str) -> DropConstraint:
    return DropConstraint(_name(table, "table"), _name(name, "constraint"))


def run_sql(up: str, down: str | None = None) -> RunSQL:
    return RunSQL(up, down)


def run_python(up, down=None) -> RunPython:
    for what, fn in (("up", up), ("down", down)):
        if fn is not None and not callable(fn):
            raise PymigError(f"run_python {what}={fn!r} is not a function: pass the function itself "
                             "(def forwards(conn): ...; run_python(forwards))")
    return RunPython(up, down)


def backfill(table: str, set: dict, *, where: str | None = None, batch_size: int = 10_000,
             reverse: dict | None = None) -> Backfill:
    _name(table, "table"), _names(set, "column")
    return Backfill(table, dict(set), where, batch_size, dict(reverse) if reverse else None)


def preflight(query: str, message: str) -> Preflight:
    return Preflight(query, message)


# -- views, enums, comments, privileges, sequences, functions, triggers ------------------------------

def create_view(name: str, query: str, *, materialized: bool = False, columns=None) -> CreateView:
    _name(name, "view")
    return CreateView(View(name, query.strip().removesuffix(";").rstrip(), materialized, tuple(columns or ())))


def drop_view(name: str) -> DropView:
    return DropView(name)


def replace_view(name: str, query: str) -> ReplaceView:
    return ReplaceView(name, query.strip().removesuffix(";").rstrip())


def refresh_materialized_view(name: str, *, concurrently: bool = True) -> RefreshMaterializedView:
    return RefreshMaterializedView(name, concurrently)


def create_enum(name: str, values) -> CreateEnum:
    _name(name, "enum")
    return CreateEnum(EnumType(name, tuple(values)))


def drop_enum(name: str) -> DropEnum:
    return DropEnum(name)


def add_enum_value(name: str, value: str, *, before: str | None = None, after: str | None = None) -> AddEnumValue:
    return AddEnumValue(name, value, before, after)


def rename_enum_value(name: str, old: str, new: str) -> RenameEnumValue:
    return RenameEnumValue(name, old, new)


def comment_on(target: str, text: str | None) -> CommentOn:
    """`target`: "table", "table.column", "table.constraint", a view, an index, an enum, ...;
    "schema.table.column" / "schema.table.constraint" in another schema (two parts are
    table.column when that table has that column or constraint, else schema.object)."""
    names.split(target, 3)
    return CommentOn(target, text)


def grant(privileges, on: str, to: str, *, columns=None, with_grant_option: bool = False) -> Grant:
    columns = tuple(columns or ())
    return Grant(privileges_list(privileges, columns), on, to, columns, with_grant_option)


def revoke(privileges, on: str, to: str, *, columns=None) -> Revoke:
    columns = tuple(columns or ())
    return Revoke(privileges_list(privileges, columns), on, to, columns)


def create_sequence(name: str, *, start: int | None = None, increment: int | None = None,
                    min: int | None = None, max: int | None = None, cycle: bool = False,
                    owned_by: str | None = None) -> CreateSequence:
    _name(name, "sequence")
    if owned_by is not None:
        names.column_ref(owned_by)
    return CreateSequence(Sequence(name, *canonical_options(start, increment, min, max), cycle, owned_by))


def alter_sequence(name: str, **changes) -> AlterSequence:
    """alter_sequence("order_numbers", increment=10, max=None): the options named, None for the default."""
    return AlterSequence(name, changes)


def drop_sequence(name: str) -> DropSequence:
    return DropSequence(name)


_VOLATILITIES = {"immutable", "stable", "volatile"}


def _function(name, args, returns, body, language, volatility) -> Function:
    if volatility is not None and volatility.lower() not in _VOLATILITIES:
        raise PymigError(f"volatility={volatility!r}: use immutable, stable or volatile")
    volatility = None if volatility is None or volatility.lower() == "volatile" else volatility.lower()
    return Function(_name(name, "function"), args.strip(), returns.strip(), body, language.lower(), volatility)


def create_function(name: str, args: str, returns: str, body: str, *, language: str = "plpgsql",
                    volatility: str | None = None) -> CreateFunction:
    return CreateFunction(_function(name, args, returns, body, language, volatility))


def replace_function(name: str, args: str, returns: str, body: str, *, language: str = "plpgsql",
                     volatility: str | None = None) -> ReplaceFunction:
    return ReplaceFunction(_function(name, args, returns, body, language, volatility))


def drop_function(name: str) -> DropFunction:
    return DropFunction(name)


_WHEN = {"before", "after", "instead of"}
_EVENTS = {"insert", "update", "delete", "truncate"}


def create_trigger(table: str, name: str, function: str, *, when: str = "before",
                   events=("insert", "update"), for_each: str = "row", condition: str | None = None) -> CreateTrigger:
    when = " ".join(when.lower().replace("_", " ").split())
    events = (events,) if isinstance(events, str) else tuple(e.lower() for e in events)
    if when not in _WHEN:
        raise PymigError(f"create_trigger {name}: when={when!r}: use before, after or instead of")
    if not events or set(events) - _EVENTS:
        raise PymigError(f"create_trigger {name}: events={events!r}: use insert, update, delete, truncate")
    if for_each.lower() not in ("row", "statement"):
        raise PymigError(f"create_trigger {name}: for_each={for_each!r}: use row or statement")
    order = ("insert", "update", "delete", "truncate")  # the order the catalog lists them in
    events = tuple(sorted(set(events), key=order.index))
    _name(name, "trigger"), _name(table, "table"), _name(function, "function")
    return CreateTrigger(Trigger(name, table, function, when, events, for_each.lower(), condition))


def drop_trigger(table: str, name: str) -> DropTrigger:
    return DropTrigger(table, name)


# -- keys, constraint renames, extensions, schemas ---------------------------------------------------

def add_primary_key(table: str, columns, *, name: str | None = None) -> AddConstraint:
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    return AddConstraint(table, Constraint(name or object_name(table, suffix="pkey"), "primary_key", columns))


def drop_primary_key(table: str) -> DropPrimaryKey:
    return DropPrimaryKey(table)


def rename_constraint(table: str, old: str, new: str) -> RenameConstraint:
    return RenameConstraint(table, old, new)


def create_extension(name: str, *, schema: str | None = None, version: str | None = None) -> CreateExtension:
    return CreateExtension(Extension(name, schema, version))


def drop_extension(name: str) -> DropExtension:
    return DropExtension(name)


def create_schema(name: str) -> CreateSchema:
    return CreateSchema(Namespace(_name(name, "schema")))


def drop_schema(name: str) -> DropSchema:
    return DropSchema(name)


def create_partition(parent: str, name: str, *, for_values: str) -> CreatePartition:
    """CREATE TABLE name PARTITION OF parent: the bound as PostgreSQL writes it, `"FROM ('2024-01-01')
    TO ('2024-02-01')"`, `"IN ('eu', 'us')"`, `"WITH (MODULUS 4, REMAINDER 0)"` or `"DEFAULT"`."""
    return CreatePartition(_name(parent, "table"), _name(name, "table"), bound_clause(for_values))


def attach_partition(parent: str, name: str, *, for_values: str) -> AttachPartition:
    """An existing table becomes a partition of `parent` (online: its bound is proven by a CHECK
    validated first, so ATTACH scans nothing under its lock)."""
    return AttachPartition(_name(parent, "table"), _name(name, "table"), bound_clause(for_values))


def detach_partition(parent: str, name: str, *, concurrently: bool = True) -> DetachPartition:
    return DetachPartition(_name(parent, "table"), _name(name, "table"), concurrently)
