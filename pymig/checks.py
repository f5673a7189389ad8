"""Preflight checks: read-only queries, run inside the migration's transaction right before their
operation, that refuse it when data would be lost or the DDL would fail. Each returns the
offending rows; the executor counts them and shows a few."""

from __future__ import annotations

from .steps import Check


def _sample_columns(table, dialect, *extra: str) -> str:
    """The primary key (to find the rows) and the columns the check is about."""
    cols = list(table.primary_key) + [c for c in extra if c not in table.primary_key]
    return ", ".join(dialect.quote(c) for c in cols) or "*"


def drop_table_checks(op, schema, dialect) -> list[Check]:
    if op.allow_data_loss:
        return []
    t = dialect.quote(op.name)
    return [Check(
        op.describe(), f'table "{op.name}"',
        f"SELECT * FROM {t}",
        f'table "{op.name}" has rows that dropping it would lose',
        hint="move or delete the rows first, or pass allow_data_loss=True to drop_table",
        count_query=f"SELECT count(*) FROM {t}",
    )]


def drop_column_checks(op, schema, dialect) -> list[Check]:
    if op.allow_data_loss:
        return []
    table = schema.table(op.table)
    col = dialect.quote(op.name)
    return [Check(
        op.describe(), f'column "{op.table}.{op.name}"',
        f"SELECT {_sample_columns(table, dialect, op.name)} FROM {dialect.quote(op.table)} WHERE {col} IS NOT NULL",
        f'column "{op.table}.{op.name}" holds values that dropping it would lose',
        hint="copy the values elsewhere first, or pass allow_data_loss=True to drop_column",
    )]


def add_column_checks(op, schema, dialect) -> list[Check]:
    c = op.column
    if c.nullable or c.default is not None or c.identity or c.type.endswith("serial"):
        return []
    t = dialect.quote(op.table)
    return [Check(
        op.describe(), f'table "{op.table}"',
        f"SELECT * FROM {t}",
        f'column "{op.table}.{c.name}" is NOT NULL without a default, but the table has rows '
        "that would get NULL",
        hint="give the column a default, or add it nullable, backfill it, then alter_column(nullable=False)",
        count_query=f"SELECT count(*) FROM {t}",
    )]


def alter_column_checks(op, schema, dialect) -> list[Check]:
    if op.nullable is not False:
        return []
    table = schema.table(op.table)
    return [Check(
        op.describe(), f'column "{op.table}.{op.name}"',
        f"SELECT {_sample_columns(table, dialect, op.name)} FROM {dialect.quote(op.table)} "
        f"WHERE {dialect.quote(op.name)} IS NULL",
        f'column "{op.table}.{op.name}" has NULL values, so it cannot become NOT NULL',
        hint="backfill the NULL rows first (backfill(..., where=\"... IS NULL\"))",
    )]


def create_index_checks(op, schema, dialect) -> list[Check]:
    return []


def constraint_checks(table_name, constraint, label, schema, dialect) -> list[Check]:
    return []
