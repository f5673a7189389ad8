"""What a failed or interrupted run reports, and taking back what a failed migration committed."""

from __future__ import annotations

from ..errors import ConnectionLost, ExecutionError, Interrupted, PreflightError, PymigError
from ..ops.base import encode_plan
from ..ops.data import UndoSteps
from .sessions import TransactionEnded, UserCodeError


def interrupted(run, signal: KeyboardInterrupt) -> BaseException:
    """Ctrl-C or SIGTERM: what committed stays committed and recorded; the rerun resumes there."""
    if run.tx.segments or run.resumed:
        again = "`pymig up`" if run.direction == "up" else "`pymig down`"
        return Interrupted(f"{run.label}: interrupted after {run.tx.segments} committed step(s)",
                           hint=f"run {again} again to resume where it stopped (`pymig status` shows it as partial)",
                           exit_code=getattr(signal, "exit_code", 130))
    return signal


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
        if db is not None and db.connection_lost(e):
            return lost(run, where, text)
        if isinstance(e, TransactionEnded):
            return ExecutionError(f"{where}: {text}", hint=(
                "pymig commits a migration with its history record: a run_python function must not call "
                "commit() or rollback(); `pymig status` shows what the history knows"))
        err = ExecutionError(f"{where}: {text}", hint="the migration was rolled back; nothing was changed")
    if run.ex.preview:
        return err
    if run.direction == "up" and (run.tx.segments or run.resumed):
        return undo_committed(run, err)
    if run.direction != "up" and (run.tx.segments or run.resumed):
        i = i or min((n for n, _ in run.refusals.failures), default=0)  # refused: the first refused one
        err.hint = (f"the revert stopped at operation {i}; what it committed before stays done and recorded "
                    "(`pymig status`: partial (reverting)): fix the cause and run `pymig down` again to finish it")
    return err


def lost(run, where: str, text: str) -> ConnectionLost:
    """The server's reason, what stays, and the command that continues: the open transaction died
    with the connection; the committed segments are recorded, so the rerun resumes after them."""
    again = "pymig up" if run.direction == "up" else "pymig down"
    if run.tx.segments or run.resumed:
        stays = (f"{run.tx.segments} committed step(s) of it stay, recorded (`pymig status`: partial); "
                 f"run `{again}` to continue from there")
    else:
        stays = f"its open transaction was rolled back by the server; run `{again}` again"
    return ConnectionLost(f"{where}: the database connection was lost: {text}", hint=stays)


def undo_committed(run, err: PymigError) -> PymigError:
    """A later segment failed: take back what earlier segments committed, newest first."""
    c = run.committed
    if c.irreversible:
        err.hint = (f"steps of this migration were already committed and cannot be undone ({c.irreversible}); "
                    "`pymig status` shows it as partially applied")
        return err
    ops = undo_plan(c)
    run.ex.schema = None
    try:
        run.sibling("undo", encode_plan(ops)).execute(ops)
    except PymigError as undo_error:
        err.hint = (f"undoing the steps already committed failed too: {undo_error.message}; "
                    "the migration is left partial: `pymig status` shows how far, `pymig down` takes back "
                    "what it committed")
        return err
    err.hint = "the steps this migration had committed were undone: the database is as it was before it"
    return err


def undo_plan(progress) -> list:
    """What takes back the committed part of a partial migration: the undo of the steps of the
    operation in progress, then the inverses of the operations completed, newest first."""
    return ([UndoSteps(tuple(progress.undo))] if progress.undo else []) + list(progress.inverse)
