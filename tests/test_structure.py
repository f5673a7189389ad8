"""The package's shape stays as docs/architecture.md describes it: no import cycle between pymig's
modules (imports inside functions count; `if TYPE_CHECKING:` blocks do not), no class over
210 lines, the hard limit of the project's ~200 (split a large one into mixins by concern, as the
dialects are), and no SQL spelled or dialect asked for outside pymig/dialects/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "pymig"
MAX_CLASS_LINES = 210


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict) -> set[str]:
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            found |= {target, *(f"{target}.{a.name}" for a in node.names)}
    return {m for m in found if m in known and m != name and m != "pymig"}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_class_over_210_lines():
    big = [f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
           for path in modules().values() for node in ast.walk(ast.parse(path.read_text()))
           if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES]
    assert big == []


# -- SQL and dialect names live in pymig/dialects/ ----------------------------------------------------
# Outside it, SQL text is only read (sqltext.py analyses user SQL with sqlglot; sqlimport.py turns
# SQL files into operations, keeping what it cannot convert as the user's own SQL), never spelled.
READS_SQL = {"pymig.sqltext", "pymig.sqlimport"}
STATEMENT = re.compile(r"(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE|ALTER|DROP|BEGIN|COMMIT|ROLLBACK|SAVEPOINT"
                       r"|PRAGMA|SET LOCAL|WITH|DO|LOCK TABLE|TRUNCATE|GRANT|REVOKE) ")
DIALECT_NAMES = {"postgres", "postgresql", "sqlite"}
OBJECTS = re.compile(r"(dialect|d|db|database|conn)$")


def _docstrings(tree) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def _outside_dialects():
    for name, path in modules().items():
        if not name.startswith("pymig.dialects"):
            yield name, path, ast.parse(path.read_text())


def sql_spelled(name: str, tree) -> list[str]:
    """String constants that start like a SQL statement (not docstrings, not sqlglot's warm-up)."""
    docs = _docstrings(tree) | {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
        else:
            continue
        if STATEMENT.match(text) and not (name == "pymig.fleet" and text == "SELECT 1"):
            found.append(f"{name}:{node.lineno} {text[:60]!r}")
    return found


def dialect_branches(name: str, tree) -> list[str]:
    """`x.name == "sqlite"`, `url.startswith("sqlite")`, `hasattr(dialect, ...)`, `getattr(db, ...)`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            names = [p for p in parts if isinstance(p, ast.Attribute) and p.attr == "name"]
            constants = {c.value for p in parts for c in ([p] if isinstance(p, ast.Constant) else
                                                          p.elts if isinstance(p, (ast.Tuple, ast.List, ast.Set)) else [])
                         if isinstance(c, ast.Constant)}
            if names and DIALECT_NAMES & constants or DIALECT_NAMES & constants and len(parts) == 2:
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and f.attr == "startswith" and node.args \
                    and isinstance(node.args[0], ast.Constant) and node.args[0].value in DIALECT_NAMES:
                found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
            if isinstance(f, ast.Name) and f.id in ("hasattr", "getattr") and node.args:
                target = ast.unparse(node.args[0]).split(".")[-1]
                if OBJECTS.match(target):
                    found.append(f"{name}:{node.lineno} {ast.unparse(node)}")
    return found


def test_no_sql_spelled_outside_the_dialects():
    assert [hit for name, _, tree in _outside_dialects() if name not in READS_SQL
            for hit in sql_spelled(name, tree)] == []


def test_nothing_outside_the_dialects_asks_which_dialect_it_has():
    assert [hit for name, _, tree in _outside_dialects() for hit in dialect_branches(name, tree)] == []


def test_the_rules_find_what_they_look_for():
    tree = ast.parse('def f(dialect, db, url):\n    """SELECT in a docstring is prose."""\n'
                     '    if dialect.name == "sqlite" or url.startswith("sqlite"):\n'
                     '        return getattr(db, "flush", None)\n'
                     '    db.execute(f"SELECT * FROM {url}")\n    raise ValueError("use ALTER TABLE: ...")\n')
    assert [h.split(" ", 1)[0] for h in sql_spelled("m", tree)] == ["m:5"]
    assert [h.split(" ", 1)[0] for h in dialect_branches("m", tree)] == ["m:3", "m:3", "m:4"]
