"""What a run over many targets prints at the end: the summary table (up, down), the status matrix
(targets in the same state are one line), findings and SQL said once for the targets they are the
same for, and the JSON forms (one object per target)."""

from __future__ import annotations

from .fanout import Outcome


def names(outcomes: list[Outcome], shown: int = 4) -> str:
    """`a, b, c, d` or `a, b, c and 47 more`."""
    all_ = [o.target.name for o in outcomes]
    if len(all_) <= shown:
        return ", ".join(all_)
    return f"{', '.join(all_[:shown - 1])} and {len(all_) - shown + 1} more"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def table(header: tuple[str, ...], rows: list[tuple], right: tuple[int, ...] = ()) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    out = []
    for row in (header, *rows):
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def summary(outcomes: list[Outcome], verb: str, wall: float) -> str:
    """The table of every target, the totals, and each failed target with its one-line error."""
    rows = [(o.target.name, o.count if o.result != "skipped" else "-",
             _ms(o.seconds) if o.result != "skipped" else "-", o.result) for o in outcomes]
    lines = table(("TARGET", verb.upper(), "DURATION", "RESULT"), rows, right=(1, 2))
    lines.append(totals(outcomes, verb, wall))
    failed = [o for o in outcomes if o.result == "failed"]
    if failed:
        lines.append("")
        lines.append("failed:")
        lines += [f"  {o.target.name}: {o.error_line}" for o in failed]
    return "\n".join(lines)


def totals(outcomes: list[Outcome], verb: str, wall: float) -> str:
    counts = {r: sum(o.result == r for o in outcomes) for r in ("ok", "failed", "skipped")}
    parts = ", ".join(f"{n} {r}" for r, n in counts.items() if n or r == "ok")
    migrations = sum(o.count for o in outcomes)
    return (f"{len(outcomes)} target{'s' if len(outcomes) != 1 else ''}: {parts}; "
            f"{migrations} migration{'s' if migrations != 1 else ''} {verb} in {_ms(wall)}")


def failure_message(outcomes: list[Outcome], command: str) -> str | None:
    """The one `error:` line of a run with failures; None when every target succeeded."""
    failed = [o for o in outcomes if o.result == "failed"]
    if not failed:
        return None
    skipped = sum(o.result == "skipped" for o in outcomes)
    more = f", {skipped} not started (--fail-fast)" if skipped else ""
    rerun = "; a rerun applies only what is missing" if command in ("up", "down", "complete") else ""
    return f"{len(failed)} of {len(outcomes)} targets failed ({names(failed)}){more}{rerun}"


def as_json(outcomes: list[Outcome], key: str | None = None, value=None) -> list[dict]:
    """One object per target: result, count, duration, error, and the command's own value."""
    out = []
    for o in outcomes:
        item = {"target": o.target.name, "schema": o.target.schema, "result": o.result,
                "duration_ms": round(o.seconds * 1000, 3), "error": o.error}
        if key is not None and value is None:
            item[key] = o.count  # on a failed target too: how many it applied before the failure
        elif key is not None and o.result == "ok":
            item[key] = value(o)
        out.append(item)
    return out


def grouped(outcomes: list[Outcome], key) -> list[tuple[object, list[Outcome]]]:
    """The successful outcomes by `key(outcome)`, largest group first, in the targets' order within."""
    groups: dict = {}
    for o in outcomes:
        if o.result == "ok":
            groups.setdefault(key(o), []).append(o)
    return sorted(groups.items(), key=lambda kv: -len(kv[1]))


def failed_lines(outcomes: list[Outcome]) -> list[str]:
    return [f"{o.target.name}: {o.result}" + (f": {o.error_line}" if o.error_line else "")
            for o in outcomes if o.result != "ok"]
