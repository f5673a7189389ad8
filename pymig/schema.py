"""The schema as pymig sees it: plain frozen values, comparable (ops.base encodes them as JSON).

Operations turn one Schema into the next (state) and read the Schema before them to derive
their inverse. Types are kept in PostgreSQL's canonical spelling (``format_type``) so that a
schema built from the DSL compares with one read from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .errors import OperationError
from .names import bare, schema_of, sequence_name
from .types import SERIAL_BASE


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None  # SQL expression text
    identity: str | None = None  # "always" / "by default"
    collation: str | None = None
    identity_options: str | None = None  # its sequence's non-default options, e.g. "START WITH 50"
    generated: str | None = None  # GENERATED ALWAYS AS (this expression) STORED; such a column has no default
    comment: str | None = None
    # a serial's or an identity's sequence, when not named as PostgreSQL names a new one (after
    # a rename: PostgreSQL keeps the old name), so that the column re-created by a down has it
    sequence: str | None = None

    def renamed(self, table: str, new_table: str, new_name: str) -> Column:
        """This column of `table` as `new_name` of `new_table` (either may be unchanged): its
        sequence keeps its name, as PostgreSQL's renames do."""
        if self.identity is None and self.type not in SERIAL_BASE:
            return replace(self, name=new_name)
        seq = self.sequence or sequence_name(bare(table), self.name)
        return replace(self, name=new_name, sequence=None if seq == sequence_name(bare(new_table), new_name) else seq)


@dataclass(frozen=True)
class Constraint:
    """A table constraint; kind is one of primary key, unique, check, foreign key, exclusion."""

    name: str
    kind: str  # "primary_key" | "unique" | "check" | "foreign_key"
    columns: tuple[str, ...] = ()
    expression: str | None = None  # check
    ref_table: str | None = None  # foreign key
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    definition: str | None = None  # exact catalog text (pg_get_constraintdef), when read from a database
    validated: bool = True
    comment: str | None = None
    # exclusion: its index method, its (column or expression, operator) pairs and its predicate;
    # `columns` then holds the elements that are bare column names, as the catalog's conkey does
    method: str | None = None
    elements: tuple[tuple[str, str], ...] = ()
    where: str | None = None


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    columns: tuple[str, ...]  # column names or expressions, with an optional direction
    unique: bool = False
    where: str | None = None
    method: str | None = None
    definition: str | None = None  # exact catalog text (pg_get_indexdef), when read from a database
    include: tuple[str, ...] = ()  # columns stored in the index but not part of its key (INCLUDE)
    comment: str | None = None


# A privilege held on a relation: (role, privilege, column or None, with grant option), as
# aclexplode reads it; the owner's own privileges are implicit and not listed.
Privilege = tuple[str, str, "str | None", bool]


def privilege_key(p: Privilege) -> tuple:
    """The order grants are kept in (a table-wide privilege has column None)."""
    role, privilege, column, grantable = p
    return role, privilege, column or "", grantable


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    function: str
    when: str = "before"  # "before" | "after" | "instead of"
    events: tuple[str, ...] = ("insert", "update")
    for_each: str = "row"
    condition: str | None = None
    definition: str | None = None  # pg_get_triggerdef, when read from a database


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    comment: str | None = None
    grants: tuple[Privilege, ...] = ()  # sorted
    triggers: tuple[Trigger, ...] = ()
    # What an SQLite catalog holds that the state does not model but a table rebuild must carry:
    # its triggers' text, what follows the column list (WITHOUT ROWID, STRICT), the generated
    # columns. Not compared: they belong to the catalog, not to the DSL's state.
    catalog_triggers: tuple[str, ...] = field(default=(), compare=False)
    options: str = field(default="", compare=False)
    generated: tuple[str, ...] = field(default=(), compare=False)
    # Partitioning, as PostgreSQL prints it: a partitioned table's key ("RANGE (created_at)",
    # pg_get_partkeydef); a partition's parent and bound ("FOR VALUES FROM (...) TO (...)" or
    # "DEFAULT", pg_get_expr(relpartbound)). A partition is a table of its own here, with the
    # columns, constraints and indexes PostgreSQL gives it from its parent.
    partition_by: str | None = None
    partition_of: str | None = None
    bound: str | None = None

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise OperationError(f'column "{name}" does not exist on table "{self.name}"')

    def has_column(self, name: str) -> bool:
        return any(c.name == name for c in self.columns)

    def constraint(self, name: str) -> Constraint:
        for c in self.constraints:
            if c.name == name:
                return c
        raise OperationError(f'constraint "{name}" does not exist on table "{self.name}"')

    @property
    def primary_key(self) -> tuple[str, ...]:
        for c in self.constraints:
            if c.kind == "primary_key":
                return c.columns
        return ()


@dataclass(frozen=True)
class View:
    name: str
    query: str  # the SELECT, as written or as pg_get_viewdef prints it
    materialized: bool = False
    columns: tuple[str, ...] = ()  # explicit column names; () takes the query's
    comment: str | None = None
    grants: tuple[Privilege, ...] = ()


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    comment: str | None = None


@dataclass(frozen=True)
class Sequence:
    """Options left None are PostgreSQL's defaults (what `CREATE SEQUENCE name` gives)."""

    name: str
    start: int | None = None
    increment: int | None = None
    min: int | None = None
    max: int | None = None
    cycle: bool = False
    owned_by: str | None = None  # "table.column"
    comment: str | None = None


def canonical_options(start, increment, minimum, maximum) -> tuple:
    """A bigint sequence's options with None where they are CREATE SEQUENCE's defaults, so a
    sequence the DSL describes compares with one read from the catalog."""
    increment = None if increment == 1 else increment
    step = increment or 1
    lo, hi = (1, 2**63 - 1) if step > 0 else (-(2**63), -1)
    minimum = None if minimum == lo else minimum
    maximum = None if maximum == hi else maximum
    first = (lo if minimum is None else minimum) if step > 0 else (hi if maximum is None else maximum)
    return (None if start == first else start), increment, minimum, maximum


@dataclass(frozen=True)
class Function:
    name: str
    args: str  # as PostgreSQL writes the argument list: "" or "a integer, b text"
    returns: str
    body: str  # without dollar quotes
    language: str = "plpgsql"
    volatility: str | None = None  # None is PostgreSQL's VOLATILE
    definition: str | None = None  # pg_get_functiondef, when read from a database
    comment: str | None = None


@dataclass(frozen=True)
class Extension:
    name: str
    schema: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class Namespace:
    """A PostgreSQL schema (CREATE SCHEMA); named so to keep apart from this model's Schema."""

    name: str
    comment: str | None = None


# The comment that marks the view a compatible rename leaves until contract (pymig/ops/compat.py).
COMPAT_MARK = "pymig compatibility view:"

OBJECT_KINDS = {View: "view", EnumType: "enum", Sequence: "sequence", Function: "function",
                Extension: "extension", Namespace: "schema"}


@dataclass(frozen=True)
class Schema:
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    # Tables created by the migration being applied: they need no online recipe (nobody uses them yet).
    new_tables: frozenset = field(default=frozenset(), compare=False)
    # The other kinds of object, keyed (kind, name): ("view", "active_users"), ("enum", "mood"), ...
    objects: dict[tuple[str, str], object] = field(default_factory=dict)
    # (table, column) pairs added by the migration being applied: no application code uses them yet
    new_columns: frozenset = field(default=frozenset(), compare=False)

    def get(self, kind: str, name: str):
        return self.objects.get((kind, name))

    def merged(self, other: Schema) -> Schema:
        """This schema with the tables, indexes and objects of `other` (another schema's, read apart)."""
        return replace(self, tables={**self.tables, **other.tables}, indexes={**self.indexes, **other.indexes},
                       objects={**self.objects, **other.objects})

    def object(self, kind: str, name: str):
        try:
            return self.objects[kind, name]
        except KeyError:
            raise OperationError(f'{kind} "{name}" does not exist') from None

    def with_object(self, obj) -> Schema:
        return replace(self, objects={**self.objects, (OBJECT_KINDS[type(obj)], obj.name): obj})

    def without_object(self, kind: str, name: str) -> Schema:
        return replace(self, objects={k: v for k, v in self.objects.items() if k != (kind, name)})

    def relation_names(self) -> set[str]:
        """Tables and views: what can be in use when a migration starts (new_tables is its complement)."""
        return set(self.tables) | {name for kind, name in self.objects if kind == "view"}

    def relation(self, name: str):
        """The table or view called `name` (privileges and comments apply to either)."""
        if name in self.tables:
            return self.tables[name]
        view = self.get("view", name)
        if view is None:
            raise OperationError(f'table or view "{name}" does not exist')
        return view

    def with_relation(self, rel) -> Schema:
        return self.with_table(rel) if isinstance(rel, Table) else self.with_object(rel)

    def is_live(self, table: str) -> bool:
        """Whether `table` existed before this migration, so changes to it must keep traffic flowing."""
        return table not in self.new_tables

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            view = self.get("view", name)
            if view is not None and (view.comment or "").startswith(COMPAT_MARK):
                raise OperationError(f'table "{name}" is served by the compatibility view of a rename that is '
                                     "still expanded: run `pymig complete` first") from None
            raise OperationError(f'table "{name}" does not exist') from None

    def index(self, name: str) -> Index:
        try:
            return self.indexes[name]
        except KeyError:
            raise OperationError(f'index "{name}" does not exist') from None

    def find_constraint(self, name: str, near: str | None = None) -> tuple[Table, Constraint] | None:
        """The constraint `name` of any table; with `near` (a table), of a table in its schema
        (names of index-backed constraints are unique per schema)."""
        for t in self.tables.values():
            if near is not None and schema_of(t.name) != schema_of(near):
                continue
            for c in t.constraints:
                if c.name == name:
                    return t, c
        return None

    def with_table(self, table: Table) -> Schema:
        return replace(self, tables={**self.tables, table.name: table})

    def without_table(self, name: str) -> Schema:
        tables = {k: v for k, v in self.tables.items() if k != name}
        indexes = {k: v for k, v in self.indexes.items() if v.table != name}
        return Schema(tables, indexes, self.new_tables, self.objects)

    def with_index(self, index: Index) -> Schema:
        return replace(self, indexes={**self.indexes, index.name: index})

    def without_index(self, name: str) -> Schema:
        return replace(self, indexes={k: v for k, v in self.indexes.items() if k != name})

    def indexes_on(self, table: str) -> list[Index]:
        return [i for i in self.indexes.values() if i.table == table]

    def partitions(self, parent: str) -> list[Table]:
        """The partitions of table `parent`, by name."""
        return sorted((t for t in self.tables.values() if t.partition_of == parent), key=lambda t: t.name)

    def resolve_references(self, c: Constraint) -> Constraint:
        """`references="users"` means the users primary key; fill it in once the schema knows it. A
        foreign key to a table or column that does not exist is refused here, naming it (PostgreSQL
        would name it too, but only once the preflight check's query meets it)."""
        if c.kind != "foreign_key" or c.definition:
            return c
        ref = self.tables.get(c.ref_table)
        if ref is None:
            raise OperationError(f'foreign key "{c.name}" references table "{c.ref_table}", which does not exist')
        for column in c.ref_columns:
            if not ref.has_column(column):
                raise OperationError(f'foreign key "{c.name}" references column "{column}", which does not exist '
                                     f'on table "{c.ref_table}"')
        if c.ref_columns or not ref.primary_key:
            return c
        return replace(c, ref_columns=ref.primary_key)

    def referencing(self, table: str) -> list[tuple[Table, Constraint]]:
        """Foreign keys of other tables that point at `table`."""
        return [
            (t, c)
            for t in self.tables.values()
            if t.name != table
            for c in t.constraints
            if c.kind == "foreign_key" and c.ref_table == table
        ]
