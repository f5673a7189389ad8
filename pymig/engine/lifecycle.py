"""Expand/contract, the executor's side (see ops.base.Phases and docs/expand-contract.md).

`pymig up` runs an operation with phases through its expand and switch steps and stores, with the
migration's history record, what `pymig complete` runs later (the contract operations) and the
inverse that applies after it: the record is then `expanded`. Nothing here knows any particular
operation: an operation declares its phases, the dialect renders each phase's steps."""

from __future__ import annotations

from ..errors import PymigError
from ..ops import decode
from ..ops.base import encode_plan


def phases_of(run, op, schema):
    """The operation's Phases in this run, or None when it runs in one go."""
    try:
        return op.phases(schema, run.d, run.p.added)
    except PymigError:
        if run.ex.trusted:
            raise
        return None  # a preview after run_sql: the schema it would read is only known at run time


def derive(progress, phases) -> None:
    """`up`: the operation in progress undoes by its phases' inverse until contracted."""
    if phases is None:
        return
    if not progress.irreversible:
        progress.current = list(phases.inverse)
        progress.current_final = list(phases.final_inverse)
    progress.current_contract = list(phases.contract)


def after_phases(run, phases, after):
    """The schema an operation with phases leaves: expanded after `up`; in the other directions the
    contract ran too, so the operation's ordinary state."""
    if phases is None or after is None:
        return after
    return phases.expanded if run.direction == "up" else after


def contract_steps(run, phases) -> list:
    """Outside `up` (a `down` whose inverse has phases), the contract right after the switch."""
    if phases is None or run.direction == "up":
        return []
    steps, schema = [], phases.expanded
    for op in phases.contract:
        steps += run.d.forward(op, schema)
        schema = op.state_forwards(schema)
    return steps


def completion(record, resolve) -> tuple[tuple, dict]:
    """(contract operations, the inverse plan stored once they ran) of an expanded record."""
    expanded = record.inverse["expanded"]
    ops = decode(expanded["contract"], resolve)
    if record.inverse.get("irreversible"):
        final = {"irreversible": record.inverse["irreversible"]}
    else:
        final = encode_plan(decode(expanded["inverse"], resolve))
    return ops, final
