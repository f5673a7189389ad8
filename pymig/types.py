"""User-written SQL types in PostgreSQL's canonical spelling, the one `format_type()` prints.

Users write `VARCHAR(255)`, `serial`, `timestamptz`; the catalog says `character varying(255)`,
`integer` with a sequence default, `timestamp with time zone`. Canonicalising at load time lets
the state built from the DSL compare with the catalog, and keeps inverses exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import PymigError

_ALIASES = {
    "int": "integer", "int4": "integer", "integer": "integer",
    "bigint": "bigint", "int8": "bigint",
    "smallint": "smallint", "int2": "smallint",
    "bool": "boolean", "boolean": "boolean",
    "float": "double precision", "float8": "double precision", "double precision": "double precision",
    "float4": "real", "real": "real",
    "decimal": "numeric", "numeric": "numeric",
    "varchar": "character varying", "character varying": "character varying",
    "char": "character", "character": "character", "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamp without time zone": "timestamp without time zone",
    "timestamptz": "timestamp with time zone", "timestamp with time zone": "timestamp with time zone",
    "time": "time without time zone", "time without time zone": "time without time zone",
    "timetz": "time with time zone", "time with time zone": "time with time zone",
}
# A serial column is kept as the pseudo-type itself: introspection folds an integer column that
# owns its sequence and defaults to nextval() back into `serial`, so both sides compare.
_SERIALS = {
    "serial": "serial", "serial4": "serial",
    "bigserial": "bigserial", "serial8": "bigserial",
    "smallserial": "smallserial", "serial2": "smallserial",
}
SERIAL_BASE = {"serial": "integer", "bigserial": "bigint", "smallserial": "smallint"}
_TYPE = re.compile(
    r"""^\s*(?P<base>(?:[a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*(?:\s+[a-z_][a-z0-9_]*)*?)\s*  # schema.type too
        (?:\(\s*(?P<mods>\d+(?:\s*,\s*-?\d+)?)\s*\))?
        (?P<tz>\s+with(?:out)?\s+time\s+zone)?
        (?P<array>(?:\s*\[\s*\d*\s*\])*)\s*$""",
    re.X | re.I,
)


@dataclass(frozen=True)
class ColumnType:
    type: str  # canonical
    serial: bool = False  # implies NOT NULL


def canonical_type(text: str) -> ColumnType:
    """Parse a user-written type; raise PymigError for anything that is not a well-formed type."""
    if not isinstance(text, str) or not text.strip():
        raise PymigError(f"invalid SQL type {text!r}")
    quoted = text.strip()
    if quoted.startswith('"'):  # a quoted user-defined type name is kept as written
        if not re.fullmatch(r'"[^"]+"(\[\])*', quoted):
            raise PymigError(f"invalid SQL type {text!r}")
        return ColumnType(quoted)
    m = _TYPE.match(text)
    if not m:
        raise PymigError(f"invalid SQL type {text!r}")
    base = " ".join(m["base"].lower().split())
    mods = re.sub(r"\s+", "", m["mods"]) if m["mods"] else None
    tz = " ".join(m["tz"].lower().split()) if m["tz"] else None
    array = "[]" * m["array"].count("[")
    serial = base in _SERIALS
    if serial:
        if mods or tz or array:
            raise PymigError(f"invalid SQL type {text!r}: serial types take no modifiers")
        return ColumnType(_SERIALS[base], serial=True)
    if tz:
        base = f"{base} {tz}"
    name = _ALIASES.get(base, base)
    if name == "character" and not mods:
        mods = "1"
    if mods:
        mods_text = f"({mods})"
        if name.startswith(("timestamp", "time ")):
            head, _, zone = name.partition(" ")
            name = f"{head}{mods_text} {zone}"
        else:
            name = f"{name}{mods_text}"
    return ColumnType(name + array)


def type_modifiers(canonical: str) -> tuple[str, tuple[int, ...]]:
    """Split `character varying(255)` into ('character varying', (255,)); used by checks."""
    m = re.match(r"^([a-z ]+?)(?:\((\d+)(?:,(-?\d+))?\))?( with(?:out)? time zone)?$", canonical)
    if not m:
        return canonical, ()
    mods = tuple(int(x) for x in m.groups()[1:3] if x is not None)
    return m[1] + (m[4] or ""), mods


STRING_TYPES = ("text", "character varying", "character")
INTEGER_RANGES = {"smallint": (-32768, 32767), "integer": (-2147483648, 2147483647),
                  "bigint": (-9223372036854775808, 9223372036854775807)}
FLOAT_TYPES = ("real", "double precision")


def family(canonical: str) -> tuple[str, tuple[int, ...]]:
    """`type_modifiers`, with the serial pseudo-types read as the integers they are."""
    return type_modifiers(SERIAL_BASE.get(canonical, canonical))


def converts_without_using(old: str, new: str) -> bool:
    """Whether ALTER COLUMN ... TYPE converts `old` to `new` by itself (an assignment cast: to a
    string type, or between number types), so an inverse needs no USING."""
    o, n = family(old)[0], family(new)[0]
    numbers = ("numeric", *INTEGER_RANGES, *FLOAT_TYPES)
    return n in STRING_TYPES or (o in numbers and n in numbers)

