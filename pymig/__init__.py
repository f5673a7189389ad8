"""pymig: database migrations written as Python operations, with derived inverses.

    from pymig import create_table, column, add_column, create_index, sql

The DSL is imported on first use (PEP 562), not with the package: `pymig --help` and every
command that never reads a migration file skip loading the operations, the schema model and
the type parser.
"""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "column", "create_table", "drop_table", "rename_table",
    "add_column", "drop_column", "rename_column", "alter_column",
    "create_index", "drop_index",
    "add_foreign_key", "add_unique", "add_check", "drop_constraint",
    "run_sql", "run_python", "backfill", "preflight", "sql", "literal",
    "create_view", "drop_view", "replace_view", "refresh_materialized_view",
    "create_enum", "drop_enum", "add_enum_value", "rename_enum_value",
    "comment_on", "grant", "revoke",
    "create_sequence", "alter_sequence", "drop_sequence",
    "create_function", "replace_function", "drop_function", "create_trigger", "drop_trigger",
    "add_primary_key", "drop_primary_key", "rename_constraint",
    "create_extension", "drop_extension", "create_schema", "drop_schema",
    "PymigError",
]

if TYPE_CHECKING:  # what editors and type checkers see
    from .dsl import (add_check, add_column, add_foreign_key, add_unique, alter_column, backfill, column,
                      create_index, create_table, drop_column, drop_constraint, drop_index, drop_table,
                      literal, preflight, rename_column, rename_table, run_python, run_sql, sql)
    from .dsl import (add_enum_value, alter_sequence, comment_on, create_enum, create_function,
                      create_sequence, create_trigger, create_view, drop_enum, drop_function, drop_sequence,
                      drop_trigger, drop_view, grant, refresh_materialized_view, rename_enum_value,
                      replace_function, replace_view, revoke)
    from .dsl import (add_primary_key, create_extension, create_schema, drop_extension, drop_primary_key,
                      drop_schema, rename_constraint)
    from .errors import PymigError


def __getattr__(name: str):
    if name == "PymigError":
        from .errors import PymigError as value
    elif name in __all__:
        from . import dsl

        value = getattr(dsl, name)
    else:
        raise AttributeError(f"module 'pymig' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted({*globals(), *__all__})
