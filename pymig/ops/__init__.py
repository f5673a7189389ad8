"""Operations, one family per module. A family is imported when one of its names is first asked
for (PEP 562) or when a stored plan is decoded (which needs every kind registered): `pymig status`
reaches ops.base through the dialects, and defining all ~80 operation dataclasses would be most
of its start-up."""

import functools
import importlib
from typing import TYPE_CHECKING

from . import base
from .base import Operation, encode

if TYPE_CHECKING:  # what editors and type checkers see (exported through __all__, built from _HOME)
    from .columns import AddColumn, AlterColumn, DropColumn, RenameColumn  # noqa: F401
    from .constraints import AddConstraint, DropConstraint  # noqa: F401
    from .data import Backfill, Preflight, RunPython, RunSQL  # noqa: F401
    from .indexes import CreateIndex, DropIndex, RenameIndex  # noqa: F401
    from .tables import CreateTable, DropTable, RenameTable  # noqa: F401

FAMILIES = ("columns", "constraints", "data", "indexes", "tables", "comments", "enums", "expand", "functions",
            "grants", "namespaces", "partitions", "sequences", "views")
_HOME = {"AddColumn": "columns", "DropColumn": "columns", "RenameColumn": "columns", "AlterColumn": "columns",
         "AddConstraint": "constraints", "DropConstraint": "constraints",
         "RunSQL": "data", "RunPython": "data", "Backfill": "data", "Preflight": "data",
         "CreateIndex": "indexes", "DropIndex": "indexes", "RenameIndex": "indexes",
         "CreateTable": "tables", "DropTable": "tables", "RenameTable": "tables"}

__all__ = ["Operation", "encode", "decode", *_HOME]


@functools.cache  # once: decode calls it for every stored plan it reads
def load_all() -> None:
    """Register every operation kind (each family registers its classes when imported)."""
    for family in FAMILIES:
        importlib.import_module(f"{__name__}.{family}")


def decode(data, resolve_callable=None):
    """base.decode, with every kind registered first."""
    load_all()
    return base.decode(data, resolve_callable)


def __getattr__(name: str):
    family = _HOME.get(name)
    if family is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{family}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
