"""The DSL operations that create (and drop) an object of the catalog beyond tables, where the DSL
can say exactly what the catalog holds: `pymig baseline` and `pymig diff` write these instead of
run_sql with the catalog's SQL (pymig.catalog.CatalogObject.op / drop_op).

Each function gets what the catalog query read and returns (create, drop), or None when the DSL
cannot spell the object exactly (a function with SECURITY DEFINER, a view WITH options, a grant
on a sequence, ...): then run_sql stays."""

from __future__ import annotations

from dataclasses import replace

from ..sqltext import is_bare_name

Ops = "tuple[object, object] | None"


def _unquoted(name: str) -> str | None:
    """A quote_ident() name as the DSL writes it; None when it needed quotes (pymig writes plain names)."""
    return name if is_bare_name(name) else None


def _unquoted_qualified(name: str) -> str | None:
    """The same for a name that may be schema-qualified (`billing.accounts`)."""
    parts = name.split(".")
    return name if len(parts) <= 2 and all(is_bare_name(p) for p in parts) else None


def extension(name: str, where: str, version: str, default_version: str | None, current: str) -> Ops:
    from ..dsl import create_extension, drop_extension

    other = version if default_version and version != default_version else None
    return (create_extension(name, schema=None if where == current else where, version=other),
            drop_extension(name))


def schema(name: str) -> Ops:
    from ..dsl import create_schema, drop_schema

    return create_schema(name), drop_schema(name)


def enum(name: str, labels) -> Ops:
    from ..dsl import create_enum, drop_enum

    return create_enum(name, list(labels)), drop_enum(name)


def sequence(name: str, typ: str, start, inc, lo, hi, cache, cycle) -> Ops:
    """create_sequence says no AS type (bigint) nor CACHE (1)."""
    from ..dsl import drop_sequence
    from ..ops.sequences import CreateSequence
    from ..schema import Sequence, canonical_options

    if typ != "bigint" or cache != 1:
        return None
    return CreateSequence(Sequence(name, *canonical_options(start, inc, lo, hi), bool(cycle))), drop_sequence(name)


def sequence_owner(name: str, table: str, column: str) -> Ops:
    from ..dsl import alter_sequence

    if not (_unquoted_qualified(table) and _unquoted(column)):
        return None
    return alter_sequence(name, owned_by=f"{table}.{column}"), alter_sequence(name, owned_by=None)


def function(fn, definition: str) -> Ops:
    """create_function for a PL/pgSQL function whose catalog definition says nothing beyond its
    arguments, result, language and volatility (a SQL function's body is checked against tables that
    may come later; SECURITY DEFINER, SET, STRICT, COST ... have no DSL argument)."""
    from ..dsl import drop_function
    from ..ops.functions import CreateFunction

    if fn is None or fn.language != "plpgsql" or not definition:
        return None
    head, sep, _ = definition.partition("\nAS ")
    allowed = ("RETURNS ", "LANGUAGE ", "IMMUTABLE", "STABLE")
    if not sep or any(not line.strip().startswith(allowed) for line in head.splitlines()[1:]):
        return None
    return CreateFunction(replace(fn, definition=None, comment=None)), drop_function(fn.name)


def view(name: str, kind: str, query: str, options) -> Ops:
    from ..dsl import create_view, drop_view

    if options:
        return None
    return create_view(name, query, materialized=kind == "m"), drop_view(name)


def trigger(t, enabled: str) -> Ops:
    """create_trigger when the catalog's definition is what create_trigger writes: no UPDATE OF,
    transition tables, constraint trigger, arguments, nor a disabled state."""
    from ..dsl import drop_trigger
    from ..ops.functions import CreateTrigger

    text = t.definition if t is not None else None
    if text is None or enabled != "O" or not text.startswith("CREATE TRIGGER ") or not text.endswith("()") \
            or any(w in text for w in (" OF ", " REFERENCING ", " FROM ", " DEFERRABLE")):
        return None
    return CreateTrigger(replace(t, definition=None)), drop_trigger(t.table, t.name)


def privileges(verb: str, what: str, name: str, column: str | None, grantee: str, grantable: bool,
               listed: str) -> Ops:
    """grant on a table or view (to a role or PUBLIC); the rest stays SQL (sequences, functions,
    privileges revoked from the default)."""
    from ..dsl import grant, revoke

    on, role = _unquoted_qualified(name), "public" if grantee == "PUBLIC" else _unquoted(grantee)
    col = _unquoted(column) if column else None
    if verb != "GRANT" or what != "TABLE" or on is None or role is None or (column and col is None):
        return None
    names = [p.strip() for p in listed.split(",")]
    cols = [col] if col else None
    return (grant(names, on, role, columns=cols, with_grant_option=bool(grantable)),
            revoke(names, on, role, columns=cols))


_COMMENTED = {"table": 1, "view": 1, "materialized view": 1, "sequence": 1, "table column": 2, "function": 1}


def comment(kind: str, identity: str, text: str, current: str) -> Ops:
    """comment_on a table, column, view, index, enum, sequence, function, constraint or schema,
    named plainly (pg_identify_object's identity, without the current schema)."""
    from ..dsl import comment_on

    if kind == "schema":
        target = _unquoted(identity)
    elif kind == "table constraint":
        constraint, sep, table = identity.partition(" on ")
        parts = _parts(table, current, 1)
        target = ".".join([*parts, constraint]) if sep and parts and _unquoted(constraint) else None
    elif kind in _COMMENTED:
        ident = identity.removesuffix("()") if kind == "function" else identity
        parts = _parts(ident, current, _COMMENTED[kind])
        target = ".".join(parts) if parts else None
    else:
        target = None
    if target is None:
        return None
    return comment_on(target, text), comment_on(target, None)


def _parts(identity: str, current: str, count: int) -> list[str] | None:
    """The plain names of an identity (`schema.name...`), without the schema when it is `current`;
    None when one needs quotes."""
    parts = identity.split(".")
    if len(parts) != count + 1 or not all(_unquoted(p) for p in parts):
        return None
    return parts[1:] if parts[0] == current else parts
