"""SQLite's spelling of the state's PostgreSQL types and expressions, and what SQLite has no
meaning for (refused before anything runs)."""

from __future__ import annotations

import re
import sqlite3

from ..errors import PymigError
from ..schema import Column, Constraint, Index, Table
from ..types import canonical_type, type_modifiers
from .sqlite_text import _is_literal, _render, _tokens, _tree, _unquote

# -- types -----------------------------------------------------------------------------------------

# PostgreSQL type (canonical, see types.py) -> SQLite declared type. SQLite keeps the declared text
# and derives the column's affinity from it (datatype3.html, 3.1). Each name gets the affinity its
# values need and maps back one to one, so introspection returns the type the migration wrote.
TYPES = {
    "integer": "INTEGER",  # INTEGER affinity
    "bigint": "BIGINT",  # INTEGER (SQLite integers are 64-bit)
    "smallint": "SMALLINT",  # INTEGER
    "boolean": "BOOLEAN",  # NUMERIC: true/false are stored as 1/0
    "real": "REAL",  # REAL
    "double precision": "DOUBLE PRECISION",  # REAL
    "numeric": "NUMERIC",  # NUMERIC: stored as an integer or an 8-byte float, not as an exact decimal
    "text": "TEXT",  # TEXT
    "character varying": "VARCHAR",  # TEXT; the length is not enforced
    "character": "CHAR",  # TEXT; not blank-padded
    "date": "DATE",  # NUMERIC; ISO-8601 text stays text
    "timestamp without time zone": "TIMESTAMP",  # NUMERIC; ISO-8601 text
    "timestamp with time zone": "TIMESTAMPTZ",  # NUMERIC; ISO-8601 text
    "time without time zone": "TIME",  # NUMERIC
    "time with time zone": "TIMETZ",  # NUMERIC
    # TEXT affinity on purpose: under NUMERIC affinity ("UUID", "JSON") SQLite would store a value
    # that reads as a number as that number (a JSON document '1.0' becomes the integer 1).
    "uuid": "UUID TEXT",
    "json": "JSON TEXT",
    "jsonb": "JSONB TEXT",
    "bytea": "BLOB",  # BLOB
}
# serial, bigserial, smallserial: INTEGER PRIMARY KEY AUTOINCREMENT, the one column SQLite numbers
# itself (an alias of the rowid); so a serial column must be its table's whole primary key.
SERIALS = ("serial", "bigserial", "smallserial")
_FROM_SQLITE = {v: k for k, v in TYPES.items()}

# Functions both databases have, with another meaning: refused rather than silently different.
_DIFFERENT = {
    "random": "random() is a number in [0, 1) in PostgreSQL and a 64-bit integer in SQLite",
}

_NO_ENUMS = "SQLite has no enum types (a CHECK (value IN (...)) constraint does the job there)"
_NO_SEQUENCES = "SQLite has no sequences (an INTEGER PRIMARY KEY numbers the rows)"
_NO_FUNCTIONS = "SQLite has no stored functions (its triggers hold their statements inline)"
NO_SQLITE = {
    "create_enum": _NO_ENUMS, "drop_enum": _NO_ENUMS, "add_enum_value": _NO_ENUMS,
    "rename_enum_value": _NO_ENUMS, "drop_enum_value": _NO_ENUMS,
    "create_sequence": _NO_SEQUENCES, "alter_sequence": _NO_SEQUENCES, "drop_sequence": _NO_SEQUENCES,
    "create_function": _NO_FUNCTIONS, "replace_function": _NO_FUNCTIONS, "drop_function": _NO_FUNCTIONS,
    "create_trigger": "a PostgreSQL trigger calls a stored function, which SQLite does not have "
                      "(run_sql can create a SQLite trigger with its statements inline)",
    "drop_trigger": "pymig creates triggers on PostgreSQL only",
    "refresh_materialized_view": "SQLite has no materialized views",
    "add_exclusion": "SQLite has no exclusion constraints (a trigger that refuses conflicting rows is the "
                     "nearest thing, with run_sql)",
    "create_partition": "SQLite has no partitioned tables", "attach_partition": "SQLite has no partitioned tables",
    "detach_partition": "SQLite has no partitioned tables",
    "create_extension": "SQLite has no extensions", "drop_extension": "SQLite has no extensions",
    "create_schema": "SQLite has no schemas (an attached database file is the nearest thing)",
    "drop_schema": "SQLite has no schemas (an attached database file is the nearest thing)",
}


class SqliteTypes:
    """Types and expressions, the part of SqliteDialect that maps PostgreSQL's spelling."""

    def sqlite_type(self, type_: str) -> str:
        """The declared SQLite type for a canonical PostgreSQL type; PymigError when it has none."""
        if type_ in SERIALS:
            return "INTEGER"
        base, arrays = type_, 0
        while base.endswith("[]"):
            base, arrays = base[:-2], arrays + 1
        name, mods = type_modifiers(base)
        if name in TYPES:
            return TYPES[name] + "[]" * arrays + (f"({','.join(map(str, mods))})" if mods else "")
        if type_ == type_.upper() and not type_.startswith('"'):
            return type_  # a type pymig does not map, read from the catalog (see pg_type): kept as declared
        raise PymigError(
            f'type "{type_}" has no SQLite meaning',
            hint="use one of: " + ", ".join([*TYPES, *SERIALS]) + " (arrays of them are stored as JSON text)",
        )

    def pg_type(self, declared: str) -> str:
        """The canonical type for an SQLite declared type (the inverse of `sqlite_type`). A type
        pymig does not write (from a table pymig did not create) is kept as declared, upper-cased,
        which is how `sqlite_type` tells it from a PostgreSQL type."""
        text = re.sub(r"\s*([(),])\s*", r"\1", " ".join(declared.upper().split()))
        m = re.fullmatch(r"([A-Z][A-Z ]*?)((?:\[\])*)(?:\((\d+)(?:,(-?\d+))?\))?", text)
        if not m or m[1] not in _FROM_SQLITE:
            return text
        mods = ",".join(x for x in (m[3], m[4]) if x is not None)
        return canonical_type(_FROM_SQLITE[m[1]] + (f"({mods})" if mods else "") + m[2]).type

    def expression(self, text: str) -> str:
        """A PostgreSQL expression in SQLite's spelling: `x::type` becomes CAST(x AS type), and the
        functions in _FUNCTIONS are replaced. Text already in SQLite's spelling comes back unchanged."""
        return _render(_tree(_tokens(text, brackets=False)), self)

    def _default_sql(self, default: str) -> str:
        """SQLite accepts a literal bare after DEFAULT and anything else in parentheses."""
        text = self.expression(default)
        return text if _is_literal(text) else f"({text})"

    def check_expression(self, text: str, what: str) -> None:
        """Let SQLite's own parser judge an expression before anything runs. Every name in it
        becomes a column of a scratch table, so only what SQLite cannot mean is refused: a syntax
        error, an unknown function. Names pymig cannot know here (another table's) pass."""
        translated = self.expression(text)
        names = {}
        tokens = _tokens(translated, brackets=True)
        for i, (kind, word, _) in enumerate(tokens):
            if kind == "word" and word.lower() in _DIFFERENT and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
                raise PymigError(f"{what} {text!r} has no single meaning: {_DIFFERENT[word.lower()]}",
                                 hint="no spelling means the same on both; change the data in run_python")
            if kind in ("word", "quoted"):
                name = _unquote(word)
                names.setdefault(name.lower(), name)
        conn = sqlite3.connect(":memory:")
        try:
            conn.execute(f"CREATE TABLE pymig_scratch ({', '.join(map(self.quote, names.values())) or 'x'})")
            conn.execute(f"EXPLAIN SELECT ({translated}) FROM pymig_scratch")  # ( ): no alias after it
        except sqlite3.Error as e:
            if not str(e).startswith(("no such column", "no such table")):
                raise PymigError(f"{what} {text!r} has no SQLite meaning: {e}",
                                 hint="write it in SQL that PostgreSQL and SQLite share, or use run_sql") from None
        finally:
            conn.close()

    def check_operation(self, op) -> None:
        """Refuse, before anything runs, what an operation says that SQLite cannot mean: a type, an
        expression, an index method, a serial column that is not its table's primary key, an
        object kind SQLite does not have."""
        self._refuse_kind(op)
        from ..names import qualified_names

        qualified = qualified_names(op)
        if qualified:
            raise PymigError(f'"{qualified[0]}" is schema-qualified, and SQLite has no schemas',
                             hint="write the name without its schema for SQLite (qualified names are for PostgreSQL)")
        for type_ in op.types():
            if type_ in SERIALS:
                raise PymigError(f'cannot change a column to {type_} on SQLite', hint="keep the integer type")
            self.sqlite_type(type_)
        for what, text in op.expressions():
            self.check_expression(text, what)
        for value in op.values():
            self._check_value(value, op.kind)

    @staticmethod
    def _refuse_kind(op) -> None:
        """What SQLite has no object for (enums, privileges, ...); refused again when rendered."""
        if op.kind in NO_SQLITE:
            raise PymigError(f"{op.kind} has no SQLite meaning: {NO_SQLITE[op.kind]}",
                             hint="run this migration on PostgreSQL, or leave the operation out for SQLite")
        view = getattr(op, "view", None)
        if view is not None and view.materialized:
            raise PymigError(f"{op.kind} {view.name}: {NO_SQLITE['refresh_materialized_view']}",
                             hint="a plain view (materialized=False) computes the rows at each read")

    def _check_value(self, value, kind: str) -> None:
        if isinstance(value, Table):
            if value.partition_by:
                raise PymigError(f'table "{value.name}" is partitioned (partition_by=): SQLite has no partitioned '
                                 "tables", hint="leave partition_by out on SQLite")
            self._serial_key(value)
            for item in (*value.columns, *value.constraints):
                self._check_value(item, kind)
        elif isinstance(value, Column):
            if value.type in SERIALS and kind != "create_table":
                raise PymigError(f'column "{value.name}" is {value.type}: SQLite numbers rows only in a '
                                 "table's INTEGER PRIMARY KEY, which add_column cannot create",
                                 hint="create the table with it as primary key, or add an integer column")
            self.sqlite_type(value.type)
            _refuse_generated(value)
            if value.default is not None:
                self.check_expression(value.default, f'default of column "{value.name}"')
        elif isinstance(value, Constraint) and value.expression:
            self.check_expression(value.expression, f'check "{value.name}"')
        elif isinstance(value, Index):
            if value.method:
                raise PymigError(f'index method {value.method} has no SQLite meaning (SQLite indexes are b-trees)',
                                 hint="leave method= out on SQLite")
            _refuse_include(value)
            from ..sqltext import split_direction

            for column in value.columns:
                expr = split_direction(column)[0]
                if not expr.replace(" ", "_").isidentifier():  # else a name (with spaces), quoted once resolved
                    self.check_expression(expr, "index column")
            if value.where:
                self.check_expression(value.where, "index predicate")

    def _serial_key(self, table: Table) -> Column | None:
        """The table's serial column, which must be its whole primary key; None without one."""
        serials = [c for c in table.columns if c.type in SERIALS]
        if not serials:
            return None
        if len(serials) > 1 or table.primary_key != (serials[0].name,):
            raise PymigError(
                f'table "{table.name}": a serial column must be the whole primary key on SQLite '
                "(SQLite numbers rows only in an INTEGER PRIMARY KEY)",
                hint="make it the primary key, or use integer and assign the values",
            )
        return serials[0]


def _refuse_generated(column: Column) -> None:
    if column.generated is not None:
        raise PymigError(f'column "{column.name}" is generated: pymig carries generated columns only on '
                         "PostgreSQL (a SQLite table rebuild cannot copy them)",
                         hint="compute the value in a view or in the application on SQLite")


def _refuse_include(index: Index) -> None:
    if index.include:
        raise PymigError("INCLUDE columns have no SQLite meaning (SQLite indexes store only their key)",
                         hint="add the columns to the key, or leave include= out on SQLite")
