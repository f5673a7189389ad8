"""What `pymig verify` reads and creates on PostgreSQL: a catalog snapshot and scratch databases.

The snapshot is much richer than `PostgresDialect.introspect` (which reads only what operations
need): it covers everything a hand-written `run_sql` could leave behind, rendered by the server
itself (format_type, pg_get_*def), so two snapshots compare as plain data. It covers every
non-system schema; objects of the current schema are named without a prefix, others as
`schema.name`. pymig's own history tables (pymig_*) and extension members are left out, and so
are OIDs, column positions (reported separately, see ``table`` rows) and sequence values: none
of them is something a down migration can or should restore."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigError

# Every query starts from the namespaces in scope; `prefix` qualifies names outside the current schema.
_NS = r"""
WITH ns AS (
    SELECT n.oid, n.nspname,
           CASE WHEN n.nspname = coalesce(current_schema(), '') THEN '' ELSE n.nspname || '.' END AS prefix
    FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                      AND d.objid = n.oid AND d.deptype = 'e')
), rel AS (
    SELECT c.*, ns.prefix || c.relname AS qname
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE c.relname NOT LIKE 'pymig\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
)
"""


def _acl(column: str, kind: str, owner: str) -> str:
    """Privileges as a sorted text array; NULL (the built-in default) spelled out, so an explicit
    GRANT followed by its REVOKE compares equal to never granting."""
    return (f"ARRAY(SELECT x::text FROM unnest(coalesce({column}, acldefault('{kind}', {owner}))) x "
            "ORDER BY 1)")


_SCHEMAS = _NS + f"""
SELECT ns.nspname, pg_get_userbyid(n.nspowner), obj_description(n.oid, 'pg_namespace'),
       {_acl('n.nspacl', 'n', 'n.nspowner')}
FROM ns JOIN pg_namespace n ON n.oid = ns.oid
"""

_RELATIONS = _NS + f"""
SELECT c.qname, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
       pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class'),
       {_acl('c.relacl', 'r', 'c.relowner')}, coalesce(c.reloptions::text[], '{{}}'),
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       ARRAY(SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid ORDER BY i.inhseqno),
       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
             AND NOT a.attisdropped ORDER BY a.attnum)
FROM rel c
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm')
"""

_SEQUENCES = _NS + f"""
SELECT c.qname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle, pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class'),
       {_acl('c.relacl', 's', 'c.relowner')},
       (SELECT t.relname || '.' || a.attname FROM pg_depend d
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
          AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
        LIMIT 1)
FROM rel c JOIN pg_sequence s ON s.seqrelid = c.oid
"""

_COLUMNS = _NS + """
SELECT c.qname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
       CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
       CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
       col_description(c.oid, a.attnum),
       ARRAY(SELECT x::text FROM unnest(a.attacl) x ORDER BY 1)
FROM rel c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE c.relkind IN ('r', 'p', 'f')
"""

_CONSTRAINTS = _NS + """
SELECT c.qname, con.conname, pg_get_constraintdef(con.oid, true), con.convalidated,
       obj_description(con.oid, 'pg_constraint')
FROM pg_constraint con JOIN rel c ON c.oid = con.conrelid
WHERE con.contype IN ('p', 'u', 'c', 'f', 'x')
"""

_INDEXES = _NS + """
SELECT i.qname, c.qname, pg_get_indexdef(ix.indexrelid), am.amname,
       pg_get_expr(ix.indpred, ix.indrelid, true), ix.indisunique, ix.indisprimary,
       ix.indisvalid, ix.indisclustered, obj_description(i.oid, 'pg_class'),
       coalesce(i.reloptions::text[], '{}')
FROM pg_index ix
JOIN rel i ON i.oid = ix.indexrelid
JOIN rel c ON c.oid = ix.indrelid
JOIN pg_am am ON am.oid = i.relam
"""

_TYPES = _NS + f"""
SELECT ns.prefix || t.typname,
       CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'c' THEN 'composite type'
                      ELSE 'range' END,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       t.typnotnull, t.typdefault,
       ARRAY(SELECT con.conname || ' ' || pg_get_constraintdef(con.oid, true) FROM pg_constraint con
             WHERE con.contypid = t.oid ORDER BY con.conname),
       ARRAY(SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
             WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum),
       pg_get_userbyid(t.typowner), obj_description(t.oid, 'pg_type'),
       {_acl('t.typacl', 'T', 't.typowner')}
FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
WHERE (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                  AND d.objid = t.oid AND d.deptype = 'e')
"""

_FUNCTIONS = _NS + f"""
SELECT ns.prefix || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
       pg_get_functiondef(p.oid), pg_get_userbyid(p.proowner), obj_description(p.oid, 'pg_proc'),
       {_acl('p.proacl', 'f', 'p.proowner')}
FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
WHERE p.prokind IN ('f', 'p', 'w')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
"""

_TRIGGERS = _NS + """
SELECT c.qname, tg.tgname, pg_get_triggerdef(tg.oid, true), tg.tgenabled,
       obj_description(tg.oid, 'pg_trigger')
FROM pg_trigger tg JOIN rel c ON c.oid = tg.tgrelid
WHERE NOT tg.tgisinternal
"""

_POLICIES = _NS + """
SELECT c.qname, p.polname, p.polcmd, p.polpermissive,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
             FROM unnest(p.polroles) r ORDER BY 1),
       pg_get_expr(p.polqual, p.polrelid, true), pg_get_expr(p.polwithcheck, p.polrelid, true)
FROM pg_policy p JOIN rel c ON c.oid = p.polrelid
"""

_EXTENSIONS = """
SELECT e.extname, e.extversion, n.nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
"""

_DEFAULT_PRIVILEGES = """
SELECT pg_get_userbyid(a.defaclrole), n.nspname,
       CASE a.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                            WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' ELSE a.defaclobjtype::text END,
       ARRAY(SELECT x::text FROM unnest(a.defaclacl) x ORDER BY 1)
FROM pg_default_acl a LEFT JOIN pg_namespace n ON n.oid = a.defaclnamespace
"""

_RELKINDS = {"r": "table", "p": "table", "f": "foreign table", "v": "view", "m": "materialized view"}
_PERSISTENCE = {"p": "logged", "u": "unlogged", "t": "temporary"}
_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}
_TRIGGER_ENABLED = {"O": "enabled", "D": "disabled", "R": "replica", "A": "always"}


def catalog_objects(db) -> Iterator[tuple[str, str, tuple[str, str] | None, dict]]:
    """(kind, name, parent, attributes) for every object in scope; parent is the (kind, name) of
    the table an object belongs to, or None."""
    for name, owner, comment, acl in db.rows(_SCHEMAS):
        yield "schema", name, None, {"owner": owner, "comment": comment, "privileges": tuple(acl)}
    for (name, kind, persistence, rls, force_rls, owner, comment, acl, options, view, partition_key,
         bound, inherits, column_order) in db.rows(_RELATIONS):
        attrs = {"owner": owner, "comment": comment, "privileges": tuple(acl), "options": tuple(options)}
        if kind in ("v", "m"):
            attrs["definition"] = view
        else:
            attrs.update({"persistence": _PERSISTENCE[persistence], "row security": rls,
                          "forced row security": force_rls, "partitioned by": partition_key,
                          "partition of": bound, "inherits": tuple(inherits),
                          "column order": tuple(column_order)})
        yield _RELKINDS[kind], name, None, attrs
    for (name, typ, start, increment, minimum, maximum, cache, cycle, owner, comment, acl,
         owned_by) in db.rows(_SEQUENCES):
        yield "sequence", name, None, {
            "type": typ, "start": start, "increment": increment, "minimum": minimum,
            "maximum": maximum, "cache": cache, "cycle": cycle, "owned by": owned_by,
            "owner": owner, "comment": comment, "privileges": tuple(acl),
        }
    for table, name, typ, nullable, default, identity, generated, collation, comment, acl in db.rows(_COLUMNS):
        yield "column", f"{table}.{name}", ("table", table), {
            "type": typ, "nullable": nullable, "default": default, "identity": identity,
            "generated": generated, "collation": collation, "comment": comment, "privileges": tuple(acl),
        }
    for table, name, definition, validated, comment in db.rows(_CONSTRAINTS):
        yield "constraint", f"{table}.{name}", ("table", table), {
            "definition": definition, "validated": validated, "comment": comment,
        }
    for (name, table, definition, method, predicate, unique, primary, valid, clustered, comment,
         options) in db.rows(_INDEXES):
        yield "index", name, ("table", table), {
            "table": table, "definition": definition, "method": method, "predicate": predicate,
            "unique": unique, "primary key": primary, "valid": valid, "clustered": clustered,
            "comment": comment, "options": tuple(options),
        }
    for (name, kind, labels, base, not_null, default, checks, attributes, owner, comment,
         acl) in db.rows(_TYPES):
        attrs = {"owner": owner, "comment": comment, "privileges": tuple(acl)}
        if kind == "enum":
            attrs["labels"] = tuple(labels)
        elif kind == "domain":
            attrs.update({"base type": base, "nullable": not not_null, "default": default,
                          "constraints": tuple(checks)})
        elif kind == "composite type":
            attrs["attributes"] = tuple(attributes)
        yield kind, name, None, attrs
    for name, kind, definition, owner, comment, acl in db.rows(_FUNCTIONS):
        yield kind, name, None, {"definition": definition, "owner": owner, "comment": comment,
                                 "privileges": tuple(acl)}
    for table, name, definition, enabled, comment in db.rows(_TRIGGERS):
        yield "trigger", f"{table}.{name}", ("table", table), {
            "definition": definition, "enabled": _TRIGGER_ENABLED.get(enabled, enabled), "comment": comment,
        }
    for table, name, command, permissive, roles, using, check in db.rows(_POLICIES):
        yield "policy", f"{table}.{name}", ("table", table), {
            "command": _POLICY_COMMANDS.get(command, command), "permissive": permissive,
            "roles": tuple(roles), "using": using, "with check": check,
        }
    for name, version, schema in db.rows(_EXTENSIONS):
        yield "extension", name, None, {"version": version, "schema": schema}
    for role, schema, objects, acl in db.rows(_DEFAULT_PRIVILEGES):
        where = f" in schema {schema}" if schema else ""
        yield "default privileges", f"of {role} for {objects}{where}", None, {"privileges": tuple(acl)}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_database(name: str) -> str:
    return f"CREATE DATABASE {quote(name)}"


def drop_database(name: str, server_version: int) -> str:
    """FORCE (PostgreSQL 13+) also ends connections a run_python function may have left open."""
    return f"DROP DATABASE IF EXISTS {quote(name)}" + (" WITH (FORCE)" if server_version >= 130000 else "")


server_version = "SELECT current_setting('server_version_num')::int"
current_database = "SELECT current_database()"


class VerifySupport:
    """What `pymig verify` asks PostgresDialect: the catalog to compare, a scratch database."""

    def catalog_objects(self, db):
        return catalog_objects(db)

    @contextmanager
    def scratch_database(self, target_url: str, prefix: str):
        """A database created on the target's server (through a connection to the target
        database, which only sends CREATE DATABASE), dropped afterwards."""
        name = f"{prefix}{uuid.uuid4().hex[:12]}"
        admin = self.connect(target_url)
        try:
            try:
                admin.execute(create_database(name))
            except Exception as e:
                text = admin.error_text(e)
                if text is None:
                    raise
                raise ConfigError(f"cannot create a scratch database on the target's server: {text}",
                                  hint="grant CREATEDB to this user, or pass --scratch-url URL of an empty "
                                  "database verify may use") from None
            try:
                yield urlunsplit(urlsplit(target_url)._replace(path="/" + name))
            finally:
                admin.execute(drop_database(name, admin.rows(server_version)[0][0]))
        finally:
            admin.close()
