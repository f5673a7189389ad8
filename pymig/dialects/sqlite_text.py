"""Reading SQLite's SQL text on sqlglot's tokenizer: the CREATE TABLE and CREATE INDEX statements
SQLite stores, and expressions translated from PostgreSQL's spelling."""

from __future__ import annotations

import functools
import re
import sqlite3
from dataclasses import dataclass, field

from ..errors import PymigError
from ..schema import Constraint, Index, View
from ..types import canonical_type
from .statements import Statements

# PostgreSQL functions with an SQLite spelling; the rest of an expression is kept as written.
_FUNCTIONS = {
    "now": "CURRENT_TIMESTAMP",  # UTC, 'YYYY-MM-DD HH:MM:SS'
    "transaction_timestamp": "CURRENT_TIMESTAMP",
    "statement_timestamp": "CURRENT_TIMESTAMP",
    "gen_random_uuid": (  # a version 4 UUID as text
        "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) "
        "|| '-' || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' "
        "|| hex(randomblob(6)))"
    ),
}
_TYPE_WORDS = {"precision", "varying", "with", "without", "time", "zone"}  # later words of a type name
_COLUMN_CLAUSES = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
                   "GENERATED", "AS", "NOT", "NULL"}

def _tokens(text: str, brackets: bool) -> list[tuple[str, str, str]]:
    """(kind, text, whitespace and comments before it), from sqlglot's tokenizer; `brackets`:
    [name] is a quoted name (SQLite), not a subscript (PostgreSQL)."""
    from ..sqltext import tokens

    out, last = [], 0
    for t in tokens(text, "sqlite" if brackets else "postgres"):
        out.append((t.kind, t.text, text[last:t.start]))
        last = t.end
    if last < len(text):
        out.append(("end", "", text[last:]))
    return out


@dataclass
class _Group:
    """A parenthesised part of an expression."""

    items: list
    ws: str = ""
    close_ws: str = ""


def _tree(tokens) -> list:
    stack: list[_Group] = [_Group([])]
    for tok in tokens:
        if tok[1] == "(":
            stack.append(_Group([], tok[2]))
        elif tok[1] == ")" and len(stack) > 1:
            group = stack.pop()
            group.close_ws = tok[2]
            stack[-1].items.append(group)
        else:
            stack[-1].items.append(tok)
    while len(stack) > 1:  # unbalanced: keep the text as it was
        group = stack.pop()
        stack[-1].items.append(("op", "(", group.ws))
        stack[-1].items.extend(group.items)
    return stack[0].items


def _text(item) -> str:
    if isinstance(item, _Group):
        return item.ws + "(" + "".join(_text(i) for i in item.items) + item.close_ws + ")"
    return item[2] + item[1]


def _render(items: list, dialect) -> str:
    out: list[tuple[str, str]] = []  # (text with its leading whitespace, kind)
    i = 0
    while i < len(items):
        item = items[i]
        if isinstance(item, _Group):
            out.append((item.ws + "(" + _render(item.items, dialect) + item.close_ws + ")", "group"))
            i += 1
            continue
        kind, text, ws = item
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (kind == "word" and text.lower() in _FUNCTIONS and isinstance(nxt, _Group)
                and not "".join(_text(x) for x in nxt.items).strip()):
            out.append((ws + _FUNCTIONS[text.lower()], "group"))
            i += 2
            continue
        if text == "::" and out:
            operand = [out.pop()]
            if operand[0][1] == "group" and out and out[-1][1] == "word":  # a function call
                operand.insert(0, out.pop())
            while len(out) >= 2 and out[-1][0].strip() == "." and out[-2][1] in ("word", "quoted"):
                operand[:0] = [out.pop(-2), out.pop()]  # a qualified name
            type_text, i = _cast_type(items, i + 1)
            body = "".join(t for t, _ in operand)
            lead = body[: len(body) - len(body.lstrip())]
            target = dialect.sqlite_type(canonical_type(type_text).type)
            out.append((f"{lead}CAST({body.strip()} AS {target})", "group"))
            continue
        out.append((ws + text, kind))
        i += 1
    return "".join(t for t, _ in out)


def _cast_type(items: list, i: int) -> tuple[str, int]:
    """The type after `::` (`double precision`, `varchar(20)`, `text[]`) and where it ends."""
    if i >= len(items) or isinstance(items[i], _Group) or items[i][0] != "word":
        raise PymigError("malformed cast: expected a type name after ::")
    words = [items[i][1]]
    i += 1
    while i < len(items) and not isinstance(items[i], _Group) and items[i][0] == "word" \
            and items[i][1].lower() in _TYPE_WORDS:
        words.append(items[i][1])
        i += 1
    text = " ".join(words)
    if i < len(items) and isinstance(items[i], _Group) and not items[i].ws:
        text += "(" + "".join(_text(x) for x in items[i].items) + ")"
        i += 1
    while i + 1 < len(items) and not isinstance(items[i], _Group) and items[i][1] == "[" \
            and not isinstance(items[i + 1], _Group) and items[i + 1][1] == "]":
        text += "[]"
        i += 2
    return text, i


def _unquote(text: str) -> str:
    if text[:1] == '"' and text[-1:] == '"':
        return text[1:-1].replace('""', '"')
    if text[:1] == "`" and text[-1:] == "`":
        return text[1:-1].replace("``", "`")
    if text[:1] == "[" and text[-1:] == "]":
        return text[1:-1]
    return text


@dataclass
class _ColumnInfo:
    autoincrement: bool = False
    collation: str | None = None


@dataclass
class _Parsed:
    columns: dict[str, _ColumnInfo] = field(default_factory=dict)  # by lower-case name
    constraints: list[Constraint] = field(default_factory=list)  # names may be empty: unnamed
    options: str = ""  # what follows the column list: WITHOUT ROWID, STRICT


def _split(tokens: list, sep: str = ",") -> list[list]:
    """Split at top-level `sep` tokens."""
    parts, depth, current = [], 0, []
    for tok in tokens:
        if tok[1] == "(":
            depth += 1
        elif tok[1] == ")":
            depth -= 1
        if tok[1] == sep and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(tok)
    parts.append(current)
    return [p for p in parts if p]


def _source(tokens: list) -> str:
    return "".join(ws + text for _, text, ws in tokens).strip()


def _inside(tokens: list) -> list:
    """The tokens between the first '(' and its matching ')'."""
    depth = 0
    for i, tok in enumerate(tokens):
        if tok[1] == "(":
            depth += 1
            if depth == 1:
                start = i + 1
        elif tok[1] == ")":
            depth -= 1
            if depth == 0:
                return tokens[start:i]
    return []


def _names(tokens: list) -> list[str]:
    """Column names of a PRIMARY KEY / UNIQUE / FOREIGN KEY list (COLLATE, ASC, DESC dropped)."""
    return [_unquote(part[0][1]) for part in _split(_inside(tokens))]


def _upper(tok) -> str:
    return tok[1].upper() if tok[0] == "word" else ""


def _parse_table(sql: str) -> _Parsed:
    """Constraint names, CHECK expressions, AUTOINCREMENT and COLLATE from a CREATE TABLE: SQLite
    reports them nowhere else."""
    tokens = [t for t in _tokens(sql, brackets=True) if t[0] != "end"]
    start = next(i for i, t in enumerate(tokens) if t[1] == "(")
    body = _inside(tokens[start:])
    result = _Parsed(options=" " + _source(tokens[start + len(body) + 2:]) if len(tokens) > start + len(body) + 2 else "")
    for item in _split(body):
        head = _upper(item[0])
        if head in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            name = None
            if head == "CONSTRAINT":
                name, item = _unquote(item[1][1]), item[2:]
            result.constraints.append(_table_constraint(name, item))
        else:
            _column(item, result)
    return result


def _table_constraint(name: str | None, tokens: list) -> Constraint:
    head = _upper(tokens[0])
    definition = _source(tokens)
    if head == "PRIMARY":
        return Constraint(name, "primary_key", tuple(_names(tokens)), definition=definition)
    if head == "UNIQUE":
        return Constraint(name, "unique", tuple(_names(tokens)), definition=definition)
    if head == "CHECK":
        return Constraint(name, "check", (), _source(_inside(tokens)), definition=definition)
    refs = next(i for i, t in enumerate(tokens) if _upper(t) == "REFERENCES")
    return Constraint(name, "foreign_key", tuple(_names(tokens[:refs])), ref_table=_unquote(tokens[refs + 1][1]),
                      definition=definition)


def _column(tokens: list, result: _Parsed) -> None:
    """A column definition: its constraints become the table-level ones they mean."""
    col = _unquote(tokens[0][1])
    info = result.columns.setdefault(col.lower(), _ColumnInfo())
    clauses, depth, rest = [], 0, tokens[1:]
    for i, tok in enumerate(rest):
        word = _upper(tok)
        prev = _upper(rest[i - 1]) if i else ""
        after = _upper(rest[i + 1]) if i + 1 < len(rest) else ""
        starts = (depth == 0 and word in _COLUMN_CLAUSES and prev != "CONSTRAINT"
                  and not (word == "NULL" and prev in ("NOT", "SET", "DEFAULT"))
                  and not (word == "NOT" and after == "DEFERRABLE")
                  and not (word == "AS" and prev == "ALWAYS"))
        depth += (tok[1] == "(") - (tok[1] == ")")
        if starts:
            clauses.append([tok])
        elif clauses:
            clauses[-1].append(tok)
    name = None
    for clause in clauses:
        head = _upper(clause[0])
        if head == "CONSTRAINT":
            name = _unquote(clause[1][1]) if len(clause) > 1 else None
            continue
        quoted = Statements.quote(col)
        if head == "PRIMARY":
            info.autoincrement = any(_upper(t) == "AUTOINCREMENT" for t in clause)
            result.constraints.append(Constraint(name, "primary_key", (col,), definition=f"PRIMARY KEY ({quoted})"))
        elif head == "UNIQUE":
            result.constraints.append(Constraint(name, "unique", (col,), definition=f"UNIQUE ({quoted})"))
        elif head == "CHECK":
            expr = _source(_inside(clause))
            result.constraints.append(Constraint(name, "check", (col,), expr, definition=f"CHECK ({expr})"))
        elif head == "REFERENCES":
            result.constraints.append(Constraint(name, "foreign_key", (col,), ref_table=_unquote(clause[1][1]),
                                                 definition=f"FOREIGN KEY ({quoted}) {_source(clause)}"))
        elif head == "COLLATE":
            info.collation = _unquote(clause[1][1])
        name = None


def _parse_view(name: str, sql: str) -> View:
    """CREATE VIEW name [(columns)] AS query: SQLite keeps the statement as it was written."""
    tokens = [t for t in _tokens(sql, brackets=True) if t[0] != "end"]
    depth, at = 0, None
    for i, tok in enumerate(tokens):
        depth += (tok[1] == "(") - (tok[1] == ")")
        if depth == 0 and _upper(tok) == "AS":
            at = i
            break
    head = tokens[:at]
    columns = tuple(_names(head)) if any(t[1] == "(" for t in head) else ()
    return View(name, _source(tokens[at + 1:]), False, columns)


def _parse_index(sql: str, name: str, table: str) -> Index:
    tokens = [t for t in _tokens(sql, brackets=True) if t[0] != "end"]
    unique = _upper(tokens[1]) == "UNIQUE"
    start = next(i for i, t in enumerate(tokens) if t[1] == "(")
    inner = _inside(tokens[start:])
    rest = tokens[start + len(inner) + 2:]
    where = _source(rest[1:]) if rest and _upper(rest[0]) == "WHERE" else None
    columns = tuple(_source(part) for part in _split(inner))
    return Index(name, table, columns, unique, where, None, sql)


@functools.cache
def _bare(name: str) -> bool:
    """Whether `name` means the same column without its quotes (no keyword, no odd character);
    SQLite's own parser decides."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return False
    conn = sqlite3.connect(":memory:")
    try:
        return conn.execute(f"SELECT {name} FROM (SELECT 'pymig' AS \"{name}\")").fetchone() == ("pymig",)
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _unquoted(expr: str) -> str:
    """`"email" <> ''` -> `email <> ''`: names quoted only where they need it, as PostgreSQL prints
    expressions. SQLite's RENAME COLUMN quotes the names it rewrites; without this, renaming a
    column and back would change how its CHECK reads."""
    out = []
    for kind, text, ws in _tokens(expr, brackets=True):
        if kind == "quoted" and text.startswith('"') and _bare(_unquote(text)):
            text = _unquote(text)
        out.append(ws + text)
    return "".join(out)


def _is_literal(text: str) -> bool:
    """What SQLite takes after DEFAULT without parentheses."""
    from ..sqltext import is_literal

    return is_literal(text, "sqlite")
