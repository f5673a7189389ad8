"""pymig: database migrations written as Python operations, with derived inverses.

    from pymig import create_table, column, add_column, create_index, sql
"""

from .dsl import (add_check, add_column, add_foreign_key, add_unique, alter_column, backfill, column,
                  create_index, create_table, drop_column, drop_constraint, drop_index, drop_table,
                  preflight, rename_column, rename_table, run_python, run_sql, sql)
from .errors import PymigError

__version__ = "0.1.0"

__all__ = [
    "column", "create_table", "drop_table", "rename_table",
    "add_column", "drop_column", "rename_column", "alter_column",
    "create_index", "drop_index",
    "add_foreign_key", "add_unique", "add_check", "drop_constraint",
    "run_sql", "run_python", "backfill", "preflight", "sql",
    "PymigError",
]
