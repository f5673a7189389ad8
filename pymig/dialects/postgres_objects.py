"""PostgreSQL: the SQL of the object kinds beyond tables and indexes (views, enums, sequences,
functions, triggers, extensions, schemas, comments, privileges), and their reading from the catalog.

PostgresDialect takes the rendering as a mixin; `read_objects` completes the Schema that
PostgresDialect.introspect reads. Everything is read from the current schema (schemas and
extensions: the database), as PostgreSQL prints it (pg_get_viewdef, pg_get_functiondef, ...),
so an inverse re-creates exactly what was there."""

from __future__ import annotations

from dataclasses import replace

from ..names import bare, column_ref, sibling
from ..sqltext import dollar_tag
from ..schema import (Column, EnumType, Extension, Function, Namespace, Schema, Sequence,
                      Table, Trigger, View, canonical_options)
from ..types import SERIAL_BASE

_OWN = "relnamespace = current_schema()::regnamespace AND relname NOT LIKE 'pymig\\_%'"
_NOT_EXTENSION = ("NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = {cls}::regclass "
                  "AND e.objid = {oid} AND e.deptype = 'e')")

_VIEWS = f"""
SELECT c.relname, c.relkind = 'm', pg_get_viewdef(c.oid, true), obj_description(c.oid, 'pg_class')
FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.{_OWN}
  AND {_NOT_EXTENSION.format(cls="'pg_class'", oid="c.oid")}
ORDER BY 1
"""

_RELATION_COMMENTS = f"""
SELECT c.relname, d.description FROM pg_class c JOIN pg_description d
  ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
WHERE c.relkind IN ('r', 'p', 'i') AND c.{_OWN}
"""

_COLUMN_COMMENTS = f"""
SELECT c.relname, a.attname, d.description FROM pg_class c
JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid > 0
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid
WHERE c.relkind IN ('r', 'p') AND c.{_OWN}
"""

_CONSTRAINT_COMMENTS = f"""
SELECT c.relname, con.conname, d.description FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_description d ON d.classoid = 'pg_constraint'::regclass AND d.objoid = con.oid
WHERE c.{_OWN}
"""

# Privileges granted to others than the owner, table-wide and per column (PUBLIC is grantee 0).
_GRANTS = f"""
SELECT c.relname, coalesce(r.rolname, 'public'), x.privilege_type, NULL::text, x.is_grantable
FROM pg_class c, aclexplode(c.relacl) x LEFT JOIN pg_roles r ON r.oid = x.grantee
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.{_OWN} AND x.grantee <> c.relowner
UNION ALL
SELECT c.relname, coalesce(r.rolname, 'public'), x.privilege_type, a.attname::text, x.is_grantable
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped,
     aclexplode(a.attacl) x LEFT JOIN pg_roles r ON r.oid = x.grantee
WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.{_OWN} AND x.grantee <> c.relowner
"""

_ENUMS = f"""
SELECT t.typname, ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid
                        ORDER BY e.enumsortorder), obj_description(t.oid, 'pg_type')
FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace = current_schema()::regnamespace
  AND {_NOT_EXTENSION.format(cls="'pg_type'", oid="t.oid")}
ORDER BY 1
"""

# A serial's or an identity column's sequence belongs to its column, not to this list.
_SEQUENCES = f"""
SELECT c.relname, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle,
       (SELECT t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
          AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 LIMIT 1),
       obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE c.{_OWN} AND {_NOT_EXTENSION.format(cls="'pg_class'", oid="c.oid")}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'i')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_attrdef ad ON ad.adrelid = d.refobjid
                    AND ad.adnum = d.refobjsubid
                  JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
                    AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                    AND pg_get_expr(ad.adbin, ad.adrelid) = 'nextval(' || quote_literal(c.oid::regclass::text) || '::regclass)')
ORDER BY 1
"""

_FUNCTIONS = f"""
SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid), p.prosrc,
       l.lanname, p.provolatile, pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc')
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'f'
  AND {_NOT_EXTENSION.format(cls="'pg_proc'", oid="p.oid")}
ORDER BY 1
"""

_TRIGGERS = f"""
SELECT tg.tgname, c.relname,
       CASE WHEN p.pronamespace = c.relnamespace THEN p.proname::text
            ELSE (SELECT nspname FROM pg_namespace WHERE oid = p.pronamespace) || '.' || p.proname END,
       tg.tgtype, pg_get_triggerdef(tg.oid, true)
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid
WHERE NOT tg.tgisinternal AND c.{_OWN}
ORDER BY 2, 1
"""

_EXTENSIONS = """
SELECT e.extname, n.nspname <> current_schema(), n.nspname,
       e.extversion IS DISTINCT FROM a.default_version, e.extversion
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_available_extensions a ON a.name = e.extname
WHERE e.extname <> 'plpgsql'
ORDER BY 1
"""

_SCHEMAS = f"""
SELECT n.nspname, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public')
  AND n.nspname <> current_schema() AND n.nspname NOT LIKE 'pg\\_%'
  AND {_NOT_EXTENSION.format(cls="'pg_namespace'", oid="n.oid")}
ORDER BY 1
"""

_VOLATILITY = {"i": "immutable", "s": "stable", "v": None}
ALL_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def read_trigger(name, table, function, tgtype, definition) -> Trigger:
    """tgtype bits (pg_trigger.h): 1 row, 2 before, 64 instead, 4 insert, 8 delete, 16 update,
    32 truncate. The WHEN condition is the catalog's own text between `WHEN (` and `) EXECUTE`."""
    when = "instead of" if tgtype & 64 else "before" if tgtype & 2 else "after"
    events = tuple(e for bit, e in ((4, "insert"), (16, "update"), (8, "delete"), (32, "truncate"))
                   if tgtype & bit)
    condition = None
    head, sep, _ = definition.rpartition(") EXECUTE ")
    if sep and " WHEN (" in head:
        condition = head.split(" WHEN (", 1)[1]
    return Trigger(name, table, function, when, events, "row" if tgtype & 1 else "statement",
                   condition, definition)


def read_objects(db, schema: Schema) -> Schema:
    """`schema` (tables and indexes) completed with comments, privileges, triggers and the other kinds."""
    rel_comments = dict(db.rows(_RELATION_COMMENTS))
    col_comments = {(t, c): d for t, c, d in db.rows(_COLUMN_COMMENTS)}
    con_comments = {(t, c): d for t, c, d in db.rows(_CONSTRAINT_COMMENTS)}
    grants: dict[str, list] = {}
    for rel, role, privilege, column, grantable in db.rows(_GRANTS):
        grants.setdefault(rel, []).append((role, privilege, column, grantable))
    triggers: dict[str, list] = {}
    for row in db.rows(_TRIGGERS):
        trigger = read_trigger(*row)
        triggers.setdefault(trigger.table, []).append(trigger)
    tables = {
        name: replace(
            t, comment=rel_comments.get(name), grants=tuple(sorted(grants.get(name, ()), key=_privilege_key)),
            triggers=tuple(triggers.get(name, ())),
            columns=tuple(replace(c, comment=col_comments.get((name, c.name))) for c in t.columns),
            constraints=tuple(replace(c, comment=con_comments.get((name, c.name))) for c in t.constraints))
        for name, t in schema.tables.items()
    }
    indexes = {n: replace(i, comment=rel_comments.get(n)) for n, i in schema.indexes.items()}
    objects = {}
    for name, materialized, query, comment in db.rows(_VIEWS):
        objects["view", name] = View(name, view_query(query), materialized, (), comment,
                                     tuple(sorted(grants.get(name, ()), key=_privilege_key)))
    for name, values, comment in db.rows(_ENUMS):
        objects["enum", name] = EnumType(name, tuple(values), comment)
    for name, start, increment, minimum, maximum, cycle, owned_by, comment in db.rows(_SEQUENCES):
        objects["sequence", name] = Sequence(name, *canonical_options(start, increment, minimum, maximum),
                                             cycle, owned_by, comment)
    for name, args, returns, body, language, volatility, definition, comment in db.rows(_FUNCTIONS):
        objects["function", name] = Function(name, args, returns, body, language, _VOLATILITY[volatility],
                                             definition, comment)
    for name, elsewhere, namespace, other_version, version in db.rows(_EXTENSIONS):
        objects["extension", name] = Extension(name, namespace if elsewhere else None,
                                               version if other_version else None)
    for name, comment in db.rows(_SCHEMAS):
        objects["schema", name] = Namespace(name, comment)
    return Schema(tables, indexes, schema.new_tables, objects)


def tables_only(schema: Schema) -> Schema:
    """`schema` without what read_objects adds: for pymig.catalog, which reads those kinds itself
    (as objects with their SQL) and must not meet them twice."""
    tables = {n: replace(t, comment=None, grants=(), triggers=(),
                         columns=tuple(replace(c, comment=None) for c in t.columns),
                         constraints=tuple(replace(c, comment=None) for c in t.constraints))
              for n, t in schema.tables.items()}
    indexes = {n: replace(i, comment=None) for n, i in schema.indexes.items()}
    return Schema(tables, indexes, schema.new_tables)


def view_query(text: str) -> str:
    """pg_get_viewdef's text without its surrounding blanks and final semicolon."""
    return text.strip().removesuffix(";").rstrip()


def _privilege_key(p) -> tuple:
    role, privilege, column, grantable = p
    return role, privilege, column or "", grantable


class SequencesAndFunctions:
    """The SQL of sequences, functions and triggers (PostgresObjects)."""

    def sequence_options(self, seq: Sequence) -> str:
        parts = [f"INCREMENT BY {seq.increment}" if seq.increment is not None else "",
                 f"MINVALUE {seq.min}" if seq.min is not None else "",
                 f"MAXVALUE {seq.max}" if seq.max is not None else "",
                 f"START WITH {seq.start}" if seq.start is not None else "",
                 "CYCLE" if seq.cycle else ""]
        return " ".join(p for p in parts if p)

    def owned_by(self, owned_by: str | None) -> str:
        if not owned_by:
            return "OWNED BY NONE"
        table, column = column_ref(owned_by)
        return f"OWNED BY {self.qname(table)}.{self.quote(column)}"

    def create_sequence(self, seq: Sequence) -> list[str]:
        options = self.sequence_options(seq)
        owned = f" {self.owned_by(seq.owned_by)}" if seq.owned_by else ""
        out = [f"CREATE SEQUENCE {self.qname(seq.name)}" + (f" {options}" if options else "") + owned]
        return out + ([self.comment_on("sequence", seq.name, seq.comment)] if seq.comment else [])

    def alter_sequence(self, before: Sequence, after: Sequence) -> list[str]:
        """The options that differ; a default again is spelled out (NO MINVALUE, START WITH 1...)."""
        parts = []
        if after.increment != before.increment:
            parts.append(f"INCREMENT BY {after.increment or 1}")
        if after.min != before.min:
            parts.append("NO MINVALUE" if after.min is None else f"MINVALUE {after.min}")
        if after.max != before.max:
            parts.append("NO MAXVALUE" if after.max is None else f"MAXVALUE {after.max}")
        if after.start != before.start:
            parts.append(f"START WITH {after.start if after.start is not None else _first(after)}")
        if after.cycle != before.cycle:
            parts.append("CYCLE" if after.cycle else "NO CYCLE")
        if after.owned_by != before.owned_by:
            parts.append(self.owned_by(after.owned_by))
        return [f"ALTER SEQUENCE {self.qname(after.name)} {' '.join(parts)}"] if parts else []

    def drop_sequence(self, name: str) -> list[str]:
        return [f"DROP SEQUENCE {self.qname(name)}"]

    def create_function(self, fn: Function, replace_: bool = False) -> list[str]:
        if fn.definition:  # pg_get_functiondef writes CREATE OR REPLACE itself
            out = [fn.definition.strip()]
        else:
            volatility = f" {fn.volatility.upper()}" if fn.volatility else ""
            head = "CREATE OR REPLACE FUNCTION" if replace_ else "CREATE FUNCTION"
            quote = dollar_tag(fn.body)
            out = [f"{head} {self.qname(fn.name)}({fn.args}) RETURNS {fn.returns} LANGUAGE {fn.language}"
                   f"{volatility} AS {quote}{fn.body}{quote}"]
        return out + ([self.comment_on("function", fn.name, fn.comment)] if fn.comment else [])

    def drop_function(self, name: str) -> list[str]:
        return [f"DROP FUNCTION {self.qname(name)}"]

    def create_trigger(self, t: Trigger) -> list[str]:
        if t.definition:
            return [t.definition]
        events = " OR ".join(e.upper() for e in t.events)
        condition = f" WHEN ({t.condition})" if t.condition else ""
        return [f"CREATE TRIGGER {self.quote(t.name)} {t.when.upper()} {events} ON {self.qname(t.table)} "
                f"FOR EACH {t.for_each.upper()}{condition} EXECUTE FUNCTION {self.qname(t.function)}()"]

    def drop_trigger(self, table: str, name: str) -> list[str]:
        return [f"DROP TRIGGER {self.quote(name)} ON {self.qname(table)}"]


class PostgresObjects(SequencesAndFunctions):
    """The SQL of the object kinds that PostgresDialect renders besides tables and indexes."""

    # -- what the Dialect statements leave out: comments, privileges, triggers ---------------
    def create_table(self, table):
        named = [self.named_sequence(table.name, c) for c in table.columns]
        plain = replace(table, columns=tuple(c for c, _, _ in named))
        return ([s for _, first, _ in named for s in first] + super().create_table(plain)
                + [s for _, _, then in named for s in then] + self.table_extras(table))

    def add_column(self, table, column):
        comment = [self.comment_on("column", column.name, column.comment, table)] if column.comment else []
        plain, first, then = self.named_sequence(table, column)
        return first + super().add_column(table, plain) + then + comment

    def named_sequence(self, table: str, column: Column) -> tuple[Column, list[str], list[str]]:
        """A column whose sequence is not named as a new one's would be (Column.sequence): a serial
        as its integer defaulting to a sequence created before it under that name and owned by it
        after (the catalog `serial` makes), an identity with SEQUENCE NAME. The column to render,
        the statements before it and after it."""
        if column.sequence is None or (column.identity is None and column.type not in SERIAL_BASE):
            return column, [], []
        seq = self.qname(sibling(table, column.sequence))
        if column.identity is not None:
            options = " ".join(o for o in (f"SEQUENCE NAME {seq}", column.identity_options) if o)
            return replace(column, identity_options=options, sequence=None), [], []
        base = SERIAL_BASE[column.type]
        return (replace(column, type=base, default=f"nextval({self.literal(seq)}::regclass)", sequence=None),
                [f"CREATE SEQUENCE {seq} AS {base}"],
                [f"ALTER SEQUENCE {seq} OWNED BY {self.qname(table)}.{self.quote(column.name)}"])

    def add_constraint(self, table, c):
        comment = [self.comment_on("constraint", c.name, c.comment, table)] if c.comment else []
        return super().add_constraint(table, c) + comment

    def create_index(self, index):
        comment = [self.comment_on("index", index.name, index.comment)] if index.comment else []
        return super().create_index(index) + comment

    # -- comments ---------------------------------------------------------------------------
    def comment_on(self, kind: str, name: str, text: str | None, table: str | None = None) -> str:
        """COMMENT ON <kind>; `table` for a column, constraint or trigger."""
        q, qn = self.quote, self.qname
        target = {"column": lambda: f"COLUMN {qn(table)}.{q(name)}",
                  "constraint": lambda: f"CONSTRAINT {q(name)} ON {qn(table)}",
                  "trigger": lambda: f"TRIGGER {q(name)} ON {qn(table)}",
                  "schema": lambda: f"SCHEMA {q(name)}",
                  "enum": lambda: f"TYPE {qn(name)}"}.get(kind, lambda: f"{kind.upper()} {qn(name)}")()
        return f"COMMENT ON {target} IS {self.literal(text)}"

    def set_comment(self, kind: str, name: str, text: str | None, table: str | None = None) -> list[str]:
        return [self.comment_on(kind, name, text, table)]

    def table_extras(self, table: Table) -> list[str]:
        """What CREATE TABLE cannot say: comments, privileges, triggers (a table read from the
        catalog and dropped comes back with them)."""
        out = [self.comment_on("table", table.name, table.comment)] if table.comment else []
        out += [self.comment_on("column", c.name, c.comment, table.name) for c in table.columns if c.comment]
        out += [self.comment_on("constraint", c.name, c.comment, table.name)
                for c in table.constraints if c.comment]
        out += self.grant_all(table.name, table.grants)
        return out + [s for t in table.triggers for s in self.create_trigger(t)]

    # -- privileges -------------------------------------------------------------------------
    def missing_role_query(self, role: str) -> str | None:
        if role.lower() == "public":
            return None
        return f"SELECT {self.literal(role)} WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {self.literal(role)})"

    def extension_missing_query(self, name: str) -> str:
        return (f"SELECT {self.literal(name)} WHERE NOT EXISTS "
                f"(SELECT 1 FROM pg_extension WHERE extname = {self.literal(name)})")

    def grantee(self, role: str) -> str:
        return "PUBLIC" if role.lower() == "public" else self.quote(role)

    def grant(self, privileges, on: str, role: str, columns=(), with_grant_option=False) -> list[str]:
        cols = f" ({self.quote_list(columns)})" if columns else ""
        option = " WITH GRANT OPTION" if with_grant_option else ""
        return [f"GRANT {', '.join(p + cols for p in privileges)} ON {self.qname(on)} "
                f"TO {self.grantee(role)}{option}"]

    def revoke(self, privileges, on: str, role: str, columns=(), grant_option_for=False) -> list[str]:
        cols = f" ({self.quote_list(columns)})" if columns else ""
        option = "GRANT OPTION FOR " if grant_option_for else ""
        return [f"REVOKE {option}{', '.join(p + cols for p in privileges)} ON {self.qname(on)} "
                f"FROM {self.grantee(role)}"]

    def grant_all(self, on: str, grants) -> list[str]:
        """GRANT statements that give exactly `grants` (privileges held before, re-created)."""
        return [s for role, privilege, column, grantable in grants
                for s in self.grant([privilege], on, role, (column,) if column else (), grantable)]

    # -- views ------------------------------------------------------------------------------
    def create_view(self, view: View) -> list[str]:
        kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
        cols = f" ({self.quote_list(view.columns)})" if view.columns else ""
        out = [f"CREATE {kind} {self.qname(view.name)}{cols} AS\n{view.query}"]
        if view.comment:
            out.append(self.comment_on(kind.lower(), view.name, view.comment))
        return out + self.grant_all(view.name, view.grants)

    def replace_view(self, view: View) -> list[str]:
        cols = f" ({self.quote_list(view.columns)})" if view.columns else ""
        return [f"CREATE OR REPLACE VIEW {self.qname(view.name)}{cols} AS\n{view.query}"]

    def drop_view(self, name: str, materialized: bool) -> list[str]:
        return [f"DROP {'MATERIALIZED ' if materialized else ''}VIEW {self.qname(name)}"]

    def refresh_materialized_view(self, name: str, concurrently: bool) -> list[str]:
        return [f"REFRESH MATERIALIZED VIEW {'CONCURRENTLY ' if concurrently else ''}{self.qname(name)}"]

    # -- enums ------------------------------------------------------------------------------
    def create_enum(self, enum: EnumType) -> list[str]:
        values = ", ".join(self.literal(v) for v in enum.values)
        out = [f"CREATE TYPE {self.qname(enum.name)} AS ENUM ({values})"]
        return out + ([self.comment_on("enum", enum.name, enum.comment)] if enum.comment else [])

    def drop_enum(self, name: str) -> list[str]:
        return [f"DROP TYPE {self.qname(name)}"]

    def add_enum_value(self, name: str, value: str, before=None, after=None) -> list[str]:
        where = f" BEFORE {self.literal(before)}" if before else f" AFTER {self.literal(after)}" if after else ""
        return [f"ALTER TYPE {self.qname(name)} ADD VALUE {self.literal(value)}{where}"]

    def rename_enum_value(self, name: str, old: str, new: str) -> list[str]:
        return [f"ALTER TYPE {self.qname(name)} RENAME VALUE {self.literal(old)} TO {self.literal(new)}"]

    def rebuild_enum(self, enum: EnumType, uses) -> list[str]:
        """The type again with `enum.values` only (PostgreSQL cannot drop a value): the old type
        renamed away, the new one created, each column converted through text, the old one dropped.
        `uses`: (table, column, default) of the columns of that type."""
        q, qn, kept = self.quote, self.qname, bare(enum.name) + "_pymig_old"
        out = [f"ALTER TYPE {qn(enum.name)} RENAME TO {q(kept)}", *self.create_enum(enum)]
        old = qn(sibling(enum.name, kept))
        for table, column, default in uses:
            t, c = qn(table), q(column)
            if default is not None:
                out.append(f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT")
            out.append(f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {qn(enum.name)} USING {c}::text::{qn(enum.name)}")
            if default is not None:
                out.append(f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {default}")
        return out + [f"DROP TYPE {old}"]

    # -- constraints -------------------------------------------------------------------------
    def rename_constraint(self, table: str, old: str, new: str) -> list[str]:
        return [f"ALTER TABLE {self.qname(table)} RENAME CONSTRAINT {self.quote(old)} TO {self.quote(new)}"]

    # -- partitions -------------------------------------------------------------------------
    def create_partition(self, parent: str, name: str, bound: str) -> list[str]:
        return [f"CREATE TABLE {self.qname(name)} PARTITION OF {self.qname(parent)} {bound}"]

    def attach_partition(self, parent: str, name: str, bound: str) -> list[str]:
        return [f"ALTER TABLE {self.qname(parent)} ATTACH PARTITION {self.qname(name)} {bound}"]

    def detach_partition(self, parent: str, name: str, concurrently: bool = False, finalize: bool = False) -> list[str]:
        how = " CONCURRENTLY" if concurrently else " FINALIZE" if finalize else ""
        return [f"ALTER TABLE {self.qname(parent)} DETACH PARTITION {self.qname(name)}{how}"]

    def detach_pending_query(self, name: str) -> str:
        """True when a DETACH ... CONCURRENTLY of `name` was interrupted (FINALIZE completes it)."""
        return (f"SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = "
                f"to_regclass({self.literal(self.qname(name))})")

    # -- extensions and schemas -------------------------------------------------------------
    def create_extension(self, ext: Extension) -> list[str]:
        schema = f" SCHEMA {self.quote(ext.schema)}" if ext.schema else ""
        version = f" VERSION {self.literal(ext.version)}" if ext.version else ""
        return [f"CREATE EXTENSION {self.quote(ext.name)}{schema}{version}"]

    def drop_extension(self, name: str) -> list[str]:
        return [f"DROP EXTENSION {self.quote(name)}"]

    def create_schema(self, ns: Namespace) -> list[str]:
        out = [f"CREATE SCHEMA {self.quote(ns.name)}"]
        return out + ([self.comment_on("schema", ns.name, ns.comment)] if ns.comment else [])

    def drop_schema(self, name: str) -> list[str]:
        return [f"DROP SCHEMA {self.quote(name)}"]

    def schema_contents_query(self, name: str) -> str:
        """One row per object in schema `name` (what DROP SCHEMA without CASCADE refuses over)."""
        ns = f"{self.literal(self.quote(name))}::regnamespace"  # regnamespace reads a name as SQL does
        return ("SELECT pg_describe_object('pg_class'::regclass, oid, 0) FROM pg_class "
                f"WHERE relnamespace = {ns} AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f') UNION ALL "
                "SELECT pg_describe_object('pg_type'::regclass, t.oid, 0) FROM pg_type t "
                f"WHERE t.typnamespace = {ns} AND t.typtype IN ('e', 'd', 'r') UNION ALL "
                "SELECT pg_describe_object('pg_proc'::regclass, oid, 0) FROM pg_proc "
                f"WHERE pronamespace = {ns} ORDER BY 1")


def _first(seq: Sequence) -> int:
    """Where a sequence with its START option at the default starts."""
    if (seq.increment or 1) > 0:
        return 1 if seq.min is None else seq.min
    return -1 if seq.max is None else seq.max
