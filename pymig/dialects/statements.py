"""The SQL statements and fragments the dialects share: quoting, column and constraint clauses,
one statement per schema change, the keyset batches of a backfill. A dialect overrides only
what it spells differently."""

from __future__ import annotations

from ..names import bare, quote as quote_name
from ..schema import Column, Constraint, Index, Table
from ..steps import Batched, Sql

_ON_DELETE = {"cascade": "CASCADE", "set null": "SET NULL", "set default": "SET DEFAULT",
              "restrict": "RESTRICT", "no action": "NO ACTION"}


class Statements:
    row_id = "rowid"  # the column that tells a table's rows apart when nothing else does (PostgreSQL: ctid)
    # -- quoting -------------------------------------------------------------------------------
    @staticmethod
    def quote(name: str) -> str:
        """Always quote: no name a user gives can inject SQL."""
        return '"' + name.replace('"', '""') + '"'

    def qname(self, name: str) -> str:
        """A table's (view's, index's, ...) name as SQL: each part of "schema.name" quoted on its
        own (pymig.names); `quote` is for names of one part (columns, constraints, roles)."""
        return quote_name(name, self.quote)

    @staticmethod
    def literal(value) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        return "'" + str(value).replace("'", "''") + "'"

    def alias_view_query(self, table: str, columns, aliases) -> str:
        """A view's query: every column of `table`, then each (old, new) of `aliases` as `new AS old`."""
        select = [self.quote(c) for c in columns] + [f"{self.quote(new)} AS {self.quote(old)}" for old, new in aliases]
        return f"SELECT {', '.join(select)} FROM {self.qname(table)}"

    def quote_list(self, names) -> str:
        return ", ".join(self.quote(n) for n in names)

    @staticmethod
    def on_delete(action: str) -> str:
        return _ON_DELETE[action.lower()]

    # -- fragments -----------------------------------------------------------------------------
    def column_type(self, column: Column) -> str:
        return column.type

    def column_sql(self, column: Column) -> str:
        parts = [self.quote(column.name), self.column_type(column)]
        if column.collation:
            parts.append(f"COLLATE {self.quote(column.collation)}")
        if column.identity:
            options = f" ({column.identity_options})" if column.identity_options else ""
            parts.append(f"GENERATED {column.identity.upper()} AS IDENTITY{options}")
        if column.generated is not None:
            parts.append(f"GENERATED ALWAYS AS ({column.generated}) STORED")
        elif column.default is not None and not self._serial_default(column):
            parts.append(f"DEFAULT {self.default_sql(column.default)}")
        if not column.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    @staticmethod
    def default_sql(expression: str) -> str:
        """A default as DEFAULT takes it: bare when simple, else in parentheses, so nothing in it
        binds to the NOT NULL after it."""
        from ..sqltext import is_atom

        return expression if is_atom(expression) else f"({expression})"

    def _serial_default(self, column: Column) -> bool:
        return False

    def constraint_sql(self, c: Constraint) -> str:
        return f"CONSTRAINT {self.quote(c.name)} {self.constraint_body(c)}"

    def constraint_body(self, c: Constraint) -> str:
        if c.definition:
            return c.definition
        if c.kind == "primary_key":
            return f"PRIMARY KEY ({self.quote_list(c.columns)})"
        if c.kind == "unique":
            return f"UNIQUE ({self.quote_list(c.columns)})"
        if c.kind == "check":
            return f"CHECK ({c.expression})"
        if c.kind == "exclusion":
            elements = ", ".join(f"{self.index_column(e)} WITH {op}" for e, op in c.elements)
            where = f" WHERE ({c.where})" if c.where else ""
            return f"EXCLUDE USING {c.method} ({elements}){where}"
        refs = f" ({self.quote_list(c.ref_columns)})" if c.ref_columns else ""
        body = f"FOREIGN KEY ({self.quote_list(c.columns)}) REFERENCES {self.qname(c.ref_table)}{refs}"
        if c.on_delete:
            body += f" ON DELETE {self.on_delete(c.on_delete)}"
        return body

    # -- statements ----------------------------------------------------------------------------
    def create_table(self, table: Table) -> list[str]:
        # a NOT VALID constraint (read from the catalog) stays NOT VALID only when added afterwards
        later = [c for c in table.constraints if c.definition and not c.validated]
        items = [self.column_sql(c) for c in table.columns]
        items += [self.constraint_sql(c) for c in table.constraints if c not in later]
        body = ",\n    ".join(items)
        partitioned = f" PARTITION BY {table.partition_by}" if table.partition_by else ""
        return [f"CREATE TABLE {self.qname(table.name)} (\n    {body}\n){partitioned}",
                *(s for c in later for s in self.add_constraint(table.name, c))]

    def drop_table(self, name: str) -> list[str]:
        return [f"DROP TABLE {self.qname(name)}"]

    def rename_table(self, old: str, new: str) -> list[str]:
        return [f"ALTER TABLE {self.qname(old)} RENAME TO {self.quote(bare(new))}"]

    def add_column(self, table: str, column: Column) -> list[str]:
        return [f"ALTER TABLE {self.qname(table)} ADD COLUMN {self.column_sql(column)}"]

    def drop_column(self, table: str, name: str) -> list[str]:
        return [f"ALTER TABLE {self.qname(table)} DROP COLUMN {self.quote(name)}"]

    def rename_column(self, table: str, old: str, new: str) -> list[str]:
        return [f"ALTER TABLE {self.qname(table)} RENAME COLUMN {self.quote(old)} TO {self.quote(new)}"]

    def alter_column(self, table: str, name: str, *, type=None, using=None, nullable=None,
                     change_default=False, default=None, collation=None, reset_default=False) -> list[str]:
        """`reset_default`: drop the old default before the type changes (PostgreSQL would convert it
        to the new type first, and refuses when it cannot); the new default is set after."""
        col = self.quote(name)
        actions = [f"ALTER COLUMN {col} DROP DEFAULT"] if reset_default else []
        if type is not None:
            keep = f" COLLATE {self.quote(collation)}" if collation else ""
            actions.append(f"ALTER COLUMN {col} TYPE {type}{keep}" + (f" USING {using}" if using else ""))
        if change_default:
            actions.append(f"ALTER COLUMN {col} DROP DEFAULT" if default is None
                           else f"ALTER COLUMN {col} SET DEFAULT {self.default_sql(default)}")
        if nullable is not None:
            actions.append(f"ALTER COLUMN {col} {'DROP' if nullable else 'SET'} NOT NULL")
        return [f"ALTER TABLE {self.qname(table)} " + ", ".join(actions)] if actions else []

    def add_constraint(self, table: str, c: Constraint) -> list[str]:
        return [f"ALTER TABLE {self.qname(table)} ADD {self.constraint_sql(c)}"]

    def drop_constraint(self, table: str, name: str) -> list[str]:
        return [f"ALTER TABLE {self.qname(table)} DROP CONSTRAINT {self.quote(name)}"]

    def create_index(self, index: Index) -> list[str]:
        if index.definition:
            return [index.definition]
        unique = "UNIQUE " if index.unique else ""
        using = f" USING {index.method}" if index.method else ""
        cols = ", ".join(self.index_column(c) for c in index.columns)
        include = f" INCLUDE ({self.quote_list(index.include)})" if index.include else ""
        where = f" WHERE {index.where}" if index.where else ""
        return [f"CREATE {unique}INDEX {self.quote(bare(index.name))} ON {self.qname(index.table)}{using} ({cols})"
                f"{include}{where}"]

    def index_column(self, text: str) -> str:
        """A bare name is quoted; an expression is kept as written (wrapped when PostgreSQL needs it)."""
        from ..sqltext import is_bare_name, needs_parens, split_direction

        expr, direction = split_direction(text)
        if is_bare_name(expr):
            return self.quote(expr) + direction
        return (f"({expr})" if needs_parens(expr) else expr) + direction

    def drop_index(self, name: str) -> list[str]:
        return [f"DROP INDEX {self.qname(name)}"]

    def rename_index(self, old: str, new: str) -> list[str]:
        return [f"ALTER INDEX {self.qname(old)} RENAME TO {self.quote(bare(new))}"]

    def rename_sequence(self, old: str, new: str) -> list[str]:
        return [f"ALTER SEQUENCE {self.qname(old)} RENAME TO {self.quote(bare(new))}"]

    def backfill(self, table: Table, values: dict, where: str | None, batch_size: int, online: bool = False):
        """Keyset batches on a one-column primary key; one UPDATE for tables without one."""
        t = self.qname(table.name)
        sets = ", ".join(f"{self.quote(c)} = {e}" for c, e in values.items())
        if len(table.primary_key) != 1:
            return Sql(f"UPDATE {t} SET {sets}" + (f" WHERE {where}" if where else ""))
        k = self.quote(table.primary_key[0])
        cond = f" AND ({where})" if where else ""

        def batch(keyset: str) -> str:
            keys = f"SELECT {k} FROM {t} WHERE {keyset}{cond} ORDER BY {k} LIMIT {{limit}}"
            return f"UPDATE {t} SET {sets} WHERE {self.batch_keys(k, keys)} RETURNING {k}"

        count = f"SELECT count(*) FROM {t}" + (f" WHERE {where}" if where else "")
        return Batched(batch("true"), batch(f"{k} > {{after}}"), table.name, table.primary_key[0],
                       batch_size, online and self.online_recipes, count, f"SELECT max({k}) FROM {t}")

    @staticmethod
    def batch_for_reading(text: str) -> str:
        """A backfill batch as `pymig sql` prints it: the keys it returns are for pymig, not the reader."""
        return text.rpartition(" RETURNING ")[0] or text

    def batch_keys(self, key: str, select: str) -> str:
        """The condition that picks a backfill batch's rows: those whose key `select` returns."""
        return f"{key} IN ({select})"
