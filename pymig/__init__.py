"""pymig: database migrations written as Python operations, with derived inverses.

    from pymig import create_table, column, add_column, create_index, sql

The DSL is imported on first use (PEP 562), not with the package: `pymig --help` and every
command that never reads a migration file skip loading the operations, the schema model and
the type parser. The public names are pymig.dsl's `__all__`, and PymigError.
"""

import sys
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # what editors and type checkers see
    from .dsl import *  # noqa: F403
    from .errors import PymigError as PymigError


def __getattr__(name: str):
    if name == "PymigError":
        from .errors import PymigError as value
    elif name == "__all__":
        from .dsl import __all__ as dsl_names

        value = [*dsl_names, "PymigError"]
    elif name.startswith("__") or _is_submodule(name):
        raise AttributeError(f"module 'pymig' has no attribute {name!r}")  # the import system goes on
    else:
        from .dsl import __all__ as dsl_names

        dsl = sys.modules[f"{__name__}.dsl"]
        if name not in dsl_names:
            raise AttributeError(f"module 'pymig' has no attribute {name!r}")
        value = getattr(dsl, name)
    globals()[name] = value  # later lookups skip this function
    return value


def _is_submodule(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"{__name__}.{name}") is not None


def __dir__():
    return sorted({*globals(), *__getattr__("__all__")})
