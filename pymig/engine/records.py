"""The history statements a migration run commits with its segments and its last transaction."""

from __future__ import annotations

from .progress import to_json


def progress_record(run) -> list[str]:
    """How far the run got, sent with a segment's commit. An `up` stores the inverse of what it has
    done; a reverting run the plan it runs, with `{"direction": "down"}` in its position; a
    `complete` keeps the expanded inverse until its last transaction replaces it."""
    if run.direction == "up":
        plan, position = run.p.plan(), run.p.position()
    elif run.direction == "complete":
        plan, position = run.stored, {**run.p.position(), "direction": "complete"}
    else:
        plan, position = run.plan, {**run.p.position(), "direction": "down", "finish": run.direction}
    return run.d.record_progress(run.version, run.name, run.checksum, run.ex.user,
                                 to_json(plan), to_json(position), elapsed_ms=run.tx.elapsed_ms())


def final_record(run, grouped: bool = False) -> tuple[list[str], str]:
    """(statements, what they record) of the run's last transaction; `grouped`: it is shared with
    other migrations' (engine.batch), which times each from its own start."""
    d, v, name, user, ms = run.d, run.version, run.name, run.ex.user, run.tx.elapsed_ms()
    group = {"grouped": True} if grouped else {}
    if run.direction == "up":
        return (d.record_applied(v, name, run.checksum, user, to_json(run.p.plan()), elapsed_ms=ms, **group),
                "pymig records the migration in pymig_migrations and pymig_log")
    if run.direction == "down":
        return (d.record_reverted(v, name, user, elapsed_ms=ms, **group),
                "pymig deletes the migration's record and logs the revert")
    if run.direction == "complete":  # the contract ran: the inverse is the ordinary one again
        return (d.record_completed(v, name, user, to_json(run.plan), elapsed_ms=ms),
                "pymig stores the inverse that applies after the contract and logs the complete")
    if run.direction == "abort":  # a partial migration taken back on request: logged, by whom
        return d.record_aborted(v, name, user, elapsed_ms=ms), "pymig deletes the partial record and logs the abort"
    # undoing a migration that failed: it leaves no trace in the history
    return d.forget(v), "pymig removes the record of the migration's committed part"
