"""What a failed or interrupted run reports, and taking back what a failed migration committed."""

from __future__ import annotations

from ..errors import ExecutionError, PreflightError, PymigError
from ..ops.data import UndoSteps
from .sessions import UserCodeError


def interrupted(run) -> BaseException:
    """Ctrl-C: what committed stays committed and recorded; the rerun resumes there."""
    if run.tx.segments:
        return PymigError(f"{run.label}: interrupted after {run.tx.segments} committed step(s)",
                          hint="run `pymig up` again to resume where it stopped")
    return KeyboardInterrupt()


def describe_failure(run, e: Exception, i: int, op) -> Exception:
    """The error to report for `e`, raised at operation `i`; after committed segments of an `up`,
    those are undone first and the message says so."""
    label = run.label
    if isinstance(e, PreflightError):
        err = e
    elif isinstance(e, PymigError):
        where = f"{label}: operation {i} ({op.describe()})" if op is not None else label
        err = type(e)(e.message if e.message.startswith(label) else f"{where}: {e.message}", e.hint)
    else:
        db = run.ex.db
        text = str(e) if isinstance(e, UserCodeError) else (db.error_text(e) if db is not None else None)
        if text is None:
            return e  # a bug in pymig itself: the CLI reports it as an internal error
        where = f"{label}: operation {i} ({op.describe()})" if op is not None else f"{label}: history record"
        err = ExecutionError(f"{where}: {text}", hint="the migration was rolled back; nothing was changed")
    if run.ex.preview:
        return err
    if run.direction == "up" and (run.tx.segments or run.resumed):
        return undo_committed(run, err)
    if run.direction == "down" and run.tx.segments:
        err.hint = (f"{run.tx.segments} committed part(s) of this revert, before operation {i}, ran in their "
                    "own transactions and stay done; the history still lists the migration as applied, so fix the "
                    "cause and finish the revert by hand, or re-apply what was reverted")
    return err


def undo_committed(run, err: PymigError) -> PymigError:
    """A later segment failed: take back what earlier segments committed, newest first."""
    c = run.committed
    if c.irreversible:
        err.hint = (f"steps of this migration were already committed and cannot be undone ({c.irreversible}); "
                    "`pymig status` shows it as partially applied")
        return err
    ops = ([UndoSteps(tuple(c.undo))] if c.undo else []) + list(c.inverse)
    run.ex.schema = None
    try:
        run.sibling("undo").execute(ops)
    except PymigError as undo_error:
        err.hint = (f"undoing the steps already committed failed too: {undo_error.message}; "
                    "the migration is left partially applied (`pymig status`)")
        return err
    err.hint = "the steps this migration had committed were undone: the database is as it was before it"
    return err
