"""Every check of a migration before any step of it commits, when a commit comes before a check
(a DROP INDEX CONCURRENTLY of a `down`, then an add_column that refuses): the checks run in one
transaction with the transactional steps before them, which is rolled back. A refusal then really
changes nothing."""

from __future__ import annotations

from dataclasses import replace

from ..checks import Refusals
from ..errors import PymigError
from ..ops import DropColumn, DropTable
from ..steps import Batched, Commit, Sql
from .refused import check_after_refusal


def commits(step) -> bool:
    """The step ends the migration's transaction (or runs outside one)."""
    return isinstance(step, Commit) or (isinstance(step, Sql) and not step.transactional) or (
        isinstance(step, Batched) and step.online)


def needs_precheck(run, ops, start_tables: set) -> bool:
    """A check follows a step that commits, and what committed could not be taken back: a revert's
    segments, or a migration that drops or runs user code (its undo cannot restore those)."""
    if run.direction == "up" and not any(isinstance(op, (DropColumn, DropTable)) or op.opaque for op in ops):
        return False
    schema, committed = run.ex.before(), False
    for n, op in enumerate(ops, 1):
        schema = replace(schema, new_tables=frozenset(set(schema.tables) - start_tables))
        try:
            if committed and op.checks(schema, run.d):
                return True
            if n == len(ops):
                return False  # what the last one's steps commit comes before no check
            steps = run.d.forward(op, schema)
            schema = schema if op.opaque else op.state_forwards(schema)
        except PymigError:
            return committed  # the rest cannot be followed without running it
        committed = committed or any(commits(s) for s in steps)
    return False


def precheck(run, ops, start_tables: set) -> Refusals:
    """The failing checks of the whole migration, found in a transaction that is rolled back."""
    saved = run.ex.schema
    found: list[Refusals] = []

    def attempt():
        refusals = Refusals(run.label, run.refusals.direction)
        for i, op in enumerate(ops, 1):
            schema = run.ex.before()
            schema = replace(schema, new_tables=frozenset(set(schema.tables) - start_tables))
            check_after_refusal(run, i, op, schema, refusals)
        found[:] = [refusals]

    run.tx.begin()
    try:
        run.tx.do(attempt)
    finally:
        run.tx.rollback()
        run.ex.schema = saved
    return found[0]
