"""A whole database as pymig reads it: the Schema operations follow, plus every other object.

One introspection for `pymig baseline` and `pymig diff`: `read_catalog(db, dialect)` returns a
`Catalog`. Its `schema` holds the tables, columns, constraints and indexes (the dialect's
`introspect`, the same Schema the executor follows), and `objects` everything the DSL has no
operation for yet (schemas, extensions, enums, domains, views, materialized views, sequences
that belong to no column, functions, triggers, policies, grants, comments, generated columns),
each with the SQL that creates and drops it, as the server itself renders it (pg_get_viewdef,
pg_get_functiondef, ...), and the keys of the objects it needs first. `skipped` says what was
not read, and why: nothing is left out silently.

How diff uses it: read both sides with `read_catalog` (the desired schema applied to a scratch
database, and the migrations' result, or a live database), compare `schema` table by table for
operations, and compare `objects` by `key`: an object only on the desired side is created with
`obj.op` (a DSL operation, where the DSL can say it exactly) or else `run_sql(obj.create, obj.drop)`,
one only on the current side dropped with `obj.drop_op` or `run_sql(obj.drop, obj.create)`, and one
whose `create` text differs is dropped and created again. `recreate.operations(catalog)` orders creation by `depends_on` (drops go in the reverse
order); `verbatim` names the indexes and constraints whose catalog definition says more than
the DSL can write (INCLUDE, an operator class, DEFERRABLE, ...), which must be written with
their `definition` through run_sql rather than as create_index / add_* operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .schema import Schema


@dataclass(frozen=True)
class CatalogObject:
    """One object outside the Schema model. `key` ("view active_users", "function f(integer)",
    "table users") is how other objects name it in `depends_on`."""

    kind: str
    name: str
    create: str
    drop: str
    depends_on: tuple[str, ...] = ()
    table: str | None = None  # the table it belongs to (trigger, policy, generated column)
    # The DSL operations that create and drop it, where the DSL says exactly what the catalog holds
    # (create_view, grant, comment_on, ...; dialects/catalog_ops.py); else run_sql(create, drop).
    op: object = field(default=None, compare=False)
    drop_op: object = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Catalog:
    schema: Schema
    objects: tuple[CatalogObject, ...] = ()
    verbatim: frozenset[str] = frozenset()  # index and constraint names the DSL cannot spell
    table_depends_on: dict = field(default_factory=dict)  # table -> keys of objects it needs first
    skipped: tuple[tuple[str, str, str], ...] = ()  # (kind, name, why)
    # (kind, name) -> the objects the introspection read as DSL values (View, EnumType, ...): what
    # diff writes their operations from
    typed: dict = field(default_factory=dict, compare=False)


def read_catalog(db, dialect) -> Catalog:
    """Everything in every schema of the application, the default one's names unqualified and the
    others' qualified; with a default schema set (the schema setting, --schema), that one alone."""
    return dialect.read_catalog(db)
