"""PostgreSQL: the objects outside the Schema model, with the SQL that creates and drops each
(pymig.catalog says what they are for). The server renders the definitions itself
(pg_get_viewdef, pg_get_functiondef, pg_get_triggerdef, format_type), so they are exact.

The current schema is read, and the other schemas `read_catalog` is given (baseline gives every
schema of the application), their objects' names qualified (pymig.names); what any other schema
holds is reported as skipped. The server renders the definitions relative to the connection's
search_path, which is the one migrations run with, so a name outside it comes qualified. Extension
members and pymig's own tables and history schema are left out, as in the verify snapshot."""

from __future__ import annotations

from dataclasses import replace

from .. import names
from ..catalog import Catalog, CatalogObject
from ..schema import Schema
from .postgres_schemas import name_sql

# The schemas read: the current one, or every schema of the application (`read_catalog`'s
# `schemas`); `__READ__` is replaced by their oids when a query runs.
_IN = "IN (__READ__)"


def _quoted(ns: str, name: str) -> str:
    """SQL of an object's name as SQL writes it: quote_ident, qualified outside the current schema."""
    return (f"CASE WHEN {ns} = current_schema()::regnamespace THEN quote_ident({name}) "
            f"ELSE (SELECT quote_ident(nspname) FROM pg_namespace WHERE oid = {ns}) || '.' || quote_ident({name}) END")


_NOT_EXTENSION = """NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{cls}'::regclass
                    AND e.objid = {oid} AND e.deptype = 'e')"""


def _own(cls: str, oid: str) -> str:
    return _NOT_EXTENSION.format(cls=cls, oid=oid)


_SCHEMAS = f"""
SELECT n.nspname,
       (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
     + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid AND {_own('pg_proc', 'p.oid')})
FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_%'
  AND n.oid <> current_schema()::regnamespace AND {_own('pg_namespace', 'n.oid')}
ORDER BY 1
"""

_EXTENSIONS = """
SELECT e.extname, n.nspname, e.extversion, a.default_version
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_available_extensions a ON a.name = e.extname
WHERE e.extname <> 'plpgsql'
ORDER BY 1
"""

_TYPES = f"""
SELECT {name_sql('t.typnamespace', 't.typname')}, t.typtype,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
       (SELECT co.collname FROM pg_collation co WHERE co.oid = t.typcollation
          AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)),
       ARRAY(SELECT 'CONSTRAINT ' || quote_ident(con.conname) || ' ' || pg_get_constraintdef(con.oid)
             FROM pg_constraint con WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
             WHERE t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_type t
WHERE t.typnamespace {_IN} AND {_own('pg_type', 't.oid')}
  AND (t.typtype IN ('e', 'd', 'r')
       OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
ORDER BY 1
"""

# A column that is `serial` in the DSL's sense: an integer owning a sequence it defaults to, with
# the name and options `serial` gives it. Introspection reads any integer defaulting to a sequence
# it owns as serial; one whose sequence is named or set up otherwise is written as the integer it
# is, its sequence created before it and owned by it after.
_SERIAL = """(a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
    AND pg_get_expr(ad.adbin, ad.adrelid) = 'nextval(' || quote_literal({seq}.oid::regclass::text) || '::regclass)'
    AND {seq}.relname = (SELECT relname FROM pg_class WHERE oid = {table}) || '_' || a.attname || '_seq'
    AND EXISTS (SELECT 1 FROM pg_sequence q WHERE q.seqrelid = {seq}.oid AND q.seqstart = 1
                AND q.seqincrement = 1 AND q.seqmin = 1 AND q.seqcache = 1 AND NOT q.seqcycle
                AND q.seqtypid = a.atttypid AND q.seqmax = CASE a.atttypid WHEN 'int2'::regtype THEN 32767
                    WHEN 'int4'::regtype THEN 2147483647 ELSE 9223372036854775807 END))"""

# Sequences no column owns as serial or identity (those come with their column).
_SEQUENCES = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement,
       s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       (SELECT ARRAY[{name_sql('t.relnamespace', 't.relname')}, a.attname] FROM pg_depend d
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
          AND d.refclassid = 'pg_class'::regclass)
FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
WHERE c.relnamespace {_IN} AND c.relname NOT LIKE 'pymig\\_%' AND {_own('pg_class', 'c.oid')}
  AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
        AND (d.deptype = 'i' OR (d.deptype = 'a' AND {_SERIAL.format(seq='c', table='d.refobjid')})))
ORDER BY 1
"""

# Integer columns introspection folds into serial, though their sequence is not serial's own.
_NOT_SERIAL = f"""
SELECT {name_sql('t.relnamespace', 't.relname')}, a.attname, format_type(a.atttypid, NULL),
       pg_get_expr(ad.adbin, ad.adrelid)
FROM pg_depend d
JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S'
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'
  AND t.relnamespace {_IN} AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
  AND pg_get_expr(ad.adbin, ad.adrelid) = 'nextval(' || quote_literal(c.oid::regclass::text) || '::regclass)'
  AND NOT {_SERIAL.format(seq='c', table='d.refobjid')}
"""

_FUNCTIONS = f"""
SELECT {name_sql('p.pronamespace', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) END
FROM pg_proc p
WHERE p.pronamespace {_IN} AND {_own('pg_proc', 'p.oid')}
ORDER BY 1
"""

_VIEWS = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, c.relkind, pg_get_viewdef(c.oid, true), array_to_string(c.reloptions, ', ')
FROM pg_class c
WHERE c.relnamespace {_IN} AND c.relkind IN ('v', 'm') AND {_own('pg_class', 'c.oid')}
ORDER BY 1
"""

# Indexes on materialized views (those on tables are in the Schema).
_VIEW_INDEXES = f"""
SELECT {name_sql('i.relnamespace', 'i.relname')}, {name_sql('t.relnamespace', 't.relname')}, pg_get_indexdef(i.oid)
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
WHERE t.relnamespace {_IN} AND t.relkind = 'm'
ORDER BY 1
"""

_TRIGGERS = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
WHERE c.relnamespace {_IN} AND NOT tg.tgisinternal AND c.relname NOT LIKE 'pymig\\_%'
ORDER BY 1, 2
"""

_POLICIES = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, p.polname, p.polpermissive,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                     WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END
             FROM unnest(p.polroles) r ORDER BY 1),
       pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace {_IN}
ORDER BY 1, 2
"""

_ROW_SECURITY = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, c.relforcerowsecurity FROM pg_class c
WHERE c.relnamespace {_IN} AND c.relkind IN ('r', 'p') AND c.relrowsecurity
ORDER BY 1
"""

_TABLE_OPTIONS = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, c.relpersistence = 'u', array_to_string(c.reloptions, ', '),
       ARRAY(SELECT split_part(o, '=', 1) FROM unnest(c.reloptions) o)
FROM pg_class c
WHERE c.relnamespace {_IN} AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'pymig\\_%'
  AND (c.relpersistence = 'u' OR c.reloptions IS NOT NULL)
ORDER BY 1
"""

_GENERATED = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, a.attname, format_type(a.atttypid, a.atttypmod),
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace {_IN} AND c.relkind IN ('r', 'p') AND a.attgenerated = 's' AND NOT a.attisdropped
ORDER BY 1, a.attnum
"""

# Tables pymig cannot write yet: partitions partitioned themselves, inheritance children, foreign
# tables (partitioned tables and their partitions are create_table(partition_by=) and create_partition).
_UNWRITABLE_TABLES = f"""
SELECT {name_sql('c.relnamespace', 'c.relname')}, CASE WHEN c.relkind = 'p' THEN 'a partition partitioned itself'
                       WHEN c.relkind = 'f' THEN 'a foreign table'
                       ELSE 'a table that inherits from another' END
FROM pg_class c
WHERE c.relnamespace {_IN} AND (c.relkind = 'f' OR (c.relkind = 'p' AND c.relispartition)
      OR (c.relkind = 'r' AND NOT c.relispartition AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)))
ORDER BY 1
"""

# Privileges that differ from the built-in default (the owner's), one row per object and grantee:
# what was granted beyond it, and what was revoked from it.
_ACL_OBJECTS = f"""
SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, {_quoted('c.relnamespace', 'c.relname')},
       CASE c.relkind WHEN 'S' THEN 'sequence ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                      ELSE 'table ' END || {name_sql('c.relnamespace', 'c.relname')},
       c.relacl, acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner), NULL::text
FROM pg_class c
WHERE c.relnamespace {_IN} AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relacl IS NOT NULL
  AND c.relname NOT LIKE 'pymig\\_%' AND {_own('pg_class', 'c.oid')}
UNION ALL
SELECT 'TABLE', {_quoted('c.relnamespace', 'c.relname')}, 'table ' || {name_sql('c.relnamespace', 'c.relname')}, a.attacl, NULL::aclitem[], quote_ident(a.attname)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace {_IN} AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attacl IS NOT NULL AND a.attnum > 0
  AND NOT a.attisdropped
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
       {_quoted('p.pronamespace', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END
           || {name_sql('p.pronamespace', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       p.proacl, acldefault('f', p.proowner), NULL
FROM pg_proc p WHERE p.pronamespace {_IN} AND p.proacl IS NOT NULL AND {_own('pg_proc', 'p.oid')}
UNION ALL
SELECT 'TYPE', {_quoted('t.typnamespace', 't.typname')},
       CASE t.typtype WHEN 'e' THEN 'enum ' WHEN 'd' THEN 'domain ' ELSE 'type ' END
           || {name_sql('t.typnamespace', 't.typname')},
       t.typacl, acldefault('T', t.typowner), NULL
FROM pg_type t WHERE t.typnamespace {_IN} AND t.typacl IS NOT NULL AND {_own('pg_type', 't.oid')}
UNION ALL
SELECT 'SCHEMA', quote_ident(n.nspname), 'schema ' || n.nspname, n.nspacl, acldefault('n', n.nspowner), NULL
FROM pg_namespace n
WHERE n.nspacl IS NOT NULL AND n.oid <> current_schema()::regnamespace AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public')
  AND n.nspname NOT LIKE 'pg\\_%' AND {_own('pg_namespace', 'n.oid')}
"""

_PRIVILEGES = f"""
WITH o(what, name, key, acl, dflt, col) AS ({_ACL_OBJECTS}),
now AS (SELECT o.what, o.name, o.key, o.col, x.grantee, x.privilege_type, x.is_grantable
        FROM o, aclexplode(o.acl) x),
was AS (SELECT o.what, o.name, o.key, o.col, x.grantee, x.privilege_type, x.is_grantable
        FROM o, aclexplode(o.dflt) x),
diff AS (SELECT 'GRANT' AS verb, * FROM (SELECT * FROM now EXCEPT SELECT * FROM was) g
         UNION ALL SELECT 'REVOKE', * FROM (SELECT * FROM was EXCEPT SELECT * FROM now) r)
SELECT verb, what, name, key, col,
       CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(grantee)) END, is_grantable,
       string_agg(privilege_type, ', ' ORDER BY privilege_type)
FROM diff
GROUP BY verb, what, name, key, col, grantee, is_grantable
ORDER BY key, col NULLS FIRST, 6, verb, is_grantable
"""

_COMMENTS = f"""
SELECT o.type, o.identity, d.description,
       CASE d.classoid
       WHEN 'pg_class'::regclass THEN
            (SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                                   WHEN 'S' THEN 'sequence ' WHEN 'i' THEN 'index ' ELSE 'table ' END
                    || {name_sql('c.relnamespace', 'c.relname')} FROM pg_class c WHERE c.oid = d.objoid)
       WHEN 'pg_constraint'::regclass THEN  -- a constraint's comment waits for its table or domain
            (SELECT CASE WHEN con.contypid <> 0 THEN 'domain ' || {name_sql('t.typnamespace', 't.typname')}
                         ELSE 'table ' || {name_sql('c.relnamespace', 'c.relname')} END
             FROM pg_constraint con LEFT JOIN pg_class c ON c.oid = con.conrelid
             LEFT JOIN pg_type t ON t.oid = con.contypid WHERE con.oid = d.objoid)
       WHEN 'pg_trigger'::regclass THEN
            (SELECT 'trigger ' || {name_sql('c.relnamespace', 'c.relname')} || '.' || tg.tgname
             FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid WHERE tg.oid = d.objoid)
       WHEN 'pg_policy'::regclass THEN
            (SELECT 'policy ' || {name_sql('c.relnamespace', 'c.relname')} || '.' || p.polname
             FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE p.oid = d.objoid)
       WHEN 'pg_proc'::regclass THEN
            (SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END
                    || {name_sql('p.pronamespace', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')'
             FROM pg_proc p WHERE p.oid = d.objoid)
       WHEN 'pg_type'::regclass THEN
            (SELECT CASE t.typtype WHEN 'e' THEN 'enum ' WHEN 'd' THEN 'domain ' ELSE 'type ' END
                    || {name_sql('t.typnamespace', 't.typname')} FROM pg_type t WHERE t.oid = d.objoid)
       WHEN 'pg_namespace'::regclass THEN (SELECT 'schema ' || n.nspname FROM pg_namespace n WHERE n.oid = d.objoid)
       END
FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
WHERE (to_regnamespace(quote_ident(o.schema)) {_IN}
       OR (d.classoid = 'pg_namespace'::regclass AND o.identity <> current_schema()
           AND o.identity NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'public')))
  AND d.classoid <> 'pg_extension'::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classoid AND e.objid = d.objoid AND e.deptype = 'e')
  AND coalesce(o.name, '') NOT LIKE 'pymig\\_%' AND o.identity NOT LIKE '%.pymig\\_%'
ORDER BY 1, 2
"""

_COMMENT_TARGET = {"table column": "COLUMN", "view column": "COLUMN", "materialized view column": "COLUMN",
                   "table constraint": "CONSTRAINT", "domain constraint": "CONSTRAINT"}

# Which object needs which: normal dependencies between objects of the current schema (and the
# extensions whose members they use). Foreign keys are left out: tables order by them separately,
# and a cycle of them is closed by add_foreign_key after both tables.
_DEPENDENCIES = f"""
WITH keys(classid, objid, key) AS (
    SELECT 'pg_class'::regclass, c.oid,
           CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence '
                          ELSE 'table ' END || {name_sql('c.relnamespace', 'c.relname')}
    FROM pg_class c WHERE c.relnamespace {_IN} AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
    UNION ALL
    SELECT 'pg_type'::regclass, t.oid,
           CASE t.typtype WHEN 'e' THEN 'enum ' WHEN 'd' THEN 'domain ' ELSE 'type ' END
               || {name_sql('t.typnamespace', 't.typname')}
    FROM pg_type t WHERE t.typnamespace {_IN} AND t.typtype IN ('e', 'd', 'c', 'r') AND t.typrelid = 0
    UNION ALL
    SELECT 'pg_type'::regclass, t.oid, 'type ' || {name_sql('t.typnamespace', 't.typname')}
    FROM pg_type t JOIN pg_class c ON c.oid = t.typrelid
    WHERE t.typnamespace {_IN} AND c.relkind = 'c'
    UNION ALL
    SELECT 'pg_proc'::regclass, p.oid, CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END
           || {name_sql('p.pronamespace', 'p.proname')} || '(' || pg_get_function_identity_arguments(p.oid) || ')'
    FROM pg_proc p WHERE p.pronamespace {_IN}
    UNION ALL
    SELECT 'pg_namespace'::regclass, n.oid, 'schema ' || n.nspname FROM pg_namespace n WHERE n.oid <> current_schema()::regnamespace
), refs(classid, objid, key) AS (
    SELECT * FROM keys
    UNION ALL  -- a table's or view's row type, and array types, stand for what they are made of
    SELECT 'pg_type'::regclass, c.reltype, k.key FROM pg_class c JOIN keys k
        ON k.classid = 'pg_class'::regclass AND k.objid = c.oid
    UNION ALL
    SELECT 'pg_type'::regclass, t.typarray, k.key FROM pg_type t JOIN keys k
        ON k.classid = 'pg_type'::regclass AND k.objid = t.oid WHERE t.typarray <> 0
    UNION ALL
    SELECT 'pg_type'::regclass, t.typarray, k.key FROM pg_class c JOIN pg_type t ON t.oid = c.reltype
        JOIN keys k ON k.classid = 'pg_class'::regclass AND k.objid = c.oid WHERE t.typarray <> 0
    UNION ALL  -- members of an extension stand for the extension
    SELECT e.classid, e.objid, 'extension ' || x.extname FROM pg_depend e
        JOIN pg_extension x ON e.refclassid = 'pg_extension'::regclass AND e.refobjid = x.oid
    WHERE e.deptype = 'e'
    UNION ALL
    SELECT 'pg_extension'::regclass, x.oid, 'extension ' || x.extname FROM pg_extension x
), owners(classid, objid, key) AS (
    SELECT * FROM keys
    UNION ALL
    SELECT 'pg_attrdef'::regclass, d.oid, k.key FROM pg_attrdef d JOIN keys k
        ON k.classid = 'pg_class'::regclass AND k.objid = d.adrelid
    UNION ALL
    SELECT 'pg_constraint'::regclass, con.oid, k.key FROM pg_constraint con JOIN keys k
        ON (k.classid = 'pg_class'::regclass AND k.objid = con.conrelid)
        OR (k.classid = 'pg_type'::regclass AND k.objid = con.contypid)
    WHERE con.contype <> 'f'
    UNION ALL
    SELECT 'pg_rewrite'::regclass, r.oid, k.key FROM pg_rewrite r JOIN keys k
        ON k.classid = 'pg_class'::regclass AND k.objid = r.ev_class
    UNION ALL
    SELECT 'pg_trigger'::regclass, tg.oid, 'trigger ' || {name_sql('c.relnamespace', 'c.relname')} || '.' || tg.tgname
    FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid WHERE c.relnamespace {_IN}
    UNION ALL
    SELECT 'pg_policy'::regclass, p.oid, 'policy ' || {name_sql('c.relnamespace', 'c.relname')} || '.' || p.polname
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace {_IN}
    UNION ALL
    SELECT 'pg_class'::regclass, i.oid, 'index ' || {name_sql('i.relnamespace', 'i.relname')}
    FROM pg_class i WHERE i.relnamespace {_IN} AND i.relkind = 'i'
)
SELECT DISTINCT o.key, r.key
FROM pg_depend d
JOIN owners o ON o.classid = d.classid AND o.objid = d.objid
JOIN refs r ON r.classid = d.refclassid AND r.objid = d.refobjid
WHERE d.deptype = 'n' AND o.key <> r.key
ORDER BY 1, 2
"""

# Indexes and constraints whose catalog definition says more than create_index / add_* can:
# an INCLUDE list, an operator class or collation of their own (the server prints COLLATE only
# then, for an expression too), storage parameters, a tablespace, NULLS NOT DISTINCT, a NULLS
# FIRST / LAST that is not the default (printed only then); DEFERRABLE, MATCH FULL, ON UPDATE,
# NOT VALID (an exclusion constraint is add_exclusion unless its index is listed for one of these).
_VERBATIM = f"""
SELECT {name_sql('i.relnamespace', 'i.relname')}
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
WHERE t.relnamespace {_IN}
  AND (ix.indnatts > ix.indnkeyatts OR i.reloptions IS NOT NULL OR i.reltablespace <> 0
       OR pg_get_indexdef(ix.indexrelid) ~ ' (NULLS NOT DISTINCT|NULLS FIRST|NULLS LAST|COLLATE)\\y'
       OR EXISTS (SELECT 1 FROM unnest(ix.indclass) WITH ORDINALITY k(opc, n)
                  JOIN pg_opclass oc ON oc.oid = k.opc WHERE NOT oc.opcdefault)
       OR EXISTS (SELECT 1 FROM unnest(ix.indcollation) WITH ORDINALITY k(coll, n)
                  JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ix.indkey[k.n - 1]
                  WHERE k.coll <> 0 AND k.coll <> a.attcollation))
UNION
SELECT con.conname
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
WHERE t.relnamespace {_IN}
  AND (con.condeferrable OR NOT con.convalidated OR con.confupdtype NOT IN ('a', ' ')
       OR con.confmatchtype = 'f'
       OR pg_get_constraintdef(con.oid) ~ '( INCLUDE \\(| NULLS NOT DISTINCT|WITH \\(|USING INDEX TABLESPACE| NO INHERIT|ON DELETE SET (NULL|DEFAULT) \\()')
ORDER BY 1
"""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(name: str) -> str:
    """A canonical name (`users`, `billing.accounts`) as SQL writes it."""
    return names.quote(name, quote)


class _Reading:
    """The connection, with `__READ__` in the queries replaced by the oids of the schemas read."""

    def __init__(self, db, schemas: tuple[str, ...]):
        self.db = db
        others = "".join(f", to_regnamespace({literal(quote(s))})" for s in schemas)
        self.read = "current_schema()::regnamespace" + others

    def rows(self, sql: str, params=None):
        return self.db.rows(sql.replace("__READ__", self.read), params)


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_catalog(db, schema: Schema, typed: Schema | None = None, schemas: tuple[str, ...] = (),
                 history_schema: str | None = None) -> Catalog:
    """The Catalog of the current schema of the database `db` is connected to, and of `schemas`
    besides it (their objects' names qualified); `schema` is the introspected Schema of them all,
    and `typed` the same with the other kinds (Function, Trigger, ...), which the DSL operations of
    the objects are made from (dialects/catalog_ops.py)."""
    from . import catalog_ops as dsl

    typed = typed or Schema()
    db = _Reading(db, schemas)
    current = db.rows("SELECT current_schema()")[0][0]
    objects: list[CatalogObject] = []
    skipped: list[tuple[str, str, str]] = []

    def obj(kind, name, create, drop, depends_on=(), table=None, ops=None):
        op, drop_op = ops or (None, None)
        return CatalogObject(kind, name, create, drop, tuple(depends_on), table, op, drop_op)

    extensions = db.rows(_EXTENSIONS)
    objects += _namespaces(db, schemas, history_schema, {where for _, where, _, _ in extensions}, current, skipped)
    for name, where, version, default_version in extensions:
        create = f"CREATE EXTENSION IF NOT EXISTS {quote(name)} WITH SCHEMA {quote(where)}"
        if default_version and version != default_version:
            create += f" VERSION {literal(version)}"
        objects.append(obj("extension", name, create, f"DROP EXTENSION {quote(name)}",
                           () if where == "public" else (f"schema {where}",),
                           ops=dsl.extension(name, where, version, default_version, current)))
    objects += _types(db, skipped)
    objects += _sequences(db, typed)
    for name, kind, definition in db.rows(_FUNCTIONS):
        if definition is None:
            skipped.append(("aggregate", name, "pymig cannot read aggregates yet"))
            continue
        word = "PROCEDURE" if kind == "p" else "FUNCTION"
        base = name.partition("(")[0]
        ops = dsl.function(typed.get("function", base), definition) if kind == "f" else None
        # as pg_dump does: a function body may name tables created later in the same migration
        objects.append(obj("procedure" if kind == "p" else "function", name,
                           "SET LOCAL check_function_bodies = off;\n" + definition.strip(),
                           f"DROP {word} {_qualified_call(name)}", ops=ops))
    for name, kind, definition, options in db.rows(_VIEWS):
        word = "MATERIALIZED VIEW" if kind == "m" else "VIEW"
        with_ = f" WITH ({options})" if options else ""
        query = definition.rstrip().rstrip(';')
        objects.append(obj("materialized view" if kind == "m" else "view", name,
                           f"CREATE {word} {qualified(name)}{with_} AS\n{query}", f"DROP {word} {qualified(name)}",
                           ops=dsl.view(name, kind, query, options)))
    for name, view, definition in db.rows(_VIEW_INDEXES):
        objects.append(CatalogObject("index", name, definition, f"DROP INDEX {qualified(name)}",
                                     (f"materialized view {view}",)))
    schema = _unfold_serials(db, schema)
    schema, generated = _without_generated(db, schema)
    objects += generated
    objects += _table_bound(db, typed)
    objects += _privileges(db)
    objects += _comments(db, current)
    for name, what in db.rows(_UNWRITABLE_TABLES):
        skipped.append(("table", name, f"{what}: pymig cannot write it yet; add it by hand with run_sql"))
    depends: dict[str, set[str]] = {}
    for key, needs in db.rows(_DEPENDENCIES):
        depends.setdefault(key, set()).add(needs)
    objects = [replace(o, depends_on=tuple(sorted(set(o.depends_on) | depends.get(o.key, set()))))
               for o in objects]
    table_deps = {t: tuple(sorted(depends.get(f"table {t}", ()))) for t in schema.tables}
    unwritable = {name for name, _ in db.rows(_UNWRITABLE_TABLES)}
    schema = Schema({n: t for n, t in schema.tables.items() if n not in unwritable},
                    {n: i for n, i in schema.indexes.items() if i.table not in unwritable})
    verbatim = frozenset(name for (name,) in db.rows(_VERBATIM))
    unread = {f"schema {name}" for kind, name, _ in skipped if kind == "schema"}
    objects = [o for o in objects if not unread & set(o.depends_on)]  # its comment, its grants
    return Catalog(schema, tuple(objects), verbatim, table_deps, tuple(skipped), typed.objects)


def _namespaces(db, schemas, history_schema, extension_schemas, current, skipped) -> list[CatalogObject]:
    """create_schema for every schema but the current one and pymig's history schema. A schema
    not read that holds objects is not written at all (`--schema tenant_001` must not create
    tenant_002), unless an extension lives there."""
    from . import catalog_ops as dsl

    out = []
    for name, count in db.rows(_SCHEMAS):
        if name == history_schema:
            continue  # pymig's own, created with its history tables
        why = f"{count} object(s) in schema {name}: only the default schema ({current}, the schema setting or " \
              "--schema) was read"
        if count and name not in schemas and name not in extension_schemas and name != "public":
            skipped.append(("schema", name, why))
            continue
        if count and name not in schemas:
            skipped.append(("schema contents", name, why))
        if name != "public":  # every database has it (the default schema is another one here)
            out.append(CatalogObject("schema", name, f"CREATE SCHEMA {quote(name)}", f"DROP SCHEMA {quote(name)}",
                                     (), None, *dsl.schema(name)))
    return out


def _qualified_call(name: str) -> str:
    base, _, args = name.partition("(")
    return f"{qualified(base)}({args}"


def _types(db, skipped) -> list[CatalogObject]:
    from . import catalog_ops as dsl

    out = []
    for name, kind, labels, base, not_null, default, collation, checks, attributes in db.rows(_TYPES):
        if kind == "e":
            values = ", ".join(literal(v) for v in labels)
            out.append(CatalogObject("enum", name, f"CREATE TYPE {qualified(name)} AS ENUM ({values})",
                                     f"DROP TYPE {qualified(name)}", (), None, *dsl.enum(name, labels)))
        elif kind == "d":
            parts = [f"CREATE DOMAIN {qualified(name)} AS {base}"]
            if collation:
                parts.append(f"COLLATE {quote(collation)}")
            if default is not None:
                parts.append(f"DEFAULT {default}")
            if not_null:
                parts.append("NOT NULL")
            parts += checks
            out.append(CatalogObject("domain", name, " ".join(parts), f"DROP DOMAIN {qualified(name)}"))
        elif kind == "c":
            out.append(CatalogObject("type", name, f"CREATE TYPE {qualified(name)} AS ({', '.join(attributes)})",
                                     f"DROP TYPE {qualified(name)}"))
        else:
            skipped.append(("range type", name, "pymig cannot read range types yet"))
    return out


def _sequences(db, typed: Schema) -> list[CatalogObject]:
    from ..types import SERIAL_BASE
    from . import catalog_ops as dsl

    out = []
    for name, typ, start, inc, lo, hi, cache, cycle, owner in db.rows(_SEQUENCES):
        create = (f"CREATE SEQUENCE {qualified(name)} AS {typ} INCREMENT BY {inc} MINVALUE {lo} MAXVALUE {hi} "
                  f"START WITH {start} CACHE {cache}{' CYCLE' if cycle else ''}")
        ops = dsl.sequence(name, typ, start, inc, lo, hi, cache, cycle)
        table, column = owner or (None, None)
        if table in typed.tables and any(c.name == column and c.type in SERIAL_BASE for c in typed.tables[table].columns):
            ops = None  # introspection reads it as the column's serial (its default is its nextval): SQL stays
        out.append(CatalogObject("sequence", name, create, f"DROP SEQUENCE {qualified(name)}", (), None, *(ops or ())))
        if owner:
            owned = dsl.sequence_owner(name, table, column) if ops else None  # alter_sequence needs it in the state
            out.append(CatalogObject("sequence owner", name,
                                     f"ALTER SEQUENCE {qualified(name)} OWNED BY {qualified(table)}.{quote(column)}",
                                     f"ALTER SEQUENCE {qualified(name)} OWNED BY NONE",
                                     (f"sequence {name}", f"table {table}"), table, *(owned or ())))
    return out


def _unfold_serials(db, schema: Schema) -> Schema:
    tables = dict(schema.tables)
    for table, column, typ, default in db.rows(_NOT_SERIAL):
        if table in tables:
            t = tables[table]
            tables[table] = replace(t, columns=tuple(replace(c, type=typ, default=default, sequence=None)
                                                     if c.name == column else c
                                                     for c in t.columns))
    return Schema(tables, schema.indexes)


def _without_generated(db, schema: Schema) -> tuple[Schema, list[CatalogObject]]:
    """Stored generated columns are not Schema columns (the DSL cannot write them yet): each is
    added after its table with ALTER TABLE ... ADD COLUMN ... GENERATED ALWAYS AS (...) STORED."""
    out, drop = [], {}
    for table, column, typ, expr in db.rows(_GENERATED):
        drop.setdefault(table, set()).add(column)
        out.append(CatalogObject(
            "generated column", f"{table}.{column}",
            f"ALTER TABLE {qualified(table)} ADD COLUMN {quote(column)} {typ} GENERATED ALWAYS AS ({expr}) STORED",
            f"ALTER TABLE {qualified(table)} DROP COLUMN {quote(column)}", (f"table {table}",), table))
    tables = dict(schema.tables)
    for table, columns in drop.items():
        if table in tables:
            t = tables[table]
            tables[table] = replace(t, columns=tuple(c for c in t.columns if c.name not in columns))
    return Schema(tables, schema.indexes), out


def _table_bound(db, typed: Schema) -> list[CatalogObject]:
    from . import catalog_ops as dsl

    out = []
    for table, unlogged, options, keys in db.rows(_TABLE_OPTIONS):
        t = qualified(table)
        if unlogged:
            out.append(CatalogObject("table option", f"{table} unlogged", f"ALTER TABLE {t} SET UNLOGGED",
                                     f"ALTER TABLE {t} SET LOGGED", (f"table {table}",), table))
        if options:
            out.append(CatalogObject("table option", f"{table} storage", f"ALTER TABLE {t} SET ({options})",
                                     f"ALTER TABLE {t} RESET ({', '.join(keys)})", (f"table {table}",), table))
    for table, name, definition, enabled in db.rows(_TRIGGERS):
        create = definition
        if enabled != "O":
            state = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}[enabled]
            create += f";\nALTER TABLE {qualified(table)} {state} TRIGGER {quote(name)}"
        found = next((t for t in (typed.tables[table].triggers if table in typed.tables else ()) if t.name == name),
                     None)
        out.append(CatalogObject("trigger", f"{table}.{name}", create,
                                 f"DROP TRIGGER {quote(name)} ON {qualified(table)}", (f"table {table}",), table,
                                 *(dsl.trigger(found, enabled) or ())))
    for table, forced in db.rows(_ROW_SECURITY):
        t = qualified(table)
        create = f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY" + (f";\nALTER TABLE {t} FORCE ROW LEVEL SECURITY"
                                                                 if forced else "")
        drop = (f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY;\n" if forced else "") + \
            f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY"
        out.append(CatalogObject("row security", table, create, drop, (f"table {table}",), table))
    for table, name, permissive, command, roles, using, check in db.rows(_POLICIES):
        create = (f"CREATE POLICY {quote(name)} ON {qualified(table)} AS {'PERMISSIVE' if permissive else 'RESTRICTIVE'}"
                  f" FOR {command} TO {', '.join(roles)}")
        if using:
            create += f" USING ({using})"
        if check:
            create += f" WITH CHECK ({check})"
        out.append(CatalogObject("policy", f"{table}.{name}", create,
                                 f"DROP POLICY {quote(name)} ON {qualified(table)}", (f"table {table}",), table))
    return out


def _privileges(db) -> list[CatalogObject]:
    from . import catalog_ops as dsl

    out = []
    for verb, what, name, key, column, grantee, grantable, privileges in db.rows(_PRIVILEGES):
        ops = dsl.privileges(verb, what, name, column, grantee, grantable, privileges)
        if column:
            privileges = ", ".join(f"{p} ({column})" for p in privileges.split(", "))
        target = f"{privileges} ON {what} {name}"
        option = " WITH GRANT OPTION" if grantable else ""
        grant, revoke = f"GRANT {target} TO {grantee}{option}", f"REVOKE {target} FROM {grantee}"
        label = f"{target} {'TO' if verb == 'GRANT' else 'FROM'} {grantee}"
        out.append(CatalogObject("grant" if verb == "GRANT" else "revoke", label,
                                 grant if verb == "GRANT" else revoke,
                                 revoke if verb == "GRANT" else grant, (key,), None,
                                 *(ops or ())))
    return out


def _comments(db, current: str) -> list[CatalogObject]:
    from . import catalog_ops as dsl

    out = []
    for kind, identity, text, owner in db.rows(_COMMENTS):
        word = _COMMENT_TARGET.get(kind, kind.upper())
        target = identity
        if kind == "domain constraint":
            target = identity.replace(" on ", " ON DOMAIN ", 1)
        elif kind in ("table constraint", "trigger", "policy"):
            target = identity.replace(" on ", " ON ", 1)
        on = f"COMMENT ON {word} {target}"
        out.append(CatalogObject("comment", f"on {kind} {identity}", f"{on} IS {literal(text)}", f"{on} IS NULL",
                                 (owner,) if owner else (), None, *(dsl.comment(kind, identity, text, current) or ())))
    return out
