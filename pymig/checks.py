"""Running preflight checks and reporting what they refuse, with the exact count and a few example
rows. The checks themselves (their queries) are built in the dialect layer, pymig.dialects.checks;
the executor runs them inside the migration's transaction right before their operation, so an
earlier backfill of the same migration is seen. The inverse operations of `down` are ordinary
operations, so a rollback is checked the same way."""

from __future__ import annotations

from .errors import CheckError, PreflightError
from .steps import Check, Failure

SAMPLE_ROWS = 5


# -- running and reporting ---------------------------------------------------------------------

def run_check(db, dialect, check: Check) -> Failure | None:
    """Run one check in a savepoint that is always rolled back, so a check leaves nothing behind
    (not even the probe function it may create) and a check query that errors does not abort the
    migration's transaction. Raises CheckError with the database's message when it errors (a lock
    timeout is re-raised as is, so the executor retries the transaction)."""
    db.execute(dialect.savepoint("pymig_check"))
    try:
        for text in check.setup:
            db.execute(text)
        columns, sample = db.query(dialect.sample_sql(check.query, SAMPLE_ROWS))
        failure = None
        if sample:
            counted = db.rows(check.count_query or dialect.count_sql(check.query))[0]
            groups = int(counted[1]) if len(counted) > 1 else None
            failure = Failure(check, int(counted[0]), sample, columns, groups)
    except Exception as e:
        db.execute(dialect.rollback_to("pymig_check"))
        db.execute(dialect.release("pymig_check"))
        if db.is_lock_timeout(e):
            raise
        raise CheckError(f"the preflight check on {check.subject} could not run: "
                         f"{db.error_text(e) or e}") from e
    db.execute(dialect.rollback_to("pymig_check"))
    db.execute(dialect.release("pymig_check"))
    return failure


def describe_check(check: Check) -> str:
    """What `pymig sql` prints for a check (as a comment): when it refuses, and the query."""
    when = f"if {_fill(check.message, None, check.noun)}" if "{count}" in check.message else \
        f"when this query returns any row ({check.message!r})"
    lines = [f"preflight for {check.operation}: refuse {when}"]
    lines += [f"  {line}" for text in check.setup for line in text.splitlines()]
    lines.append(check.query)
    return "\n".join(lines)


def _fill(message: str, count: int | None, noun: str, groups: int | None = None) -> str:
    if count is None:  # the preview: "{count} {noun}" reads as the plural noun alone
        return message.replace("{count} ", "").replace("{noun}", noun + "s").replace("{groups}", "a value")
    text = message.replace("{count}", str(count)).replace("{noun}", noun if count == 1 else noun + "s")
    return text.replace("{groups}", f"{groups} value{'s' if groups != 1 else ''}")


class Refusals:
    """The failing checks of one migration run, gathered so that one message reports them all.

    Once an operation is refused, the executor does not run it but goes on with the later ones:
    their checks run (each in its own savepoint), and so do their transactional steps, inside
    the transaction that will be rolled back, so that a later check sees an earlier backfill just
    as it would have. Steps that would commit (CONCURRENTLY, a segment boundary) are skipped. A
    later operation that cannot be checked because a refused one did not run (its table or column
    does not exist) is listed as not checked rather than guessed about. Running the later steps
    costs time only when something is already refused; the alternative, checking later
    operations against a database without the earlier ones, reports rows a backfill would fix."""

    def __init__(self, label: str, direction: str):
        self.label, self.direction = label, direction
        self.failures: list[tuple[int, Failure]] = []
        self.unchecked: list[tuple[int, str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.failures)

    def add(self, i: int, failures) -> bool:
        """Record an operation's failures; True when it is refused."""
        self.failures += [(i, f) for f in failures]
        return bool(failures)

    def skip(self, i: int, op, why: str) -> None:
        self.unchecked.append((i, op.describe(), why))

    def error(self, committed: bool = False) -> PreflightError:
        """`committed`: steps of the migration before the refused one had committed (the caller's
        hint says what became of them), so "nothing was changed" would not be true."""
        n = len(self.failures)
        what = "rolling back " + self.label if self.direction == "down" else self.label
        outcome = "earlier steps of it had committed" if committed else "nothing was changed"
        lines = [f"{what}: refused by {n} preflight check{'s' if n > 1 else ''}; {outcome}"]
        for i, f in self.failures:
            c = f.check
            text = _fill(c.message, f.count, c.noun, f.groups) if "{count}" in c.message else \
                f"{c.message} ({f.count} {c.noun if f.count == 1 else c.noun + 's'})"
            lines.append(f"  operation {i} ({c.operation}): {text}")
            if f.sample and c.noun == "object":  # dependents: the list itself
                lines.append("    " + "; ".join(str(r[0]) for r in f.sample)
                             + (f"; and {f.count - len(f.sample)} more" if f.count > len(f.sample) else ""))
            elif f.sample:
                rows = "; ".join(_row(f.columns, r) for r in f.sample)
                more = f" (first {len(f.sample)} of {f.count})" if f.count > len(f.sample) else ""
                lines.append(f"    e.g.{more} {rows}")
            if c.hint:
                lines.append(f"    fix: {c.hint}")
        for i, what_op, why in self.unchecked:
            lines.append(f"  not checked: operation {i} ({what_op}): {why}")
        again = "pymig down" if self.direction == "down" else "pymig up"
        return PreflightError("\n".join(lines), hint=f"fix the data (or the migration) and run `{again}` again")


def _row(columns, values) -> str:
    return ", ".join(f"{c}={_value(v)}" for c, v in zip(columns, values))


def _value(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, str):
        return repr(v if len(v) <= 40 else v[:37] + "...")
    return str(v)
