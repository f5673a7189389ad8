"""Checks on user-written SQL fragments (defaults, CHECK and index expressions, predicates).

The only module that imports sqlglot, lazily: commands that validate nothing never pay for it.
sqlglot only *validates and analyses* here; pymig never emits SQL that came out of sqlglot.
"""

from __future__ import annotations

import re

from .errors import PymigError

# Functions whose result can change between calls; PostgreSQL refuses them in index predicates
# and expressions ("functions in index predicate must be marked IMMUTABLE").
NOT_IMMUTABLE = {
    "now", "current_timestamp", "current_date", "current_time", "localtime", "localtimestamp",
    "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday", "random",
    "gen_random_uuid", "uuid_generate_v4", "nextval", "currval", "txid_current", "age",
}
VOLATILE = {"random", "gen_random_uuid", "uuid_generate_v4", "clock_timestamp", "timeofday", "nextval"}

_DIRECTION = re.compile(r"\s+(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?\s*$|\s+NULLS\s+(FIRST|LAST)\s*$", re.I)
_WORD_FUNCS = re.compile(r"\b(current_timestamp|current_date|current_time|localtime|localtimestamp)\b", re.I)


def _parse(text: str):
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    try:
        tree = sqlglot.parse(text, read="postgres")
    except (ParseError, TokenError) as e:
        first = str(e).splitlines()[0]
        raise PymigError(f"malformed SQL expression {text!r}: {first}") from None
    if len(tree) != 1 or tree[0] is None:
        raise PymigError(f"malformed SQL expression {text!r}: expected one expression")
    return tree[0]


def check_expression(text: str) -> None:
    """Refuse an expression that does not parse, or that smuggles in a second statement."""
    if not isinstance(text, str) or not text.strip():
        raise PymigError(f"malformed SQL expression {text!r}")
    if not _balanced(text):
        raise PymigError(f"malformed SQL expression {text!r}: unbalanced parentheses or quotes")
    _parse(text)


def split_direction(text: str) -> tuple[str, str]:
    """`last_login_at DESC` -> ('last_login_at', ' DESC')."""
    m = _DIRECTION.search(text)
    if not m:
        return text.strip(), ""
    return text[: m.start()].strip(), " " + " ".join(text[m.start():].split()).upper()


def functions_used(text: str) -> set[str]:
    """Lower-case names of the functions an expression calls, keywords like CURRENT_TIMESTAMP included."""
    from sqlglot import exp

    names = {m.lower() for m in _WORD_FUNCS.findall(text)}
    for f in _parse(text).find_all(exp.Func):
        names.add(f.sql(dialect="postgres").split("(")[0].strip().lower())
    # sqlglot reads now() as CURRENT_TIMESTAMP; messages should name the function the user wrote
    if re.search(r"\bnow\s*\(", text, re.I):
        names.add("now")
        if not re.search(r"\bcurrent_timestamp\b", text, re.I):
            names.discard("current_timestamp")
    return names


def columns_used(text: str) -> list[str]:
    """The column names an expression reads, in order of appearance (preflight checks show them)."""
    from sqlglot import exp

    return list(dict.fromkeys(c.name for c in _parse(text).find_all(exp.Column)))


def _balanced(text: str) -> bool:
    depth, quote = 0, None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and quote is None
