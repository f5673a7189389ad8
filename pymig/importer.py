"""`pymig import`: a folder of SQL migrations (the seed's runner, Flyway, golang-migrate, dbmate)
as pymig modules, each keeping its version and name.

Layouts (detected from the file names, and for dbmate from its `-- migrate:up` marker):
  seed            NNN_name.sql, with an optional NNN_name_down.sql
  flyway          V<n>__name.sql, with an optional U<n>__name.sql (undo)
  golang-migrate  <n>_name.up.sql and <n>_name.down.sql
  dbmate          <n>_name.sql holding `-- migrate:up` and `-- migrate:down` sections

Statements become operations in sqlimport. The down file is compared with pymig's derived inverse
(by the schema each leaves), and its statements become the down= of the run_sql blocks that
remain; what cannot be paired leaves the migration irreversible, and the report says so. Every
file is converted and every module loaded back before anything is written to the migrations
directory. With --adopt-history the source tool's history table says which imported versions the
target database has: they are recorded as applied (not run), in one transaction."""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .dialects.adoption import FOREIGN_HISTORY, record_marked
from .errors import ConfigError, PymigError
from .loader import MigrationFile, discover, display_path, load

FORMATS = ("seed", "flyway", "golang-migrate", "dbmate")
_PATTERNS = {
    "golang-migrate": re.compile(r"^(\d+)_(\w+)\.(up|down)\.sql$"),
    "flyway": re.compile(r"^([VU])(\d+)__(\w+)\.sql$"),
    "seed": re.compile(r"^(\d+)_(\w+?)(_down)?\.sql$"),
    "dbmate": re.compile(r"^(\d+)_(\w+)\.sql$"),
}


class SourceError(PymigError):
    """A source folder pymig cannot import as it is; nothing was written."""


@dataclass
class Source:
    version: int
    name: str
    up: Path
    down: Path | None = None
    up_text: str = ""
    down_text: str | None = None


@dataclass
class Imported:
    """One converted migration: the module source, and the report lines about it."""

    source: Source
    filename: str
    module: str
    lines: list[str] = field(default_factory=list)
    irreversible: bool = False


# -- finding the files -----------------------------------------------------------------------------

def find_sources(directory: Path, fmt: str | None, allow_gaps: bool = False) -> tuple[str, list[Source]]:
    if not directory.is_dir():
        raise ConfigError(f"source folder {display_path(directory)} does not exist")
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix == ".sql")
    if not files:
        raise SourceError(f"{display_path(directory)} holds no .sql files; nothing was written")
    texts = {p: _read(p) for p in files}
    fmt = fmt or _detect(files, texts, directory)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    sources = _pair(fmt, files, texts, directory)
    versions = sorted(sources)
    if fmt in ("seed", "flyway") and not allow_gaps:
        missing = sorted(set(range(versions[0], versions[-1] + 1)) - set(versions))
        if missing:
            raise SourceError(
                f"{display_path(directory)}: {_versions(missing)} missing between "
                f"{versions[0]} and {versions[-1]} (a gap: a file lost, or renumbered?); nothing was written",
                hint="restore the missing file, or pass --allow-gaps when the numbers were skipped on purpose")
    return fmt, [sources[v] for v in versions]


def _versions(missing: list[int]) -> str:
    if len(missing) == 1:
        return f"version {missing[0]} is"
    return f"versions {', '.join(map(str, missing))} are"


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise SourceError(f"{display_path(path)} is not UTF-8 text (byte {e.start}: {e.reason}); nothing was "
                           "written", hint="convert it, e.g. iconv -f latin1 -t utf-8") from None


def _detect(files: list[Path], texts: dict, directory: Path) -> str:
    names = [p.name for p in files]
    if all(_PATTERNS["golang-migrate"].match(n) for n in names):
        return "golang-migrate"
    if all(_PATTERNS["flyway"].match(n) for n in names):
        return "flyway"
    if all(_PATTERNS["dbmate"].match(n) for n in names) and any(_dbmate_marker(t) for t in texts.values()):
        return "dbmate"
    if all(_PATTERNS["seed"].match(n) for n in names):
        return "seed"
    odd = next(n for n in names if not any(p.match(n) for p in _PATTERNS.values()))  \
        if not all(any(p.match(n) for p in _PATTERNS.values()) for n in names) else names[0]
    raise SourceError(
        f"{display_path(directory)}: cannot tell the format from the file names (e.g. {odd}); nothing was written",
        hint="pass --format seed (NNN_name.sql + NNN_name_down.sql), flyway (V1__name.sql), "
             "golang-migrate (1_name.up.sql + 1_name.down.sql) or dbmate (1_name.sql with -- migrate:up)")


def _dbmate_marker(text: str) -> bool:
    return any(line.strip().lower().startswith("-- migrate:up") for line in text.splitlines())


def _pair(fmt: str, files: list[Path], texts: dict, directory: Path) -> dict[int, Source]:
    ups: dict[int, Source] = {}
    downs: dict[int, Path] = {}
    for p in files:
        m = _PATTERNS[fmt].match(p.name)
        if not m:
            raise SourceError(f"{display_path(p)} is not a {fmt} migration file name; nothing was written",
                               hint=_NAMING[fmt])
        version, name, is_down = _parts(fmt, m)
        if is_down:
            if version in downs:
                raise SourceError(f"two down files for version {version}: {display_path(downs[version])} and "
                                   f"{display_path(p)}; nothing was written")
            downs[version] = p
            continue
        if version in ups:
            raise SourceError(f"duplicate version {version}: {display_path(ups[version].up)} and {display_path(p)}; "
                               "nothing was written", hint="renumber one of them")
        ups[version] = Source(version, name, p, up_text=texts[p])
    for version, p in sorted(downs.items()):
        if version not in ups:
            raise SourceError(f"{display_path(p)} is a down file without an up file (no version {version} "
                               "migration); nothing was written", hint="remove it, or restore its up file")
        ups[version].down, ups[version].down_text = p, texts[p]
    if fmt == "dbmate":
        for s in ups.values():
            s.up_text, s.down_text = _dbmate_sections(s.up, s.up_text)
    return ups


_NAMING = {"seed": "expected NNN_name.sql or NNN_name_down.sql",
           "flyway": "expected V1__name.sql or U1__name.sql (pymig versions are whole numbers: V1.1 and repeatable "
                     "R__ files have no equivalent)",
           "golang-migrate": "expected 1_name.up.sql or 1_name.down.sql", "dbmate": "expected 1_name.sql"}


def _parts(fmt: str, m) -> tuple[int, str, bool]:
    if fmt == "golang-migrate":
        return int(m[1]), m[2], m[3] == "down"
    if fmt == "flyway":
        return int(m[2]), m[3], m[1] == "U"
    if fmt == "seed":
        return int(m[1]), m[2], bool(m[3])
    return int(m[1]), m[2], False


def _dbmate_sections(path: Path, text: str) -> tuple[str, str | None]:
    up, down, current = [], [], None
    for line in text.splitlines(keepends=True):
        marker = line.strip().lower()
        if marker.startswith("-- migrate:up"):
            current = up
        elif marker.startswith("-- migrate:down"):
            current = down
        elif current is not None:
            current.append(line)
    if current is None:
        raise SourceError(f"{display_path(path)} has no `-- migrate:up` section; nothing was written")
    return "".join(up), ("".join(down) if "".join(down).strip() else None)


# -- converting ------------------------------------------------------------------------------------

def convert_source(s: Source, fmt: str, before: list, width: int) -> Imported:
    """One source migration as a module, laid out to `width`; `before` holds the operations of the
    earlier ones."""
    from .sqlimport import convert, split
    from .writer import Commented, module_source, operation_source

    up = convert(split(s.up_text))
    lines, items = [], []
    dropped = [c for c in up if not c.operations]
    if dropped:
        lines.append(f"  {' / '.join(dict.fromkeys(_short(c.statement.text, 20)[1:-1] for c in dropped))} dropped: "
                     "pymig runs each migration in its own transaction")
    for c in up:
        first = _short(c.statement.text, 100)[1:-1]
        if not c.operations:
            continue
        kinds = ", ".join(o.kind for o in c.operations)
        lines.append(f"  {first} -> {kinds}" + (f" ({c.why})" if c.why else ""))
        if c.warning:
            lines.append(f"    warning: {c.warning}")
        for k, op in enumerate(c.operations):
            note = "\n".join(c.statement.comments) if k == 0 else ""
            items.append(Commented(note, op) if note else op)
    ops = [i.operation if isinstance(i, Commented) else i for i in items]
    ops, irreversible, down_lines = _with_down(s, ops, before)
    items = [Commented(i.comment, op) if isinstance(i, Commented) else op for i, op in zip(items, ops)]
    lines += down_lines
    description = _description(s, fmt, up)
    module = module_source(description, items, width)
    for op in ops:
        operation_source(op)  # every operation can be written back (writer raises otherwise)
    return Imported(s, f"{s.version:03d}_{s.name}.py", module, lines, irreversible)


def _description(s: Source, fmt: str, up) -> str:
    header = up[0].statement.comments if up else []
    title = next((c.split(":", 1)[1].strip() for c in header if c.lower().startswith("migration:")), None)
    title = title or s.name.replace("_", " ").capitalize()
    origin = f"Imported by `pymig import` from {s.up.name}" + (f" and {s.down.name}" if s.down else "") + \
        f" ({fmt} format)."
    return f"{title.rstrip('.')}.\n\n{origin}"


def _with_down(s: Source, ops: list, before: list) -> tuple[list, bool, list[str]]:
    """The down file: compared with the derived inverse; its SQL becomes the down= of run_sql blocks."""
    from dataclasses import replace

    from .adopt import _follow
    from .ops import RunSQL
    from .schema import Schema
    from .sqlimport import convert, created, derived_down, dropped, split

    start = Schema()
    for op in before:
        start = _follow(op, start)
    after = start
    for op in ops:
        after = _follow(op, after)
    lines = []
    open_sql = [i for i, op in enumerate(ops) if isinstance(op, RunSQL) and op.down is None]
    if s.down_text is None:
        lines.append("  no down file: `pymig down` uses the inverse pymig derives")
        down_sql, down_drops = [], []
    else:
        down = [c for c in convert(split(s.down_text)) if c.operations]
        down_ops = [op for c in down for op in c.operations]
        down_sql = [c.statement.text for c in down if any(isinstance(o, RunSQL) for o in c.operations)]
        # the DROPs that became operations (DROP TABLE): they may undo a CREATE the up file keeps as SQL
        down_drops = [c.statement.text for c in down if c.statement.text not in down_sql]
        undone = after
        for op in down_ops:
            undone = _follow(op, undone)
        label = f"down file {s.down.name}" if s.down else "the migrate:down section"
        if _same(undone, start):
            lines.append(f"  {label}: agrees with the inverse pymig derives (it is used)")
        else:
            lines.append(f"  {label}: MISMATCH: it leaves {_describe(undone, start)}; "
                         "`pymig down` uses the inverse pymig derives")
    for i in list(open_sql):  # a CREATE of an object with the down file's DROP of the same object
        made = created(ops[i].up)
        match = next((d for d in down_sql + down_drops if made and (gone := dropped(d)) and gone.key == made.key),
                     None)
        if match is not None:
            ops[i] = replace(ops[i], down=match)
            (down_sql if match in down_sql else down_drops).remove(match)
            open_sql.remove(i)
            lines.append(f"  run_sql {_short(ops[i].up)}: down= {_short(match)} (from the down file)")
    if open_sql and len(down_sql) == len(open_sql):
        for i, text in zip(open_sql, reversed(down_sql)):
            ops[i] = replace(ops[i], down=text)
            lines.append(f"  run_sql {_short(ops[i].up)}: down= {_short(text)} (from the down file)")
        open_sql = []
    elif open_sql and len(open_sql) == 1 and down_sql:
        ops[open_sql[0]] = replace(ops[open_sql[0]], down=";\n".join(reversed(down_sql)))
        lines.append(f"  run_sql {_short(ops[open_sql[0]].up)}: down= the down file's SQL statements")
        open_sql = []
    for i in list(open_sql):  # a CREATE of something new is undone by its DROP
        undo = derived_down(ops[i].up)
        if undo is not None:
            ops[i] = replace(ops[i], down=undo)
            open_sql.remove(i)
            lines.append(f"  run_sql {_short(ops[i].up)}: down= {_short(undo)} (derived: the DROP of what it creates)")
    for i in open_sql:
        lines.append(f"  IRREVERSIBLE: run_sql {_short(ops[i].up)} has no statement in the down file that undoes "
                     "it; `pymig down` refuses this migration (add down= by hand)")
    return ops, bool(open_sql), lines


def _same(a, b) -> bool:
    def shape(s):
        return ({n: (tuple((c.name, c.type, c.nullable, c.default) for c in t.columns),
                     tuple(sorted(c.name for c in t.constraints))) for n, t in s.tables.items()},
                set(s.indexes))

    return shape(a) == shape(b)


def _describe(undone, start) -> str:
    extra = sorted(set(undone.tables) - set(start.tables))
    missing = sorted(set(start.tables) - set(undone.tables))
    parts = [f"table {t} that was not there before" for t in extra] + [f"table {t} dropped" for t in missing]
    for t in sorted(set(undone.tables) & set(start.tables)):
        now, was = undone.tables[t], start.tables[t]
        names, before = [c.name for c in now.columns], [c.name for c in was.columns]
        parts += [f"column {t}.{c} that was not there before" for c in names if c not in before]
        parts += [f"column {t}.{c} dropped" for c in before if c not in names]
        parts += [f"column {t}.{c.name} changed" for c in now.columns if c.name in before and c != was.column(c.name)]
    parts += [f"index {i} that was not there before" for i in sorted(set(undone.indexes) - set(start.indexes))]
    parts += [f"index {i} dropped" for i in sorted(set(start.indexes) - set(undone.indexes))]
    return ", ".join(parts) or "columns or constraints other than before"


def _short(text: str, width: int = 50) -> str:
    one = " ".join(text.split())
    return repr(one[:width] + ("..." if len(one) > width else ""))


# -- the command -----------------------------------------------------------------------------------

def run(config: Config, source_dir: Path, fmt: str | None, adopt_history: bool, allow_gaps: bool, echo) -> None:
    from dataclasses import replace

    from .adopt import _write

    fmt, sources = find_sources(Path(source_dir), fmt, allow_gaps)
    target = config.migrations
    existing = {f.version: f for f in discover(target)} if target.is_dir() else {}
    for s in sources:
        if s.version in existing:
            raise SourceError(f"version {s.version} is taken: {existing[s.version].label} already exists, so "
                               f"{display_path(s.up)} cannot be imported; nothing was written")
    imported, before, loaded, width = [], [], {}, config.line_length
    with tempfile.TemporaryDirectory(prefix="pymig_import_") as tmp:
        for s in sources:
            item = convert_source(s, fmt, before, width)
            path = Path(tmp) / item.filename
            path.write_text(item.module)
            m = load(MigrationFile(s.version, s.name, path))  # it loads and validates, or nothing is written
            loaded[s.version] = replace(m, file=MigrationFile(s.version, s.name, target / item.filename))
            before += list(m.operations)
            imported.append(item)
        echo(f"importing {len(sources)} {fmt} migration{'s' if len(sources) != 1 else ''} from "
             f"{display_path(Path(source_dir))}")
        for item in imported:
            echo(f"{display_path(item.source.up)} -> {display_path(target / item.filename)}")
            for line in item.lines:
                echo(line)
        with _target(config, adopt_history, echo) as connection:
            if connection is not None:  # everything checked and derived before a file is written
                dialect, db = connection
                versions, statements, unknown = adoption(db, dialect, fmt, imported, {**_loaded(existing), **loaded})
            target.mkdir(parents=True, exist_ok=True)
            for item in imported:
                shutil.copyfile(Path(tmp) / item.filename, target / item.filename)
            irreversible = [i.filename for i in imported if i.irreversible]
            echo(f"{len(imported)} migration{'s' if len(imported) != 1 else ''} written to {display_path(target)}"
                 + (f"; irreversible: {', '.join(irreversible)}" if irreversible else ""))
            if connection is None:
                return
            if unknown:
                echo(f"note: {FOREIGN_HISTORY[fmt][0]} also lists {', '.join(unknown)}, which no file of "
                     f"{display_path(Path(source_dir))} has: not recorded (is the folder behind the database?)")
            if not versions:
                echo("the source history records none of the imported versions: nothing to adopt")
                return
            try:
                _write(db, dialect, statements)
            except Exception as e:
                text = db.error_text(e) or str(e)
                raise PymigError(f"the files were written, but recording the history failed: {text}",
                                 hint=f"`pymig mark {' '.join(map(str, versions))}` records it") from None
    echo(f"adopted the {fmt} history: {len(versions)} migration{'s' if len(versions) != 1 else ''} recorded as "
         f"applied (not run): {', '.join(loaded[v].file.label for v in versions)}; the old table is left as it was")


@contextmanager
def _target(config: Config, adopt_history: bool, echo):
    """The target database, under the runner lock, when the history is to be adopted."""
    if not adopt_history:
        yield None
        return
    from .commands import connected

    with connected(config, lock=True, echo=echo) as connection:
        yield connection


def _loaded(files: dict) -> dict:
    return {v: load(f) for v, f in files.items()}


# -- --adopt-history -------------------------------------------------------------------------------

def applied_versions(db, dialect, fmt: str, imported: list[Imported]) -> tuple[list[int], list[str]]:
    """The imported versions the source tool's history table records as applied, and the versions
    it records that no imported file has (said, not recorded: the folder may be behind the database)."""
    table, query = FOREIGN_HISTORY[fmt]
    if not db.rows(dialect.table_exists(table))[0][0]:
        raise PymigError(f"the database has no {table} table, so there is no {fmt} history to adopt; "
                         "nothing was written",
                         hint="`pymig mark VERSION...` records migrations by hand")
    versions = {i.source.version for i in imported}
    rows = db.rows(query)
    if fmt == "seed":  # the runner records file stems: 001_initial_schema
        by_stem = {i.source.up.stem: i.source.version for i in imported}
        found = [by_stem[str(v)] for (v, *_) in rows if str(v) in by_stem]
        unknown = [str(v) for (v, *_) in rows if str(v) not in by_stem]
    elif fmt == "golang-migrate":  # one row: the version reached, and whether it failed halfway
        if rows and rows[0][1]:
            raise PymigError(f"{table} says version {rows[0][0]} is dirty (it failed halfway); nothing was written",
                             hint="fix the database and the table with `migrate force`, then import again")
        found = [v for v in versions if rows and v <= int(rows[0][0])]
        unknown = [str(rows[0][0])] if rows and int(rows[0][0]) not in versions else []
    elif fmt == "flyway":
        found = _flyway_applied(rows, versions)
        unknown = [str(v) for v, kind in rows if kind not in ("BASELINE", "SCHEMA") and not kind.startswith("UNDO")
                   and not (str(v).strip().isdigit() and int(v) in versions)]
    else:
        found = [int(v) for (v, *_) in rows if str(v).strip().isdigit() and int(v) in versions]
        unknown = [str(v) for (v, *_) in rows if not (str(v).strip().isdigit() and int(v) in versions)]
    return sorted(set(found)), sorted(set(unknown))


def _flyway_applied(rows, versions: set[int]) -> set[int]:
    """Flyway's rows in the order they were installed: a BASELINE row stands for every version up
    to it (Flyway ignores the files below it), an UNDO row takes its version back."""
    found: set[int] = set()
    for v, kind in rows:
        if not str(v).strip().isdigit():
            continue  # a dotted version (1.1) no imported file has
        n = int(v)
        if kind == "BASELINE":
            found |= {x for x in versions if x <= n}
        elif kind.startswith("UNDO"):
            found.discard(n)
        elif n in versions:
            found.add(n)
    return found


def adoption(db, dialect, fmt: str, imported: list[Imported], loaded: dict) -> tuple[list[int], list[str], list[str]]:
    """The versions to record, the statements that record them and the history's versions no
    imported file has; refuses, before anything is
    written, when pymig already has one of them or the database plainly lacks what one creates."""
    from .adopt import _json, _require_present, derive_plan
    from .history import current_user, read_records
    from .names import schemas_named

    versions, unknown = applied_versions(db, dialect, fmt, imported)
    recorded = {r.version for r in read_records(db, dialect)}
    taken = [v for v in versions if v in recorded]
    if taken:
        raise PymigError(f"migration {taken[0]} is already in pymig's history; nothing was written")
    live = dialect.introspect(db, schemas_named(op for m in loaded.values() for op in m.operations))
    statements, user = [], current_user()
    for v in versions:
        before = [loaded[x] for x in sorted(loaded) if x < v]
        _require_present(loaded[v], before, live)
        plan = derive_plan(loaded[v], before)
        statements += record_marked(dialect, v, loaded[v].name, loaded[v].checksum, user, _json(plan))
    return versions, statements, unknown
