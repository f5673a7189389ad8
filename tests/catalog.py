"""Comparing the schema pymig predicts with the one PostgreSQL reports, for the round trip.

After a migration, the catalog (read by PostgresDialect.introspect) must equal the state its
operations predict. The two can differ only in what cannot be predicted from the operations'
text; each normalisation below absorbs one such difference and says why it exists:

- `spelled_by_catalog`: expressions as PostgreSQL prints them. The server stores defaults, CHECK
  expressions and index expressions parsed and prints them back with its own casts and
  parentheses (generated columns' expressions too) (`'member'` on a varchar column reads back `'member'::character varying`,
  `lower(email)` reads back `lower(email::text)`). The predicted expressions are written into a
  scratch temporary table, in a transaction that is rolled back, and read back from there, so
  no hand-written rule guesses the server's spelling. The same temporary CHECK also gives the
  columns the expression mentions, which the catalog lists (conkey) and a DSL table-level check
  does not.
- `comparable`: a table's constraints sorted by name (PostgreSQL keeps no order among them;
  introspection lists them by name, operations append). `definition`, the catalog's exact text
  of a constraint or index, is compared only where the prediction carries one: an object an
  operation creates has none yet, while an object read from the catalog and carried through the
  operations (renamed, say) keeps its text and must still match.
- The default index method needs no normalisation: the DSL and introspection both store btree
  as None.
- Exclusion constraints: their elements and predicate as PostgreSQL prints them, read back from
  the same constraint added to the scratch table.
- Partitioning: a partitioned table's key (pg_get_partkeydef) and a partition's bound
  (`FROM ('2024-01-01')` reads back `FROM ('2024-01-01 00:00:00+00')` on a timestamptz key), read
  back from a scratch partitioned temporary table and a partition of it.
- Views and triggers: a view's query and a trigger's WHEN condition as PostgreSQL prints them
  (`users.id`, `new.name`), read back from a scratch temporary view / a trigger on the scratch
  table; a view's explicit column names show in that text as aliases. A function's and a
  trigger's catalog text (`definition`) is compared only where the prediction has one, as for
  constraints.

After a revert nothing is normalised: the catalog must equal the one before the migration.
`relations` adds what the Schema does not model (sequences and their owners, every relation by
kind), so a leftover sequence or index cannot hide there.
"""

from __future__ import annotations

from dataclasses import replace

from pymig.dialects.postgres_objects import read_trigger, view_query
from pymig.names import bare
from pymig.schema import Function, Schema, View
from pymig.types import SERIAL_BASE

SCRATCH = "pymig_spelling"

_DEFAULTS = """
SELECT a.attname, pg_get_expr(d.adbin, d.adrelid)
FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
WHERE d.adrelid = %s
"""
_CHECKS = """
SELECT con.conname, pg_get_expr(con.conbin, con.conrelid, true),
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint con WHERE con.conrelid = %s AND con.contype = 'c'
"""
_EXCLUSIONS = """
SELECT con.conname, pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(SELECT pg_get_indexdef(con.conindid, k.n::int, true) FROM unnest(con.conexclop) WITH ORDINALITY k(op, n)
             ORDER BY k.n)
FROM pg_constraint con JOIN pg_index ix ON ix.indexrelid = con.conindid
WHERE con.conrelid = %s AND con.contype = 'x'
"""
_INDEXES = """
SELECT i.relname, pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                    || CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
             FROM generate_series(1, ix.indnkeyatts) k ORDER BY k)
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
WHERE ix.indrelid = %s
"""
_RELATIONS = """
SELECT c.relname, c.relkind::text,
       (SELECT t.relname || '.' || a.attname FROM pg_depend d
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE c.relkind = 'S' AND d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
          AND d.refobjsubid > 0 LIMIT 1),
       (SELECT format_type(s.seqtypid, NULL) FROM pg_sequence s WHERE s.seqrelid = c.oid)
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname NOT LIKE 'pymig\\_%'
ORDER BY c.relname
"""


def spelled_by_catalog(db, dialect, schema: Schema) -> Schema:
    """`schema` with its defaults, CHECK expressions and index expressions as PostgreSQL prints
    them (and each CHECK's columns as the catalog lists them). Leaves nothing behind."""
    tables, indexes = dict(schema.tables), dict(schema.indexes)
    for table in schema.tables.values():
        db.execute("BEGIN")
        try:
            columns = ", ".join(
                f"{dialect.quote(c.name)} {SERIAL_BASE.get(c.type, c.type)}"
                + (f" COLLATE {dialect.quote(c.collation)}" if c.collation else "")
                + (f" GENERATED ALWAYS AS ({c.generated}) STORED" if c.generated else "")
                for c in table.columns
            )
            db.execute(f"CREATE TEMP TABLE {SCRATCH} ({columns})")
            oid = db.rows(f"SELECT 'pg_temp.{SCRATCH}'::regclass::oid")[0][0]
            for c in table.columns:
                if c.default is not None:
                    db.execute(f"ALTER TABLE pg_temp.{SCRATCH} ALTER COLUMN {dialect.quote(c.name)} "
                               f"SET DEFAULT {c.default}")
            for c in table.constraints:
                if c.kind == "check":
                    db.execute(f"ALTER TABLE pg_temp.{SCRATCH} ADD CONSTRAINT {dialect.quote(c.name)} "
                               f"CHECK ({c.expression})")
                if c.kind == "exclusion" and not c.definition:
                    db.execute(f"ALTER TABLE pg_temp.{SCRATCH} ADD {dialect.constraint_sql(c)}")
            own = schema.indexes_on(table.name)
            for index in own:
                scratch_index = replace(index, table=SCRATCH, definition=None, comment=None)
                db.execute(dialect.create_index(scratch_index)[0])
            triggers = []
            for t in table.triggers:
                db.execute(dialect.create_trigger(replace(t, table=SCRATCH, definition=None))[0])
                definition = db.rows(f"SELECT pg_get_triggerdef(oid, true) FROM pg_trigger WHERE tgrelid = {oid} "
                                     f"AND tgname = {dialect.literal(t.name)}")[0][0]
                triggers.append(replace(t, condition=read_trigger(t.name, table.name, t.function, 0,
                                                                  definition).condition))
            defaults = dict(db.rows(_DEFAULTS, (oid,)))
            checks = {name: (expr, tuple(cols)) for name, expr, cols in db.rows(_CHECKS, (oid,))}
            exclusions = {name: (where, tuple(elements)) for name, where, elements in db.rows(_EXCLUSIONS, (oid,))}
            spelled = {name: (where, tuple(cols)) for name, where, cols in db.rows(_INDEXES, (oid,))}
        finally:
            db.execute("ROLLBACK")
        tables[table.name] = replace(
            table, triggers=tuple(triggers),
            columns=tuple(replace(c, generated=defaults.get(c.name)) if c.generated
                          else replace(c, default=defaults.get(c.name)) for c in table.columns),
            constraints=tuple(
                replace(c, expression=checks[c.name][0], columns=checks[c.name][1]) if c.kind == "check"
                else _exclusion(c, *exclusions[c.name]) if c.name in exclusions else c
                for c in table.constraints
            ),
        )
        for index in own:
            where, cols = spelled[bare(index.name)]  # created bare, in pg_temp
            indexes[index.name] = replace(index, columns=cols, where=where)
    for table in schema.tables.values():
        if table.partition_by or table.partition_of:
            tables[table.name] = replace(tables[table.name], **_partitioning(db, dialect, schema, table))
    objects = dict(schema.objects)
    for key, view in schema.objects.items():
        if isinstance(view, View):
            objects[key] = replace(view, query=_view_query(db, dialect, view), columns=())
    return Schema(tables, indexes, objects=objects)


def _partitioning(db, dialect, schema: Schema, table) -> dict:
    """A partitioned table's key and a partition's bound as PostgreSQL prints them, read back from
    a scratch partitioned temporary table (and a partition of it)."""
    parent = schema.tables[table.partition_of] if table.partition_of else table
    columns = ", ".join(f"{dialect.quote(c.name)} {SERIAL_BASE.get(c.type, c.type)}" for c in parent.columns)
    db.execute("BEGIN")
    try:
        db.execute(f"CREATE TEMP TABLE {SCRATCH} ({columns}) PARTITION BY {parent.partition_by}")
        out = {}
        if table.partition_by:
            out["partition_by"] = db.rows(f"SELECT pg_get_partkeydef('pg_temp.{SCRATCH}'::regclass)")[0][0]
        if table.partition_of:
            db.execute(f"CREATE TEMP TABLE {SCRATCH}_part PARTITION OF pg_temp.{SCRATCH} {table.bound}")
            out["bound"] = db.rows(f"SELECT pg_get_expr(relpartbound, oid) FROM pg_class "
                                   f"WHERE oid = 'pg_temp.{SCRATCH}_part'::regclass")[0][0]
        return out
    finally:
        db.execute("ROLLBACK")


def _exclusion(c, where, elements):
    """An exclusion constraint's elements and predicate as the catalog prints them."""
    return replace(c, where=where, elements=tuple((e, op) for e, (_, op) in zip(elements, c.elements)))


def _view_query(db, dialect, view: View) -> str:
    db.execute("BEGIN")
    try:
        cols = f" ({dialect.quote_list(view.columns)})" if view.columns else ""
        db.execute(f"CREATE TEMP VIEW {SCRATCH}{cols} AS {view.query}")
        return view_query(db.rows(f"SELECT pg_get_viewdef('pg_temp.{SCRATCH}'::regclass, true)")[0][0])
    finally:
        db.execute("ROLLBACK")


def comparable(actual: Schema, predicted: Schema) -> tuple[Schema, Schema]:
    """Both schemas with constraints in name order and `definition` kept only where the
    prediction has one (see the module docstring)."""
    keep = {("index", i.name) for i in predicted.indexes.values() if i.definition}
    keep |= {("constraint", t.name, c.name) for t in predicted.tables.values()
             for c in t.constraints if c.definition}
    keep |= {("trigger", t.name, tg.name) for t in predicted.tables.values() for tg in t.triggers if tg.definition}
    keep |= {key for key, o in predicted.objects.items() if isinstance(o, Function) and o.definition}
    return _normal(actual, keep), _normal(predicted, keep)


def _normal(schema: Schema, keep: set) -> Schema:
    tables = {
        name: replace(t, constraints=tuple(sorted(
            (c if ("constraint", name, c.name) in keep else replace(c, definition=None) for c in t.constraints),
            key=lambda c: c.name,
        )), triggers=tuple(sorted(
            (tg if ("trigger", name, tg.name) in keep else replace(tg, definition=None) for tg in t.triggers),
            key=lambda tg: tg.name,
        )))
        for name, t in schema.tables.items()
    }
    indexes = {
        name: i if ("index", name) in keep else replace(i, definition=None)
        for name, i in schema.indexes.items()
    }
    objects = {key: o if key in keep or not isinstance(o, Function) else replace(o, definition=None)
               for key, o in schema.objects.items()}
    return Schema(tables, indexes, objects=objects)


def relations(db) -> list[tuple]:
    """Every relation of the current schema (pymig's history tables aside): name, kind, the
    column that owns it (a serial's sequence) and a sequence's type."""
    return db.rows(_RELATIONS)
