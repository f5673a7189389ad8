"""Helpers for the preflight-check tests: a migrations directory, the real CLI run in-process, and
a snapshot of everything a refused command must leave as it was (catalog, rows, history)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import psycopg

from pymig.cli import main

_CATALOG = """
SELECT 'column', c.relname || '.' || a.attname,
       a.attnum || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
       || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
       || CASE a.attidentity WHEN 'a' THEN ' ALWAYS' WHEN 'd' THEN ' BY DEFAULT' ELSE '' END
       || coalesce(' COLLATE ' || a.attcollation::regcollation::text, '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v')
  AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace AND contype <> 'n'
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
UNION ALL
SELECT 'sequence', sequencename, concat_ws(' ', data_type, start_value, increment_by)
FROM pg_sequences WHERE schemaname = current_schema()
UNION ALL
SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = current_schema()
ORDER BY 1, 2, 3
"""


class Project:
    """A migrations directory bound to one database; `pymig(...)` runs the CLI in-process."""

    def __init__(self, root: Path, url: str, capsys):
        self.dir = root / "migrations"
        self.dir.mkdir()
        self.url, self.capsys = url, capsys
        self.count = 0

    def migration(self, body: str, name: str | None = None) -> str:
        """Write the next numbered migration; `body` is the text of the operations list."""
        self.count += 1
        path = self.dir / f"{self.count:03d}_{name or f'step{self.count}'}.py"
        path.write_text("from pymig import *\n\noperations = [\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ")
                        + "\n]\n")
        return f"migrations/{path.name}"

    def pymig(self, *args: str) -> tuple[int, str]:
        """Exit code and everything printed (stdout + stderr)."""
        self.capsys.readouterr()
        try:
            main(["--database-url", self.url, "--dir", str(self.dir), *args])
            code = 0
        except SystemExit as e:
            code = e.code or 0
        out = self.capsys.readouterr()
        return code, out.out + out.err

    def up(self, *args) -> str:
        code, out = self.pymig("up", *args)
        assert code == 0, out
        return out

    def down(self, *args) -> str:
        code, out = self.pymig("down", *args)
        assert code == 0, out
        return out

    def refused(self, command: str = "up", *args: str) -> str:
        """Run a command that must be refused: non-zero exit, one message, nothing changed."""
        before = self.snapshot()
        code, out = self.pymig(command, *args)
        assert code == 1, out
        assert "Traceback" not in out
        assert self.snapshot() == before, "a refused command changed the database"
        return out

    def sql(self, text: str, *params):
        with psycopg.connect(self.url, autocommit=True) as conn:
            cur = conn.execute(text, params or None)
            return cur.fetchall() if cur.description else None

    def snapshot(self) -> tuple:
        """Catalog, every row of every table (history included), in a stable order."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            catalog = conn.execute(_CATALOG).fetchall()
            tables = [r[0] for r in conn.execute(
                "SELECT quote_ident(relname) FROM pg_class WHERE relkind = 'r' "
                "AND relnamespace = current_schema()::regnamespace ORDER BY 1")]
            rows = {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall()))
                    for t in tables if t != "pymig_log"}
            log = conn.execute("SELECT count(*) FROM pymig_log").fetchone() if "pymig_log" in tables else None
        return catalog, rows, log
