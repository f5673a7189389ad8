"""PostgreSQL's online recipes (SAFETY.md): on tables that existed before the run, changes keep
reads and writes flowing: CREATE INDEX CONCURRENTLY, constraints added NOT VALID and validated
apart, SET NOT NULL proven by a validated CHECK, volatile defaults backfilled in batches."""

from __future__ import annotations

import re
from dataclasses import replace

from ..ops.base import object_name
from ..names import bare, sibling
from ..schema import Index
from ..steps import Commit, Sql, Warning


_NO_REWRITE = [
    (r"character varying\((\d+)\)", r"character varying\((\d+)\)", lambda a, b: int(b) >= int(a)),
    (r"character varying(\(\d+\))?", r"(text|character varying)", lambda *_: True),
    (r"text", r"character varying", lambda *_: True),
    (r"numeric\((\d+),(\d+)\)", r"numeric\((\d+),(\d+)\)", lambda p, s, p2, s2: s2 == s and int(p2) >= int(p)),
    (r"numeric\(\d+(,\d+)?\)", r"numeric", lambda *_: True),
]


def rewrite_warning(old: str, new: str, using: str | None) -> str | None:
    """What an ALTER COLUMN TYPE costs: None when PostgreSQL only updates the catalog."""
    if old == new and not using:
        return None
    if not using:
        for a, b, ok in _NO_REWRITE:
            ma, mb = re.fullmatch(a, old), re.fullmatch(b, new)
            if ma and mb and ok(*[g for g in ma.groups() + mb.groups() if g is not None and not g.startswith("(")]):
                return None
    return (f"changing the type from {old} to {new} rewrites the table and its indexes under an "
            "ACCESS EXCLUSIVE lock: reads and writes wait until it finishes")


def _partitioned(schema, table: str) -> bool:
    t = schema.tables.get(table)
    return t is not None and bool(t.partition_by)


class OnlineRecipes:
    """The `<kind>_steps` overrides of PostgresDialect for live tables."""

    def _concurrent_index(self, index: Index, constraint: str | None = None) -> list:
        """CREATE INDEX CONCURRENTLY, outside any transaction and without the short lock timeout.
        A leftover INVALID index of the same name (an earlier build that failed) is dropped first;
        IF NOT EXISTS makes a rerun after a crash a no-op."""
        name = self.qname(index.name)
        text = self.create_index(index)[0]
        text = re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX CONCURRENTLY IF NOT EXISTS ", text, count=1)
        drop = Sql(f"DROP INDEX CONCURRENTLY IF EXISTS {name}", transactional=False)
        invalid = (f"SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass({self.literal(name)})")
        return [
            Sql(drop.text, transactional=False, only_if=invalid),
            Sql(text, transactional=False, undo=drop),
        ]

    def index_steps(self, index, live):
        if not live:
            return super().index_steps(index, live)
        comment = [Sql(self.comment_on("index", index.name, index.comment))] if index.comment else []
        return self._concurrent_index(index) + comment

    def create_index_steps(self, op, change):
        if not _partitioned(change.before, op.index.table) or not change.is_live(op.index.table):
            return super().create_index_steps(op, change)
        # PostgreSQL has no CREATE INDEX CONCURRENTLY on a partitioned table
        return [Warning(f"{op.describe()}: {op.index.table} is partitioned, which PostgreSQL cannot index "
                        "concurrently: writes to it wait while each partition is indexed"),
                *self.index_steps(op.resolved(change.before), False)]

    def drop_index_steps(self, op, change):
        index = change.before.indexes.get(op.name)
        if index is not None and (not change.is_live(index.table) or _partitioned(change.before, index.table)):
            return super().drop_index_steps(op, change)  # no DROP INDEX CONCURRENTLY of a partitioned index
        return [Sql(f"DROP INDEX CONCURRENTLY IF EXISTS {self.qname(op.name)}", transactional=False)]

    def constraint_steps(self, table, c, live):
        if live and c.kind == "exclusion":  # no USING INDEX for an exclusion: its index is built under the lock
            return [Warning(f"add_exclusion {c.name} on {table}: PostgreSQL builds its index under an ACCESS "
                            f"EXCLUSIVE lock (an exclusion constraint cannot be added from an index built "
                            f"concurrently): reads and writes of {table} wait until it finishes"),
                    *super().constraint_steps(table, c, live)]
        if not live or c.kind not in ("foreign_key", "check", "unique", "primary_key") or (
                c.definition and not c.validated):
            return super().constraint_steps(table, c, live)
        t, n = self.qname(table), self.quote(c.name)
        if c.kind in ("unique", "primary_key"):
            # build the index without blocking writes, then attach it: a brief ACCESS EXCLUSIVE only
            body = c.definition or self.constraint_body(c)
            unique = Index(sibling(table, c.name), table, tuple(self.quote(x) for x in c.columns), unique=True)
            kind = "PRIMARY KEY" if c.kind == "primary_key" else "UNIQUE"
            if c.definition and "USING INDEX" not in body and not re.fullmatch(r"(UNIQUE|PRIMARY KEY) \([^()]*\)", body):
                return super().constraint_steps(table, c, live)  # e.g. INCLUDE or NULLS NOT DISTINCT
            return [*self._concurrent_index(unique),
                    Sql(f"ALTER TABLE {t} ADD CONSTRAINT {n} {kind} USING INDEX {n}")]
        # NOT VALID takes its lock briefly and scans nothing; VALIDATE scans without blocking writes
        return [
            Sql(f"ALTER TABLE {t} ADD {self.constraint_sql(c)} NOT VALID",
                undo=Sql(f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}")),
            Commit(),
            Sql(f"ALTER TABLE {t} VALIDATE CONSTRAINT {n}"),
        ]

    def attach_partition_steps(self, op, change):
        """On a table in use, the bound is proven first by a CHECK added NOT VALID and validated
        (which blocks no writes), so ATTACH finds it implied and scans nothing under its lock; the
        helper CHECK is dropped after."""
        from ..sqltext import partition_check

        attach = [Sql(s) for s in self.attach_partition(op.parent, op.name, op.bound)]
        lacking, indexes = op._lacking(change.before)
        steps = [Warning(f"{op.describe()}: PostgreSQL builds {k} {n} on {op.name} under its lock while it attaches")
                 for k, n in [*(("constraint", c.name) for c in lacking if c.kind != "check"),
                              *(("index", i.name) for i in indexes)]] if change.is_live(op.name) else []
        default = next((t.name for t in change.before.partitions(op.parent) if t.bound == "DEFAULT"), None)
        if default and change.is_live(default):
            steps.append(Warning(f"{op.describe()}: PostgreSQL scans the default partition {default} for rows of "
                                 "the new bound, under a lock that stops its writes"))
        check = partition_check(change.before.table(op.parent).partition_by, op.bound)
        if not change.is_live(op.name) or check is None:
            return steps + attach
        t, n = self.qname(op.name), self.quote(object_name(op.name, suffix="pymig_bound"))
        return steps + [
            Sql(f"ALTER TABLE {t} ADD CONSTRAINT {n} CHECK ({check}) NOT VALID",
                undo=Sql(f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n}")),
            Commit(),
            Sql(f"ALTER TABLE {t} VALIDATE CONSTRAINT {n}"),
            *attach,
            Sql(f"ALTER TABLE {t} DROP CONSTRAINT {n}"),
        ]

    def detach_partition_steps(self, op, change):
        """CONCURRENTLY outside any transaction; an earlier one that was interrupted is finished
        first. PostgreSQL then leaves a CHECK copy of the partition's bound on the table: dropped,
        so the table is what it was inside its parent."""
        if not op.concurrently or not change.is_live(op.parent):
            return super().detach_partition_steps(op, change)
        from ..sqltext import columns_used, partition_key

        _, keys = partition_key(change.before.table(op.parent).partition_by)
        columns = list(dict.fromkeys(c for k in keys for c in columns_used(k)))
        base = object_name(op.name, *columns[:1] if len(columns) == 1 else (), suffix="check")
        taken = {c.name for c in change.before.table(op.name).constraints}
        check = next(n for n in (base, *(f"{base}{i}" for i in range(1, 100))) if n not in taken)
        return [Sql(self.detach_partition(op.parent, op.name, finalize=True)[0], transactional=False,
                    only_if=self.detach_pending_query(op.name)),
                Sql(self.detach_partition(op.parent, op.name, concurrently=True)[0], transactional=False),
                Sql(f"ALTER TABLE {self.qname(op.name)} DROP CONSTRAINT IF EXISTS {self.quote(check)}")]

    def column_change_steps(self, table, name, before, live, *, nullable=None, **changes):
        steps = []
        if live and changes.get("type") is not None and before is not None:
            lock = rewrite_warning(before.type, changes["type"], changes.get("using"))
            if lock:
                steps.append(Warning(f'alter_column {table}.{name}: {lock}'))
        if not live or nullable is not False:
            return steps + super().column_change_steps(table, name, before, live, nullable=nullable, **changes)
        steps += super().column_change_steps(table, name, before, live, **changes)
        return steps + self._set_not_null(table, name)

    def _set_not_null(self, table: str, name: str) -> list:
        """SET NOT NULL scans under ACCESS EXCLUSIVE, unless a validated CHECK (c IS NOT NULL) proves it."""
        t, c = self.qname(table), self.quote(name)
        check = self.quote(object_name(bare(table), name, suffix="pymig_not_null"))
        return [
            Sql(f"ALTER TABLE {t} ADD CONSTRAINT {check} CHECK ({c} IS NOT NULL) NOT VALID",
                undo=Sql(f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {check}")),
            Commit(),
            Sql(f"ALTER TABLE {t} VALIDATE CONSTRAINT {check}"),
            Sql(f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"),
            Sql(f"ALTER TABLE {t} DROP CONSTRAINT {check}"),
        ]

    def batch_keys(self, key, select):
        """The keys as an array: the batch is an index lookup of its own rows. With `IN (select)` the
        planner turns to a hash join over a scan of the whole table once a batch has a few thousand
        rows (5000 of 1M), so every batch read the table and held its row locks that long."""
        return f"{key} = ANY(ARRAY({select}))"

    def add_column_steps(self, op, change):
        live = change.is_live(op.table)
        if not live:
            return super().add_column_steps(op, change)
        table, table_name, column = change.before.tables.get(op.table), op.table, op.column
        steps = []
        volatile = column.default is not None and self.is_volatile(column.default)
        if volatile:
            # a volatile default rewrites the table: add it bare, set the default, backfill in batches
            bare = replace(column, default=None, nullable=True)
            steps += [Sql(s) for s in self.add_column(table_name, bare)]
            steps += [Sql(s) for s in self.alter_column(table_name, column.name, change_default=True,
                                                        default=column.default)]
            if table is not None:
                # statistics for the new column first: without them the planner takes "IS NULL" for 0.5%
                # of the rows and, for batches larger than that, sorts the whole table for each one
                steps += [Commit(), Sql(f"ANALYZE {self.qname(table_name)} ({self.quote(column.name)})"),
                          self.backfill(table, {column.name: column.default},
                                        f"{self.quote(column.name)} IS NULL", 10_000, online=True)]
            if not column.nullable:
                steps += self._set_not_null(table_name, column.name)
        else:
            steps += [Sql(s) for s in self.add_column(table_name, column)]
        for c in op.constraints:
            steps += self.constraint_steps(table_name, c, live)
        return steps
