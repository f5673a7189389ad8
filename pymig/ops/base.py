"""The operation interface, and the JSON form in which inverses are stored with the history.

An operation is a frozen description. It never runs anything itself and spells no SQL: given the
schema before it, it says what it changes (`state_forwards`), what refuses it (`checks`) and which
operations undo it (`inverse`). The dialect turns it into steps, through one method per kind
(`Dialect.<kind>_steps(op, change)`, see pymig.dialects.base). Decorating the class with
`@register` makes stored plans able to name it."""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from typing import ClassVar

from ..errors import IrreversibleError, PymigError
from ..schema import (Column, Constraint, EnumType, Extension, Function, Index, Namespace, Schema, Sequence,
                      Table, Trigger, View)
from ..steps import Sql

MAX_IDENTIFIER = 63  # PostgreSQL truncates longer names silently; pymig shortens them itself


@dataclass(frozen=True)
class Operation(ABC):
    kind: ClassVar[str]  # the DSL name, e.g. "add_column"
    # the dialect renders it with `<dispatch>_steps`: the kind, unless several kinds share a class
    dispatch: ClassVar[str] = ""
    opaque: ClassVar[bool] = False  # it changes the schema in ways pymig cannot follow (run_sql)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "dispatch" not in cls.__dict__ and isinstance(cls.__dict__.get("kind"), str):
            cls.dispatch = cls.kind

    def describe(self) -> str:
        return self.kind

    def validate(self) -> None:
        """Static checks of user-written SQL fragments; raise PymigError."""
        return None

    @abstractmethod
    def state_forwards(self, schema: Schema) -> Schema:
        """The schema after this operation (pure)."""

    @abstractmethod
    def inverse(self, schema: Schema, added: set) -> list[Operation]:
        """Operations that undo this one, derived from the schema as it stood before it; `added`
        holds the (table, column) pairs created earlier in the same migration. Raises
        IrreversibleError (see `irreversible`) when nothing can undo it."""

    # What it carries, declared for the dialects' checks (Dialect.check_operation), so that they
    # read no field by name:
    def expressions(self) -> list[tuple[str, str]]:
        """SQL expressions written into it outside schema values, each named for messages."""
        return []

    def values(self) -> list:
        """The schema values it creates (Table, Column, Constraint, Index)."""
        return []

    def columns_added(self) -> list[tuple[str, str]]:
        """(table, column) of the columns it creates: a later backfill of them needs no reverse=."""
        return []

    def types(self) -> list[str]:
        """Column types it changes columns to."""
        return []

    def checks(self, schema: Schema, dialect) -> list:
        """Preflight checks (pymig.steps.Check) that refuse it when the data does not allow it."""
        return []

    def phases(self, schema: Schema, dialect, added: set) -> Phases | None:
        """How the operation runs when it runs in phases (expand/contract) on `schema`; None (the
        default): in one go. See Phases."""
        return None

    def irreversible(self, why: str) -> IrreversibleError:
        return IrreversibleError(f"{self.describe()} is not reversible: {why}")


@dataclass(frozen=True)
class Phases:
    """An operation that runs expand/contract (docs/expand-contract.md).

    `pymig up` runs its steps (`Dialect.forward`: the expand steps, then the switch steps, marked
    with pymig.steps.Phase) and the migration ends `expanded`: the old and the new form are both
    served. `contract` are the operations `pymig complete` runs later (in a run of their own, with
    the history record); until then `inverse` undoes the expand and the switch (what `pymig down`
    runs), afterwards `final_inverse` undoes the whole change. `expanded` is the schema while
    expanded (the state after the switch, the old form's objects included); each contract
    operation's state_forwards leads from it to the operation's ordinary state_forwards.

    In a run that is not `up` (a `down` whose inverse is itself an operation with phases), the
    executor runs the contract steps right after the switch: nothing is left expanded."""

    inverse: tuple
    contract: tuple
    final_inverse: tuple
    expanded: Schema


def validate_column(c: Column) -> None:
    from ..sqltext import check_expression

    if c.default is not None:
        check_expression(c.default)
    if c.generated is not None:
        check_expression(c.generated)


OPERATOR_CHARACTERS = frozenset("+-*/<>=~!@#%^&|`?")  # what PostgreSQL spells an operator with


def validate_constraint(c: Constraint) -> None:
    from ..sqltext import check_expression, is_bare_name

    if c.expression:
        check_expression(c.expression)
    if c.kind != "exclusion":
        return
    if not c.method or not c.method.isidentifier():
        raise PymigError(f'exclusion "{c.name}": using={c.method!r} is not an index method (gist, spgist, btree, ...)')
    if not c.elements:
        raise PymigError(f'exclusion "{c.name}" has no elements: give (column or expression, operator) pairs')
    for element, operator in c.elements:
        if not operator or not set(operator) <= OPERATOR_CHARACTERS:
            raise PymigError(f'exclusion "{c.name}": {operator!r} is not an operator (such as =, && or <>)')
        if not is_bare_name(element):
            check_expression(element)
    if c.where:
        check_expression(c.where)


# -- JSON form -------------------------------------------------------------------------------------
# Stored with each applied migration (its inverse plan, its progress), so it outlives the code
# that wrote it. Format 2: an operation is {"$op": kind, field: value, ...} (the DSL name, not
# the Python class); a schema value is {"$": class name, ...}; a run_python function is
# {"$callable": {"migration": version, "name": qualified name}}, found again in the migrations
# directory at run time (or {"module": ..., "name": ...} when it was imported from elsewhere).
# Format 1 (pymig 0.1, no "format" key) still reads: operations by class name, functions by
# [absolute path of their file, qualified name], of which only the file name is used now.

FORMAT = 2
REGISTRY: dict[str, type] = {c.__name__: c for c in (Column, Constraint, Index, Table, Sql, View, EnumType, Sequence,
                                                      Function, Trigger, Extension, Namespace)}
KINDS: dict[str, type] = {}


def register(cls):
    """Make an operation class readable from stored plans, under its kind(s) and, for plans
    written by 0.1, its class name."""
    REGISTRY[cls.__name__] = cls
    kinds = cls.__dict__.get("kinds") or (cls.kind,)
    for kind in kinds:
        KINDS[kind] = cls
    return cls


def encode_plan(operations) -> dict:
    return {"format": FORMAT, "operations": encode(list(operations))}


def encode(value):
    if hasattr(value, "__dataclass_fields__"):
        out = {"$op": value.kind} if isinstance(value, Operation) else {"$": type(value).__name__}
        for f in fields(value):
            v = getattr(value, f.name)
            if v != f.default and v != ():
                out[f.name] = encode(v)
        return out
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if callable(value):
        version = getattr(value, "__globals__", {}).get("__pymig_version__")
        where = {"migration": version} if version is not None else {"module": value.__module__}
        return {"$callable": {**where, "name": value.__qualname__}}
    return value


def decode(data, resolve_callable=None):
    """`resolve_callable(ref)` finds a stored function again (loader.FunctionFinder)."""
    if isinstance(data, list):
        return tuple(decode(v, resolve_callable) for v in data)
    if isinstance(data, dict):
        if "$callable" in data:
            return resolve_callable(data["$callable"])
        cls = KINDS[data["$op"]] if "$op" in data else REGISTRY[data["$"]] if "$" in data else None
        if cls is not None:
            return cls(**{k: decode(v, resolve_callable) for k, v in data.items() if k not in ("$", "$op")})
        return {k: decode(v, resolve_callable) for k, v in data.items()}
    return data


# -- names -----------------------------------------------------------------------------------------

def object_name(*parts: str, suffix: str) -> str:
    """PostgreSQL-style generated names (`users_email_key`), shortened with a hash past 63 chars.
    The first part is a table's name, whose schema does not count (as PostgreSQL names them)."""
    from ..names import bare

    parts = (bare(parts[0]), *parts[1:]) if parts and parts[0] else parts
    raw = "_".join(re.sub(r"[^a-z0-9]+", "_", p.lower()).strip("_") for p in parts if p)
    name = f"{raw}_{suffix}"
    if len(name) <= MAX_IDENTIFIER:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{raw[: MAX_IDENTIFIER - len(suffix) - 10]}_{digest}_{suffix}"
