"""The operations that build a Catalog from nothing, in dependency order (`pymig baseline`).

Tables become create_table with their columns and the constraints the DSL writes inline, then
their indexes; a foreign key to a table created later (a cycle) becomes add_foreign_key after
both. What the DSL cannot spell exactly (an index with INCLUDE or an operator class, a DEFERRABLE
constraint, every object in Catalog.objects) becomes run_sql(create, drop) with a comment saying
what it is. Order: a topological sort over the objects' dependencies, ties broken by kind (schemas,
extensions, types, sequences, functions, tables, views, triggers, policies, grants, comments)
and then by name, so the same catalog always gives the same operations."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, replace

from .catalog import Catalog
from .errors import PymigError
from .ops import AddConstraint, CreateIndex, CreateTable, RunSQL
from .ops.base import object_name
from .schema import Table
from .writer import Commented, call_for

_RANK = {"schema": 0, "extension": 1, "enum": 2, "domain": 3, "type": 3, "sequence": 4, "function": 5,
         "procedure": 5, "table": 6, "generated column": 7, "table option": 7, "sequence owner": 7,
         "view": 8, "materialized view": 9, "index": 10, "trigger": 11, "row security": 12, "policy": 13,
         "grant": 14, "revoke": 14, "comment": 15}


@dataclass
class Recreated:
    operations: list  # operations and Commented(...) operations, in order
    counts: Counter  # kind -> how many were written


def operations(catalog: Catalog, dialect) -> Recreated:
    """Everything in `catalog` as operations that create it."""
    counts: Counter = Counter()
    tables = catalog.schema.tables
    nodes = {f"table {t}": set(catalog.table_depends_on.get(t, ())) for t in tables}
    for t in tables.values():  # a table after the tables its foreign keys point at, unless a cycle
        nodes[f"table {t.name}"] |= {f"table {c.ref_table}" for c in t.constraints
                                     if c.kind == "foreign_key" and c.ref_table != t.name}
        if t.partition_of:  # a partition after its parent
            nodes[f"table {t.name}"].add(f"table {t.partition_of}")
    by_key = {o.key: o for o in catalog.objects}
    for o in catalog.objects:
        nodes[o.key] = set(o.depends_on)
    out, created, later, end_of_tables = [], set(), [], 0
    for key in ordered(nodes):
        kind, _, name = key.partition(" ")
        if key in by_key:
            obj = by_key[key]
            out.append(obj.op if obj.op is not None else Commented(f"{obj.kind} {obj.name}", RunSQL(obj.create, obj.drop)))
            counts[obj.kind] += 1
            continue
        if kind != "table":
            continue
        table = tables[name]
        ops, deferred = table_operations(table, catalog, dialect, created, counts)
        out += ops
        later += deferred
        created.add(name)
        end_of_tables = len(out)
    # foreign keys to tables created after theirs (cycles) close once every table exists
    return Recreated(out[:end_of_tables] + later + out[end_of_tables:], counts)


def _rank(key: str) -> tuple[int, str]:
    for kind in sorted(_RANK, key=len, reverse=True):
        if key.startswith(kind + " "):
            return _RANK[kind], key
    return len(_RANK), key


def ordered(nodes: dict[str, set[str]]) -> list[str]:
    """Kahn's algorithm, ties (and cycles) broken by (kind rank, key)."""
    deps = {k: {d for d in v if d in nodes and d != k} for k, v in nodes.items()}
    users: dict[str, set[str]] = {k: set() for k in nodes}
    for k, ds in deps.items():
        for d in ds:
            users[d].add(k)

    rank = _rank
    ready = [rank(k) for k, ds in deps.items() if not ds]
    heapq.heapify(ready)
    done, order = set(), []
    while len(order) < len(nodes):
        if not ready:  # a cycle: take the first of what is left
            heapq.heappush(ready, min(rank(k) for k in nodes if k not in done))
        _, k = heapq.heappop(ready)
        if k in done:
            continue
        done.add(k)
        order.append(k)
        for u in sorted(users[k]):
            deps[u].discard(k)
            if not deps[u] and u not in done:
                heapq.heappush(ready, rank(u))
    return order


def partition_operations(table: Table, catalog: Catalog, dialect, counts: Counter, indexes: bool = True) -> list:
    """create_partition, then what the partition holds beyond what it gets from its parent: a key
    or index it got under another name (it was attached with its own) is renamed, others added."""
    from .ops import RenameIndex
    from .ops.constraints import RenameConstraint
    from .ops.partitions import CreatePartition

    op = CreatePartition(table.partition_of, table.name, table.bound)
    given, given_indexes = op.partition(catalog.schema)
    out: list = [op]
    names = {c.name: c for c in given.constraints}
    for c in table.constraints:
        counts["constraint"] += 1
        if c.name in names:
            continue
        same = next((g for g in given.constraints if g.kind == c.kind and g.columns == c.columns
                     and g.kind in ("primary_key", "unique")), None)
        out.append(RenameConstraint(table.name, same.name, c.name) if same else
                   AddConstraint(table.name, c if c.name in catalog.verbatim else as_written(c, dialect)))
    index_names = {i.name for i in given_indexes}
    for index in sorted(catalog.schema.indexes_on(table.name), key=lambda i: i.name) if indexes else ():
        counts["index"] += 1
        if index.name in index_names:
            continue
        same = next((g for g in given_indexes if (g.columns, g.unique, g.where, g.method)
                     == (index.columns, index.unique, index.where, index.method)), None)
        out.append(RenameIndex(same.name, index.name) if same else index_operation(index, catalog, dialect))
    counts["table"] += 1
    counts["column"] += len(table.columns)
    return out


def table_operations(table: Table, catalog: Catalog, dialect, created: set, counts: Counter,
                     indexes: bool = True) -> tuple[list, list]:
    """create_table and what goes right after it (its indexes too, unless `indexes` is false: diff
    writes them on their own); and the foreign keys that must wait."""
    if table.partition_of:
        return partition_operations(table, catalog, dialect, counts, indexes), []
    inline, after, deferred = [], [], []
    pk_columns = next((c.columns for c in table.constraints if c.kind == "primary_key"), ())
    in_order = list(pk_columns) == [c.name for c in table.columns if c.name in pk_columns]
    for c in table.constraints:
        c = as_written(c, dialect) if c.name not in catalog.verbatim else c
        if c.definition is not None:
            statement = dialect.add_constraint(table.name, c)[0]
            target = deferred if c.kind == "foreign_key" else after
            target.append(Commented(f"constraint {c.name} on {table.name}: as the catalog defines it",
                                    RunSQL(statement, dialect.drop_constraint(table.name, c.name)[0])))
        elif c.kind == "primary_key" and not (c.name == object_name(table.name, suffix="pkey") and in_order):
            after.append(Commented(f"primary key {c.name} on {table.name}",
                                   RunSQL(dialect.add_constraint(table.name, c)[0],
                                          dialect.drop_constraint(table.name, c.name)[0])))
        elif c.kind == "foreign_key" and (c.ref_table not in created and c.ref_table != table.name
                                          or not _inline_name(table.name, c)):
            (deferred if c.ref_table not in created and c.ref_table != table.name else after).append(
                AddConstraint(table.name, c))
        elif c.kind == "unique" and not _inline_name(table.name, c) or c.kind == "exclusion":
            after.append(AddConstraint(table.name, c))
        else:
            inline.append(c)
        counts["constraint"] += 1
    op = CreateTable(replace(table, constraints=tuple(inline)))
    try:
        call_for(op)
    except PymigError as e:  # a column the DSL cannot write: the table as the dialect renders it
        # with the inline constraints only: `after` and `deferred` add the others, as for create_table
        statement = dialect.create_table(op.table)
        op = Commented(f"table {table.name}: {e.message}",
                       RunSQL(";\n".join(statement), dialect.drop_table(table.name)[0]))
    counts["table"] += 1
    counts["column"] += len(table.columns)
    for index in sorted(catalog.schema.indexes_on(table.name), key=lambda i: i.name) if indexes else ():
        counts["index"] += 1
        after.append(index_operation(index, catalog, dialect))
    return [op, *after], deferred


def index_operation(index, catalog: Catalog, dialect):
    """create_index, or run_sql of the catalog's definition when the DSL cannot spell it."""
    if index.name in catalog.verbatim or "ARRAY" in " ".join([*index.columns, index.where or ""]):
        # the dialect renders catalog text in the form PostgreSQL reads back into the same index
        return Commented(f"index {index.name} on {index.table}: as the catalog defines it",
                         RunSQL(dialect.create_index(index)[0], dialect.drop_index(index.name)[0]))
    return CreateIndex(replace(index, definition=None))


def as_written(c, dialect):
    """The constraint as the DSL writes it (no catalog text). A CHECK whose expression holds an
    array (`status IN ('a', 'b')` on a varchar column) keeps the catalog's own text, in the form
    PostgreSQL reads back into the same expression (Dialect.constraint_body): the pretty-printed
    one would come back with its casts pushed into the elements, a different definition."""
    if c.kind == "check" and c.definition and "ARRAY" in (c.expression or ""):
        body = dialect.constraint_body(c)
        if body.startswith("CHECK (") and body.endswith(")"):
            return replace(c, expression=body[len("CHECK ("):-1], definition=None)
    return replace(c, definition=None)


def _inline_name(table: str, c) -> bool:
    """Whether the DSL gives the constraint this name when written on its column(s)."""
    suffix = {"unique": "key", "foreign_key": "fkey"}[c.kind]
    if c.kind == "foreign_key" and len(c.columns) != 1:
        return False
    return c.name == object_name(table, *c.columns, suffix=suffix)
