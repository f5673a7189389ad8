"""Equivalent projects for pymig, Alembic, yoyo and plain psql, generated from one list of changes.

History of length N: migration 1 creates the tables, then N migrations each add a nullable column
to one of them, or (every third one) index the column added just before. Every tool gets the same
statements with the same names, so the final catalogs are identical (tests/test_benchmarks_smoke.py
checks it), and each tool's inverse undoes exactly what its forward did.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TABLES = ("accounts", "orders", "products", "events")
# (pymig / SQL spelling, SQLAlchemy spelling): types whose ADD COLUMN is catalog-only in every tool
TYPES = (
    ("integer", "sa.Integer()"),
    ("text", "sa.Text()"),
    ("bigint", "sa.BigInteger()"),
    ("boolean", "sa.Boolean()"),
    ("timestamp with time zone", "sa.DateTime(timezone=True)"),
    ("numeric(12,2)", "sa.Numeric(12, 2)"),
)


@dataclass(frozen=True)
class Change:
    """One migration, described once; each writer below spells it for its tool."""

    version: int  # 1-based position in the history
    kind: str  # "create_tables" | "add_column" | "create_index"
    table: str = ""
    column: str = ""
    type_index: int = 0

    @property
    def slug(self) -> str:
        if self.kind == "create_tables":
            return "create_tables"
        if self.kind == "add_column":
            return f"add_{self.table}_{self.column}"
        return f"index_{self.table}_{self.column}"

    @property
    def index_name(self) -> str:
        return f"ix_{self.table}_{self.column}"

    @property
    def sql_type(self) -> str:
        return TYPES[self.type_index][0]

    def up_sql(self) -> list[str]:
        if self.kind == "create_tables":
            return [f"CREATE TABLE {t} (id bigint NOT NULL, CONSTRAINT {t}_pkey PRIMARY KEY (id))" for t in TABLES]
        if self.kind == "add_column":
            return [f"ALTER TABLE {self.table} ADD COLUMN {self.column} {self.sql_type}"]
        return [f"CREATE INDEX {self.index_name} ON {self.table} ({self.column})"]

    def down_sql(self) -> list[str]:
        if self.kind == "create_tables":
            return [f"DROP TABLE {t}" for t in reversed(TABLES)]
        if self.kind == "add_column":
            return [f"ALTER TABLE {self.table} DROP COLUMN {self.column}"]
        return [f"DROP INDEX {self.index_name}"]


def changes(n: int) -> list[Change]:
    """The table creation, then n column/index migrations: n + 1 migrations in all."""
    out = [Change(1, "create_tables")]
    for i in range(1, n + 1):
        if i % 3 == 0:  # index the column migration i - 1 added (i - 1 is never a multiple of 3)
            prev = out[-1]
            out.append(Change(i + 1, "create_index", prev.table, prev.column))
        else:
            out.append(Change(i + 1, "add_column", TABLES[i % len(TABLES)], f"c{i}", i % len(TYPES)))
    return out


# -- pymig --------------------------------------------------------------------------------------

def _pymig_source(c: Change) -> str:
    if c.kind == "create_tables":
        body = "\n".join(f'    create_table("{t}", column("id", "bigint", primary_key=True)),' for t in TABLES)
    elif c.kind == "add_column":
        body = f'    add_column("{c.table}", "{c.column}", "{c.sql_type}"),'
    else:
        body = f'    create_index("{c.table}", "{c.column}", name="{c.index_name}"),'
    return (f'"""{c.slug.replace("_", " ").capitalize()}."""\n\n'
            "from pymig import add_column, column, create_index, create_table  # noqa: F401\n\n"
            f"operations = [\n{body}\n]\n")


def write_pymig(root: Path, history: list[Change]) -> Path:
    directory = root / "migrations"
    directory.mkdir(parents=True)
    for c in history:
        (directory / f"{c.version:04d}_{c.slug}.py").write_text(_pymig_source(c))
    return root


# -- Alembic ------------------------------------------------------------------------------------

ALEMBIC_INI = """[alembic]
script_location = %(here)s/alembic
sqlalchemy.url = {url}

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARN
handlers = console
qualname =

[logger_sqlalchemy]
level = WARN
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""

# The `alembic init` generic template, with transaction_per_migration=True: like pymig (and yoyo),
# each migration commits on its own with its version update, so a failure keeps the ones before it.
ALEMBIC_ENV = '''from logging.config import fileConfig

from sqlalchemy import engine_from_config, pool

from alembic import context

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name)
target_metadata = None


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"},
                      transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''

_SA_TYPES = {name: sa for name, sa in TYPES}


def _alembic_revision(c: Change) -> str:
    return f"{c.version:012d}"


def _alembic_source(c: Change, down: str | None) -> str:
    if c.kind == "create_tables":
        up = "\n".join(f'    op.create_table("{t}", sa.Column("id", sa.BigInteger(), autoincrement=False, '
                       f'nullable=False), sa.PrimaryKeyConstraint("id", name="{t}_pkey"))' for t in TABLES)
        down_body = "\n".join(f'    op.drop_table("{t}")' for t in reversed(TABLES))
    elif c.kind == "add_column":
        up = f'    op.add_column("{c.table}", sa.Column("{c.column}", {_SA_TYPES[c.sql_type]}, nullable=True))'
        down_body = f'    op.drop_column("{c.table}", "{c.column}")'
    else:
        up = f'    op.create_index("{c.index_name}", "{c.table}", ["{c.column}"])'
        down_body = f'    op.drop_index("{c.index_name}", table_name="{c.table}")'
    return (f'"""{c.slug.replace("_", " ").capitalize()}."""\n'
            "import sqlalchemy as sa\n\nfrom alembic import op\n\n"
            f'revision = "{_alembic_revision(c)}"\n'
            f"down_revision = {down!r}\n"
            "branch_labels = None\ndepends_on = None\n\n\n"
            f"def upgrade():\n{up}\n\n\ndef downgrade():\n{down_body}\n")


def write_alembic(root: Path, history: list[Change], url: str) -> Path:
    scripts = root / "alembic"
    (scripts / "versions").mkdir(parents=True)
    (root / "alembic.ini").write_text(ALEMBIC_INI.replace("{url}", sqlalchemy_url(url).replace("%", "%%")))
    (scripts / "env.py").write_text(ALEMBIC_ENV)
    (scripts / "script.py.mako").write_text('"""${message}"""\n')  # only `alembic revision` reads it
    down = None
    for c in history:
        rev = _alembic_revision(c)
        (scripts / "versions" / f"{rev}_{c.slug}.py").write_text(_alembic_source(c, down))
        down = rev
    return root


# -- yoyo ---------------------------------------------------------------------------------------

def _yoyo_source(c: Change, depends: str | None) -> str:
    steps = []
    ups, downs = c.up_sql(), c.down_sql()
    if c.kind == "create_tables":  # one step per table: its rollback drops it
        steps = [f"    step({u!r}, {d!r})," for u, d in zip(ups, reversed(downs))]
    else:
        steps = [f"    step({ups[0]!r}, {downs[0]!r}),"]
    deps = f"__depends__ = {{{depends!r}}}\n" if depends else ""
    return (f'"""{c.slug.replace("_", " ").capitalize()}."""\n'
            "from yoyo import step\n\n"
            f"{deps}\nsteps = [\n" + "\n".join(steps) + "\n]\n")


def write_yoyo(root: Path, history: list[Change]) -> Path:
    """Like `yoyo new` writes them: each migration depends on the one before."""
    directory = root / "migrations"
    directory.mkdir(parents=True)
    previous = None
    for c in history:
        name = f"{c.version:04d}_{c.slug}"
        (directory / f"{name}.py").write_text(_yoyo_source(c, previous))
        previous = name
    return root


# -- psql floor ---------------------------------------------------------------------------------

def write_psql(root: Path, history: list[Change]) -> Path:
    """up.sql and down.sql: the bare statements, no transactions, no bookkeeping."""
    root.mkdir(parents=True)
    up = [s for c in history for s in c.up_sql()]
    down = [s for c in reversed(history) for s in c.down_sql()]
    (root / "up.sql").write_text("".join(f"{s};\n" for s in up))
    (root / "down.sql").write_text("".join(f"{s};\n" for s in down))
    return root


# -- all of them --------------------------------------------------------------------------------

def sqlalchemy_url(url: str) -> str:
    """postgresql://... as SQLAlchemy and yoyo spell it for psycopg 3."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgres", "postgresql") else url


@dataclass(frozen=True)
class Projects:
    n: int
    history: list[Change]
    pymig: Path
    alembic: Path
    yoyo: Path
    psql: Path


def generate(root: Path, n: int, alembic_url: str) -> Projects:
    """All four projects for a history of n changes, under root/<tool>. Alembic keeps its database
    URL in alembic.ini (that is where its users keep it); the others get it on the command line."""
    history = changes(n)
    return Projects(
        n, history,
        write_pymig(root / "pymig", history),
        write_alembic(root / "alembic", history, alembic_url),
        write_yoyo(root / "yoyo", history),
        write_psql(root / "psql", history),
    )
