"""`status`, `check` and `sql` over many targets: what is the same on many targets is said once,
with the targets it is true for (500 identical tenants are one line)."""

from __future__ import annotations

from .fanout import Outcome
from .fleet_report import failed_lines, grouped, names, table

_DONE = ("applied", "expanded", "modified", "missing")


def state_key(rows: list[dict]) -> tuple:
    return tuple((r["version"], r["state"]) for r in rows)


def describe_state(key: tuple) -> tuple[str, str]:
    """(version, state) of one status: the newest migration applied, and what is not as it should be."""
    current = max((v for v, s in key if s in _DONE), default=0)
    by_state: dict[str, list[int]] = {}
    for v, s in key:
        if s != "applied":
            by_state.setdefault(s, []).append(v)
    parts = []
    for state, versions in by_state.items():
        shown = ", ".join(str(v) for v in versions[:3]) + (", ..." if len(versions) > 3 else "")
        parts.append(f"{len(versions)} {state} ({shown})" if state == "pending" else f"{state} {shown}")
    return str(current) if current else "-", "; ".join(parts) or "up to date"


def status_matrix(outcomes: list[Outcome]) -> str:
    rows = []
    for key, group in grouped(outcomes, lambda o: state_key(o.value)):
        version, state = describe_state(key)
        rows.append((len(group), version, state, names(group)))
    failed = [o for o in outcomes if o.result != "ok"]
    if failed:
        rows.append((len(failed), "?", "failed", names(failed)))
    lines = table(("TARGETS", "VERSION", "STATE", "WHICH"), rows, right=(0,)) if rows else []
    behind = sum(len(g) for k, g in grouped(outcomes, lambda o: state_key(o.value))
                 if describe_state(k)[1] != "up to date")
    lines.append(f"{len(outcomes)} targets: {len(outcomes) - behind - len(failed)} up to date, "
                 f"{behind} not, {len(failed)} failed")
    lines += failed_lines(outcomes)
    return "\n".join(lines)


def status_json(outcomes: list[Outcome]) -> list[dict]:
    from .commands import status_json as form
    from .fleet_report import as_json

    return as_json(outcomes, "status", lambda o: form(o.value, "v2"))


def _findings_key(findings) -> tuple:
    return tuple((f.file, f.operation, f.code, f.severity, f.message, f.fix) for f in findings)


def check_report(outcomes: list[Outcome]) -> tuple[str, int]:
    """The findings, each set once with the targets it is for; and how many errors in all."""
    lines, errors = [], 0
    for key, group in grouped(outcomes, lambda o: _findings_key(o.value)):
        n = len(key)
        errs = sum(f[3] == "error" for f in key)
        errors += errs * len(group)
        lines.append(f"{names(group)} ({len(group)} target{'s' if len(group) != 1 else ''}): "
                     f"{n} finding{'s' if n != 1 else ''}, {errs} error{'s' if errs != 1 else ''}")
        for file, operation, code, severity, message, fix in key:
            lines.append(f"  {file}: {operation or '-'}\n    {code} {severity}: {message}\n    fix: {fix}")
    lines += failed_lines(outcomes)
    return "\n".join(lines), errors


def sql_report(outcomes: list[Outcome]) -> str:
    """Each distinct script once, after the targets it is for. The scripts of schema targets name
    their own schema (the history tables' qualified names): they count as the same when they
    differ only there, and the first target's is shown."""
    def key(o: Outcome) -> str:
        schema = o.target.schema
        return o.value.replace(_quoted(schema), "\x00") if schema else o.value

    parts = []
    for _, group in grouped(outcomes, key):
        first = group[0]
        own = f' (each with its own schema where this one says "{first.target.schema}")' \
            if first.target.schema and len(group) > 1 and _quoted(first.target.schema) in first.value else ""
        parts.append(f"-- {len(group)} target{'s' if len(group) != 1 else ''}: {names(group, shown=8)}{own}\n"
                     f"{first.value}")
    parts += [f"-- {line}" for line in failed_lines(outcomes)]
    return "\n\n".join(parts)


def _quoted(schema: str) -> str:
    return '"' + schema.replace('"', '""') + '"'
