"""SQLite, the embedded default: SQL spelling, table rebuilds, introspection, the runner lock and
the history tables, on the standard library's sqlite3.

The schema state stays in PostgreSQL's spelling (types.py). This module maps types and
expressions to SQLite when it renders, and maps the catalog back when it reads it, so the same
migration files and the same state work on both databases.

What SQLite's ALTER TABLE cannot do (change a column's type, nullability or default; add or drop
a constraint) is done by rebuilding the table, the procedure SQLite's documentation gives
("Making Other Kinds Of Table Schema Changes"): create the new table, copy the rows, drop the old
table, rename the new one, recreate its indexes and triggers, check the foreign keys. pymig's
connection keeps foreign-key enforcement off, as that procedure requires: PRAGMA foreign_keys
cannot change inside a transaction, and with enforcement on, dropping the old table would fire
ON DELETE actions on the tables that reference it. Instead, every operation that can leave rows
without their parent is followed by a PRAGMA foreign_key_check that refuses the migration.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import time
from dataclasses import dataclass, field, fields, replace
from urllib.parse import unquote

from ..errors import ConfigError, LockError, PymigError
from ..ops.base import object_name
from ..ops.batch import Batch
from ..schema import Column, Constraint, Index, Schema, Table, View
from ..steps import Check, Sql
from ..types import canonical_type, type_modifiers
from .base import Dialect

BUSY_TIMEOUT = 30.0  # seconds a statement waits for another connection's write lock

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

# PostgreSQL functions with an SQLite spelling; the rest of an expression is kept as written.
_FUNCTIONS = {
    "now": "CURRENT_TIMESTAMP",  # UTC, 'YYYY-MM-DD HH:MM:SS'
    "transaction_timestamp": "CURRENT_TIMESTAMP",
    "statement_timestamp": "CURRENT_TIMESTAMP",
    "gen_random_uuid": (  # a version 4 UUID as text
        "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) "
        "|| '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' "
        "|| hex(randomblob(6)))"
    ),
}
# Functions both databases have, with another meaning: refused rather than silently different.
_DIFFERENT = {
    "random": "random() is a number in [0, 1) in PostgreSQL and a 64-bit integer in SQLite",
}
_TYPE_WORDS = {"precision", "varying", "with", "without", "time", "zone"}  # later words of a type name

_FK_ACTIONS = {"NO ACTION": None, "RESTRICT": "restrict", "CASCADE": "cascade", "SET NULL": "set null",
               "SET DEFAULT": "set default"}
_COLUMN_CLAUSES = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
                   "GENERATED", "AS", "NOT", "NULL"}


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
    "create_extension": "SQLite has no extensions", "drop_extension": "SQLite has no extensions",
    "create_schema": "SQLite has no schemas (an attached database file is the nearest thing)",
    "drop_schema": "SQLite has no schemas (an attached database file is the nearest thing)",
}


class SqliteDialect(Dialect):
    name = "sqlite"
    online_recipes = False  # one writer at a time: no CONCURRENTLY, no NOT VALID, nothing to keep flowing
    lock_timeout = False
    sqlglot_name = "sqlite"
    enforces_types = False  # any column holds any value: a type change loses nothing, so nothing to check
    begin = "BEGIN IMMEDIATE"  # take the write lock at once: a deferred BEGIN can fail halfway on SQLITE_BUSY

    # -- types and expressions -----------------------------------------------------------------
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
        for f in fields(op):
            value = getattr(op, f.name)
            if f.name == "type" and isinstance(value, str):
                if value in SERIALS:
                    raise PymigError(f'cannot change a column to {value} on SQLite', hint="keep the integer type")
                self.sqlite_type(value)
            elif f.name in ("default", "using", "where") and isinstance(value, str):
                self.check_expression(value, f.name)
            elif f.name in ("set", "reverse") and isinstance(value, dict):
                for expr in value.values():
                    self.check_expression(expr, f"{f.name} expression")
            for item in (value if isinstance(value, tuple) else (value,)):
                self._check_value(item, op.kind)

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

    # -- fragments -----------------------------------------------------------------------------
    def column_type(self, column: Column) -> str:
        return self.sqlite_type(column.type)

    def column_sql(self, column: Column, primary_key: Constraint | None = None) -> str:
        _refuse_generated(column)
        """`primary_key`: the constraint of a serial column, spelled on the column with AUTOINCREMENT
        (so numbers are never reused, as with a PostgreSQL sequence)."""
        if column.identity:
            raise PymigError(f'column "{column.name}" is an identity column, which SQLite does not have')
        parts = [self.quote(column.name), self.column_type(column)]
        if column.collation:
            parts.append(f"COLLATE {self.quote(column.collation)}")
        if column.default is not None:
            parts.append(f"DEFAULT {self._default_sql(column.default)}")
        if not column.nullable:
            parts.append("NOT NULL")
        if primary_key is not None:
            parts.append(f"CONSTRAINT {self.quote(primary_key.name)} PRIMARY KEY AUTOINCREMENT")
        return " ".join(parts)

    def constraint_body(self, c: Constraint) -> str:
        if c.kind == "check" and not c.definition:
            return f"CHECK ({self.expression(c.expression)})"
        return super().constraint_body(c)

    def index_column(self, text: str) -> str:
        from ..sqltext import split_direction

        expr, direction = split_direction(text)
        return super().index_column(self.expression(expr) + direction)

    # -- statements ----------------------------------------------------------------------------
    def create_table(self, table: Table, options: str = "") -> list[str]:
        """`options`: what follows the column list (WITHOUT ROWID, STRICT), kept by a rebuild."""
        serial = self._serial_key(table)
        key = next((c for c in table.constraints if c.kind == "primary_key"), None) if serial else None
        items = [self.column_sql(c, key if c is serial else None) for c in table.columns]
        items += [self.constraint_sql(c) for c in table.constraints if c is not key]
        body = ",\n    ".join(items)
        return [f"CREATE TABLE {self.quote(table.name)} (\n    {body}\n){options}"]

    # Privileges and comments are what a database keeps about its objects for other users and
    # tools; SQLite keeps neither (access is the file's permissions), so a migration that grants or
    # comments means nothing more there, and runs on both databases unchanged.
    def grant(self, privileges, on, role, columns=(), with_grant_option=False) -> list[str]:
        return []

    def revoke(self, privileges, on, role, columns=(), grant_option_for=False) -> list[str]:
        return []

    def set_comment(self, kind, name, text, table=None) -> list[str]:
        return []

    def create_view(self, view: View) -> list[str]:
        cols = f" ({self.quote_list(view.columns)})" if view.columns else ""
        return [f"CREATE VIEW {self.quote(view.name)}{cols} AS\n{view.query}"]

    def replace_view(self, view: View) -> list[str]:
        """SQLite has no CREATE OR REPLACE VIEW: the view is dropped and created again."""
        return self.drop_view(view.name, False) + self.create_view(view)

    def drop_view(self, name: str, materialized: bool) -> list[str]:
        return [f"DROP VIEW {self.quote(name)}"]

    def create_index(self, index: Index) -> list[str]:
        if index.definition:
            return [index.definition]
        if index.method:
            raise PymigError(f'index method {index.method} has no SQLite meaning (SQLite indexes are b-trees)')
        _refuse_include(index)
        (text,) = super().create_index(replace(index, where=None))
        return [text + (f" WHERE {self.expression(index.where)}" if index.where else "")]

    def backfill(self, table, values, where, batch_size, online=False):
        values = {c: self.expression(e) for c, e in values.items()}
        return super().backfill(table, values, where and self.expression(where), batch_size, online)

    # -- steps: which ALTER TABLE can do it, which need a rebuild ------------------------------
    def forward(self, op, schema: Schema) -> list:
        self.check_operation(op)  # also when run without loading (a stored inverse, a test)
        return super().forward(op, schema)

    def _rebuild_steps(self, op, change) -> list:
        return self.rebuild(change.before, change.after, op.table, op.describe(), _using(op))

    # what ALTER TABLE cannot do: the table is rebuilt
    alter_column_steps = add_constraint_steps = drop_constraint_steps = batch_steps = _rebuild_steps

    def add_column_rebuilds(self, op, schema) -> bool:
        return not self._adds_in_place(op)

    def add_column_steps(self, op, change):
        if self.add_column_rebuilds(op, change.before):
            return self._rebuild_steps(op, change)
        return super().add_column_steps(op, change)

    def drop_column_rebuilds(self, op, schema) -> bool:
        return self._constrained(schema, op.table, op.name)

    def drop_column_steps(self, op, change):
        schema = change.before
        if self.drop_column_rebuilds(op, schema):
            return self._rebuild_steps(op, change)
        # SQLite refuses to drop an indexed column; PostgreSQL drops the index with it
        return [Sql(s) for i in schema.indexes_on(op.table) if i.name not in change.after.indexes
                for s in self.drop_index(i.name)] + super().drop_column_steps(op, change)

    def rename_index_steps(self, op, change):
        """SQLite has no ALTER INDEX ... RENAME: the index is built again under its new name."""
        return [Sql(s) for s in [*self.drop_index(op.old), *self.create_index(change.after.index(op.new))]]

    def run_sql_steps(self, op, change):
        return [*super().run_sql_steps(op, change), self._foreign_key_check(op.describe(), None)]

    def run_python_steps(self, op, change):
        return [*super().run_python_steps(op, change), self._foreign_key_check(op.describe(), None)]

    def backfill_steps(self, op, change):
        return self._checked(super().backfill_steps(op, change), op, change.before, op.table, set())

    def drop_table_steps(self, op, change):
        steps = super().drop_table_steps(op, change)
        if not change.before.referencing(op.name):
            return steps
        return self._checked(steps, op, change.before, op.name, {op.name})

    def _checked(self, steps, op, schema, table, skip) -> list:
        """`steps`, then a foreign key check of the tables related to `table` (but `skip`)."""
        tables = self._related(schema, table) - skip
        return [*steps, self._foreign_key_check(op.describe(), sorted(tables))] if tables else steps

    def merge(self, ops, schema):
        """Consecutive operations that rebuild the same table become one Batch: one table copy for
        all of them (Alembic's batch mode). Merging stops where the state is not known (run_sql)."""
        out, run = [], []
        for n, op in enumerate(ops):
            table = getattr(op, "table", None) if self._rebuilds(op, schema) else None
            if run and (table != run[0].table or set(_using(op)) & {c for r in run for c in _using(r)}):
                out.append(run[0] if len(run) == 1 else Batch(run[0].table, tuple(run)))
                run = []
            (run if table else out).append(op)
            try:
                schema = op.state_forwards(schema) if not op.opaque else None
            except PymigError:
                schema = None
            if schema is None:
                out += run + list(ops[n + 1:])
                return out
        if run:
            out.append(run[0] if len(run) == 1 else Batch(run[0].table, tuple(run)))
        return out

    def _rebuilds(self, op, schema) -> bool:
        """Whether SQLite does `op` by rebuilding its table."""
        decide = getattr(self, f"{op.dispatch}_rebuilds", None)
        return decide(op, schema) if decide else getattr(self, f"{op.dispatch}_steps") == self._rebuild_steps

    def _adds_in_place(self, op) -> bool:
        """ALTER TABLE ADD COLUMN takes no table constraint, no non-constant default, and a NOT NULL
        column only with a default (SQLite, lang_altertable.html)."""
        c = op.column
        if op.constraints or c.type in SERIALS:
            return False
        if c.default is None:
            return c.nullable
        text = self.expression(c.default)
        return _is_literal(text) and not text.upper().startswith("CURRENT_")

    @staticmethod
    def _constrained(schema: Schema, table: str, column: str) -> bool:
        """Whether a constraint holds the column (SQLite refuses DROP COLUMN then)."""
        from ..sqltext import mentions

        own = schema.table(table).constraints
        theirs = [c for _, c in schema.referencing(table)]
        return (any(column in c.columns or mentions(c.expression, column) for c in own)
                or any(column in c.ref_columns for c in theirs))

    @staticmethod
    def _related(schema: Schema, table: str) -> set[str]:
        """The table if it has foreign keys, and the tables whose foreign keys point at it."""
        t = schema.tables.get(table)
        own = {table} if t is not None and any(c.kind == "foreign_key" for c in t.constraints) else set()
        return own | {child.name for child, _ in schema.referencing(table)}

    def rebuild(self, before: Schema, after: Schema, name: str, label: str, using: dict | None = None) -> list:
        """Steps that give table `name` the definition it has in `after`, keeping its rows."""
        old, new = before.table(name), after.table(name)
        if old.generated:
            raise PymigError(f'table "{name}" has generated columns, which pymig cannot carry through '
                             "the table rebuild SQLite needs for this change", hint="use run_sql")
        temp = f"pymig_new_{name}"
        t, tq = self.quote(name), self.quote(temp)
        kept = [c.name for c in new.columns if old.has_column(c.name)]
        values = [self.expression(using[c]) if using and c in using else self.quote(c) for c in kept]
        steps = [
            Sql(self.create_table(replace(new, name=temp), old.options)[0]),
            Sql(f"INSERT INTO {tq} ({self.quote_list(kept)})\nSELECT {', '.join(values)} FROM {t}"),
        ]
        if self._serial_key(old) and self._serial_key(new):  # the next number, not just max(id) + 1
            steps += [
                Sql(f"DELETE FROM sqlite_sequence WHERE name = {self.literal(temp)}"),
                Sql(f"INSERT INTO sqlite_sequence (name, seq) SELECT {self.literal(temp)}, seq "
                    f"FROM sqlite_sequence WHERE name = {self.literal(name)}"),
            ]
        steps += [
            Sql(f"DROP TABLE {t}"),
            # legacy mode: the rename only renames; the views on this table would otherwise be
            # re-checked while the table is missing, and fail
            Sql("PRAGMA legacy_alter_table = ON"),
            Sql(f"ALTER TABLE {tq} RENAME TO {t}"),
            Sql("PRAGMA legacy_alter_table = OFF"),
        ]
        steps += [Sql(s) for index in after.indexes_on(name) for s in self.create_index(index)]
        steps += [Sql(s) for s in old.catalog_triggers]
        related = self._related(after, name)
        if related:
            steps.append(self._foreign_key_check(label, sorted(related)))
        return steps

    def _foreign_key_check(self, label: str, tables: list[str] | None) -> Check:
        """Refuse the migration when rows point at parent rows that do not exist (`tables`: the
        tables whose foreign keys to check; None: every table)."""
        if tables is None:
            source = "SELECT * FROM pragma_foreign_key_check"
            subject = "the database"
        else:
            source = " UNION ALL ".join(f"SELECT * FROM pragma_foreign_key_check({self.literal(t)})" for t in tables)
            subject = ", ".join(f'table "{t}"' for t in tables)
        return Check(
            label, subject,
            f'SELECT "table", rowid, parent FROM ({source})',
            "the foreign key check finds {count} {noun} without a parent row (PRAGMA foreign_key_check)",
            hint="delete or fix those rows first (SQLite enforces foreign keys only on connections that ask "
                 "for it, so such rows can predate this migration)",
        )

    # -- what `pymig check` and the preflight checks ask -----------------------------------------
    def rewrite_cost(self, old_type, new_type, using):
        return ("SQLite rebuilds the table for this change: every row is copied while the migration "
                "holds the database's write lock, so other writers wait until it commits")

    def table_sizes(self, db) -> dict[str, tuple[int, int]]:
        names = [n for (n,) in db.rows(_TABLES)]
        has_dbstat = bool(db.rows("SELECT count(*) FROM pragma_module_list WHERE name = 'dbstat'")[0][0])
        sizes = {}
        for name in names:
            rows = db.rows(f"SELECT count(*) FROM {self.quote(name)}")[0][0]
            size = db.rows("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?", (name,))[0][0] if has_dbstat else 0
            sizes[name] = (int(rows), int(size))
        return sizes

    def dependents_query(self, table, column=None):
        """Foreign keys of other tables that point at the table (or the column): SQLite's DROP
        would go through and leave their rows pointing nowhere."""
        match = f' AND (f."to" = {self.literal(column)} OR f."to" IS NULL)' if column else ""
        return (
            "SELECT 'foreign key of table ' || m.name || ' (' || f.\"from\" || ')' AS dependent\n"
            "FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f\n"
            f"WHERE m.type = 'table' AND m.name <> {self.literal(table)} AND f.\"table\" = {self.literal(table)}{match}\n"
            "ORDER BY 1"
        )

    # -- what `pymig verify` compares ------------------------------------------------------------
    def catalog_objects(self, db):
        """(kind, name, parent, attributes) of every table, column, constraint, index, view and
        trigger, as snapshot.take expects them. Structural, from introspection, not SQLite's stored
        text: a rebuild spells a table anew, and RENAME COLUMN re-quotes names, without changing
        what they mean. Views and triggers have no structure pymig reads: their text is compared."""
        schema = self.introspect(db)
        for table in schema.tables.values():
            yield "table", table.name, None, {"column order": tuple(c.name for c in table.columns),
                                              "options": table.options.strip()}
            for c in table.columns:
                yield "column", f"{table.name}.{c.name}", ("table", table.name), {
                    "type": c.type, "nullable": c.nullable, "default": c.default, "collation": c.collation}
            for c in table.constraints:
                yield "constraint", f"{table.name}.{c.name}", ("table", table.name), {
                    "kind": c.kind.replace("_", " "), "columns": c.columns, "expression": c.expression,
                    "references": f"{c.ref_table}({', '.join(c.ref_columns)})" if c.ref_table else None,
                    "on delete": c.on_delete}
        for index in schema.indexes.values():
            yield "index", index.name, ("table", index.table), {
                "table": index.table, "columns": index.columns, "unique": index.unique, "where": index.where}
        for kind, name, table, sql in db.rows("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                              "WHERE type IN ('view', 'trigger') ORDER BY name"):
            yield kind, name, ("table", table) if kind == "trigger" else None, {"definition": sql}

    def table_exists(self, name):
        return f"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {self.literal(name)}"

    def read_catalog(self, db):
        """The Schema, plus views and triggers as SQLite stores their text (pymig.catalog)."""
        return _read_catalog(self, db)

    # -- connection ----------------------------------------------------------------------------
    def connect(self, url: str) -> SqliteDatabase:
        return SqliteDatabase(database_path(url))

    # -- history -------------------------------------------------------------------------------
    _now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
    history_ddl = [
        f"""CREATE TABLE IF NOT EXISTS pymig_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT ({_now}),
    duration_ms REAL NOT NULL,
    applied_by TEXT NOT NULL,
    inverse TEXT NOT NULL,
    progress TEXT
)""",
        f"""CREATE TABLE IF NOT EXISTS pymig_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    direction TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT ({_now}),
    by TEXT NOT NULL,
    duration_ms REAL NOT NULL
)""",
    ]

    def _upsert(self, version, name, checksum, user, inverse_json, progress_json, elapsed_ms) -> str:
        lit = self.literal
        return (
            "INSERT INTO pymig_migrations (version, name, checksum, duration_ms, applied_by, inverse, progress) "
            f"VALUES ({version}, {lit(name)}, {lit(checksum)}, {elapsed_ms:.3f}, {lit(user)}, {lit(inverse_json)}, "
            f"{lit(progress_json)}) ON CONFLICT (version) DO UPDATE SET inverse = excluded.inverse, "
            f"progress = excluded.progress, applied_at = {self._now}, "
            "duration_ms = pymig_migrations.duration_ms + excluded.duration_ms"
        )

    def record_applied(self, version, name, checksum, user, inverse_json, elapsed_ms=0.0) -> list[str]:
        """`elapsed_ms`: how long the migration's transaction took, as the executor measured it
        (SQLite has no clock for the start of a transaction)."""
        return [
            self._upsert(version, name, checksum, user, inverse_json, None, elapsed_ms),
            "INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
            f"SELECT version, name, 'up', applied_by, duration_ms FROM pymig_migrations WHERE version = {version}",
        ]

    def record_progress(self, version, name, checksum, user, inverse_json, progress_json, elapsed_ms=0.0) -> list[str]:
        return [self._upsert(version, name, checksum, user, inverse_json, progress_json, elapsed_ms)]

    def record_reverted(self, version, name, user, elapsed_ms=0.0) -> list[str]:
        lit = self.literal
        return [
            "INSERT INTO pymig_log (version, name, direction, by, duration_ms) "
            f"SELECT version, {lit(name)}, 'down', {lit(user)}, {elapsed_ms:.3f} FROM pymig_migrations "
            f"WHERE version = {version}",
            f"DELETE FROM pymig_migrations WHERE version = {version}",
        ]

    history_select = (
        "SELECT version, name, checksum, applied_at, duration_ms, applied_by, inverse, progress "
        "FROM pymig_migrations ORDER BY version"
    )
    history_exists = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'pymig_migrations'"

    # -- introspection -------------------------------------------------------------------------
    def introspect(self, db: SqliteDatabase) -> Schema:
        triggers: dict[str, list[str]] = {}
        for table, sql in db.rows("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"):
            triggers.setdefault(table, []).append(sql)
        parsed = {name: _parse_table(sql) for name, sql in db.rows(_TABLES_SQL)}
        keys = {name: _primary_key(db, name) for name in parsed}
        tables = {name: replace(self._table(db, name, p, keys), catalog_triggers=tuple(triggers.get(name, ())))
                  for name, p in parsed.items()}
        indexes = {}
        for name, table, sql in db.rows(_INDEXES):
            index = _parse_index(sql, name, table)
            indexes[name] = replace(index, columns=tuple(self._index_item(c) for c in index.columns),
                                    where=index.where and _unquoted(index.where))
        views = {("view", name): _parse_view(name, sql)
                 for name, sql in db.rows("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY name")}
        return Schema(tables, indexes, objects=views)

    def _table(self, db, name: str, parsed: _Parsed, keys: dict) -> Table:
        columns, generated = [], []
        for _cid, col, declared, notnull, default, _pk, hidden in db.rows(f"PRAGMA table_xinfo({self.quote(name)})"):
            if hidden:  # a generated column: not part of the Schema's columns
                generated.append(col)
                continue
            info = parsed.columns.get(col.lower(), _ColumnInfo())
            type_ = "serial" if info.autoincrement else self.pg_type(declared)
            # an INTEGER PRIMARY KEY is the rowid: never NULL, whether or not it says NOT NULL
            rowid = keys[name] == (col,) and declared.upper() == "INTEGER" and "WITHOUT ROWID" not in parsed.options.upper()
            columns.append(Column(col, type_, not notnull and not rowid, default, None, info.collation))
        column_names = [c.name for c in columns]
        constraints = []
        for c in parsed.constraints:
            cols = tuple(_match_names(c.columns, column_names))
            if c.kind == "primary_key":
                cols = keys[name]
                c = replace(c, name=c.name or object_name(name, suffix="pkey"),
                            definition=None if any(x.autoincrement for x in parsed.columns.values()) else c.definition)
            elif c.kind == "unique":
                c = replace(c, name=c.name or object_name(name, *cols, suffix="key"))
            elif c.kind == "check":
                from ..sqltext import mentions

                cols = tuple(n for n in column_names if mentions(c.expression, n, "sqlite"))
                c = replace(c, name=c.name or object_name(name, *cols, suffix="check"),
                            expression=_unquoted(c.expression))
            else:
                continue  # foreign keys: from PRAGMA foreign_key_list below
            constraints.append(replace(c, columns=cols))
        named_fks = {(tuple(x.lower() for x in c.columns), c.ref_table.lower()): c
                     for c in parsed.constraints if c.kind == "foreign_key"}
        for fk_cols, parent, ref_cols, on_delete in _foreign_keys(db, name):
            ref_cols = ref_cols if all(ref_cols) else keys.get(parent, ())
            source = named_fks.get((tuple(x.lower() for x in fk_cols), parent.lower()))
            constraints.append(Constraint(
                (source and source.name) or object_name(name, *fk_cols, suffix="fkey"), "foreign_key",
                fk_cols, None, parent, tuple(ref_cols), _FK_ACTIONS.get(on_delete.upper()),
                source and source.definition,
            ))
        # by name, as PostgreSQL lists them: SQLite keeps the order they were written in, which a
        # rebuild may change
        return Table(name, tuple(columns), tuple(sorted(constraints, key=lambda c: c.name)),
                     options=parsed.options, generated=tuple(generated))

    def _index_item(self, text: str) -> str:
        """An index column as the DSL writes it: a bare name unquoted, direction upper-case."""
        from ..sqltext import split_direction

        expr, direction = split_direction(text)
        m = re.fullmatch(r'"((?:[^"]|"")+)"', expr)
        if m and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", m[1]):
            return m[1] + direction
        return _unquoted(expr) + direction


def _read_catalog(dialect: SqliteDialect, db):
    """A table the DSL cannot write (WITHOUT ROWID, STRICT, generated columns) is kept as its own text."""
    from ..catalog import Catalog, CatalogObject

    schema = dialect.introspect(db)
    exact = {n for n, t in schema.tables.items() if t.options.strip() or t.generated}
    objects = [CatalogObject("table", name, sql, f"DROP TABLE {dialect.quote(name)}")
               for name, sql in db.rows(_TABLES_SQL) if name in exact]
    for kind, name, table, sql in db.rows("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                          "WHERE type IN ('view', 'trigger') ORDER BY type DESC, name"):
        needs = (f"table {table}",) if kind == "trigger" else ()
        objects.append(CatalogObject(kind, name, sql, f"DROP {kind.upper()} {dialect.quote(name)}", needs,
                                     table if kind == "trigger" else None))
    kept = Schema({n: t for n, t in schema.tables.items() if n not in exact},
                  {n: i for n, i in schema.indexes.items() if i.table not in exact})
    objects += [CatalogObject("index", i.name, dialect.create_index(i)[0], f"DROP INDEX {dialect.quote(i.name)}",
                              (f"table {i.table}",), i.table) for i in schema.indexes.values() if i.table in exact]
    return Catalog(kept, tuple(objects))


@functools.cache
def _bare(name: str) -> bool:
    """Whether `name` means the same column without its quotes (no keyword, no odd character);
    SQLite's own parser decides."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return False
    conn = sqlite3.connect(":memory:")
    try:
        return conn.execute(f"SELECT {name} FROM (SELECT 'pymig' AS \"{name}\")").fetchone() == ("pymig",)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _unquoted(expr: str) -> str:
    """`"email" <> ''` -> `email <> ''`: names quoted only where they need it, as PostgreSQL prints
    expressions. SQLite's RENAME COLUMN quotes the names it rewrites; without this, renaming a
    column and back would change how its CHECK reads."""
    out = []
    for kind, text, ws in _tokens(expr, brackets=True):
        if kind == "quoted" and text.startswith('"') and _bare(_unquote(text)):
            text = _unquote(text)
        out.append(ws + text)
    return "".join(out)


_TABLES = ("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
           "AND name NOT LIKE 'pymig\\_%' ESCAPE '\\' ORDER BY name")
_TABLES_SQL = _TABLES.replace("SELECT name", "SELECT name, sql")
_INDEXES = ("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name NOT LIKE 'pymig\\_%' ESCAPE '\\' ORDER BY name")


def _primary_key(db, table: str) -> tuple[str, ...]:
    rows = db.rows(f"PRAGMA table_info({Dialect.quote(table)})")
    return tuple(name for _, name, *_rest, pk in sorted(rows, key=lambda r: r[5]) if pk)


def _foreign_keys(db, table: str):
    """(columns, parent table, parent columns (None: its primary key), ON DELETE) per foreign key."""
    grouped: dict[int, list] = {}
    for fid, _seq, parent, src, dst, _upd, on_delete, _match in db.rows(
            f"PRAGMA foreign_key_list({Dialect.quote(table)})"):
        grouped.setdefault(fid, []).append((parent, src, dst, on_delete))
    for fid in sorted(grouped, reverse=True):  # SQLite numbers them last-declared first
        rows = grouped[fid]
        yield tuple(r[1] for r in rows), rows[0][0], tuple(r[2] for r in rows), rows[0][3]


def _match_names(names, columns: list[str]) -> list[str]:
    """Column names as the table spells them (SQLite names are case-insensitive)."""
    by_lower = {c.lower(): c for c in columns}
    return [by_lower.get(n.lower(), n) for n in names]


def _using(op) -> dict:
    """The USING expressions of a rebuild's column changes, by column."""
    if isinstance(op, Batch):
        return {c: u for p in op.parts for c, u in _using(p).items()}
    return {op.name: op.using} if getattr(op, "using", None) else {}


def _is_literal(text: str) -> bool:
    """What SQLite takes after DEFAULT without parentheses."""
    from ..sqltext import is_literal

    return is_literal(text, "sqlite")


def database_path(url: str) -> str:
    """sqlite:///relative/path.db, sqlite:////absolute/path.db; sqlite:// or sqlite:///:memory:
    for a database in memory."""
    rest = url.split(":", 1)[1] if ":" in url else ""
    if not rest.startswith("//") or "?" in rest:
        raise ConfigError(f"malformed SQLite URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
    path = rest[2:]
    if path in ("", "/:memory:"):
        return ":memory:"
    if not path.startswith("/") or path == "/":
        raise ConfigError(f"malformed SQLite URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return unquote(path[1:])


# -- the connection --------------------------------------------------------------------------------

class SqliteDatabase:
    """One sqlite3 connection in autocommit mode (isolation_level=None), so the executor's explicit
    BEGIN and COMMIT are the only transactions; foreign-key enforcement off (see the module)."""

    def __init__(self, path: str):
        self.path = path
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
            self.conn.execute("PRAGMA foreign_keys = OFF")
        except sqlite3.Error as e:
            raise ConfigError(f"cannot open the SQLite database {path}: {e}") from None
        self._lock = None

    @property
    def raw(self):
        """The sqlite3 connection handed to run_python functions (placeholders are `?`)."""
        return self.conn

    def execute(self, sql: str, params=None) -> None:
        self.conn.execute(sql, params or ())

    defer = execute  # sqlite3 takes one statement per call: nothing to gain by waiting

    def rows(self, sql: str, params=None) -> list[tuple]:
        return self.conn.execute(sql, params or ()).fetchall()

    def query(self, sql: str, params=None) -> tuple[list[str], list[tuple]]:
        cur = self.conn.execute(sql, params or ())
        return [d[0] for d in cur.description or ()], cur.fetchall()

    def error_text(self, error: Exception) -> str | None:
        """SQLite's message for a database error, or None when `error` is not one."""
        if not isinstance(error, sqlite3.Error):
            return None
        text = str(error) or type(error).__name__
        if isinstance(error, sqlite3.OperationalError) and "locked" in text:
            text += f" (another connection held the write lock for more than {BUSY_TIMEOUT:g} s)"
        return text

    def connection_lost(self, error: Exception) -> bool:
        return False  # a file: there is no session to lose

    def is_lock_timeout(self, error: Exception) -> bool:
        return False  # BEGIN IMMEDIATE waits for the write lock up to BUSY_TIMEOUT, then fails

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def acquire_lock(self, timeout: float, on_wait=None) -> None:
        """An exclusive lock on `<database>.lock`, held until release: keeps other pymig runs out
        between this run's transactions. Not the database file itself: closing any descriptor of
        that file would drop the locks SQLite holds on it (POSIX advisory locks are per process)."""
        if self.path == ":memory:":
            return
        deadline = time.monotonic() + timeout
        waited = False
        while (handle := _try_lock(self.path + ".lock")) is None:
            if not waited and on_wait:
                on_wait()
            waited = True
            if time.monotonic() > deadline:
                raise LockError(f"another pymig run held the migration lock ({self.path}.lock) for more "
                                f"than {timeout:g} s", hint="wait for it to finish, or raise --lock-wait")
            time.sleep(0.1)
        self._lock = handle

    def release_lock(self) -> None:
        if self._lock is not None:
            if os.name != "nt":  # removed while still held: a waiting run then sees a stale file and retries
                os.unlink(self._lock.name)
            self._lock.close()  # closing the descriptor releases the lock
            self._lock = None

    def close(self) -> None:
        self.release_lock()
        self.conn.close()


def _try_lock(path: str):
    """The open lock file, locked; None when another process holds it."""
    handle = open(path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return handle
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.path.exists(path) and os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
            return handle
    except OSError:
        pass
    handle.close()  # held elsewhere, or removed by the run that just released it
    return None


# -- reading SQL text: a tokenizer, CREATE TABLE / CREATE INDEX, and expressions ------------------

def _tokens(text: str, brackets: bool) -> list[tuple[str, str, str]]:
    """(kind, text, whitespace and comments before it), from sqlglot's tokenizer; `brackets`:
    [name] is a quoted name (SQLite), not a subscript (PostgreSQL)."""
    from ..sqltext import tokens

    out, last = [], 0
    for t in tokens(text, "sqlite" if brackets else "postgres"):
        out.append((t.kind, t.text, text[last:t.start]))
        last = t.end
    if last < len(text):
        out.append(("end", "", text[last:]))
    return out


@dataclass
class _Group:
    """A parenthesised part of an expression."""

    items: list
    ws: str = ""
    close_ws: str = ""


def _tree(tokens) -> list:
    stack: list[_Group] = [_Group([])]
    for tok in tokens:
        if tok[1] == "(":
            stack.append(_Group([], tok[2]))
        elif tok[1] == ")" and len(stack) > 1:
            group = stack.pop()
            group.close_ws = tok[2]
            stack[-1].items.append(group)
        else:
            stack[-1].items.append(tok)
    while len(stack) > 1:  # unbalanced: keep the text as it was
        group = stack.pop()
        stack[-1].items.append(("op", "(", group.ws))
        stack[-1].items.extend(group.items)
    return stack[0].items


def _text(item) -> str:
    if isinstance(item, _Group):
        return item.ws + "(" + "".join(_text(i) for i in item.items) + item.close_ws + ")"
    return item[2] + item[1]


def _render(items: list, dialect: SqliteDialect) -> str:
    out: list[tuple[str, str]] = []  # (text with its leading whitespace, kind)
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, _Group):
            out.append((item.ws + "(" + _render(item.items, dialect) + item.close_ws + ")", "group"))
            i += 1
            continue
        kind, text, ws = item
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (kind == "word" and text.lower() in _FUNCTIONS and isinstance(nxt, _Group)
                and not "".join(_text(x) for x in nxt.items).strip()):
            out.append((ws + _FUNCTIONS[text.lower()], "group"))
            i += 2
            continue
        if text == "::" and out:
            operand = [out.pop()]
            if operand[0][1] == "group" and out and out[-1][1] == "word":  # a function call
                operand.insert(0, out.pop())
            while len(out) >= 2 and out[-1][0].strip() == "." and out[-2][1] in ("word", "quoted"):
                operand[:0] = [out.pop(-2), out.pop()]  # a qualified name
            type_text, i = _cast_type(items, i + 1)
            body = "".join(t for t, _ in operand)
            lead = body[: len(body) - len(body.lstrip())]
            target = dialect.sqlite_type(canonical_type(type_text).type)
            out.append((f"{lead}CAST({body.strip()} AS {target})", "group"))
            continue
        out.append((ws + text, kind))
        i += 1
    return "".join(t for t, _ in out)


def _cast_type(items: list, i: int) -> tuple[str, int]:
    """The type after `::` (`double precision`, `varchar(20)`, `text[]`) and where it ends."""
    if i >= len(items) or isinstance(items[i], _Group) or items[i][0] != "word":
        raise PymigError("malformed cast: expected a type name after ::")
    words = [items[i][1]]
    i += 1
    while i < len(items) and not isinstance(items[i], _Group) and items[i][0] == "word" \
            and items[i][1].lower() in _TYPE_WORDS:
        words.append(items[i][1])
        i += 1
    text = " ".join(words)
    if i < len(items) and isinstance(items[i], _Group) and not items[i].ws:
        text += "(" + "".join(_text(x) for x in items[i].items) + ")"
        i += 1
    while i + 1 < len(items) and not isinstance(items[i], _Group) and items[i][1] == "[" \
            and not isinstance(items[i + 1], _Group) and items[i + 1][1] == "]":
        text += "[]"
        i += 2
    return text, i


def _unquote(text: str) -> str:
    if text[:1] == '"' and text[-1:] == '"':
        return text[1:-1].replace('""', '"')
    if text[:1] == "`" and text[-1:] == "`":
        return text[1:-1].replace("``", "`")
    if text[:1] == "[" and text[-1:] == "]":
        return text[1:-1]
    return text


@dataclass
class _ColumnInfo:
    autoincrement: bool = False
    collation: str | None = None


@dataclass
class _Parsed:
    columns: dict[str, _ColumnInfo] = field(default_factory=dict)  # by lower-case name
    constraints: list[Constraint] = field(default_factory=list)  # names may be empty: unnamed
    options: str = ""  # what follows the column list: WITHOUT ROWID, STRICT


def _split(tokens: list, sep: str = ",") -> list[list]:
    """Split at top-level `sep` tokens."""
    parts, depth, current = [], 0, []
    for tok in tokens:
        if tok[1] == "(":
            depth += 1
        elif tok[1] == ")":
            depth -= 1
        if tok[1] == sep and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(tok)
    parts.append(current)
    return [p for p in parts if p]


def _source(tokens: list) -> str:
    return "".join(ws + text for _, text, ws in tokens).strip()


def _inside(tokens: list) -> list:
    """The tokens between the first '(' and its matching ')'."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok[1] == "(":
            depth += 1
            if depth == 1:
                start = i + 1
        elif tok[1] == ")":
            depth -= 1
            if depth == 0:
                return tokens[start:i]
    return []


def _names(tokens: list) -> list[str]:
    """Column names of a PRIMARY KEY / UNIQUE / FOREIGN KEY list (COLLATE, ASC, DESC dropped)."""
    return [_unquote(part[0][1]) for part in _split(_inside(tokens))]


def _upper(tok) -> str:
    return tok[1].upper() if tok[0] == "word" else ""


def _parse_table(sql: str) -> _Parsed:
    """Constraint names, CHECK expressions, AUTOINCREMENT and COLLATE from a CREATE TABLE: SQLite
    reports them nowhere else."""
    tokens = [t for t in _tokens(sql, brackets=True) if t[0] != "end"]
    start = next(i for i, t in enumerate(tokens) if t[1] == "(")
    body = _inside(tokens[start:])
    result = _Parsed(options=" " + _source(tokens[start + len(body) + 2:]) if len(tokens) > start + len(body) + 2 else "")
    for item in _split(body):
        head = _upper(item[0])
        if head in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            name = None
            if head == "CONSTRAINT":
                name, item = _unquote(item[1][1]), item[2:]
            result.constraints.append(_table_constraint(name, item))
        else:
            _column(item, result)
    return result


def _table_constraint(name: str | None, tokens: list) -> Constraint:
    head = _upper(tokens[0])
    definition = _source(tokens)
    if head == "PRIMARY":
        return Constraint(name, "primary_key", tuple(_names(tokens)), definition=definition)
    if head == "UNIQUE":
        return Constraint(name, "unique", tuple(_names(tokens)), definition=definition)
    if head == "CHECK":
        return Constraint(name, "check", (), _source(_inside(tokens)), definition=definition)
    refs = next(i for i, t in enumerate(tokens) if _upper(t) == "REFERENCES")
    return Constraint(name, "foreign_key", tuple(_names(tokens[:refs])), ref_table=_unquote(tokens[refs + 1][1]),
                      definition=definition)


def _column(tokens: list, result: _Parsed) -> None:
    """A column definition: its constraints become the table-level ones they mean."""
    col = _unquote(tokens[0][1])
    info = result.columns.setdefault(col.lower(), _ColumnInfo())
    clauses, depth, rest = [], 0, tokens[1:]
    for i, tok in enumerate(rest):
        word = _upper(tok)
        prev = _upper(rest[i - 1]) if i else ""
        after = _upper(rest[i + 1]) if i + 1 < len(rest) else ""
        starts = (depth == 0 and word in _COLUMN_CLAUSES and prev != "CONSTRAINT"
                  and not (word == "NULL" and prev in ("NOT", "SET", "DEFAULT"))
                  and not (word == "NOT" and after == "DEFERRABLE")
                  and not (word == "AS" and prev == "ALWAYS"))
        depth += (tok[1] == "(") - (tok[1] == ")")
        if starts:
            clauses.append([tok])
        elif clauses:
            clauses[-1].append(tok)
    name = None
    for clause in clauses:
        head = _upper(clause[0])
        if head == "CONSTRAINT":
            name = _unquote(clause[1][1]) if len(clause) > 1 else None
            continue
        quoted = Dialect.quote(col)
        if head == "PRIMARY":
            info.autoincrement = any(_upper(t) == "AUTOINCREMENT" for t in clause)
            result.constraints.append(Constraint(name, "primary_key", (col,), definition=f"PRIMARY KEY ({quoted})"))
        elif head == "UNIQUE":
            result.constraints.append(Constraint(name, "unique", (col,), definition=f"UNIQUE ({quoted})"))
        elif head == "CHECK":
            expr = _source(_inside(clause))
            result.constraints.append(Constraint(name, "check", (col,), expr, definition=f"CHECK ({expr})"))
        elif head == "REFERENCES":
            result.constraints.append(Constraint(name, "foreign_key", (col,), ref_table=_unquote(clause[1][1]),
                                                 definition=f"FOREIGN KEY ({quoted}) {_source(clause)}"))
        elif head == "COLLATE":
            info.collation = _unquote(clause[1][1])
        name = None


def _parse_view(name: str, sql: str) -> View:
    """CREATE VIEW name [(columns)] AS query: SQLite keeps the statement as it was written."""
    tokens = [t for t in _tokens(sql, brackets=True) if t[0] != "end"]
    depth, at = 0, None
    for i, tok in enumerate(tokens):
        depth += (tok[1] == "(") - (tok[1] == ")")
        if depth == 0 and _upper(tok) == "AS":
            at = i
            break
    head = tokens[:at]
    columns = tuple(_names(head)) if any(t[1] == "(" for t in head) else ()
    return View(name, _source(tokens[at + 1:]), False, columns)


def _parse_index(sql: str, name: str, table: str) -> Index:
    tokens = [t for t in _tokens(sql, brackets=True) if t[0] != "end"]
    unique = _upper(tokens[1]) == "UNIQUE"
    start = next(i for i, t in enumerate(tokens) if t[1] == "(")
    inner = _inside(tokens[start:])
    rest = tokens[start + len(inner) + 2:]
    where = _source(rest[1:]) if rest and _upper(rest[0]) == "WHERE" else None
    columns = tuple(_source(part) for part in _split(inner))
    return Index(name, table, columns, unique, where, None, sql)


def _refuse_generated(column: Column) -> None:
    if column.generated is not None:
        raise PymigError(f'column "{column.name}" is generated: pymig carries generated columns only on '
                         "PostgreSQL (a SQLite table rebuild cannot copy them)",
                         hint="compute the value in a view or in the application on SQLite")


def _refuse_include(index: Index) -> None:
    if index.include:
        raise PymigError("INCLUDE columns have no SQLite meaning (SQLite indexes store only their key)",
                         hint="add the columns to the key, or leave include= out on SQLite")
