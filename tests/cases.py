"""The shared table of operation cases: every DSL operation and its important variants.

One table drives three suites: test_render.py (forward and inverse SQL, no database),
test_state.py (the inverse undoes the state change; inverses survive their JSON form) and
test_roundtrip.py (up, down, up again on a real PostgreSQL, catalog compared at each stage).

A case is: `setup` (operations that build the schema before it, applied as an earlier
migration), `ops` (the operations under test, one migration), and per dialect the statements
pymig renders for them (`sql`) and for their derived inverse (`down_sql`), plus the preflight
checks they run (`checks`, `down_checks`; none when absent). Expected text is keyed by dialect
name, so another dialect adds its own entries per case without changing the shape of the table.
Preflight checks are compared by their message (what they refuse); their queries run for real,
against data, in the round trip.

Steps are compared as text (see `step_text`): an Sql step is its statement, annotated when it
runs outside a transaction, only under a condition, or has an undo; the other step kinds are
spelled as `-- ...` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from pymig import (add_check, add_column, add_foreign_key, add_unique, alter_column, backfill, column,
                   create_index, create_table, drop_column, drop_constraint, drop_index, drop_table,
                   preflight, rename_column, rename_index, rename_table, run_python, run_sql, sql)
from pymig.loader import FunctionFinder
from pymig.ops import RenameTable
from pymig.schema import Schema
from pymig.steps import Batched, Check, Commit, Python, Sql, Warning

PG = "postgresql"
SQLITE = "sqlite"


@dataclass(frozen=True)
class Case:
    id: str
    ops: list
    sql: dict[str, list[str]]  # dialect name -> forward statements (step_text of each step)
    down_sql: dict[str, list[str]]  # dialect name -> statements of the derived inverse
    setup: list = field(default_factory=list)
    checks: dict[str, list[str]] = field(default_factory=dict)  # what the preflight checks of `ops` refuse
    down_checks: dict[str, list[str]] = field(default_factory=dict)  # ... of the inverse
    rows: list[str] = field(default_factory=list)  # SQL run after setup: the data the ops work on
    # A query valid before, after and after the revert; its rows must come back after the revert
    # and, when `data_after` is given, equal it after the migration.
    data: str | None = None
    data_after: list[tuple] | None = None
    # run_sql / run_python change the schema in ways pymig cannot follow: these operations say
    # what they do, so the round trip can predict the catalog after them.
    state_ops: list | None = None
    # dialect name -> the error pymig gives when it loads the migration, for what that database
    # has no meaning for (a GIN index on SQLite); such a case has no expected SQL for the dialect
    refused: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.id


# -- schemas the cases start from -------------------------------------------------------------

USERS = create_table(
    "users",
    column("id", "serial", primary_key=True),
    column("email", "varchar(255)", nullable=False),
    column("name", "text"),
)
POSTS = create_table(
    "posts",
    column("id", "bigserial", primary_key=True),
    column("user_id", "integer", nullable=False, references="users", on_delete="cascade"),
    column("title", "text", nullable=False),
)
SOME_USERS = [
    "INSERT INTO users (email, name) VALUES ('ada@example.com', 'ada'), ('bob@example.com', 'bob'), "
    "('cy@example.org', 'cy'), ('dee@example.com', 'dee'), ('eve@example.org', 'eve')",
]


def add_guest(conn):
    """run_python up: the connection is the migration's own, inside its transaction."""
    conn.execute("INSERT INTO users (email, name) VALUES ('guest@example.com', 'guest')")


def remove_guest(conn):
    conn.execute("DELETE FROM users WHERE email = 'guest@example.com'")


# Finds the run_python functions of this module again when a stored inverse is decoded.
resolve = FunctionFinder(Path(__file__).parent)


def every(expected: list[str]) -> dict[str, list[str]]:
    """The same expected text on every dialect (a check's message, a plain statement)."""
    return {PG: expected, SQLITE: expected}


def rebuild(table: str, columns: str, copied: str, select: str | None = None, *, serial: bool = True,
            then: list[str] = (), fk_check: list[str] = ()) -> list[str]:
    """The statements of an SQLite table rebuild: the new definition under a temporary name
    (`columns`: its column and constraint lines), the rows copied (`select`: what is copied into
    `copied`, by default the same columns), the AUTOINCREMENT counter carried over (`serial`),
    the old table dropped, the new one renamed in place; then its indexes and triggers (`then`)
    and the foreign-key check of the tables in `fk_check`."""
    new = f'"pymig_new_{table}"'
    steps = [f"CREATE TABLE {new} (\n{columns}\n)",
             f'INSERT INTO {new} ({copied})\nSELECT {select or copied} FROM "{table}"']
    if serial:
        steps += [f"DELETE FROM sqlite_sequence WHERE name = 'pymig_new_{table}'",
                  f"INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_{table}', seq "
                  f"FROM sqlite_sequence WHERE name = '{table}'"]
    steps += [f'DROP TABLE "{table}"', "PRAGMA legacy_alter_table = ON", f'ALTER TABLE {new} RENAME TO "{table}"',
              "PRAGMA legacy_alter_table = OFF", *then]
    if fk_check:
        source = " UNION ALL ".join(f"SELECT * FROM pragma_foreign_key_check('{t}')" for t in fk_check)
        steps.append(f'-- check: SELECT "table", rowid, parent FROM ({source})')
    return steps


CASES: list[Case] = [
    # -- create_table --------------------------------------------------------------------------
    Case(
        "create_table_column_types",
        ops=[create_table(
            "accounts",
            column("id", "serial", primary_key=True),
            column("email", "varchar(255)", nullable=False, unique=True),
            column("bio", "text"),
            column("created_at", "timestamptz", nullable=False, default=sql("CURRENT_TIMESTAMP")),
            column("last_seen", "timestamp"),
            column("settings", "jsonb", nullable=False, default=sql("'{}'::jsonb")),
            column("tags", "text[]", nullable=False, default=sql("'{}'")),
            column("balance", "numeric(10,2)", nullable=False, default=0, check="balance >= 0"),
            column("role", "varchar(20)", nullable=False, default="member"),
            column("is_admin", "boolean", default=False),
            unique=[("email", "role")],
            checks={"accounts_role_known": "role IN ('member', 'admin')"},
        )],
        sql={PG: [
            'CREATE TABLE "accounts" (\n'
            '    "id" serial NOT NULL,\n'
            '    "email" character varying(255) NOT NULL,\n'
            '    "bio" text,\n'
            '    "created_at" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,\n'
            '    "last_seen" timestamp without time zone,\n'
            '    "settings" jsonb DEFAULT \'{}\'::jsonb NOT NULL,\n'
            '    "tags" text[] DEFAULT \'{}\' NOT NULL,\n'
            '    "balance" numeric(10,2) DEFAULT 0 NOT NULL,\n'
            '    "role" character varying(20) DEFAULT \'member\' NOT NULL,\n'
            '    "is_admin" boolean DEFAULT false,\n'
            '    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),\n'
            '    CONSTRAINT "accounts_email_key" UNIQUE ("email"),\n'
            '    CONSTRAINT "accounts_balance_check" CHECK (balance >= 0),\n'
            '    CONSTRAINT "accounts_email_role_key" UNIQUE ("email", "role"),\n'
            '    CONSTRAINT "accounts_role_known" CHECK (role IN (\'member\', \'admin\'))\n'
            ')',
        ], SQLITE: [
            'CREATE TABLE "accounts" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "accounts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "email" VARCHAR(255) NOT NULL,\n'
            '    "bio" TEXT,\n'
            '    "created_at" TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP NOT NULL,\n'
            '    "last_seen" TIMESTAMP,\n'
            '    "settings" JSONB TEXT DEFAULT (CAST(\'{}\' AS JSONB TEXT)) NOT NULL,\n'
            '    "tags" TEXT[] DEFAULT \'{}\' NOT NULL,\n'
            '    "balance" NUMERIC(10,2) DEFAULT 0 NOT NULL,\n'
            '    "role" VARCHAR(20) DEFAULT \'member\' NOT NULL,\n'
            '    "is_admin" BOOLEAN DEFAULT false,\n'
            '    CONSTRAINT "accounts_email_key" UNIQUE ("email"),\n'
            '    CONSTRAINT "accounts_balance_check" CHECK (balance >= 0),\n'
            '    CONSTRAINT "accounts_email_role_key" UNIQUE ("email", "role"),\n'
            '    CONSTRAINT "accounts_role_known" CHECK (role IN (\'member\', \'admin\'))\n'
            ')',
        ]},
        down_sql=every([
            'DROP TABLE "accounts"',
        ]),
        down_checks=every([
            'table "accounts" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "create_table_references",
        setup=[USERS],
        ops=[create_table(
            "comments",
            column("id", "bigserial", primary_key=True),
            column("user_id", "integer", nullable=False, references="users", on_delete="cascade"),
            column("editor_id", "integer", references="users(id)", on_delete="set null"),
            column("parent_id", "bigint", references="comments", on_delete="restrict"),
            column("body", "text", nullable=False),
        )],
        sql={PG: [
            'CREATE TABLE "comments" (\n'
            '    "id" bigserial NOT NULL,\n'
            '    "user_id" integer NOT NULL,\n'
            '    "editor_id" integer,\n'
            '    "parent_id" bigint,\n'
            '    "body" text NOT NULL,\n'
            '    CONSTRAINT "comments_pkey" PRIMARY KEY ("id"),\n'
            '    CONSTRAINT "comments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ON DELETE CASCADE,\n'
            '    CONSTRAINT "comments_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL,\n'
            '    CONSTRAINT "comments_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "comments" ON DELETE RESTRICT\n'
            ')',
        ], SQLITE: [
            'CREATE TABLE "comments" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "comments_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "user_id" INTEGER NOT NULL,\n'
            '    "editor_id" INTEGER,\n'
            '    "parent_id" BIGINT,\n'
            '    "body" TEXT NOT NULL,\n'
            '    CONSTRAINT "comments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ON DELETE CASCADE,\n'
            '    CONSTRAINT "comments_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL,\n'
            '    CONSTRAINT "comments_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "comments" ON DELETE RESTRICT\n'
            ')',
        ]},
        down_sql=every([
            'DROP TABLE "comments"',
        ]),
        down_checks=every([
            'table "comments" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "create_table_composite_primary_key",
        setup=[USERS],
        ops=[create_table(
            "memberships",
            column("user_id", "integer", primary_key=True, references="users"),
            column("group_name", "varchar(50)", primary_key=True),
            column("joined_at", "timestamptz", nullable=False, default=sql("now()")),
        )],
        sql={PG: [
            'CREATE TABLE "memberships" (\n'
            '    "user_id" integer NOT NULL,\n'
            '    "group_name" character varying(50) NOT NULL,\n'
            '    "joined_at" timestamp with time zone DEFAULT now() NOT NULL,\n'
            '    CONSTRAINT "memberships_pkey" PRIMARY KEY ("user_id", "group_name"),\n'
            '    CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"\n'
            ')',
        ], SQLITE: [
            'CREATE TABLE "memberships" (\n'
            '    "user_id" INTEGER NOT NULL,\n'
            '    "group_name" VARCHAR(50) NOT NULL,\n'
            '    "joined_at" TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP NOT NULL,\n'
            '    CONSTRAINT "memberships_pkey" PRIMARY KEY ("user_id", "group_name"),\n'
            '    CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"\n'
            ')',
        ]},
        down_sql=every([
            'DROP TABLE "memberships"',
        ]),
        down_checks=every([
            'table "memberships" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "create_table_then_index",
        ops=[
            create_table("events", column("id", "bigserial", primary_key=True),
                         column("kind", "text", nullable=False), column("at", "timestamptz", nullable=False)),
            create_index("events", ["kind", "at DESC"]),
        ],
        sql={PG: [
            'CREATE TABLE "events" (\n'
            '    "id" bigserial NOT NULL,\n'
            '    "kind" text NOT NULL,\n'
            '    "at" timestamp with time zone NOT NULL,\n'
            '    CONSTRAINT "events_pkey" PRIMARY KEY ("id")\n'
            ')',
            'CREATE INDEX "events_kind_at_idx" ON "events" ("kind", "at" DESC)',
        ], SQLITE: [
            'CREATE TABLE "events" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "events_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "kind" TEXT NOT NULL,\n'
            '    "at" TIMESTAMPTZ NOT NULL\n'
            ')',
            'CREATE INDEX "events_kind_at_idx" ON "events" ("kind", "at" DESC)',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "events_kind_at_idx"',
            'DROP TABLE "events"',
        ], SQLITE: [
            'DROP INDEX "events_kind_at_idx"',
            'DROP TABLE "events"',
        ]},
        down_checks=every([
            'table "events" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    # -- drop_table ----------------------------------------------------------------------------
    Case(
        "drop_table_checked",
        setup=[create_table("tags", column("id", "serial", primary_key=True),
                            column("label", "text", nullable=False, unique=True))],
        ops=[drop_table("tags")],
        sql=every([
            'DROP TABLE "tags"',
        ]),
        down_sql={PG: [
            'CREATE TABLE "tags" (\n'
            '    "id" serial NOT NULL,\n'
            '    "label" text NOT NULL,\n'
            '    CONSTRAINT "tags_pkey" PRIMARY KEY ("id"),\n'
            '    CONSTRAINT "tags_label_key" UNIQUE ("label")\n'
            ')',
        ], SQLITE: [
            'CREATE TABLE "tags" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "tags_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "label" TEXT NOT NULL,\n'
            '    CONSTRAINT "tags_label_key" UNIQUE ("label")\n'
            ')',
        ]},
        checks=every([
            'table "tags" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "tags" holds {count} {noun}, which dropping it would lose',
        ]),
    ),
    Case(
        "drop_table_with_indexes_and_foreign_key",
        setup=[
            USERS, POSTS,
            add_unique("posts", ["user_id", "title"]),
            add_check("posts", "posts_title_not_blank", "title <> ''"),
            create_index("posts", ["lower(title)"], name="posts_title_lower_idx"),
            create_index("posts", ["id DESC"], where="user_id > 0"),
        ],
        rows=SOME_USERS + ["INSERT INTO posts (user_id, title) VALUES (1, 'hello'), (2, 'world')"],
        ops=[drop_table("posts", allow_data_loss=True)],
        sql=every([
            'DROP TABLE "posts"',
        ]),
        down_sql={PG: [
            'CREATE TABLE "posts" (\n'
            '    "id" bigserial NOT NULL,\n'
            '    "user_id" integer NOT NULL,\n'
            '    "title" text NOT NULL,\n'
            '    CONSTRAINT "posts_pkey" PRIMARY KEY ("id"),\n'
            '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
            '    CONSTRAINT "posts_user_id_title_key" UNIQUE ("user_id", "title"),\n'
            '    CONSTRAINT "posts_title_not_blank" CHECK (title <> \'\')\n'
            ')',
            'CREATE INDEX "posts_title_lower_idx" ON "posts" (lower(title))',
            'CREATE INDEX "posts_id_idx" ON "posts" ("id" DESC) WHERE user_id > 0',
        ], SQLITE: [
            'CREATE TABLE "posts" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "user_id" INTEGER NOT NULL,\n'
            '    "title" TEXT NOT NULL,\n'
            '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
            '    CONSTRAINT "posts_user_id_title_key" UNIQUE ("user_id", "title"),\n'
            '    CONSTRAINT "posts_title_not_blank" CHECK (title <> \'\')\n'
            ')',
            'CREATE INDEX "posts_title_lower_idx" ON "posts" (lower(title))',
            'CREATE INDEX "posts_id_idx" ON "posts" ("id" DESC) WHERE user_id > 0',
        ]},
        checks=every([
            'table "posts" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    # -- rename_table --------------------------------------------------------------------------
    Case(
        "rename_table_with_foreign_key_and_index",
        setup=[USERS, POSTS, create_index("users", ["email"], unique=True)],
        ops=[rename_table("users", "accounts", compatible=False)],
        sql=every([
            'ALTER TABLE "users" RENAME TO "accounts"',
        ]),
        down_sql=every([
            'ALTER TABLE "accounts" RENAME TO "users"',
        ]),
    ),
    Case(
        "rename_table_then_drop_its_index",
        setup=[USERS, create_index("users", ["lower(email)"])],
        ops=[rename_table("users", "accounts", compatible=False), drop_index("users_lower_email_idx")],
        sql={PG: [
            'ALTER TABLE "users" RENAME TO "accounts"',
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
        ], SQLITE: [
            'ALTER TABLE "users" RENAME TO "accounts"',
            'DROP INDEX "users_lower_email_idx"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_lower_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_lower_email_idx" ON "accounts" (lower(email))\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
            'ALTER TABLE "accounts" RENAME TO "users"',
        ], SQLITE: [
            'CREATE INDEX "users_lower_email_idx" ON "accounts" (lower(email))',
            'ALTER TABLE "accounts" RENAME TO "users"',
        ]},
    ),
    # -- add_column ----------------------------------------------------------------------------
    Case(
        "add_column_nullable",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "bio", "text")],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "bio" text',
        ], SQLITE: [
            'ALTER TABLE "users" ADD COLUMN "bio" TEXT',
        ]},
        down_sql=every([
            'ALTER TABLE "users" DROP COLUMN "bio"',
        ]),
        down_checks=every([
            'column "users.bio" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_not_null_with_default",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "active", "boolean", nullable=False, default=True)],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "active" boolean DEFAULT true NOT NULL',
        ], SQLITE: [
            'ALTER TABLE "users" ADD COLUMN "active" BOOLEAN DEFAULT true NOT NULL',
        ]},
        down_sql=every([
            'ALTER TABLE "users" DROP COLUMN "active"',
        ]),
        down_checks=every([
            'column "users.active" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_not_null_without_default",
        setup=[USERS],
        ops=[add_column("users", "tenant", "integer", nullable=False)],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "tenant" integer NOT NULL',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "tenant" INTEGER NOT NULL',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql=every([
            'ALTER TABLE "users" DROP COLUMN "tenant"',
        ]),
        checks=every([
            'column "users.tenant" is NOT NULL without a default, but table "users" has {count} {noun}, which would get NULL',
        ]),
        down_checks=every([
            'column "users.tenant" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_sql_default",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "prefs", "jsonb", nullable=False, default=sql("'{}'::jsonb"))],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "prefs" jsonb DEFAULT \'{}\'::jsonb NOT NULL',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "prefs" JSONB TEXT DEFAULT (CAST(\'{}\' AS JSONB TEXT)) NOT NULL',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql=every([
            'ALTER TABLE "users" DROP COLUMN "prefs"',
        ]),
        down_checks=every([
            'column "users.prefs" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_unique",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "handle", "varchar(40)", unique=True)],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "handle" character varying(40)',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_handle_key"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_handle_key"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_handle_key" ON "users" ("handle")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_handle_key"',
            'ALTER TABLE "users" ADD CONSTRAINT "users_handle_key" UNIQUE USING INDEX "users_handle_key"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "handle" VARCHAR(40),\n'
                '    CONSTRAINT "users_handle_key" UNIQUE ("handle")',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "handle"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        down_checks=every([
            'column "users.handle" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_references_primary_key",
        setup=[USERS, POSTS],
        ops=[add_column("posts", "editor_id", "integer", references="users", on_delete="set null")],
        sql={PG: [
            'ALTER TABLE "posts" ADD COLUMN "editor_id" integer',
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ON DELETE SET NULL NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_editor_id_fkey"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_editor_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "editor_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" DROP COLUMN "editor_id"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_checks=every([
            'column "posts.editor_id" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_references_column",
        setup=[USERS, POSTS],
        ops=[add_column("posts", "reviewer_id", "integer", references="users(id)")],
        sql={PG: [
            'ALTER TABLE "posts" ADD COLUMN "reviewer_id" integer',
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "users" ("id") NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_reviewer_id_fkey"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_reviewer_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "reviewer_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_reviewer_id_fkey" FOREIGN KEY ("reviewer_id") REFERENCES "users" ("id")',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" DROP COLUMN "reviewer_id"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_checks=every([
            'column "posts.reviewer_id" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "add_column_check",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "age", "integer", check="age >= 0")],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "age" integer',
            'ALTER TABLE "users" ADD CONSTRAINT "users_age_check" CHECK (age >= 0) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_age_check"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_age_check"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "age" INTEGER,\n'
                '    CONSTRAINT "users_age_check" CHECK (age >= 0)',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "age"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        checks=every([
            'check "users_age_check" (CHECK (age >= 0)) fails for {count} {noun} of "users"',
        ]),
        down_checks=every([
            'column "users.age" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    # -- drop_column (of the last column: PostgreSQL re-adds a column at the end) -------------
    Case(
        "drop_column_with_indexes_and_constraints",
        setup=[
            create_table("users", column("id", "serial", primary_key=True), column("name", "text"),
                         column("email", "varchar(255)", nullable=False, unique=True, check="email <> ''")),
            create_index("users", ["lower(email)"]),
            create_index("users", ["name", "email"]),
        ],
        ops=[drop_column("users", "email")],
        sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "email"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "name" TEXT',
                copied='"id", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "email" character varying(255) NOT NULL',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_email_key"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_key"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_email_key" ON "users" ("email")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_email_key"',
            'ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key"',
            'ALTER TABLE "users" ADD CONSTRAINT "users_email_check" CHECK (email <> \'\') NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_email_check"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_check"',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_lower_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_lower_email_idx" ON "users" (lower(email))\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_name_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_name_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_name_email_idx" ON "users" ("name", "email")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_name_email_idx"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "name" TEXT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    CONSTRAINT "users_email_key" UNIQUE ("email"),\n'
                '    CONSTRAINT "users_email_check" CHECK (email <> \'\')',
                copied='"id", "name"',
                then=[
                    'CREATE INDEX "users_lower_email_idx" ON "users" (lower(email))',
                    'CREATE INDEX "users_name_email_idx" ON "users" ("name", "email")',
                ],
            ),
        ]},
        checks=every([
            'column "users.email" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'column "users.email" holds {count} non-NULL {noun}, which dropping it would lose',
        ]),
        down_checks=every([
            'column "users.email" is NOT NULL without a default, but table "users" has {count} {noun}, which would get NULL',
            'check "users_email_check" (CHECK (email <> \'\')) fails for {count} {noun} of "users"',
        ]),
    ),
    Case(
        "drop_column_with_foreign_key",
        setup=[USERS, POSTS, add_column("posts", "editor_id", "integer", references="users", on_delete="set null")],
        rows=SOME_USERS + ["INSERT INTO posts (user_id, title, editor_id) VALUES (1, 'a', 2), (2, 'b', NULL)"],
        ops=[drop_column("posts", "editor_id", allow_data_loss=True)],
        sql={PG: [
            'ALTER TABLE "posts" DROP COLUMN "editor_id"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" ADD COLUMN "editor_id" integer',
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_editor_id_fkey"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_editor_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "editor_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        checks=every([
            'column "posts.editor_id" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "drop_column_with_default_and_check",
        setup=[USERS, add_column("users", "score", "integer", nullable=False, default=0, check="score >= 0")],
        rows=SOME_USERS,
        ops=[drop_column("users", "score", allow_data_loss=True)],
        sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "score"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "score" integer DEFAULT 0 NOT NULL',
            'ALTER TABLE "users" ADD CONSTRAINT "users_score_check" CHECK (score >= 0) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_score_check"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_score_check"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "score" INTEGER DEFAULT 0 NOT NULL,\n'
                '    CONSTRAINT "users_score_check" CHECK (score >= 0)',
                copied='"id", "email", "name"',
            ),
        ]},
        checks=every([
            'column "users.score" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
        down_checks=every([
            'check "users_score_check" (CHECK (score >= 0)) fails for {count} {noun} of "users"',
        ]),
    ),
    Case(
        "drop_column_in_multi_column_unique",
        setup=[create_table("slots", column("id", "serial", primary_key=True), column("room", "text", nullable=False),
                            column("starts_at", "timestamptz", nullable=False), unique=[("room", "starts_at")])],
        ops=[drop_column("slots", "starts_at")],
        sql={PG: [
            'ALTER TABLE "slots" DROP COLUMN "starts_at"',
        ], SQLITE: [
            *rebuild(
                "slots",
                '    "id" INTEGER NOT NULL CONSTRAINT "slots_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "room" TEXT NOT NULL',
                copied='"id", "room"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "slots" ADD COLUMN "starts_at" timestamp with time zone NOT NULL',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"slots_room_starts_at_key"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "slots_room_starts_at_key"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "slots_room_starts_at_key" ON "slots" ("room", "starts_at")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "slots_room_starts_at_key"',
            'ALTER TABLE "slots" ADD CONSTRAINT "slots_room_starts_at_key" UNIQUE USING INDEX "slots_room_starts_at_key"',
        ], SQLITE: [
            *rebuild(
                "slots",
                '    "id" INTEGER NOT NULL CONSTRAINT "slots_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "room" TEXT NOT NULL,\n'
                '    "starts_at" TIMESTAMPTZ NOT NULL,\n'
                '    CONSTRAINT "slots_room_starts_at_key" UNIQUE ("room", "starts_at")',
                copied='"id", "room"',
            ),
        ]},
        checks=every([
            'column "slots.starts_at" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'column "slots.starts_at" holds {count} non-NULL {noun}, which dropping it would lose',
        ]),
        down_checks=every([
            'column "slots.starts_at" is NOT NULL without a default, but table "slots" has {count} {noun}, which would get NULL',
        ]),
    ),
    # -- rename_column -------------------------------------------------------------------------
    Case(
        "rename_column_with_index_and_check",
        setup=[
            create_table("users", column("id", "serial", primary_key=True),
                         column("email", "varchar(255)", nullable=False, unique=True, check="email <> ''"),
                         column("name", "text")),
            create_index("users", ["lower(email)"]),
            create_index("users", ["name"], where="email IS NOT NULL", name="users_named_idx"),
        ],
        ops=[rename_column("users", "email", "address", compatible=False)],
        sql=every([
            'ALTER TABLE "users" RENAME COLUMN "email" TO "address"',
        ]),
        down_sql=every([
            'ALTER TABLE "users" RENAME COLUMN "address" TO "email"',
        ]),
    ),
    Case(
        "rename_column_referenced_by_foreign_key",
        setup=[USERS, POSTS],
        ops=[rename_column("users", "id", "user_id", compatible=False)],
        sql=every([
            'ALTER TABLE "users" RENAME COLUMN "id" TO "user_id"',
        ]),
        down_sql=every([
            'ALTER TABLE "users" RENAME COLUMN "user_id" TO "id"',
        ]),
    ),
    # renames that need no compatible form (issue 17): nobody uses the old name yet, so the
    # plain rename runs even with compatible=True (the default) on PostgreSQL
    Case(
        "renames_of_a_table_created_in_the_same_migration",
        ops=[create_table("accounts", column("id", "serial", primary_key=True), column("name", "text")),
             rename_column("accounts", "name", "full_name"), rename_table("accounts", "members")],
        sql={PG: [
            'CREATE TABLE "accounts" (\n    "id" serial NOT NULL,\n    "name" text,\n'
            '    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")\n)',
            'ALTER TABLE "accounts" RENAME COLUMN "name" TO "full_name"',
            'ALTER TABLE "accounts" RENAME TO "members"',
        ], SQLITE: [
            'CREATE TABLE "accounts" (\n    "id" INTEGER NOT NULL CONSTRAINT "accounts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "name" TEXT\n)',
            'ALTER TABLE "accounts" RENAME COLUMN "name" TO "full_name"',
            'ALTER TABLE "accounts" RENAME TO "members"',
        ]},
        down_sql=every([
            'ALTER TABLE "members" RENAME TO "accounts"',
            'ALTER TABLE "accounts" RENAME COLUMN "full_name" TO "name"',
            'DROP TABLE "accounts"',
        ]),
        down_checks=every([
            'table "accounts" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "rename_of_a_column_added_in_the_same_migration",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "nick", "text"), rename_column("users", "nick", "handle")],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "nick" text',
            'ALTER TABLE "users" RENAME COLUMN "nick" TO "handle"',
        ], SQLITE: [
            'ALTER TABLE "users" ADD COLUMN "nick" TEXT',
            'ALTER TABLE "users" RENAME COLUMN "nick" TO "handle"',
        ]},
        down_sql=every([
            'ALTER TABLE "users" RENAME COLUMN "handle" TO "nick"',
            'ALTER TABLE "users" DROP COLUMN "nick"',
        ]),
        down_checks=every([
            'column "users.nick" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
        data="SELECT id, email, name FROM users ORDER BY id",
    ),
    # -- alter_column --------------------------------------------------------------------------
    Case(
        "alter_column_widen_type",
        setup=[create_table("products", column("id", "serial", primary_key=True), column("code", "varchar(20)"))],
        rows=["INSERT INTO products (code) VALUES ('a-1'), ('b-22')"],
        ops=[alter_column("products", "code", type="varchar(64)", rewrite=True)],
        sql={PG: [
            'ALTER TABLE "products" ALTER COLUMN "code" TYPE character varying(64)',
        ], SQLITE: [
            *rebuild(
                "products",
                '    "id" INTEGER NOT NULL CONSTRAINT "products_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "code" VARCHAR(64)',
                copied='"id", "code"',
            ),
        ]},
        down_sql={PG: [
            '-- WARNING: alter_column products.code: changing the type from character varying(64) to character varying(20) rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "products" ALTER COLUMN "code" TYPE character varying(20)',
        ], SQLITE: [
            *rebuild(
                "products",
                '    "id" INTEGER NOT NULL CONSTRAINT "products_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "code" VARCHAR(20)',
                copied='"id", "code"',
            ),
        ]},
        down_checks={PG: [
            'column "products.code" has {count} {noun} longer than 20 characters, which character varying(20) cannot hold',
            'column "products.code" has {count} {noun} longer than 20 characters only by trailing spaces, which character varying(20) would cut off silently',
        ]},
        data="SELECT id, code FROM products ORDER BY id",
        data_after=[(1, "a-1"), (2, "b-22")],
    ),
    Case(
        "alter_column_type_using",
        setup=[create_table("products", column("id", "serial", primary_key=True), column("price", "varchar(10)"))],
        rows=["INSERT INTO products (price) VALUES ('10'), ('225')"],
        ops=[alter_column("products", "price", type="integer", using="price::integer", rewrite=True)],
        sql={PG: [
            '-- WARNING: alter_column products.price: changing the type from character varying(10) to integer rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "products" ALTER COLUMN "price" TYPE integer USING price::integer',
        ], SQLITE: [
            *rebuild(
                "products",
                '    "id" INTEGER NOT NULL CONSTRAINT "products_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "price" INTEGER',
                copied='"id", "price"',
                select='"id", CAST(price AS INTEGER)',
            ),
        ]},
        down_sql={PG: [
            '-- WARNING: alter_column products.price: changing the type from integer to character varying(10) rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "products" ALTER COLUMN "price" TYPE character varying(10)',
        ], SQLITE: [
            *rebuild(
                "products",
                '    "id" INTEGER NOT NULL CONSTRAINT "products_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "price" VARCHAR(10)',
                copied='"id", "price"',
            ),
        ]},
        checks={PG: [
            'column "products.price" has {count} {noun} that cannot be converted to integer with using=\'price::integer\'',
        ]},
        down_checks={PG: [
            'column "products.price" has {count} {noun} longer than 10 characters, which character varying(10) cannot hold',
        ]},
        data="SELECT id, price::text FROM products ORDER BY id",
        data_after=[(1, "10"), (2, "225")],
    ),
    Case(
        "alter_column_set_not_null",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[alter_column("users", "name", nullable=False)],
        sql={PG: [
            'ALTER TABLE "users" ADD CONSTRAINT "users_name_pymig_not_null" CHECK ("name" IS NOT NULL) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_name_pymig_not_null"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_name_pymig_not_null"',
            'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL',
            'ALTER TABLE "users" DROP CONSTRAINT "users_name_pymig_not_null"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT NOT NULL',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "name" DROP NOT NULL',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        checks=every([
            'column "users.name" is NULL in {count} {noun}, so it cannot become NOT NULL',
        ]),
    ),
    Case(
        "alter_column_drop_not_null",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[alter_column("users", "email", nullable=True)],
        sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "email" DROP NOT NULL',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255),\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ADD CONSTRAINT "users_email_pymig_not_null" CHECK ("email" IS NOT NULL) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_email_pymig_not_null"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_pymig_not_null"',
            'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL',
            'ALTER TABLE "users" DROP CONSTRAINT "users_email_pymig_not_null"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        down_checks=every([
            'column "users.email" is NULL in {count} {noun}, so it cannot become NOT NULL',
        ]),
    ),
    Case(
        "alter_column_set_default",
        setup=[USERS],
        ops=[alter_column("users", "name", default="anonymous")],
        sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "name" SET DEFAULT \'anonymous\'',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT DEFAULT \'anonymous\'',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "name" DROP DEFAULT',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
    ),
    Case(
        "alter_column_drop_default",
        setup=[USERS, add_column("users", "created_at", "timestamptz", default=sql("CURRENT_TIMESTAMP"))],
        ops=[alter_column("users", "created_at", default=None)],
        sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "created_at" DROP DEFAULT',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "created_at" TIMESTAMPTZ',
                copied='"id", "email", "name", "created_at"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "created_at" SET DEFAULT CURRENT_TIMESTAMP',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "created_at" TIMESTAMPTZ DEFAULT CURRENT_TIMESTAMP',
                copied='"id", "email", "name", "created_at"',
            ),
        ]},
    ),
    Case(
        "alter_column_change_default",
        setup=[USERS, add_column("users", "role", "varchar(20)", nullable=False, default="member")],
        ops=[alter_column("users", "role", default="guest")],
        sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT \'guest\'',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "role" VARCHAR(20) DEFAULT \'guest\' NOT NULL',
                copied='"id", "email", "name", "role"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT \'member\'',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    "role" VARCHAR(20) DEFAULT \'member\' NOT NULL',
                copied='"id", "email", "name", "role"',
            ),
        ]},
    ),
    Case(
        "alter_column_type_nullable_and_default",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[alter_column("users", "name", type="varchar(100)", nullable=False, default="anonymous", rewrite=True)],
        sql={PG: [
            '-- WARNING: alter_column users.name: changing the type from text to character varying(100) rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "users" ALTER COLUMN "name" TYPE character varying(100), ALTER COLUMN "name" SET DEFAULT \'anonymous\'',
            'ALTER TABLE "users" ADD CONSTRAINT "users_name_pymig_not_null" CHECK ("name" IS NOT NULL) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_name_pymig_not_null"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_name_pymig_not_null"',
            'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL',
            'ALTER TABLE "users" DROP CONSTRAINT "users_name_pymig_not_null"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" VARCHAR(100) DEFAULT \'anonymous\' NOT NULL',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ALTER COLUMN "name" TYPE text, ALTER COLUMN "name" DROP DEFAULT, ALTER COLUMN "name" DROP NOT NULL',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        checks={PG: [
            'column "users.name" has {count} {noun} longer than 100 characters, which character varying(100) cannot hold',
            'column "users.name" has {count} {noun} longer than 100 characters only by trailing spaces, which character varying(100) would cut off silently',
            'column "users.name" is NULL in {count} {noun}, so it cannot become NOT NULL',
        ], SQLITE: [
            'column "users.name" is NULL in {count} {noun}, so it cannot become NOT NULL',
        ]},
    ),
    # -- create_index --------------------------------------------------------------------------
    Case(
        "create_index_plain",
        setup=[USERS],
        ops=[create_index("users", ["email"])],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON "users" ("email")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
        ], SQLITE: [
            'CREATE INDEX "users_email_idx" ON "users" ("email")',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
        ], SQLITE: [
            'DROP INDEX "users_email_idx"',
        ]},
    ),
    Case(
        "create_index_multi_column",
        setup=[USERS, POSTS],
        ops=[create_index("posts", ["user_id", "title"])],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"posts_user_id_title_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "posts_user_id_title_idx" ON "posts" ("user_id", "title")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_idx"',
        ], SQLITE: [
            'CREATE INDEX "posts_user_id_title_idx" ON "posts" ("user_id", "title")',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_idx"',
        ], SQLITE: [
            'DROP INDEX "posts_user_id_title_idx"',
        ]},
    ),
    Case(
        "create_index_desc",
        setup=[USERS, add_column("users", "last_login_at", "timestamptz")],
        ops=[create_index("users", ["last_login_at DESC"])],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_last_login_at_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_last_login_at_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_last_login_at_idx" ON "users" ("last_login_at" DESC)\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_last_login_at_idx"',
        ], SQLITE: [
            'CREATE INDEX "users_last_login_at_idx" ON "users" ("last_login_at" DESC)',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_last_login_at_idx"',
        ], SQLITE: [
            'DROP INDEX "users_last_login_at_idx"',
        ]},
    ),
    Case(
        "create_index_expression",
        setup=[USERS],
        ops=[create_index("users", ["lower(email)"])],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_lower_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_lower_email_idx" ON "users" (lower(email))\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
        ], SQLITE: [
            'CREATE INDEX "users_lower_email_idx" ON "users" (lower(email))',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_idx"',
        ], SQLITE: [
            'DROP INDEX "users_lower_email_idx"',
        ]},
    ),
    Case(
        "create_index_partial",
        setup=[USERS, add_column("users", "deleted_at", "timestamptz")],
        ops=[create_index("users", ["email"], where="deleted_at IS NULL", name="users_live_email_idx")],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_live_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_live_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_live_email_idx" ON "users" ("email") WHERE deleted_at IS NULL\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_live_email_idx"',
        ], SQLITE: [
            'CREATE INDEX "users_live_email_idx" ON "users" ("email") WHERE deleted_at IS NULL',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_live_email_idx"',
        ], SQLITE: [
            'DROP INDEX "users_live_email_idx"',
        ]},
    ),
    Case(
        "create_index_unique",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[create_index("users", ["email"], unique=True)],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON "users" ("email")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
        ], SQLITE: [
            'CREATE UNIQUE INDEX "users_email_idx" ON "users" ("email")',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
        ], SQLITE: [
            'DROP INDEX "users_email_idx"',
        ]},
        checks=every([
            '{count} {noun} of "users" share {groups} of (email), which unique index "users_email_idx" allows only once',
        ]),
    ),
    Case(
        "create_index_gin",
        setup=[USERS, add_column("users", "tags", "text[]")],
        ops=[create_index("users", ["tags"], method="gin")],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_tags_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_tags_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_tags_idx" ON "users" USING gin ("tags")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_tags_idx"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_tags_idx"',
        ]},
        refused={SQLITE: 'index method gin has no SQLite meaning (SQLite indexes are b-trees)'},
    ),
    Case(
        "create_index_hash",
        setup=[USERS],
        ops=[create_index("users", ["email"], method="hash", name="users_email_hash")],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_email_hash"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_hash"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_hash" ON "users" USING hash ("email")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_email_hash"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_hash"',
        ]},
        refused={SQLITE: 'index method hash has no SQLite meaning (SQLite indexes are b-trees)'},
    ),
    # -- drop_index ----------------------------------------------------------------------------
    Case(
        "drop_index_plain",
        setup=[USERS, create_index("users", ["email"])],
        ops=[drop_index("users_email_idx")],
        sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
        ], SQLITE: [
            'DROP INDEX "users_email_idx"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_email_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_idx" ON "users" ("email")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_email_idx"',
        ], SQLITE: [
            'CREATE INDEX "users_email_idx" ON "users" ("email")',
        ]},
    ),
    Case(
        "rename_index",
        setup=[USERS, create_index("users", ["lower(email)"], unique=True, where="name IS NOT NULL")],
        ops=[rename_index("users_lower_email_idx", "users_email_ci_key")],
        sql={PG: [
            'ALTER INDEX "users_lower_email_idx" RENAME TO "users_email_ci_key"',
        ], SQLITE: [
            'DROP INDEX "users_lower_email_idx"',
            'CREATE UNIQUE INDEX "users_email_ci_key" ON "users" (lower(email)) WHERE name IS NOT NULL',
        ]},
        down_sql={PG: [
            'ALTER INDEX "users_email_ci_key" RENAME TO "users_lower_email_idx"',
        ], SQLITE: [
            'DROP INDEX "users_email_ci_key"',
            'CREATE UNIQUE INDEX "users_lower_email_idx" ON "users" (lower(email)) WHERE name IS NOT NULL',
        ]},
    ),
    Case(
        "drop_index_unique_partial",
        setup=[USERS, create_index("users", ["email"], unique=True, where="name IS NOT NULL",
                                   name="users_named_email_key")],
        ops=[drop_index("users_named_email_key")],
        sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_named_email_key"',
        ], SQLITE: [
            'DROP INDEX "users_named_email_key"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_named_email_key"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_named_email_key"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "users_named_email_key" ON "users" ("email") WHERE name IS NOT NULL\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_named_email_key"',
        ], SQLITE: [
            'CREATE UNIQUE INDEX "users_named_email_key" ON "users" ("email") WHERE name IS NOT NULL',
        ]},
        down_checks=every([
            '{count} {noun} of "users" share {groups} of (email), which unique index "users_named_email_key" allows only once',
        ]),
    ),
    Case(
        "drop_index_expression_gin",
        setup=[USERS, add_column("users", "prefs", "jsonb"),
               create_index("users", ["lower(email)", "id DESC"], name="users_lower_email_id_idx"),
               create_index("users", ["prefs"], method="gin")],
        ops=[drop_index("users_lower_email_id_idx"), drop_index("users_prefs_idx")],
        sql={PG: [
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_id_idx"',
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_prefs_idx"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_prefs_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_prefs_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_prefs_idx" ON "users" USING gin ("prefs")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_prefs_idx"',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_lower_email_id_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_id_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_lower_email_id_idx" ON "users" (lower(email), "id" DESC)\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_lower_email_id_idx"',
        ]},
        refused={SQLITE: 'index method gin has no SQLite meaning (SQLite indexes are b-trees)'},
    ),
    # -- add_foreign_key / add_unique / add_check ----------------------------------------------
    Case(
        "add_foreign_key_explicit_columns",
        setup=[USERS, POSTS, add_column("posts", "editor_id", "integer")],
        ops=[add_foreign_key("posts", "editor_id", "users", "id", on_delete="set null")],
        sql={PG: [
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_editor_id_fkey"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_editor_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "editor_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON DELETE SET NULL',
                copied='"id", "user_id", "title", "editor_id"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_editor_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "editor_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title", "editor_id"',
                fk_check=["posts"],
            ),
        ]},
        checks=every([
            'table "posts" has {count} {noun} whose (editor_id) finds no match in "users"(id), which foreign key "posts_editor_id_fkey" forbids',
        ]),
    ),
    Case(
        "add_foreign_key_primary_key_default",
        setup=[USERS, POSTS, add_column("posts", "author_id", "integer")],
        rows=SOME_USERS + ["INSERT INTO posts (user_id, title, author_id) VALUES (1, 'a', 2)"],
        ops=[add_foreign_key("posts", ["author_id"], "users", name="posts_author_fk")],
        sql={PG: [
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") REFERENCES "users" NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_author_fk"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_author_fk"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "author_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_author_fk" FOREIGN KEY ("author_id") REFERENCES "users" ("id")',
                copied='"id", "user_id", "title", "author_id"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_author_fk"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "author_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title", "author_id"',
                fk_check=["posts"],
            ),
        ]},
        checks=every([
            'table "posts" has {count} {noun} whose (author_id) finds no match in "users"(id), which foreign key "posts_author_fk" forbids',
        ]),
    ),
    Case(
        "add_foreign_key_on_delete_no_action",
        setup=[USERS, POSTS, add_column("posts", "editor_id", "integer")],
        ops=[add_foreign_key("posts", "editor_id", "users", on_delete="no action")],
        sql={PG: [
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_editor_id_fkey"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_editor_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "editor_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_editor_id_fkey" FOREIGN KEY ("editor_id") REFERENCES "users" ("id")',
                copied='"id", "user_id", "title", "editor_id"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_editor_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    "editor_id" INTEGER,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title", "editor_id"',
                fk_check=["posts"],
            ),
        ]},
        checks=every([
            'table "posts" has {count} {noun} whose (editor_id) finds no match in "users"(id), which foreign key "posts_editor_id_fkey" forbids',
        ]),
    ),
    Case(
        "add_unique",
        setup=[USERS, POSTS],
        ops=[add_unique("posts", ["user_id", "title"])],
        sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"posts_user_id_title_key"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_key"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "posts_user_id_title_key" ON "posts" ("user_id", "title")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_key"',
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_title_key" UNIQUE USING INDEX "posts_user_id_title_key"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_user_id_title_key" UNIQUE ("user_id", "title")',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_title_key"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        checks=every([
            '{count} {noun} of "posts" share {groups} of (user_id, title), which unique "posts_user_id_title_key" allows only once',
        ]),
    ),
    Case(
        "add_check",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_check("users", "users_email_has_at", "email LIKE '%@%'")],
        sql={PG: [
            'ALTER TABLE "users" ADD CONSTRAINT "users_email_has_at" CHECK (email LIKE \'%@%\') NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_email_has_at"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_has_at"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    CONSTRAINT "users_email_has_at" CHECK (email LIKE \'%@%\')',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP CONSTRAINT "users_email_has_at"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        checks=every([
            'check "users_email_has_at" (CHECK (email LIKE \'%@%\')) fails for {count} {noun} of "users"',
        ]),
    ),
    # -- drop_constraint -----------------------------------------------------------------------
    Case(
        "drop_constraint_check",
        setup=[USERS, add_check("users", "users_email_has_at", "email LIKE '%@%'")],
        ops=[drop_constraint("users", "users_email_has_at")],
        sql={PG: [
            'ALTER TABLE "users" DROP CONSTRAINT "users_email_has_at"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT',
                copied='"id", "email", "name"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ADD CONSTRAINT "users_email_has_at" CHECK (email LIKE \'%@%\') NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_email_has_at"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_has_at"',
        ], SQLITE: [
            *rebuild(
                "users",
                '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "email" VARCHAR(255) NOT NULL,\n'
                '    "name" TEXT,\n'
                '    CONSTRAINT "users_email_has_at" CHECK (email LIKE \'%@%\')',
                copied='"id", "email", "name"',
            ),
        ]},
        down_checks=every([
            'check "users_email_has_at" (CHECK (email LIKE \'%@%\')) fails for {count} {noun} of "users"',
        ]),
    ),
    Case(
        "drop_constraint_foreign_key",
        setup=[USERS, POSTS],
        ops=[drop_constraint("posts", "posts_user_id_fkey")],
        sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL',
                copied='"id", "user_id", "title"',
            ),
        ]},
        down_sql={PG: [
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_user_id_fkey"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_user_id_fkey"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_checks=every([
            'table "posts" has {count} {noun} whose (user_id) finds no match in "users"(id), which foreign key "posts_user_id_fkey" forbids',
        ]),
    ),
    Case(
        "drop_constraint_unique",
        setup=[USERS, POSTS, add_unique("posts", ["user_id", "title"])],
        ops=[drop_constraint("posts", "posts_user_id_title_key")],
        sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_user_id_title_key"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"posts_user_id_title_key"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_key"',
            '-- outside a transaction\n'
            'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "posts_user_id_title_key" ON "posts" ("user_id", "title")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "posts_user_id_title_key"',
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_title_key" UNIQUE USING INDEX "posts_user_id_title_key"',
        ], SQLITE: [
            *rebuild(
                "posts",
                '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
                '    "user_id" INTEGER NOT NULL,\n'
                '    "title" TEXT NOT NULL,\n'
                '    CONSTRAINT "posts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,\n'
                '    CONSTRAINT "posts_user_id_title_key" UNIQUE ("user_id", "title")',
                copied='"id", "user_id", "title"',
                fk_check=["posts"],
            ),
        ]},
        down_checks=every([
            '{count} {noun} of "posts" share {groups} of (user_id, title), which unique "posts_user_id_title_key" allows only once',
        ]),
    ),
    # -- run_sql / run_python ------------------------------------------------------------------
    Case(
        "run_sql_schema_with_down",
        setup=[USERS],
        ops=[run_sql("CREATE TABLE audit_log (id bigserial PRIMARY KEY, message text NOT NULL);",
                     down="DROP TABLE audit_log")],
        state_ops=[create_table("audit_log", column("id", "bigserial", primary_key=True),
                                column("message", "text", nullable=False))],
        sql={PG: [
            'CREATE TABLE audit_log (id bigserial PRIMARY KEY, message text NOT NULL)',
        ], SQLITE: [
            'CREATE TABLE audit_log (id bigserial PRIMARY KEY, message text NOT NULL)',
            '-- check: SELECT "table", rowid, parent FROM (SELECT * FROM pragma_foreign_key_check)',
        ]},
        down_sql={PG: [
            'DROP TABLE audit_log',
        ], SQLITE: [
            'DROP TABLE audit_log',
            '-- check: SELECT "table", rowid, parent FROM (SELECT * FROM pragma_foreign_key_check)',
        ]},
    ),
    Case(
        "run_sql_data_with_down",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[run_sql("UPDATE users SET name = upper(name)", down="UPDATE users SET name = lower(name)")],
        state_ops=[],
        sql={PG: [
            'UPDATE users SET name = upper(name)',
        ], SQLITE: [
            'UPDATE users SET name = upper(name)',
            '-- check: SELECT "table", rowid, parent FROM (SELECT * FROM pragma_foreign_key_check)',
        ]},
        down_sql={PG: [
            'UPDATE users SET name = lower(name)',
        ], SQLITE: [
            'UPDATE users SET name = lower(name)',
            '-- check: SELECT "table", rowid, parent FROM (SELECT * FROM pragma_foreign_key_check)',
        ]},
        data="SELECT id, name FROM users ORDER BY id",
        data_after=[(1, "ADA"), (2, "BOB"), (3, "CY"), (4, "DEE"), (5, "EVE")],
    ),
    Case(
        "run_python_with_down",
        setup=[USERS],
        rows=["INSERT INTO users (email, name) VALUES ('ada@example.com', 'ada')"],
        ops=[run_python(add_guest, down=remove_guest)],
        state_ops=[],
        sql={PG: [
            '-- python: run_python add_guest',
        ], SQLITE: [
            '-- python: run_python add_guest',
            '-- check: SELECT "table", rowid, parent FROM (SELECT * FROM pragma_foreign_key_check)',
        ]},
        down_sql={PG: [
            '-- python: run_python remove_guest',
        ], SQLITE: [
            '-- python: run_python remove_guest',
            '-- check: SELECT "table", rowid, parent FROM (SELECT * FROM pragma_foreign_key_check)',
        ]},
        data="SELECT email, name FROM users ORDER BY id",
        data_after=[("ada@example.com", "ada"), ("guest@example.com", "guest")],
    ),
    # -- backfill ------------------------------------------------------------------------------
    Case(
        "backfill_with_reverse_in_batches",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[backfill("users", set={"name": "upper(name)"}, batch_size=2, reverse={"name": "lower(name)"})],
        sql={PG: [
            '-- batches of 2 by id, each batch committed on its own:\n'
            'UPDATE "users" SET "name" = upper(name) WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit})) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = upper(name) WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit})) RETURNING "id"',
        ], SQLITE: [
            "-- batches of 2 by id, in the migration's transaction:\n"
            'UPDATE "users" SET "name" = upper(name) WHERE "id" IN (SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit}) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = upper(name) WHERE "id" IN (SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit}) RETURNING "id"',
        ]},
        down_sql={PG: [
            '-- batches of 2 by id, each batch committed on its own:\n'
            'UPDATE "users" SET "name" = lower(name) WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit})) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = lower(name) WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit})) RETURNING "id"',
        ], SQLITE: [
            "-- batches of 2 by id, in the migration's transaction:\n"
            'UPDATE "users" SET "name" = lower(name) WHERE "id" IN (SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit}) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = lower(name) WHERE "id" IN (SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit}) RETURNING "id"',
        ]},
        data="SELECT id, name FROM users ORDER BY id",
        data_after=[(1, "ADA"), (2, "BOB"), (3, "CY"), (4, "DEE"), (5, "EVE")],
    ),
    Case(
        "backfill_where_with_reverse",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[backfill("users", set={"name": "name || '!'"}, where="email LIKE '%.org'",
                      reverse={"name": "rtrim(name, '!')"})],
        sql={PG: [
            '-- batches of 10000 by id, each batch committed on its own:\n'
            'UPDATE "users" SET "name" = name || \'!\' WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE true AND (email LIKE \'%.org\') ORDER BY "id" LIMIT {limit})) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = name || \'!\' WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE "id" > {after} AND (email LIKE \'%.org\') ORDER BY "id" LIMIT {limit})) RETURNING "id"',
        ], SQLITE: [
            "-- batches of 10000 by id, in the migration's transaction:\n"
            'UPDATE "users" SET "name" = name || \'!\' WHERE "id" IN (SELECT "id" FROM "users" WHERE true AND (email LIKE \'%.org\') ORDER BY "id" LIMIT {limit}) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = name || \'!\' WHERE "id" IN (SELECT "id" FROM "users" WHERE "id" > {after} AND (email LIKE \'%.org\') ORDER BY "id" LIMIT {limit}) RETURNING "id"',
        ]},
        down_sql={PG: [
            '-- batches of 10000 by id, each batch committed on its own:\n'
            'UPDATE "users" SET "name" = rtrim(name, \'!\') WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit})) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = rtrim(name, \'!\') WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit})) RETURNING "id"',
        ], SQLITE: [
            "-- batches of 10000 by id, in the migration's transaction:\n"
            'UPDATE "users" SET "name" = rtrim(name, \'!\') WHERE "id" IN (SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit}) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "name" = rtrim(name, \'!\') WHERE "id" IN (SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit}) RETURNING "id"',
        ]},
        data="SELECT id, name FROM users ORDER BY id",
        data_after=[(1, "ada"), (2, "bob"), (3, "cy!"), (4, "dee"), (5, "eve!")],
    ),
    Case(
        "backfill_column_added_in_same_migration",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[add_column("users", "display_name", "text"),
             backfill("users", set={"display_name": "upper(name)"})],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "display_name" text',
            '-- batches of 10000 by id, each batch committed on its own:\n'
            'UPDATE "users" SET "display_name" = upper(name) WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit})) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "display_name" = upper(name) WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit})) RETURNING "id"',
        ], SQLITE: [
            'ALTER TABLE "users" ADD COLUMN "display_name" TEXT',
            "-- batches of 10000 by id, in the migration's transaction:\n"
            'UPDATE "users" SET "display_name" = upper(name) WHERE "id" IN (SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit}) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "display_name" = upper(name) WHERE "id" IN (SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit}) RETURNING "id"',
        ]},
        down_sql=every([
            'ALTER TABLE "users" DROP COLUMN "display_name"',
        ]),
        down_checks=every([
            'column "users.display_name" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
        data="SELECT id, email, name FROM users ORDER BY id",
    ),
    Case(
        "backfill_table_without_primary_key",
        setup=[create_table("settings", column("key", "text", nullable=False), column("value", "text"))],
        rows=["INSERT INTO settings VALUES ('theme', 'dark'), ('lang', 'en')"],
        ops=[backfill("settings", set={"value": "upper(value)"}, reverse={"value": "lower(value)"})],
        sql=every([
            'UPDATE "settings" SET "value" = upper(value)',
        ]),
        down_sql=every([
            'UPDATE "settings" SET "value" = lower(value)',
        ]),
        data="SELECT key, value FROM settings ORDER BY key",
        data_after=[("lang", "EN"), ("theme", "DARK")],
    ),
    # -- preflight -----------------------------------------------------------------------------
    Case(
        "preflight_passes",
        setup=[USERS],
        rows=SOME_USERS,
        ops=[preflight("SELECT id, email FROM users WHERE email NOT LIKE '%@%'", "every email has an @")],
        sql=every([]),
        down_sql=every([]),
        checks=every([
            'every email has an @',
        ]),
    ),
    # -- several operations: the example project's role vocabulary change ----------------------
    Case(
        "role_vocabulary_change",
        setup=[USERS, add_column("users", "role", "varchar(20)", nullable=False, default="user")],
        rows=SOME_USERS + ["UPDATE users SET role = 'admin' WHERE id = 1"],
        ops=[
            add_column("users", "role_new", "varchar(20)"),
            backfill("users", set={"role_new": "CASE role WHEN 'user' THEN 'member' ELSE role END"}),
            alter_column("users", "role_new", nullable=False, default="member"),
            add_check("users", "users_role_known", "role_new IN ('member', 'admin')"),
            drop_column("users", "role", allow_data_loss=True),
            rename_column("users", "role_new", "role"),
        ],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "role_new" character varying(20)',
            '-- batches of 10000 by id, each batch committed on its own:\n'
            'UPDATE "users" SET "role_new" = CASE role WHEN \'user\' THEN \'member\' ELSE role END WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit})) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "role_new" = CASE role WHEN \'user\' THEN \'member\' ELSE role END WHERE "id" = ANY(ARRAY(SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit})) RETURNING "id"',
            'ALTER TABLE "users" ALTER COLUMN "role_new" SET DEFAULT \'member\'',
            'ALTER TABLE "users" ADD CONSTRAINT "users_role_new_pymig_not_null" CHECK ("role_new" IS NOT NULL) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_role_new_pymig_not_null"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_role_new_pymig_not_null"',
            'ALTER TABLE "users" ALTER COLUMN "role_new" SET NOT NULL',
            'ALTER TABLE "users" DROP CONSTRAINT "users_role_new_pymig_not_null"',
            'ALTER TABLE "users" ADD CONSTRAINT "users_role_known" CHECK (role_new IN (\'member\', \'admin\')) NOT VALID\n'
            '-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_role_known"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_role_known"',
            'ALTER TABLE "users" DROP COLUMN "role"',
            'ALTER TABLE "users" RENAME COLUMN "role_new" TO "role"',
        ], SQLITE: [
            'ALTER TABLE "users" ADD COLUMN "role_new" VARCHAR(20)',
            "-- batches of 10000 by id, in the migration's transaction:\n"
            'UPDATE "users" SET "role_new" = CASE role WHEN \'user\' THEN \'member\' ELSE role END WHERE "id" IN (SELECT "id" FROM "users" WHERE true ORDER BY "id" LIMIT {limit}) RETURNING "id"\n'
            '-- next batches:\n'
            'UPDATE "users" SET "role_new" = CASE role WHEN \'user\' THEN \'member\' ELSE role END WHERE "id" IN (SELECT "id" FROM "users" WHERE "id" > {after} ORDER BY "id" LIMIT {limit}) RETURNING "id"',
            'CREATE TABLE "pymig_new_users" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "email" VARCHAR(255) NOT NULL,\n'
            '    "name" TEXT,\n'
            '    "role" VARCHAR(20) DEFAULT \'user\' NOT NULL,\n'
            '    "role_new" VARCHAR(20) DEFAULT \'member\' NOT NULL,\n'
            '    CONSTRAINT "users_role_known" CHECK (role_new IN (\'member\', \'admin\'))\n'
            ')',
            'INSERT INTO "pymig_new_users" ("id", "email", "name", "role", "role_new")\n'
            'SELECT "id", "email", "name", "role", "role_new" FROM "users"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_users'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_users', seq FROM sqlite_sequence WHERE name = 'users'",
            'DROP TABLE "users"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_users" RENAME TO "users"',
            'PRAGMA legacy_alter_table = OFF',
            'ALTER TABLE "users" DROP COLUMN "role"',
            'ALTER TABLE "users" RENAME COLUMN "role_new" TO "role"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" RENAME COLUMN "role" TO "role_new"',
            'ALTER TABLE "users" ADD COLUMN "role" character varying(20) DEFAULT \'user\' NOT NULL',
            'ALTER TABLE "users" DROP CONSTRAINT "users_role_known"',
            'ALTER TABLE "users" ALTER COLUMN "role_new" DROP DEFAULT, ALTER COLUMN "role_new" DROP NOT NULL',
            'ALTER TABLE "users" DROP COLUMN "role_new"',
        ], SQLITE: [
            'ALTER TABLE "users" RENAME COLUMN "role" TO "role_new"',
            'ALTER TABLE "users" ADD COLUMN "role" VARCHAR(20) DEFAULT \'user\' NOT NULL',
            'CREATE TABLE "pymig_new_users" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "email" VARCHAR(255) NOT NULL,\n'
            '    "name" TEXT,\n'
            '    "role_new" VARCHAR(20),\n'
            '    "role" VARCHAR(20) DEFAULT \'user\' NOT NULL\n'
            ')',
            'INSERT INTO "pymig_new_users" ("id", "email", "name", "role_new", "role")\n'
            'SELECT "id", "email", "name", "role_new", "role" FROM "users"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_users'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_users', seq FROM sqlite_sequence WHERE name = 'users'",
            'DROP TABLE "users"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_users" RENAME TO "users"',
            'PRAGMA legacy_alter_table = OFF',
            'ALTER TABLE "users" DROP COLUMN "role_new"',
        ]},
        checks=every([
            'column "users.role_new" is NULL in {count} {noun}, so it cannot become NOT NULL',
            'check "users_role_known" (CHECK (role_new IN (\'member\', \'admin\'))) fails for {count} {noun} of "users"',
            'column "users.role" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
        down_checks=every([
            'column "users.role_new" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
        data="SELECT id, email FROM users ORDER BY id",
    ),
    # -- exact inverses (issue 13): what a catalog-read schema restores ---------------------------
    Case(
        "drop_column_in_covering_index",
        setup=[USERS, create_index("users", ["email"], include=["name"], name="users_email_covering_idx")],
        rows=SOME_USERS,
        ops=[drop_column("users", "name", allow_data_loss=True)],
        sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "name"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "name" text',
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"users_email_covering_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "users_email_covering_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_email_covering_idx" ON "users" ("email") INCLUDE ("name")\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "users_email_covering_idx"',
        ]},
        checks={PG: [
            'column "users.name" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'INCLUDE columns have no SQLite meaning (SQLite indexes store only their key)'},
    ),
    Case(
        "drop_constraint_check_in_list",
        setup=[create_table("posts", column("id", "serial", primary_key=True),
                            column("status", "varchar(20)", nullable=False,
                                   check="status IN ('draft', 'published', 'archived')")),
               create_index("posts", ["id"], where="status IN ('draft', 'published')", name="posts_live_idx")],
        rows=["INSERT INTO posts (status) VALUES ('draft'), ('archived')"],
        ops=[drop_constraint("posts", "posts_status_check"), drop_index("posts_live_idx")],
        sql={PG: [
            'ALTER TABLE "posts" DROP CONSTRAINT "posts_status_check"',
            '-- outside a transaction\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "posts_live_idx"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_posts" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "status" VARCHAR(20) NOT NULL\n'
            ')',
            'INSERT INTO "pymig_new_posts" ("id", "status")\n'
            'SELECT "id", "status" FROM "posts"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_posts'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_posts', seq FROM sqlite_sequence WHERE name = 'posts'",
            'DROP TABLE "posts"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_posts" RENAME TO "posts"',
            'PRAGMA legacy_alter_table = OFF',
            'CREATE INDEX "posts_live_idx" ON "posts" ("id") WHERE status IN (\'draft\', \'published\')',
            'DROP INDEX "posts_live_idx"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n'
            '-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"posts_live_idx"\')\n'
            'DROP INDEX CONCURRENTLY IF EXISTS "posts_live_idx"',
            '-- outside a transaction\n'
            'CREATE INDEX CONCURRENTLY IF NOT EXISTS "posts_live_idx" ON "posts" ("id") WHERE status IN (\'draft\', \'published\')\n'
            '-- undo: DROP INDEX CONCURRENTLY IF EXISTS "posts_live_idx"',
            'ALTER TABLE "posts" ADD CONSTRAINT "posts_status_check" CHECK (status IN (\'draft\', \'published\', \'archived\')) NOT VALID\n'
            '-- undo: ALTER TABLE "posts" DROP CONSTRAINT IF EXISTS "posts_status_check"',
            'COMMIT',
            'ALTER TABLE "posts" VALIDATE CONSTRAINT "posts_status_check"',
        ], SQLITE: [
            'CREATE INDEX "posts_live_idx" ON "posts" ("id") WHERE status IN (\'draft\', \'published\')',
            'CREATE TABLE "pymig_new_posts" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "posts_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "status" VARCHAR(20) NOT NULL,\n'
            '    CONSTRAINT "posts_status_check" CHECK (status IN (\'draft\', \'published\', \'archived\'))\n'
            ')',
            'INSERT INTO "pymig_new_posts" ("id", "status")\n'
            'SELECT "id", "status" FROM "posts"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_posts'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_posts', seq FROM sqlite_sequence WHERE name = 'posts'",
            'DROP TABLE "posts"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_posts" RENAME TO "posts"',
            'PRAGMA legacy_alter_table = OFF',
            'CREATE INDEX "posts_live_idx" ON "posts" ("id") WHERE status IN (\'draft\', \'published\')',
        ]},
        down_checks=every([
            'check "posts_status_check" (CHECK (status IN (\'draft\', \'published\', \'archived\'))) fails for {count} {noun} of "posts"',
        ]),
    ),
    Case(
        "drop_table_with_generated_column",
        setup=[create_table("items", column("id", "serial", primary_key=True),
                            column("price", "numeric(10,2)", nullable=False), column("qty", "integer", nullable=False),
                            column("total", "numeric", generated="price * qty"))],
        ops=[drop_table("items", allow_data_loss=True)],
        sql={PG: [
            'DROP TABLE "items"',
        ]},
        down_sql={PG: [
            'CREATE TABLE "items" (\n'
            '    "id" serial NOT NULL,\n'
            '    "price" numeric(10,2) NOT NULL,\n'
            '    "qty" integer NOT NULL,\n'
            '    "total" numeric GENERATED ALWAYS AS (price * qty) STORED,\n'
            '    CONSTRAINT "items_pkey" PRIMARY KEY ("id")\n'
            ')',
        ]},
        checks={PG: [
            'table "items" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'column "total" is generated: pymig carries generated columns only on PostgreSQL'},
    ),
    # PostgreSQL keeps a sequence's name when its table or column is renamed: the column a down
    # re-creates gets it back (created under it and owned by the column, as serial makes it)
    Case(
        "drop_table_renamed_with_serial",
        setup=[create_table("articles", column("id", "serial", primary_key=True), column("title", "text")),
               rename_table("articles", "posts")],
        rows=["INSERT INTO posts (title) VALUES ('a'), ('b')"],
        ops=[drop_table("posts", allow_data_loss=True)],
        sql=every([
            'DROP TABLE "posts"',
        ]),
        down_sql={PG: [
            'CREATE SEQUENCE "articles_id_seq" AS integer',
            'CREATE TABLE "posts" (\n'
            '    "id" integer DEFAULT nextval(\'"articles_id_seq"\'::regclass) NOT NULL,\n'
            '    "title" text,\n'
            '    CONSTRAINT "articles_pkey" PRIMARY KEY ("id")\n'
            ')',
            'ALTER SEQUENCE "articles_id_seq" OWNED BY "posts"."id"',
        ], SQLITE: [
            'CREATE TABLE "posts" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "articles_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "title" TEXT\n'
            ')',
        ]},
        checks=every([
            'table "posts" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]),
    ),
    Case(
        "drop_column_renamed_serial",
        setup=[create_table("articles", column("id", "serial", primary_key=True), column("ref", "bigserial")),
               rename_column("articles", "ref", "number")],
        rows=["INSERT INTO articles DEFAULT VALUES"],
        ops=[drop_column("articles", "number", allow_data_loss=True)],
        sql={PG: [
            'ALTER TABLE "articles" DROP COLUMN "number"',
        ]},
        down_sql={PG: [
            'CREATE SEQUENCE "articles_ref_seq" AS bigint',
            'ALTER TABLE "articles" ADD COLUMN "number" bigint DEFAULT nextval(\'"articles_ref_seq"\'::regclass) NOT NULL',
            'ALTER SEQUENCE "articles_ref_seq" OWNED BY "articles"."number"',
        ]},
        checks={PG: [
            'column "articles.number" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'table "articles": a serial column must be the whole primary key on SQLite'},
    ),
    Case(
        "alter_column_type_using_and_default",
        setup=[create_table("people", column("id", "serial", primary_key=True),
                            column("age", "text", default="unknown"))],
        rows=["INSERT INTO people (age) VALUES ('41'), ('7')"],
        ops=[alter_column("people", "age", type="integer", using="age::integer", default=0, rewrite=True)],
        sql={PG: [
            '-- WARNING: alter_column people.age: changing the type from text to integer rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "people" ALTER COLUMN "age" DROP DEFAULT, ALTER COLUMN "age" TYPE integer USING age::integer, ALTER COLUMN "age" SET DEFAULT 0',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_people" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "people_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "age" INTEGER DEFAULT 0\n'
            ')',
            'INSERT INTO "pymig_new_people" ("id", "age")\n'
            'SELECT "id", CAST(age AS INTEGER) FROM "people"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_people'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_people', seq FROM sqlite_sequence WHERE name = 'people'",
            'DROP TABLE "people"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_people" RENAME TO "people"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_sql={PG: [
            '-- WARNING: alter_column people.age: changing the type from integer to text rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "people" ALTER COLUMN "age" DROP DEFAULT, ALTER COLUMN "age" TYPE text, ALTER COLUMN "age" SET DEFAULT \'unknown\'',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_people" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "people_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "age" TEXT DEFAULT \'unknown\'\n'
            ')',
            'INSERT INTO "pymig_new_people" ("id", "age")\n'
            'SELECT "id", "age" FROM "people"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_people'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_people', seq FROM sqlite_sequence WHERE name = 'people'",
            'DROP TABLE "people"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_people" RENAME TO "people"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        checks={PG: [
            'column "people.age" has {count} {noun} that cannot be converted to integer with using=\'age::integer\'',
        ]},
        data="SELECT id, age::text FROM people ORDER BY id",
        data_after=[(1, "41"), (2, "7")],
    ),
]


# -- how the suites walk a case ----------------------------------------------------------------

def build(ops, schema: Schema | None = None) -> Schema:
    """The schema after `ops`, from their state changes alone."""
    schema = schema if schema is not None else Schema()
    for op in ops:
        schema = op.state_forwards(schema)
    return schema


def walk(ops, schema: Schema):
    """Yield (op, schema before it) as the executor sees them within one migration: tables
    created earlier in the same migration are new (`is_live` is false), so they get no online
    recipe; columns added earlier are new too (a rename of one needs no compatible form)."""
    start, added = schema.relation_names(), set()
    for op in ops:
        yield op, replace(schema, new_tables=frozenset(schema.relation_names() - start), new_columns=frozenset(added))
        if isinstance(op, RenameTable) and op.old in start:
            start.add(op.new)
        added.update(op.columns_added())
        schema = op.state_forwards(schema)


def inverse_ops(ops, schema: Schema) -> list:
    """The inverse of a migration as the executor derives it: each operation's inverse from the
    schema before it, newest first; `added` holds the columns the migration created so far."""
    inverse, added = [], set()
    for op, before in walk(ops, schema):
        inverse[:0] = op.inverse(before, added)
        added.update(op.columns_added())
    return inverse


def step_text(step) -> str:
    """One step as the text the case table spells it with."""
    if isinstance(step, Sql):
        notes = []
        if not step.transactional:
            notes.append("-- outside a transaction")
        if step.only_if:
            notes.append(f"-- only if: {step.only_if}")
        text = "\n".join([*notes, step.text])
        if step.undo is not None:
            text += f"\n-- undo: {step.undo.text}"
        return text
    if isinstance(step, Commit):
        return "COMMIT"
    if isinstance(step, Warning):
        return f"-- WARNING: {step.text}"
    if isinstance(step, Python):
        return f"-- python: {step.label}"
    if isinstance(step, Check):
        return f"-- check: {step.query}"
    if isinstance(step, Batched):
        how = "each batch committed on its own" if step.online else "in the migration's transaction"
        return (f"-- batches of {step.batch_size} by {step.key}, {how}:\n{step.first}\n"
                f"-- next batches:\n{step.after}")
    raise TypeError(f"no text for step {step!r}: teach step_text about it")


def render(ops, schema: Schema, dialect) -> tuple[list[str], list[str]]:
    """(statements, preflight check messages) of `ops` applied to `schema` as one migration."""
    statements, checks = [], []
    for op, before in walk(dialect.merge(ops, schema), schema):
        checks += [c.message for c in op.checks(before, dialect)]
        statements += [step_text(s) for s in dialect.forward(op, before)]
    return statements, checks


# -- SQLite ------------------------------------------------------------------------------------
# The same cases on SQLite. Where its ALTER TABLE cannot make the change, the table is rebuilt;
# `rebuild` spells that procedure once, as SqliteDialect.rebuild emits it.







# -- views, enums, comments, privileges, sequences, functions, triggers (tests/cases_objects.py) --
from cases_objects import OBJECT_CASES  # noqa: E402  (it builds on the names above)

CASES += OBJECT_CASES

# -- schema-qualified names (tests/cases_schemas.py) ---------------------------------------------
from cases_schemas import SCHEMA_CASES  # noqa: E402

CASES += SCHEMA_CASES
