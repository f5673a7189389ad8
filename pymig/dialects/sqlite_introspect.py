"""Reading an SQLite catalog back into the Schema: PRAGMA table_xinfo / foreign_key_list for the
structure, the stored CREATE TABLE text for what SQLite reports nowhere else."""

from __future__ import annotations

import re
from dataclasses import replace

from ..ops.base import object_name
from ..schema import Column, Constraint, Schema, Table
from .base import Dialect
from .sqlite_text import _ColumnInfo, _parse_index, _parse_table, _parse_view, _Parsed, _unquoted

_FK_ACTIONS = {"NO ACTION": None, "RESTRICT": "restrict", "CASCADE": "cascade", "SET NULL": "set null",
               "SET DEFAULT": "set default"}


class SqliteIntrospection:
    """`introspect` of SqliteDialect."""

    def introspect(self, db, schemas=()) -> Schema:
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
