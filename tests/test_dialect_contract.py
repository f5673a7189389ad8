"""A dialect is the two interfaces of pymig/dialects/base.py and one registration (docs/architecture.md,
"Adding a dialect"): both databases implement every member the Database protocol declares, and a
URL scheme registered for a third dialect reaches it through the configuration like the built-in ones."""

from __future__ import annotations

import pytest

from pymig import dialects
from pymig.config import load_config
from pymig.dialects.base import Database, Dialect
from pymig.dialects.postgres import PostgresDatabase, PostgresDialect
from pymig.dialects.sqlite import SqliteDatabase, SqliteDialect


def declared(protocol) -> set[str]:
    return {n for n in vars(protocol) if not n.startswith("_")} | set(protocol.__annotations__)


@pytest.mark.parametrize("database", [PostgresDatabase, SqliteDatabase], ids=["postgresql", "sqlite"])
def test_each_database_has_every_declared_member(database):
    assert {"execute", "defer", "transaction_state", "hold_commit", "flush", "batch_size", "groups_migrations"} <= declared(Database)
    assert sorted(m for m in declared(Database) if not hasattr(database, m)) == []


@pytest.mark.parametrize("dialect", [PostgresDialect, SqliteDialect], ids=["postgresql", "sqlite"])
def test_each_dialect_says_its_capabilities(dialect):
    """The executor, lint and the operations read these flags, never the dialect's name."""
    for flag in ("online_recipes", "compatible_renames", "lock_timeout", "multi_statement", "script_form"):
        assert hasattr(Dialect, flag) and hasattr(dialect, flag)


class ThirdDialect(SqliteDialect):
    """A stand-in for a third database: SQLite under another URL scheme."""

    name = "thirddb"

    def check_url(self, url: str) -> None:
        super().check_url(url.replace("thirddb:", "sqlite:", 1))

    def connect(self, url: str):
        return super().connect(url.replace("thirddb:", "sqlite:", 1))


def test_a_registered_scheme_reaches_its_dialect(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(dialects.REGISTRY, "thirddb", f"{__name__}:ThirdDialect")
    url = f"thirddb:///{tmp_path}/app.db"
    config = load_config(database_url=url)  # refused before: "unsupported database URL scheme 'thirddb'"
    assert config.database_url == url
    dialect = dialects.for_url(config.database_url)
    assert isinstance(dialect, ThirdDialect)
    db = dialect.connect(url)
    try:
        db.execute("CREATE TABLE t (id integer PRIMARY KEY)")
        assert list(dialect.introspect(db).tables) == ["t"]
    finally:
        db.close()


def test_an_unknown_scheme_is_refused_without_showing_the_url(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from pymig.errors import ConfigError

    with pytest.raises(ConfigError, match="unsupported database URL scheme 'mysql'") as e:
        load_config(database_url="mysql://root:S3CRET@db/app")
    assert "S3CRET" not in str(e.value)
