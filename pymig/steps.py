"""What an operation asks the executor to do. Plans are lists of these: `pymig sql` prints them,
`pymig up` runs them, through the same executor code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Sql:
    """One SQL statement, run as written."""

    text: str


@dataclass(frozen=True)
class Python:
    """A `run_python` function, called with the migration's connection."""

    fn: Callable
    label: str


@dataclass(frozen=True)
class Batched:
    """An UPDATE repeated over primary-key ranges until it touches no row.

    `first` updates the first batch; `after` holds `{after}`, where the executor puts the
    (quoted) last key of the previous batch. Both return the keys they updated."""

    first: str
    after: str
    table: str
    key: str


@dataclass(frozen=True)
class Check:
    """A preflight check: the operation is refused when `query` returns rows.

    `query` returns the offending rows; the executor counts them and shows up to five."""

    operation: str
    subject: str
    query: str
    message: str
    hint: str | None = None
    count_query: str | None = None  # a cheaper exact count, when the sample query is limited


@dataclass
class Failure:
    """A check that found rows."""

    check: Check
    count: int
    sample: list = field(default_factory=list)
    columns: list = field(default_factory=list)
