"""Migration files: `NNN_description.py` -> Migration. No database here.

Listing and checksumming never import a file (so `pymig status` stays fast on long histories);
`load` imports one and validates every operation before anything is applied."""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from .errors import MigrationFileError, PymigError

FILENAME = re.compile(r"^(\d+)_(\w+)\.py$")
LOOKS_LIKE_MIGRATION = re.compile(r"^\d.*\.py$")


@dataclass(frozen=True)
class MigrationFile:
    version: int
    name: str  # the part after the number: "add_avatar" for 004_add_avatar.py
    path: Path

    @property
    def label(self) -> str:
        return display_path(self.path)

    def checksum(self) -> str:
        return checksum(self.path.read_bytes())

    def matches(self, recorded: str) -> bool:
        """The file still says what it said when `recorded` was taken. The bytes are compared first
        (cheap, and the usual case); only a file whose bytes changed is parsed. A checksum of 0.1,
        over the bytes alone, is compared as such."""
        source = self.path.read_bytes()
        digest = hashlib.sha256(source).hexdigest()
        if not recorded.startswith(CHECKSUM_PREFIX):
            return recorded == digest
        syntax, _, raw = recorded[len(CHECKSUM_PREFIX):].partition(":")
        return raw == digest or syntax == _syntax_digest(source)


CHECKSUM_PREFIX = "ast1:"


def checksum(source: bytes) -> str:
    """A migration's checksum: that of its syntax tree without docstrings, which is what counts, and
    that of its bytes, which is quick to compare. Comments, layout and quoting (a formatter run over
    migrations/) change nothing that runs, so they do not make an applied migration "modified"; any
    change to operations or to run_python code does. Parsing needs no import."""
    return f"{CHECKSUM_PREFIX}{_syntax_digest(source)}:{hashlib.sha256(source).hexdigest()}"


def _syntax_digest(source: bytes) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return hashlib.sha256(source).hexdigest()  # it will not load anyway
    stack: list[ast.AST] = [tree]  # statements only: a docstring's module, function or class is one
    while stack:
        node = stack.pop()
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if isinstance(block, list):
                stack.extend(n for n in block if isinstance(n, _HOLDERS))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


# where statements (and so functions and classes) nest: a statement's blocks, except handlers, match cases
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case)


@dataclass(frozen=True)
class Migration:
    file: MigrationFile
    description: str
    operations: tuple
    checksum: str
    module: object = None

    @property
    def version(self) -> int:
        return self.file.version

    @property
    def name(self) -> str:
        return self.file.name


def display_path(path: Path) -> str:
    if not path.is_absolute() and ".." not in path.parts:
        return str(path)  # already relative to the current directory; resolve() costs ~0.2 ms a file
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def discover(directory: Path, notice=None) -> list[MigrationFile]:
    """The migration files, by version. `notice(text)` hears of files that look like migrations
    but are ignored: a misnamed module (`02-add.py`) or SQL (`001_init.sql`)."""
    if not directory.is_dir():
        if directory.exists():
            raise MigrationFileError(f"the migrations directory {display_path(directory)} is a file, not a directory",
                                     hint="point --dir (or [tool.pymig] migrations) at the directory holding it")
        raise MigrationFileError(f"migrations directory {display_path(directory)} does not exist",
                                 hint="create it with `pymig new NAME`, or point --dir at it")
    files: dict[int, MigrationFile] = {}
    for path in sorted(directory.iterdir()):
        m = FILENAME.match(path.name)
        if not m or not path.is_file():
            if notice is not None and path.is_file():
                _notice_ignored(path, notice)
            continue
        mf = MigrationFile(int(m[1]), m[2], path)
        if mf.version in files:
            raise MigrationFileError(
                f"duplicate migration version {mf.version}: {files[mf.version].label} and {mf.label}",
                hint="renumber one of them",
            )
        files[mf.version] = mf
    return [files[v] for v in sorted(files)]


def _notice_ignored(path: Path, notice) -> None:
    if path.suffix.lower() == ".sql":
        notice(f"notice: {display_path(path)} is ignored: pymig migrations are Python modules; "
               "`pymig import` turns SQL migration files into them")
    elif LOOKS_LIKE_MIGRATION.match(path.name):
        digits = re.match(r"\d+", path.name)[0]
        slug = re.sub(r"\W+", "_", path.name[len(digits):-3]).strip("_") or "description"
        notice(f"notice: {display_path(path)} is ignored: a migration is named NNN_description.py "
               f"(rename it, e.g. to {digits.zfill(3)}_{slug}.py)")


def exec_without_bytecode(spec, module) -> None:
    """Run a user's module without writing a __pycache__ next to it: the migrations directory keeps
    only what the user put there (and the checksum is of the source anyway)."""
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = before


def load(mf: MigrationFile, validate: bool = True) -> Migration:
    """Import a migration; with validate, also check every operation's SQL fragments."""
    from .ops import Operation

    source = mf.path.read_bytes()
    module_name = f"pymig_migrations.m{mf.version}_{abs(hash(str(mf.path)))}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, mf.path)
        module = importlib.util.module_from_spec(spec)
        module.__pymig_version__ = mf.version  # its run_python functions are stored by version and name
        sys.modules[module_name] = module
        exec_without_bytecode(spec, module)
    except (Exception, SystemExit) as e:  # anything a user's file can raise on import, exit() too
        sys.modules.pop(module_name, None)
        raise MigrationFileError(f"{mf.label}{_line(e, mf.path)}: {_reason(e)}", getattr(e, "hint", None)) from e
    ops = getattr(module, "operations", None)
    if not isinstance(ops, (list, tuple)):
        raise MigrationFileError(f"{mf.label}: no top-level `operations` list",
                                 hint="define operations = [ ... ] in the module")
    for i, op in enumerate(ops, 1):
        if not isinstance(op, Operation):
            raise MigrationFileError(f"{mf.label}: operations[{i - 1}] is {op!r}, not a pymig operation")
        try:
            if validate:
                op.validate()
        except PymigError as e:
            raise MigrationFileError(f"{mf.label}: operation {i} ({op.describe()}): {e.message}", e.hint) from e
    doc = (module.__doc__ or "").strip()
    description = doc.splitlines()[0] if doc else mf.name.replace("_", " ")
    return Migration(mf, description, tuple(ops), checksum(source), module)


class FunctionFinder:
    """Finds the run_python functions of a stored inverse plan again, for a down run: by the
    migration's version in the migrations directory as it is now (the checkout may have moved
    since `up`), or by module for a function imported from elsewhere."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._modules: dict[int, object] = {}

    def __call__(self, ref):
        if isinstance(ref, list):  # format 1 (0.1): [absolute path of the file, qualified name]
            m = FILENAME.match(Path(ref[0]).name)
            if not m:
                raise PymigError(f"the run_python function {ref[1]} lived in {ref[0]}, which is not a migration file")
            ref = {"migration": int(m[1]), "name": ref[1]}
        name = ref["name"]
        if "module" in ref:
            obj, where = importlib.import_module(ref["module"]), f"module {ref['module']}"
        else:
            obj = self._migration(ref["migration"], name)
            where = display_path(self._files[ref["migration"]].path)
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if not callable(obj):
            raise PymigError(f"{where} no longer defines {name}, needed to roll it back",
                             hint="restore the function to roll this migration back")
        return obj

    def _migration(self, version: int, name: str):
        if version not in self._modules:
            self._files = {f.version: f for f in discover(self.directory)}
            if version not in self._files:
                raise PymigError(f"the run_python function {name} is in migration {version}, which "
                                 f"{display_path(self.directory)} no longer has",
                                 hint="restore the migration file to roll this migration back")
            self._modules[version] = load(self._files[version], validate=False).module
        return self._modules[version]


def _line(e: Exception, path: Path) -> str:
    if isinstance(e, SyntaxError) and e.lineno:
        return f":{e.lineno}"
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():  # frames carry absolute paths
            return f":{frame.lineno}"
    return ""


def _reason(e: BaseException) -> str:
    if isinstance(e, SystemExit):
        return (f"the module calls exit({e.code!r}) while being imported: a migration module defines "
                "`operations` and must not exit")
    if isinstance(e, PymigError):
        return e.message
    if isinstance(e, SyntaxError):
        return f"syntax error: {e.msg}"
    return f"{type(e).__name__}: {e}"
