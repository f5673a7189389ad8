"""The example project in migrations/ (the seed document's history) through the real `pymig`
command: up, data round trip of the role conversion, down to zero, up again with the same catalog.
Also the message for the seed's unbuildable index predicate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pymig.errors import MigrationFileError
from pymig.loader import MigrationFile, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "migrations"


def pymig(url: str, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("pymig")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "pymig.cli"]
    return subprocess.run([*cmd, "--database-url", url, "--dir", str(EXAMPLE), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def ok(url: str, *args: str) -> str:
    done = pymig(url, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def catalog(conn) -> list[tuple]:
    """Columns, constraints and indexes of the public schema (pymig's own tables left out). Columns
    without their position: 008's type change of the live users table runs as expand/contract,
    which leaves the converted column last, and on PostgreSQL 18 names the column's NOT NULL
    constraint <table>_<column>_not_null where 007's rename had left users_role_new_not_null
    (docs/expand-contract.md, limits); nullability itself is compared in the column rows."""
    return conn.execute("""
        SELECT 'column', table_name::text, column_name || ' '
               || data_type || coalesce('(' || character_maximum_length || ')', '') || ' '
               || is_nullable || ' ' || coalesce(column_default, '')
        FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'pymig%'
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text, conname || ' ' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = 'public'::regnamespace
          AND conrelid::regclass::text NOT LIKE 'pymig%'
          AND contype <> 'n'
        UNION ALL
        SELECT 'index', tablename::text, indexdef
        FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'pymig%'
        ORDER BY 1, 2, 3
    """).fetchall()


def grants_and_types(conn) -> tuple[list, list]:
    """Migration 002's grant (to a role the tests create, helpers.TEST_ROLES) and 008's enum type."""
    grants = conn.execute("""
        SELECT grantee::text, privilege_type::text FROM information_schema.role_table_grants
        WHERE table_schema = 'public' AND grantee = 'authenticated_user' ORDER BY 2""").fetchall()
    types = conn.execute("""
        SELECT t.typname::text, e.enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
        WHERE t.typnamespace = 'public'::regnamespace ORDER BY t.typname, e.enumsortorder""").fetchall()
    return grants, types


def roles(conn) -> list[tuple]:
    return conn.execute("SELECT email, role FROM users ORDER BY id").fetchall()


def test_example_round_trips_schema_and_role_data(db_url, pg_conn):
    ok(db_url, "up", "--to", "6")
    pg_conn.execute("INSERT INTO users (email, role) VALUES ('a@x.org', 'admin'), ('u@x.org', 'user'), "
                    "('o@x.org', 'other')")
    assert "expanded" in ok(db_url, "up")  # 008 on a table in use: expand/contract
    ok(db_url, "complete")
    first = catalog(pg_conn)
    assert roles(pg_conn) == [("a@x.org", "administrator"), ("u@x.org", "regular_user"),
                              ("o@x.org", "regular_user")]
    pg_conn.execute("INSERT INTO users (email, role) VALUES ('m@x.org', 'moderator')")

    ok(db_url, "down", "--steps", "2")
    # other -> regular_user -> user: the seed's ELSE branch forgets it; moderator is kept
    assert roles(pg_conn) == [("a@x.org", "admin"), ("u@x.org", "user"), ("o@x.org", "user"),
                              ("m@x.org", "moderator")]
    ok(db_url, "up")
    assert roles(pg_conn) == [("a@x.org", "administrator"), ("u@x.org", "regular_user"),
                              ("o@x.org", "regular_user"), ("m@x.org", "moderator")]

    assert grants_and_types(pg_conn) == ([("authenticated_user", "INSERT"), ("authenticated_user", "SELECT"),
                                           ("authenticated_user", "UPDATE")], [("user_role", "administrator"),
                                                                               ("user_role", "regular_user"),
                                                                               ("user_role", "moderator")])
    # 007 carries role_new back into role first, so only the end loses data: the tables with rows
    refused = pymig(db_url, "down", "--to", "0")
    assert refused.returncode == 1 and "007" not in refused.stderr, refused.stderr
    assert "001_initial_schema.py: drop_table users: 4 rows" in refused.stderr, refused.stderr
    ok(db_url, "down", "--to", "0", "--allow-data-loss")
    assert catalog(pg_conn) == [] and grants_and_types(pg_conn) == ([], [])
    ok(db_url, "up")
    assert catalog(pg_conn) == first
    assert ("index", "sessions", "CREATE INDEX idx_active_sessions ON public.sessions USING btree "
            "(user_id, expires_at)") in first


def test_seed_index_predicate_with_now_is_refused_naming_now(tmp_path):
    path = tmp_path / "006_add_performance_indexes.py"
    path.write_text('from pymig import create_index\noperations = [create_index("sessions", ["user_id"], '
                    'name="idx_active_sessions", where="expires_at > NOW()")]\n')
    with pytest.raises(MigrationFileError) as e:
        load(MigrationFile(6, "add_performance_indexes", path))
    message = str(e.value)
    assert "006_add_performance_indexes.py" in message
    assert "create_index idx_active_sessions on sessions" in message
    assert "calls now(), which is not IMMUTABLE" in message
    assert "current_timestamp" not in message
