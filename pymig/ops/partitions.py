"""create_partition, attach_partition, detach_partition (a partitioned table itself is
create_table(..., partition_by=...)).

A partition is a table of its own in the Schema, with its parent (`partition_of`) and its bound
as PostgreSQL prints them; it holds the columns, constraints and indexes PostgreSQL gives it from
its parent, under the names PostgreSQL chooses (`<partition>_pkey`, `<partition>_<columns>_idx`;
CHECKs and foreign keys keep the parent's)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import Constraint, Index, Schema, Table
from .base import KINDS, Operation, object_name, register

# The operations of ops.tables, ops.constraints and ops.indexes, by kind (those import this module).
def _op(kind: str, *args, **kwargs):
    if kind not in KINDS:  # its family not imported yet (pymig.ops imports families on demand)
        from . import load_all

        load_all()
    return KINDS[kind](*args, **kwargs)


_SUFFIX = {"primary_key": "pkey", "unique": "key", "exclusion": "excl"}


def bound_clause(for_values: str) -> str:
    """The bound as pg_get_expr(relpartbound) starts it: `FOR VALUES ...`, or `DEFAULT`."""
    from ..sqltext import partition_bound

    text = " ".join(for_values.split())
    if partition_bound(text) == ("DEFAULT",):
        return "DEFAULT"
    return text if text.upper().startswith("FOR VALUES ") else f"FOR VALUES {text}"


def for_values(bound: str) -> str:
    """What create_partition's for_values= takes for a bound (bound_clause's inverse)."""
    return bound[len("FOR VALUES "):] if bound.upper().startswith("FOR VALUES ") else bound


def inherited_constraint(parent: Constraint, partition: str) -> Constraint:
    """The constraint a partition gets from its parent's: keys under the partition's own name."""
    if parent.kind in _SUFFIX:
        name = object_name(partition, *([] if parent.kind == "primary_key" else parent.columns),
                           suffix=_SUFFIX[parent.kind])
        return replace(parent, name=name, comment=None)
    return replace(parent, comment=None)


def inherited_index(parent: Index, partition: str) -> Index:
    from ..sqltext import is_bare_name, split_direction

    from ..names import sibling

    words = [split_direction(c)[0] if is_bare_name(split_direction(c)[0]) else "expr" for c in parent.columns]
    return replace(parent, name=sibling(partition, object_name(partition, *words, suffix="idx")), table=partition,
                   definition=None, comment=None)


def _parent(schema: Schema, parent: str, what: str) -> Table:
    table = schema.table(parent)
    if not table.partition_by:
        raise PymigError(f'table "{parent}" is not partitioned',
                         hint=f'create it with create_table("{parent}", ..., partition_by="range (...)")')
    return table


def _check_bound(schema: Schema, parent: Table, bound: str, what: str) -> None:
    from ..sqltext import partition_bound, partition_key

    strategy, _ = partition_key(parent.partition_by)
    spec = partition_bound(bound)
    if spec[0] == "DEFAULT":
        if strategy == "HASH":
            raise PymigError("a hash-partitioned table has no default partition")
        other = next((t.name for t in schema.partitions(parent.name) if t.bound == "DEFAULT"), None)
        if other:
            raise PymigError(f'table "{parent.name}" already has a default partition, "{other}"')
    elif spec[0] != strategy:
        raise PymigError(f'table "{parent.name}" is partitioned by {strategy.lower()}, and '
                         f"for_values={for_values(bound)!r} is a {spec[0].lower()} bound")


@register
@dataclass(frozen=True)
class CreatePartition(Operation):
    """CREATE TABLE <name> PARTITION OF <parent> FOR VALUES ... (or DEFAULT)."""

    kind = "create_partition"
    name_fields = {"parent": "qualified", "name": "qualified"}  # pymig.names
    parent: str
    name: str
    bound: str

    def describe(self):
        return f"create_partition {self.name} of {self.parent}"

    def partition(self, schema: Schema) -> tuple[Table, list[Index]]:
        parent = _parent(schema, self.parent, self.describe())
        table = Table(self.name, tuple(replace(c, comment=None) for c in parent.columns),
                      tuple(inherited_constraint(c, self.name) for c in parent.constraints),
                      partition_of=self.parent, bound=self.bound)
        return table, [inherited_index(i, self.name) for i in schema.indexes_on(self.parent)]

    def state_forwards(self, schema):
        if self.name in schema.relation_names():
            raise PymigError(f'a table or view "{self.name}" already exists')
        _check_bound(schema, _parent(schema, self.parent, self.describe()), self.bound, self.describe())
        table, indexes = self.partition(schema)
        schema = schema.with_table(table)
        for index in indexes:
            schema = schema.with_index(index)
        return schema

    def inverse(self, schema, added):
        return [_op("drop_table", self.name, allow_data_loss=True)]


@register
@dataclass(frozen=True)
class AttachPartition(Operation):
    """ALTER TABLE <parent> ATTACH PARTITION <name> FOR VALUES ...: an existing table becomes a
    partition. It must have the parent's columns, NOT NULLs and CHECKs; the keys and indexes it
    lacks, PostgreSQL builds."""

    kind = "attach_partition"
    name_fields = {"parent": "qualified", "name": "qualified"}
    parent: str
    name: str
    bound: str

    def describe(self):
        return f"attach_partition {self.name} to {self.parent}"

    def _lacking(self, schema: Schema) -> tuple[list[Constraint], list[Index]]:
        """The parent's constraints and indexes the table has no match for (PostgreSQL adds them)."""
        parent, table = schema.table(self.parent), schema.table(self.name)
        own = schema.indexes_on(self.name)
        constraints = [inherited_constraint(c, self.name) for c in parent.constraints
                       if not any(o.kind == c.kind and (o.columns == c.columns if c.kind in _SUFFIX else o.name == c.name)
                                  for o in table.constraints)]
        indexes = [inherited_index(i, self.name) for i in schema.indexes_on(self.parent)
                   if not any((o.columns, o.unique, o.where, o.method) == (i.columns, i.unique, i.where, i.method)
                              for o in own)]
        return constraints, indexes

    def state_forwards(self, schema):
        what = self.describe()
        parent, table = _parent(schema, self.parent, what), schema.table(self.name)
        if table.partition_of:
            raise PymigError(f'table "{self.name}" is already a partition of "{table.partition_of}"')
        if table.partition_by:
            raise PymigError(f'table "{self.name}" is partitioned itself (pymig attaches plain tables)')
        mine = {c.name: c for c in table.columns}
        for c in parent.columns:
            if c.name not in mine or mine[c.name].type != c.type:
                got = f"is {mine[c.name].type}" if c.name in mine else "is missing"
                raise PymigError(f'column "{c.name}" ({c.type}) of "{self.parent}" {got} on "{self.name}"')
            if not c.nullable and mine[c.name].nullable:
                raise PymigError(f'column "{self.name}.{c.name}" allows NULL and "{self.parent}.{c.name}" '
                                 "does not", hint=f'alter_column("{self.name}", "{c.name}", nullable=False) first')
        extra = sorted(set(mine) - {c.name for c in parent.columns})
        if extra:
            raise PymigError(f'"{self.name}" has columns "{self.parent}" does not: {", ".join(extra)}')
        constraints, indexes = self._lacking(schema)
        missing = [c.name for c in constraints if c.kind == "check"]
        if missing:
            raise PymigError(f'"{self.name}" lacks the CHECK constraint(s) of "{self.parent}": '
                             f'{", ".join(missing)}', hint="add_check them to the table first, under the same names")
        _check_bound(schema, parent, self.bound, what)
        schema = schema.with_table(replace(table, constraints=table.constraints + tuple(constraints),
                                           partition_of=self.parent, bound=self.bound))
        for index in indexes:
            schema = schema.with_index(index)
        return schema

    def inverse(self, schema, added):
        constraints, indexes = self._lacking(schema)
        concurrently = not any(t.bound == "DEFAULT" for t in schema.partitions(self.parent))  # else PostgreSQL refuses
        return [DetachPartition(self.parent, self.name, concurrently), *(_op("drop_constraint", self.name, c.name) for c in constraints),
                *(_op("drop_index", i.name) for i in indexes)]


@register
@dataclass(frozen=True)
class DetachPartition(Operation):
    """ALTER TABLE <parent> DETACH PARTITION <name> [CONCURRENTLY]: the partition becomes a table of
    its own, keeping what it got from its parent. CONCURRENTLY (the default) takes no lock that stops
    queries on the parent, and runs outside a transaction."""

    kind = "detach_partition"
    name_fields = {"parent": "qualified", "name": "qualified"}
    parent: str
    name: str
    concurrently: bool = True

    def describe(self):
        return f"detach_partition {self.name} from {self.parent}"

    def state_forwards(self, schema):
        table = schema.table(self.name)
        if table.partition_of != self.parent:
            raise PymigError(f'table "{self.name}" is not a partition of "{self.parent}"')
        if self.concurrently:
            default = next((t.name for t in schema.partitions(self.parent)
                            if t.bound == "DEFAULT" and t.name != self.name), None)
            if default:
                raise PymigError(f'PostgreSQL cannot detach concurrently while "{self.parent}" '
                                 f'has a default partition ("{default}")',
                                 hint="pass concurrently=False (the parent is then locked while it detaches)")
        return schema.with_table(replace(table, partition_of=None, bound=None))

    def inverse(self, schema, added):
        return [AttachPartition(self.parent, self.name, schema.table(self.name).bound)]


def recreate_partition(schema: Schema, name: str) -> list:
    """The operations that create partition `name` again as it is in `schema` (drop_table's
    inverse): create_partition, then what it holds beyond what its parent gives it."""
    table = schema.table(name)
    table_from_parent, indexes = CreatePartition(table.partition_of, name, table.bound).partition(schema)
    given = {c.name for c in table_from_parent.constraints}
    given_indexes = {i.name for i in indexes}
    return [CreatePartition(table.partition_of, name, table.bound),
            *(_op("add_check", name, c) for c in table.constraints if c.name not in given),
            *(_op("create_index", i) for i in schema.indexes_on(name) if i.name not in given_indexes)]


def follow_parent(before: Schema, after: Schema, parent: str) -> Schema:
    """`after` with the partitions of `parent` changed as PostgreSQL changes them with it: its
    columns (added, dropped, renamed, altered), the constraints it gives them, the indexes of
    its indexes. `before` is the schema before the operation that changed `parent`."""
    old, new = before.tables.get(parent), after.tables.get(parent)
    if old is None or new is None or not new.partition_by:
        return after
    for p in after.partitions(parent):
        mine = {c.name: c for c in p.columns}
        same_count = len(old.columns) == len(new.columns)  # altered or renamed: by position
        sources = [mine.get(o.name) for o in old.columns] if same_count else [mine.get(n.name) for n in new.columns]
        columns = tuple(replace(n, comment=s.comment if s else None) for n, s in zip(new.columns, sources))
        after = after.with_table(replace(p, columns=columns, constraints=_followed(old, new, p)))
        for name in {*before.indexes, *after.indexes}:
            was, now = before.indexes.get(name), after.indexes.get(name)
            if was == now or (was or now).table != parent:
                continue
            mine = after.indexes.get(inherited_index(was, p.name).name) if was is not None else None
            if mine is not None:
                after = after.without_index(mine.name)
            if now is not None:  # an index changed in place keeps its partition's name
                after = after.with_index(replace(inherited_index(now, p.name), **({"name": mine.name} if mine else {})))
    return after


def _followed(old: Table, new: Table, p: Table) -> tuple[Constraint, ...]:
    def counterpart(c):  # the constraint of p that the parent's `c` gave it
        return next((pc for pc in p.constraints if pc.kind == c.kind and
                     (pc.columns == c.columns if c.kind in _SUFFIX else pc.name == c.name)), None)

    olds, news = {c.name: c for c in old.constraints}, {c.name: c for c in new.constraints}
    out = list(p.constraints)
    for name, oc in olds.items():
        if news.get(name) == oc:
            continue
        mine = counterpart(oc)
        if mine is not None:
            out.remove(mine)
        if name in news:
            out.append(replace(inherited_constraint(news[name], p.name), **({"name": mine.name} if mine else {})))
    out += [inherited_constraint(c, p.name) for name, c in news.items() if name not in olds]
    return tuple(out)


def followed_by_partitions(state_forwards):
    """Decorates the state_forwards of an operation on `self.table` that PostgreSQL carries into the
    table's partitions (add_column, alter_column, add_check, ...)."""
    @functools.wraps(state_forwards)
    def wrapped(self, schema):
        return follow_parent(schema, state_forwards(self, schema), self.table)
    return wrapped
