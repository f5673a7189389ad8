"""What an operation asks the executor to do. Plans are lists of these: `pymig sql` prints them,
`pymig up` runs them, through the same executor code."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable


@dataclass(frozen=True)
class Sql:
    """One SQL statement.

    transactional=False: it cannot run inside a transaction (CREATE INDEX CONCURRENTLY); the
    executor commits what came before and runs it alone, without the short lock timeout.
    only_if: a query; the statement runs only when it returns a true first column.
    undo: takes this statement back if a later part of the same migration fails after it was
    committed (recipes that span transactions leave no intermediate objects behind)."""

    text: str
    transactional: bool = True
    only_if: str | None = None
    undo: str | None = None


@dataclass(frozen=True)
class Commit:
    """End the transaction here: what follows must see this committed (ADD ... NOT VALID, then
    VALIDATE in a transaction of its own)."""


@dataclass(frozen=True)
class Warning:
    """Something the user should know before running this step (a table rewrite, a long lock)."""

    text: str


@dataclass(frozen=True)
class Phase:
    """Where a phase of an expand/contract operation begins ("expand", "switch", "contract"):
    `pymig sql` prints it with what the application may do meanwhile."""

    name: str
    text: str = ""


@dataclass(frozen=True)
class Python:
    """A `run_python` function, called with the migration's connection."""

    fn: Callable
    label: str


@dataclass(frozen=True)
class Batched:
    """An UPDATE repeated over primary-key ranges until it touches no row.

    `first` updates the first batch; `after` holds `{after}`, where the executor puts the
    (quoted) last key of the previous batch. Both hold `{limit}` for the batch size and
    return the keys they updated. online=True: each batch commits on its own, outside the
    migration's DDL transaction, so row locks are short (tables that existed before)."""

    first: str
    after: str
    table: str
    key: str
    batch_size: int = 10_000
    online: bool = False
    count: str | None = None  # rows to go, for the progress report
    last: str | None = None  # the largest key when an online backfill starts: its batches stop there


@dataclass(frozen=True)
class Check:
    """A preflight check: the operation is refused when `query` returns rows.

    `query` returns the offending rows; the executor counts them and shows up to five. `message`
    may say `{count} {noun}` (filled in as "3 rows"); `setup` runs first, in the same savepoint
    (e.g. a pg_temp probe function), and is rolled back with it."""

    operation: str
    subject: str
    query: str
    message: str
    hint: str | None = None
    count_query: str | None = None  # an exact count (and optionally a group count) without the sample
    setup: tuple[str, ...] = ()
    noun: str = "row"


@dataclass
class Failure:
    """A check that found rows."""

    check: Check
    count: int
    sample: list = field(default_factory=list)
    columns: list = field(default_factory=list)
    groups: int | None = None  # duplicate groups, for unique checks
