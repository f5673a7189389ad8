"""Operations, one family per module; importing this package registers them for JSON decoding."""

from .base import Operation, decode, encode
from .columns import AddColumn, AlterColumn, DropColumn, RenameColumn
from .constraints import AddConstraint, DropConstraint
from .data import Backfill, Preflight, RunPython, RunSQL
from .indexes import CreateIndex, DropIndex, RenameIndex
from .tables import CreateTable, DropTable, RenameTable
from . import comments, enums, expand, functions, grants, namespaces, partitions, sequences, views  # noqa: F401  (registered for decoding)

__all__ = [
    "Operation", "encode", "decode",
    "CreateTable", "DropTable", "RenameTable",
    "AddColumn", "DropColumn", "RenameColumn", "AlterColumn",
    "CreateIndex", "DropIndex", "RenameIndex", "AddConstraint", "DropConstraint",
    "RunSQL", "RunPython", "Backfill", "Preflight",
]
