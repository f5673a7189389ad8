"""Preflight check queries, shared by the dialects: read-only queries that refuse an operation
when data would be lost or the DDL would fail (pymig.checks runs them and reports).

Ops build them through the `*_checks` functions below. Each check's `query` returns the
offending rows, primary key first and ordered by it; the count comes from `count_query` (or from
counting `query`). SQL that only one database spells (catalog queries, the cast probe) comes
from the dialect's own methods."""

from __future__ import annotations

from ..names import bare
from ..schema import Table
from ..sqltext import columns_used, is_bare_name, is_quoted_name, split_direction
from ..steps import Check
from ..types import FLOAT_TYPES as _FLOATS
from ..types import INTEGER_RANGES as _INTEGERS
from ..types import SERIAL_BASE, family
from ..types import STRING_TYPES as _STRINGS


# -- shared pieces ------------------------------------------------------------------------------

def _pick(table, dialect, *exprs: str) -> str:
    """The select list of a check: the primary key (to find the rows), then what the check is about."""
    keys = [dialect.quote(c) for c in table.primary_key] if table is not None else []
    out = keys + [e for e in exprs if e not in keys]
    return ", ".join(out) or "*"


def _order(table, dialect, *fallback: str) -> str:
    keys = [dialect.quote(c) for c in table.primary_key] if table is not None else []
    keys = keys or list(fallback)
    return f" ORDER BY {', '.join(keys)}" if keys else ""


def _name(expr: str, dialect) -> str:
    """How a check's result names a column or index expression: a bare name quoted, an
    expression under its own text."""
    if is_quoted_name(expr):
        return expr
    return dialect.quote(expr)


def _label(expr: str, dialect) -> str:
    """The select item that shows `expr` under `_name(expr)`."""
    name = _name(expr, dialect)
    if is_bare_name(expr) or name == expr:
        return name
    return f"({expr}) AS {name}"


def _bare(expr: str, dialect) -> str:
    if is_bare_name(expr):
        return dialect.quote(expr)
    return f"({expr})"


def _rows_where(table, name: str, dialect, where: str, *shown: str, source: str | None = None) -> str:
    src = source or dialect.qname(name)
    return (f"SELECT {_pick(table, dialect, *shown)} FROM {src} WHERE {where}"
            f"{_order(table, dialect, *shown)}")


# -- drop_table, drop_column --------------------------------------------------------------------

def _dependents(op, subject: str, what: str, query: str | None) -> list[Check]:
    if query is None:
        return []
    return [Check(
        op.describe(), subject, query,
        f"{what} is used by {{count}} other {{noun}}, and pymig never drops dependents implicitly (no CASCADE)",
        hint="drop or change them first in this migration (drop_constraint for a foreign key, "
        "drop_view for a view)",
        noun="object",
    )]


def dependents_checks(op, what: str, query: str | None) -> list[Check]:
    """What would stop a DROP without CASCADE (views on a view, columns of an enum type, ...)."""
    return _dependents(op, what, what, query)


def drop_table_checks(op, schema, dialect) -> list[Check]:
    what = f'table "{op.name}"'
    checks = _dependents(op, what, what, dialect.dependents_query(op.name))
    if op.allow_data_loss:
        return checks
    table = schema.table(op.name)
    t = dialect.qname(op.name)
    checks.append(Check(
        op.describe(), what, f"SELECT {_pick(table, dialect)} FROM {t}{_order(table, dialect)}",
        f"{what} holds {{count}} {{noun}}, which dropping it would lose",
        hint=f"move or delete the rows first, or pass allow_data_loss=True to drop_table(\"{op.name}\") "
        "if they may go (down re-creates the table empty)",
        count_query=f"SELECT count(*) FROM {t}",
    ))
    return checks


def drop_column_checks(op, schema, dialect) -> list[Check]:
    what = f'column "{op.table}.{op.name}"'
    checks = _dependents(op, what, what, dialect.dependents_query(op.table, op.name))
    if op.allow_data_loss:
        return checks
    table = schema.table(op.table)
    col = dialect.quote(op.name)
    checks.append(Check(
        op.describe(), what, _rows_where(table, op.table, dialect, f"{col} IS NOT NULL", col),
        f"{what} holds {{count}} non-NULL {{noun}}, which dropping it would lose",
        hint=f"copy the values elsewhere first, or pass allow_data_loss=True to "
        f"drop_column(\"{op.table}\", \"{op.name}\") if they may go (down re-adds the column empty)",
        noun="value",
    ))
    return checks


# -- add_column ---------------------------------------------------------------------------------

def add_column_checks(op, schema, dialect) -> list[Check]:
    c = op.column
    table = schema.table(op.table)
    t = dialect.qname(op.table)
    checks = []
    generated = c.identity or c.type in SERIAL_BASE
    if not c.nullable and c.default is None and not generated:
        checks.append(Check(
            op.describe(), f'table "{op.table}"', f"SELECT {_pick(table, dialect)} FROM {t}{_order(table, dialect)}",
            f'column "{op.table}.{c.name}" is NOT NULL without a default, but table "{op.table}" has '
            "{count} {noun}, which would get NULL",
            hint=f"give the column a default, or add it nullable, backfill it, then "
            f"alter_column(\"{op.table}\", \"{c.name}\", nullable=False)",
            count_query=f"SELECT count(*) FROM {t}",
        ))
    if generated or not op.constraints:
        return checks
    # the constraints see each existing row with the new column's default (NULL when none):
    # the same rows, read through a subquery that adds the column the way ADD COLUMN will
    value = f"CAST({c.default if c.default is not None else 'NULL'} AS {c.type})"
    source = f"(SELECT *, {value} AS {dialect.quote(c.name)} FROM {t}) AS {dialect.quote(bare(op.table))}"
    for con in op.constraints:
        if c.default is None and con.kind in ("unique", "foreign_key"):
            continue  # NULLs never conflict and never dangle
        checks += constraint_checks(op.table, con, op.describe(), schema, dialect, source=source)
    return checks


# -- alter_column -------------------------------------------------------------------------------

def alter_column_checks(op, schema, dialect) -> list[Check]:
    table = schema.table(op.table)
    before = table.column(op.name)
    col = dialect.quote(op.name)
    what = f'column "{op.table}.{op.name}"'
    checks = []
    if op.type is not None:
        checks += _type_checks(op, table, before.type, op.type, dialect)
    if op.nullable is False and before.nullable:
        checks.append(Check(
            op.describe(), what, _rows_where(table, op.table, dialect, f"{col} IS NULL", col),
            f"{what} is NULL in {{count}} {{noun}}, so it cannot become NOT NULL",
            hint=f"backfill those rows first: backfill(\"{op.table}\", {{\"{op.name}\": \"...\"}}, "
            f"where=\"{op.name} IS NULL\")",
        ))
    return checks


def _type_checks(op, table, old: str, new: str, dialect) -> list[Check]:
    """Values the new type cannot hold, or would silently change (SAFETY.md P3-P6)."""
    if not dialect.enforces_types:
        return []  # SQLite keeps every value as it is, whatever the declared type
    (ob, om), (nb, nm) = family(old), family(new)
    if (ob, om) == (nb, nm) and not op.using:
        return []
    col = dialect.quote(op.name)
    what = f'column "{op.table}.{op.name}"'
    rows = lambda where: _rows_where(table, op.table, dialect, where, col)  # noqa: E731
    check = lambda query, message, hint: Check(op.describe(), what, query, message, hint, noun="value")  # noqa: E731
    keep = f"or keep the type {old}"
    if op.using:
        return _probe(op, table, new, dialect, what)
    if nb in _STRINGS and nm:
        n = nm[0]
        if ob in _STRINGS and om and om[0] <= n:
            return []
        text = f"CAST({col} AS text)"
        out = [check(
            rows(f"char_length(rtrim({text}, ' ')) > {n}"),
            f"{what} has {{count}} {{noun}} longer than {n} characters, which {new} cannot hold",
            f"shorten or move those values first (backfill with where=\"char_length({op.name}) > {n}\"), {keep}",
        )]
        if nb != "text" and ob in _STRINGS:
            out.append(check(
                rows(f"char_length({text}) > {n} AND char_length(rtrim({text}, ' ')) <= {n}"),
                f"{what} has {{count}} {{noun}} longer than {n} characters only by trailing spaces, which "
                f"{new} would cut off silently",
                f"trim them first (backfill(\"{op.table}\", {{\"{op.name}\": \"rtrim({op.name})\"}}, "
                f"where=\"char_length({op.name}) > {n}\")), or pass using=\"rtrim({op.name})\" to accept it",
            ))
        return out
    if nb in _STRINGS:
        return []  # every value has a text form, and text / varchar without a length holds any
    if nb in _INTEGERS and (ob in _INTEGERS or ob == "numeric" or ob in _FLOATS):
        lo, hi = _INTEGERS[nb]
        if ob in _INTEGERS and _INTEGERS[ob][0] >= lo:
            return []
        out = [check(
            rows(f"{col} NOT BETWEEN {lo} AND {hi}"),
            f"{what} has {{count}} {{noun}} outside the range of {nb} ({lo} to {hi})",
            f"fix or move those values first, {keep}",
        )]
        if ob not in _INTEGERS:
            out.append(check(
                rows(f"{col} BETWEEN {lo} AND {hi} AND {col} <> round({col})"),
                f"{what} has {{count}} {{noun}} with a fractional part that {nb} would round away silently",
                f"round them first, or pass using=\"round({op.name})\" to accept it",
            ))
        return out
    if nb == "numeric" and (ob in _INTEGERS or ob == "numeric" or ob in _FLOATS):
        if not nm:
            return []
        p, s = nm if len(nm) == 2 else (nm[0], 0)
        if ob in _INTEGERS:
            digits, scale = len(str(_INTEGERS[ob][1])), 0
        elif ob == "numeric" and om:
            digits, scale = om[0] - (om[1] if len(om) == 2 else 0), om[1] if len(om) == 2 else 0
        else:  # unconstrained numeric, or a float: any size, any scale
            digits, scale = None, None
        rounds = scale is None or s < scale
        out = []
        # rounding can carry into one more digit (99.995 -> 100.00): only more room is always safe
        if digits is None or p - s < digits or (p - s == digits and rounds):
            num = f"CAST({col} AS numeric)"
            out.append(check(
                rows(f"{num} <> 'NaN' AND abs(round({num}, {s})) >= 10::numeric ^ {p - s}"),
                f"{what} has {{count}} {{noun}} too large for {new} (at most {p - s} digits before the point)",
                f"fix or move those values first, {keep}",
            ))
        if rounds:
            num = f"CAST({col} AS numeric)"
            out.append(check(
                rows(f"{num} <> round({num}, {s})"),
                f"{what} has {{count}} {{noun}} with more than {s} decimal places, which {new} would round "
                "silently",
                f"round them first, or pass using=\"round({op.name}, {s})\" to accept it",
            ))
        return out
    if ob in _INTEGERS and nb in _FLOATS + ("numeric",):
        return []
    return _probe(op, table, new, dialect, what)


def _probe(op, table, new: str, dialect, what: str) -> list[Check]:
    """Rows whose value (or `using` expression) fails the conversion, tried row by row."""
    probe = dialect.conversion_probe(op.table, op.using or dialect.quote(op.name), SERIAL_BASE.get(new, new))
    if probe is None:
        return []
    setup, where = probe
    how = f" with using={op.using!r}" if op.using else ""
    return [Check(
        op.describe(), what, _rows_where(table, op.table, dialect, where, dialect.quote(op.name)),
        f"{what} has {{count}} {{noun}} that cannot be converted to {new}{how}",
        hint="fix or clear those values first (backfill), or write a using= expression that converts them",
        setup=tuple(setup), noun="value",
    )]


# -- create_index, add_unique / add_foreign_key / add_check -------------------------------------

def create_index_checks(op, schema, dialect) -> list[Check]:
    index = op.resolved(schema)
    if not index.unique:
        return []
    view = schema.get("view", index.table)  # a materialized view: its rows, no key to show them by
    table = Table(index.table) if view is not None else schema.table(index.table)
    keys = [split_direction(c)[0] for c in index.columns]
    nulls_distinct = not (index.definition and "NULLS NOT DISTINCT" in index.definition.upper())
    return [_duplicates(op.describe(), table, index.table, keys, dialect, where=index.where,
                        nulls_distinct=nulls_distinct, what=f'unique index "{index.name}"')]


def _duplicates(label, table, name, keys, dialect, *, where=None, nulls_distinct=True, source=None,
                what="") -> Check:
    """Rows that share their key with another row (SAFETY.md P7): NULLs never conflict unless the
    constraint says NULLS NOT DISTINCT; an index predicate limits the rows that count. `keys` are
    column names or index expressions."""
    src = source or dialect.qname(name)
    exprs = [_bare(k, dialect) for k in keys]
    conds = [f"({where})"] if where else []
    if nulls_distinct:
        conds += [f"{e} IS NOT NULL" for e in exprs]
    filt = f" WHERE {' AND '.join(conds)}" if conds else ""
    group = ", ".join(exprs)
    pk = [dialect.quote(c) for c in table.primary_key] if table is not None else []
    items = {_name(k, dialect): _label(k, dialect) for k in keys}  # outer name -> inner select item
    items.update({k: k for k in pk if k not in items})
    inner = (f"SELECT {', '.join(items.values())}, count(*) OVER (PARTITION BY {group}) AS pymig_n "
             f"FROM {src}{filt}")
    shown = [*pk, *(k for k in items if k not in pk)]
    order = ", ".join([*(k for k in items if k not in pk), *pk])
    query = f"SELECT {', '.join(shown)} FROM ({inner}) AS d WHERE pymig_n > 1 ORDER BY {order}"
    count = (f"SELECT coalesce(sum(n), 0), count(*) FROM (SELECT count(*) AS n FROM {src}{filt} "
             f"GROUP BY {group} HAVING count(*) > 1) AS d")
    cols = ", ".join(keys)
    return Check(
        label, f'table "{name}"', query,
        f"{{count}} {{noun}} of \"{name}\" share {{groups}} of ({cols}), which {what} allows only once",
        hint=f"remove or change the duplicates first (keep one row per ({cols})), or drop unique",
        count_query=count,
    )


def constraint_checks(table_name, constraint, label, schema, dialect, source=None) -> list[Check]:
    """Rows that violate a constraint about to be added. `source` stands in for the table (add_column
    reads it through a subquery that adds the new column); a NOT VALID constraint checks nothing."""
    c = constraint
    if not c.validated or (c.definition and "NOT VALID" in c.definition.upper()):
        return []
    table = schema.tables.get(table_name)
    what = f'{c.kind.replace("_", " ")} "{c.name}"'
    if c.kind in ("unique", "primary_key"):
        nnd = bool(c.definition and "NULLS NOT DISTINCT" in c.definition.upper())
        out = []
        if c.kind == "primary_key":
            cols = [dialect.quote(x) for x in c.columns]
            out.append(Check(
                label, f'table "{table_name}"',
                _rows_where(table, table_name, dialect, " OR ".join(f"{x} IS NULL" for x in cols), *cols,
                            source=source),
                f"table \"{table_name}\" has {{count}} {{noun}} with NULL in ({', '.join(c.columns)}), "
                f"which {what} forbids",
                hint="backfill those rows first, or delete them",
            ))
        keys = [x if is_bare_name(x) else dialect.quote(x) for x in c.columns]
        out.append(_duplicates(label, table, table_name, keys, dialect, source=source,
                               nulls_distinct=not nnd and c.kind != "primary_key", what=what))
        return out
    if c.kind == "foreign_key":
        return [_orphans(label, table, table_name, c, schema, dialect, source, what)]
    if c.kind == "check" and c.expression:
        known = {col.name for col in table.columns} if table is not None else set()
        shown = [dialect.quote(x) for x in dict.fromkeys([*c.columns, *columns_used(c.expression)])
                 if x in known or x in c.columns]
        return [Check(
            label, f'table "{table_name}"',
            _rows_where(table, table_name, dialect, f"({c.expression}) IS FALSE", *shown, source=source),
            f"{what} (CHECK ({c.expression})) fails for {{count}} {{noun}} of \"{table_name}\"",
            hint=f"fix those rows first (backfill with where=\"NOT ({c.expression})\"), or change the "
            "expression (a row where it is NULL passes)",
        )]
    return []


def _orphans(label, table, table_name, c, schema, dialect, source, what) -> Check:
    """Rows whose key finds no parent (SAFETY.md P9): with MATCH SIMPLE a row with any NULL in the
    key is never an orphan; with MATCH FULL a partly-NULL key is a violation too."""
    ref_cols = c.ref_columns
    if not ref_cols:
        parent = schema.tables.get(c.ref_table)
        ref_cols = parent.primary_key if parent is not None else ()
    t = dialect.quote(bare(table_name))  # the rows' columns: the table's name (or the source's alias)
    src = source or dialect.qname(table_name)
    mine = [f"{t}.{dialect.quote(x)}" for x in c.columns]
    match = " AND ".join(f"pymig_parent.{dialect.quote(r)} = {m}" for r, m in zip(ref_cols, mine))
    missing = f"NOT EXISTS (SELECT 1 FROM {dialect.qname(c.ref_table)} AS pymig_parent WHERE {match})"
    all_set = " AND ".join(f"{m} IS NOT NULL" for m in mine)
    where = f"{all_set} AND {missing}"
    if c.definition and "MATCH FULL" in c.definition.upper():
        any_set = " OR ".join(f"{m} IS NOT NULL" for m in mine)
        where = f"({any_set}) AND NOT ({all_set} AND NOT {missing})"
    shown = [dialect.quote(x) for x in c.columns]
    cols, refs = ", ".join(c.columns), ", ".join(ref_cols)
    return Check(
        label, f'table "{table_name}"', _rows_where(table, table_name, dialect, where, *shown, source=src),
        f"table \"{table_name}\" has {{count}} {{noun}} whose ({cols}) finds no match in "
        f"\"{c.ref_table}\"({refs}), which {what} forbids",
        hint=f"insert the missing \"{c.ref_table}\" rows, or fix those rows (set ({cols}) to NULL or to "
        "an existing key) first",
    )


# -- enums --------------------------------------------------------------------------------------

def enum_value_checks(op, columns, dialect) -> list[Check]:
    """Rows that hold the enum value an operation takes away (the type is rebuilt without it)."""
    q, out = dialect.quote, []
    for table, column, _ in columns:
        where = f"{q(column)} = {dialect.literal(op.value)}"
        out.append(Check(
            op.describe(), f'column "{table}.{column}"', f"SELECT {q(column)} FROM {dialect.qname(table)} WHERE {where}",
            f'column "{table}.{column}" holds the value {op.value!r} in {{count}} {{noun}}, '
            "which the type without it could not hold",
            hint=f"change those rows first (e.g. backfill(\"{table}\", set={{\"{column}\": ...}}, "
            f"where=\"{column} = '{op.value}'\"))",
            count_query=f"SELECT count(*) FROM {dialect.qname(table)} WHERE {where}"))
    return out


# -- exclusion constraints ------------------------------------------------------------------------

# Types that have a gist operator class only through the btree_gist extension (`=` and `<` on them).
_BTREE_GIST = (*_INTEGERS, *_FLOATS, *_STRINGS, "numeric", "uuid", "date", "time without time zone",
               "time with time zone", "timestamp without time zone", "timestamp with time zone", "interval",
               "boolean", "bytea", "inet", "cidr", "macaddr", "money", "bit", "bit varying", "oid")


def exclusion_checks(table_name, c, label, schema, dialect) -> list[Check]:
    """An exclusion constraint about to be added: the btree_gist extension when gist compares a
    plain scalar column, and the rows that conflict with another row under it."""
    table = schema.tables.get(table_name)
    out = []
    if c.method == "gist" and schema.get("extension", "btree_gist") is None and table is not None:
        scalar = [col for col in c.columns if table.has_column(col)
                  and family(table.column(col).type)[0] in _BTREE_GIST]
        if scalar and dialect.extension_missing_query("btree_gist"):
            col = table.column(scalar[0])
            out.append(Check(
                label, f'table "{table_name}"', dialect.extension_missing_query("btree_gist"),
                f'exclusion "{c.name}" compares column "{col.name}" ({col.type}) under gist, which needs the '
                "btree_gist extension, and this database does not have it",
                hint='create_extension("btree_gist") first (in this migration or an earlier one)', noun="extension"))
    if not c.validated:
        return out
    t = dialect.qname(table_name)
    items = ", ".join(f"{_bare(e, dialect)} AS pymig_e{i}" for i, (e, _) in enumerate(c.elements))
    rows = f"(SELECT {dialect.row_id} AS pymig_ctid, {items} FROM {t}" + (f" WHERE ({c.where})" if c.where else "") + ")"
    both = " AND ".join(f"a.pymig_e{i} {op} b.pymig_e{i}" for i, (_, op) in enumerate(c.elements))
    where = f"{dialect.row_id} IN (SELECT a.pymig_ctid FROM {rows} AS a JOIN {rows} AS b ON b.pymig_ctid <> a.pymig_ctid AND {both})"
    shown = [_label(e, dialect) for e, _ in c.elements]
    spelled = ", ".join(f"{e} WITH {op}" for e, op in c.elements)
    return out + [Check(
        label, f'table "{table_name}"', _rows_where(table, table_name, dialect, where, *dict.fromkeys(shown)),
        f'{{count}} {{noun}} of "{table_name}" conflict with another row under exclusion "{c.name}" ({spelled})',
        hint="change or delete the conflicting rows first, or narrow the constraint with where=",
    )]


# -- revert of an expanded type change ----------------------------------------------------------

def revert_column_type_checks(op, old: str, schema, dialect) -> list[Check]:
    """`pymig down` before the contract: rows written after the switch whose value the old type
    cannot hold (the trigger left the old column `old` NULL there), counted as a type change back
    would count them."""
    from types import SimpleNamespace

    table = schema.table(op.table)
    if not table.has_column(old) or not table.has_column(op.name):
        return []
    back = SERIAL_BASE.get(op.column.type, op.column.type)
    change = SimpleNamespace(table=op.table, name=op.name, using=None, describe=op.describe)
    checks = _type_checks(change, table, table.column(op.name).type, back, dialect)
    if checks:
        return checks
    col, what = dialect.quote(op.name), f'column "{op.table}.{op.name}"'
    return [Check(op.describe(), what, _rows_where(table, op.table, dialect, f"{col} IS NOT NULL AND "
                                                   f"{dialect.quote(old)} IS NULL", col),
                  f"{what} has {{count}} {{noun}} written since the switch that the old type {op.column.type} "
                  "cannot hold, so the old column has none there", noun="value",
                  hint="fix or remove those values first, or finish with `pymig complete` and keep the new type")]
