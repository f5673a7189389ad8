"""After a refusal: the later operations of the migration are still checked, so that one message
reports every failure (the reasons are in checks.Refusals)."""

from __future__ import annotations

from ..errors import PymigError
from ..steps import Batched, Python, Sql


def check_after_refusal(run, i, op, schema, refusals=None) -> None:
    """Check operation `i` after an earlier one was refused (or before anything commits, see
    precheck). Its transactional steps run in a savepoint of the transaction that is rolled back
    at the end; steps that would commit are skipped."""
    s, d = run.s, run.d
    refusals = run.refusals if refusals is None else refusals
    try:
        if refusals.add(i, [f for c in op.checks(schema, d) if (f := s.check(c))]):
            return
    except PymigError as e:
        refusals.skip(i, op, f"{e.message} (an earlier operation was refused)")
        return
    s.sql(d.savepoint("pymig_refused"))
    try:
        after = run.ex.after(op, schema)
        for step in d.forward(op, schema):
            if isinstance(step, Sql) and step.transactional and not (step.only_if and not s.flag(step.only_if)):
                s.sql(step.text)
            elif isinstance(step, Python):
                s.python(step)
            elif isinstance(step, Batched):
                s.batched(step)  # online or not: inside this transaction
    except Exception as e:
        s.sql(d.rollback_to("pymig_refused"))
        text = e.message if isinstance(e, PymigError) else (run.ex.db.error_text(e) or str(e))
        refusals.skip(i, op, f"its checks passed, but it could not be tried after the refusal ({text}), "
                             "so later checks ran without it")
    else:
        run.ex.schema = after
    s.sql(d.release("pymig_refused"))
