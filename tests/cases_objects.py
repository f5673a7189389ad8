"""Rows of the shared case table (tests/cases.py) for the object kinds beyond tables, columns,
indexes and constraints: views, enums, comments, privileges, sequences, functions and triggers,
primary keys and constraint renames, extensions and schemas.

Same shape and same suites as the rows in cases.py. SQLite has views; privileges and comments it does
not keep, so grant, revoke and comment_on do nothing there; the other kinds it has no meaning
for, and their rows say what pymig refuses there when it loads the migration. Privileges
go to roles the tests create once per server (tests/helpers.py TEST_ROLES)."""

from __future__ import annotations

from pymig import (add_check, add_column, add_exclusion, attach_partition, create_partition, detach_partition,
                   drop_column, drop_constraint, drop_table, rename_column, add_enum_value, alter_column, add_primary_key, alter_sequence, column, comment_on,
                   create_enum, create_extension, create_function, create_index, create_schema, create_sequence,
                   create_table, create_trigger, create_view, drop_enum, drop_extension, drop_function,
                   drop_primary_key, drop_schema, drop_sequence, drop_trigger, drop_view, grant,
                   refresh_materialized_view, rename_constraint, rename_enum_value, replace_function, replace_view,
                   revoke)

from cases import PG, SOME_USERS, SQLITE, USERS, Case

BOOKINGS = create_table(
    "bookings",
    column("id", "serial", primary_key=True),
    column("room_id", "integer", nullable=False),
    column("during", "tsrange", nullable=False),
    column("cancelled", "boolean", nullable=False, default=False),
)
SOME_BOOKINGS = [
    "INSERT INTO bookings (room_id, during, cancelled) VALUES "
    "(1, '[2024-01-01 10:00, 2024-01-01 11:00)', false), (1, '[2024-01-01 11:00, 2024-01-01 12:00)', false), "
    "(2, '[2024-01-01 10:00, 2024-01-01 11:00)', false), (1, '[2024-01-01 10:30, 2024-01-01 11:30)', true)",
]
NO_OVERLAP = add_exclusion("bookings", "bookings_no_overlap", "gist", [("room_id", "="), ("during", "&&")],
                           where="NOT cancelled")

def events_table(name="events", *, partitioned=True, key=True):
    return create_table(
        name,
        column("id", "bigint", nullable=False, primary_key=key),
        column("created_at", "timestamptz", nullable=False, primary_key=key),
        column("kind", "text", nullable=False, default="click"),
        partition_by="range (created_at)" if partitioned else None,
    )


EVENTS = events_table()
JANUARY = create_partition("events", "events_2024_01", for_values="FROM ('2024-01-01') TO ('2024-02-01')")
FEBRUARY = create_partition("events", "events_2024_02", for_values="FROM ('2024-02-01') TO ('2024-03-01')")
SOME_EVENTS = ["INSERT INTO events (id, created_at) VALUES (1, '2024-01-05'), (2, '2024-01-20'), (3, '2024-02-03')"]
FEBRUARY_ROWS = "FROM ('2024-02-01') TO ('2024-03-01')"
PARTITIONED = 'table "events" is partitioned (partition_by=): SQLite has no partitioned tables'

OBJECT_CASES = [
    Case(
        "create_view",
        setup=[USERS],
        ops=[create_view("active_users", "SELECT id, email FROM users WHERE name IS NOT NULL")],
        sql={PG: [
            'CREATE VIEW "active_users" AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ], SQLITE: [
            'CREATE VIEW "active_users" AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ]},
        down_sql={PG: [
            'DROP VIEW "active_users"',
        ], SQLITE: [
            'DROP VIEW "active_users"',
        ]},
        down_checks={PG: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ], SQLITE: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        rows=SOME_USERS,
        data="SELECT count(*) FROM users",
    ),
    Case(
        "create_view_materialized_refreshed",
        setup=[USERS],
        ops=[create_view("user_domains", "SELECT split_part(email, '@', 2) AS domain, count(*) AS users FROM users GROUP BY 1", materialized=True, columns=["domain", "users"]), create_index("user_domains", ["domain"], unique=True, name="user_domains_domain_idx"), refresh_materialized_view("user_domains")],
        sql={PG: [
            'CREATE MATERIALIZED VIEW "user_domains" ("domain", "users") AS\nSELECT split_part(email, \'@\', 2) AS domain, count(*) AS users FROM users GROUP BY 1',
            'CREATE UNIQUE INDEX "user_domains_domain_idx" ON "user_domains" ("domain")',
            'REFRESH MATERIALIZED VIEW CONCURRENTLY "user_domains"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\nDROP INDEX CONCURRENTLY IF EXISTS "user_domains_domain_idx"',
            'DROP MATERIALIZED VIEW "user_domains"',
        ]},
        checks={PG: [
            '{count} {noun} of "user_domains" share {groups} of (domain), which unique index "user_domains_domain_idx" allows only once',
        ]},
        down_checks={PG: [
            'view "user_domains" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        rows=SOME_USERS,
        refused={SQLITE: 'create_view user_domains: SQLite has no materialized views'},
    ),
    Case(
        "drop_view",
        setup=[USERS, create_view("active_users", "SELECT id, email FROM users WHERE name IS NOT NULL", columns=["user_id", "email"])],
        ops=[drop_view("active_users")],
        sql={PG: [
            'DROP VIEW "active_users"',
        ], SQLITE: [
            'DROP VIEW "active_users"',
        ]},
        down_sql={PG: [
            'CREATE VIEW "active_users" ("user_id", "email") AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ], SQLITE: [
            'CREATE VIEW "active_users" ("user_id", "email") AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ]},
        checks={PG: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ], SQLITE: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        rows=SOME_USERS,
    ),
    Case(
        "drop_view_with_comment_and_grant",
        setup=[USERS, create_view("active_users", "SELECT id, email FROM users WHERE name IS NOT NULL"), comment_on("active_users", "users who gave a name"), grant(["SELECT"], "active_users", "pymig_test_reader")],
        ops=[drop_view("active_users")],
        sql={PG: [
            'DROP VIEW "active_users"',
        ], SQLITE: [
            'DROP VIEW "active_users"',
        ]},
        down_sql={PG: [
            'CREATE VIEW "active_users" AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
            'COMMENT ON VIEW "active_users" IS \'users who gave a name\'',
            'GRANT SELECT ON "active_users" TO "pymig_test_reader"',
        ], SQLITE: [
            'CREATE VIEW "active_users" AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ]},
        checks={PG: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ], SQLITE: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
    ),
    Case(
        "replace_view",
        setup=[USERS, create_view("active_users", "SELECT id, email FROM users WHERE name IS NOT NULL")],
        ops=[replace_view("active_users", "SELECT id, email, name FROM users WHERE name IS NOT NULL")],
        sql={PG: [
            'CREATE OR REPLACE VIEW "active_users" AS\nSELECT id, email, name FROM users WHERE name IS NOT NULL',
        ], SQLITE: [
            'DROP VIEW "active_users"',
            'CREATE VIEW "active_users" AS\nSELECT id, email, name FROM users WHERE name IS NOT NULL',
        ]},
        down_sql={PG: [
            'DROP VIEW "active_users"',
            'CREATE VIEW "active_users" AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ], SQLITE: [
            'DROP VIEW "active_users"',
            'CREATE VIEW "active_users" AS\nSELECT id, email FROM users WHERE name IS NOT NULL',
        ]},
        down_checks={PG: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ], SQLITE: [
            'view "active_users" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
    ),
    Case(
        "create_enum",
        setup=[USERS],
        ops=[create_enum("user_role", ["member", "editor", "admin"]), add_column("users", "role", "user_role", nullable=False, default="member")],
        sql={PG: [
            'CREATE TYPE "user_role" AS ENUM (\'member\', \'editor\', \'admin\')',
            'ALTER TABLE "users" ADD COLUMN "role" user_role DEFAULT \'member\' NOT NULL',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "role"',
            'DROP TYPE "user_role"',
        ]},
        down_checks={PG: [
            'column "users.role" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'create_enum has no SQLite meaning: SQLite has no enum types (a CHECK (value IN (...)) constraint does the job there)'},
    ),
    Case(
        "drop_enum",
        setup=[USERS, create_enum("mood", ["sad", "happy"])],
        ops=[drop_enum("mood")],
        sql={PG: [
            'DROP TYPE "mood"',
        ]},
        down_sql={PG: [
            'CREATE TYPE "mood" AS ENUM (\'sad\', \'happy\')',
        ]},
        refused={SQLITE: 'create_enum has no SQLite meaning: SQLite has no enum types (a CHECK (value IN (...)) constraint does the job there)'},
    ),
    Case(
        "add_enum_value",
        setup=[USERS, create_enum("user_role", ["member", "admin"]), add_column("users", "role", "user_role", nullable=False, default="member")],
        ops=[add_enum_value("user_role", "editor", after="member")],
        sql={PG: [
            'ALTER TYPE "user_role" ADD VALUE \'editor\' AFTER \'member\'',
        ]},
        down_sql={PG: [
            "-- WARNING: drop_enum_value user_role 'editor': rebuilding the type rewrites users under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes",
            'ALTER TYPE "user_role" RENAME TO "user_role_pymig_old"',
            'CREATE TYPE "user_role" AS ENUM (\'member\', \'admin\')',
            'ALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT',
            'ALTER TABLE "users" ALTER COLUMN "role" TYPE "user_role" USING "role"::text::"user_role"',
            'ALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT \'member\'',
            'DROP TYPE "user_role_pymig_old"',
        ]},
        down_checks={PG: [
            'column "users.role" holds the value \'editor\' in {count} {noun}, which the type without it could not hold',
        ]},
        rows=SOME_USERS + ["UPDATE users SET role = 'admin' WHERE name = 'bob'"],
        data="SELECT id, role::text FROM users ORDER BY id",
        refused={SQLITE: 'create_enum has no SQLite meaning: SQLite has no enum types (a CHECK (value IN (...)) constraint does the job there)'},
    ),
    Case(
        "rename_enum_value",
        setup=[USERS, create_enum("user_role", ["member", "admin"]), add_column("users", "role", "user_role", nullable=False, default="member")],
        ops=[rename_enum_value("user_role", "member", "reader")],
        sql={PG: [
            'ALTER TYPE "user_role" RENAME VALUE \'member\' TO \'reader\'',
        ]},
        down_sql={PG: [
            'ALTER TYPE "user_role" RENAME VALUE \'reader\' TO \'member\'',
        ]},
        rows=SOME_USERS,
        data="SELECT id FROM users WHERE role::text IN ('member', 'reader') ORDER BY id",
        refused={SQLITE: 'create_enum has no SQLite meaning: SQLite has no enum types (a CHECK (value IN (...)) constraint does the job there)'},
    ),
    Case(
        "comment_on",
        setup=[USERS, create_index("users", ["email"])],
        ops=[comment_on("users", "people who signed up"), comment_on("users.email", "where we write to them"), comment_on("users.users_pkey", "one row per person"), comment_on("users_email_idx", "for the login lookup")],
        sql={PG: [
            'COMMENT ON TABLE "users" IS \'people who signed up\'',
            'COMMENT ON COLUMN "users"."email" IS \'where we write to them\'',
            'COMMENT ON CONSTRAINT "users_pkey" ON "users" IS \'one row per person\'',
            'COMMENT ON INDEX "users_email_idx" IS \'for the login lookup\'',
        ], SQLITE: [
        ]},
        down_sql={PG: [
            'COMMENT ON INDEX "users_email_idx" IS NULL',
            'COMMENT ON CONSTRAINT "users_pkey" ON "users" IS NULL',
            'COMMENT ON COLUMN "users"."email" IS NULL',
            'COMMENT ON TABLE "users" IS NULL',
        ], SQLITE: [
        ]},
    ),
    Case(
        "comment_on_changed_and_removed",
        setup=[USERS, comment_on("users", "people"), comment_on("users.email", "login")],
        ops=[comment_on("users", "people who signed up"), comment_on("users.email", None)],
        sql={PG: [
            'COMMENT ON TABLE "users" IS \'people who signed up\'',
            'COMMENT ON COLUMN "users"."email" IS NULL',
        ], SQLITE: [
        ]},
        down_sql={PG: [
            'COMMENT ON COLUMN "users"."email" IS \'login\'',
            'COMMENT ON TABLE "users" IS \'people\'',
        ], SQLITE: [
        ]},
    ),
    Case(
        "create_table_with_comments",
        setup=[],
        ops=[create_table("notes", column("id", "bigserial", primary_key=True), column("body", "text", nullable=False, comment="markdown"), comment="free-form notes")],
        sql={PG: [
            'CREATE TABLE "notes" (\n    "id" bigserial NOT NULL,\n    "body" text NOT NULL,\n    CONSTRAINT "notes_pkey" PRIMARY KEY ("id")\n)',
            'COMMENT ON TABLE "notes" IS \'free-form notes\'',
            'COMMENT ON COLUMN "notes"."body" IS \'markdown\'',
        ], SQLITE: [
            'CREATE TABLE "notes" (\n    "id" INTEGER NOT NULL CONSTRAINT "notes_pkey" PRIMARY KEY AUTOINCREMENT,\n    "body" TEXT NOT NULL\n)',
        ]},
        down_sql={PG: [
            'DROP TABLE "notes"',
        ], SQLITE: [
            'DROP TABLE "notes"',
        ]},
        down_checks={PG: [
            'table "notes" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ], SQLITE: [
            'table "notes" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
    ),
    Case(
        "grant",
        setup=[USERS],
        ops=[grant(["SELECT", "INSERT"], "users", "pymig_test_reader"), grant(["UPDATE"], "users", "pymig_test_reader", columns=["name"]), grant(["SELECT"], "users", "pymig_test_writer", with_grant_option=True)],
        sql={PG: [
            'GRANT SELECT, INSERT ON "users" TO "pymig_test_reader"',
            'GRANT UPDATE ("name") ON "users" TO "pymig_test_reader"',
            'GRANT SELECT ON "users" TO "pymig_test_writer" WITH GRANT OPTION',
        ], SQLITE: [
        ]},
        down_sql={PG: [
            'REVOKE SELECT ON "users" FROM "pymig_test_writer"',
            'REVOKE UPDATE ("name") ON "users" FROM "pymig_test_reader"',
            'REVOKE SELECT, INSERT ON "users" FROM "pymig_test_reader"',
        ], SQLITE: [
        ]},
        checks={PG: [
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'role "pymig_test_writer" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ], SQLITE: [
        ]},
        down_checks={PG: [
            'role "pymig_test_writer" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ], SQLITE: [
        ]},
    ),
    Case(
        "grant_already_held",
        setup=[USERS, grant(["SELECT"], "users", "pymig_test_reader")],
        ops=[grant(["SELECT", "DELETE"], "users", "pymig_test_reader")],
        sql={PG: [
            'GRANT SELECT, DELETE ON "users" TO "pymig_test_reader"',
        ], SQLITE: [
        ]},
        down_sql={PG: [
            'REVOKE DELETE ON "users" FROM "pymig_test_reader"',
        ], SQLITE: [
        ]},
        checks={PG: [
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ], SQLITE: [
        ]},
        down_checks={PG: [
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ], SQLITE: [
        ]},
    ),
    Case(
        "revoke",
        setup=[USERS, grant(["SELECT", "UPDATE"], "users", "pymig_test_reader"), grant(["UPDATE"], "users", "pymig_test_writer", columns=["name"])],
        ops=[revoke(["UPDATE"], "users", "pymig_test_reader"), revoke(["UPDATE"], "users", "pymig_test_writer", columns=["name"])],
        sql={PG: [
            'REVOKE UPDATE ON "users" FROM "pymig_test_reader"',
            'REVOKE UPDATE ("name") ON "users" FROM "pymig_test_writer"',
        ], SQLITE: [
        ]},
        down_sql={PG: [
            'GRANT UPDATE ("name") ON "users" TO "pymig_test_writer"',
            'GRANT UPDATE ON "users" TO "pymig_test_reader"',
        ], SQLITE: [
        ]},
        checks={PG: [
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'role "pymig_test_writer" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ], SQLITE: [
        ]},
        down_checks={PG: [
            'role "pymig_test_writer" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ], SQLITE: [
        ]},
    ),
    Case(
        "create_sequence",
        setup=[USERS],
        ops=[create_sequence("invoice_numbers", start=1000, increment=10, max=999999, cycle=True), create_sequence("users_ticket_seq", owned_by="users.id")],
        sql={PG: [
            'CREATE SEQUENCE "invoice_numbers" INCREMENT BY 10 MAXVALUE 999999 START WITH 1000 CYCLE',
            'CREATE SEQUENCE "users_ticket_seq" OWNED BY "users"."id"',
        ]},
        down_sql={PG: [
            'DROP SEQUENCE "users_ticket_seq"',
            'DROP SEQUENCE "invoice_numbers"',
        ]},
        down_checks={PG: [
            'sequence "users_ticket_seq" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'sequence "invoice_numbers" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'create_sequence has no SQLite meaning: SQLite has no sequences (an INTEGER PRIMARY KEY numbers the rows)'},
    ),
    Case(
        "alter_sequence",
        setup=[USERS, create_sequence("invoice_numbers", start=1000)],
        ops=[alter_sequence("invoice_numbers", increment=5, max=100000, cycle=True)],
        sql={PG: [
            'ALTER SEQUENCE "invoice_numbers" INCREMENT BY 5 MAXVALUE 100000 CYCLE',
        ]},
        down_sql={PG: [
            'ALTER SEQUENCE "invoice_numbers" INCREMENT BY 1 NO MAXVALUE NO CYCLE',
        ]},
        refused={SQLITE: 'create_sequence has no SQLite meaning: SQLite has no sequences (an INTEGER PRIMARY KEY numbers the rows)'},
    ),
    Case(
        "drop_sequence",
        setup=[USERS, create_sequence("invoice_numbers", start=1000, increment=10)],
        ops=[drop_sequence("invoice_numbers")],
        sql={PG: [
            'DROP SEQUENCE "invoice_numbers"',
        ]},
        down_sql={PG: [
            'CREATE SEQUENCE "invoice_numbers" INCREMENT BY 10 START WITH 1000',
        ]},
        checks={PG: [
            'sequence "invoice_numbers" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'create_sequence has no SQLite meaning: SQLite has no sequences (an INTEGER PRIMARY KEY numbers the rows)'},
    ),
    Case(
        "create_function_and_trigger",
        setup=[USERS],
        ops=[create_function("users_normalise_email", "", "trigger", "BEGIN NEW.email := lower(NEW.email); RETURN NEW; END"), create_trigger("users", "users_normalise_email", "users_normalise_email", condition="NEW.email IS NOT NULL")],
        sql={PG: [
            'CREATE FUNCTION "users_normalise_email"() RETURNS trigger LANGUAGE plpgsql AS $pymig$BEGIN NEW.email := lower(NEW.email); RETURN NEW; END$pymig$',
            'CREATE TRIGGER "users_normalise_email" BEFORE INSERT OR UPDATE ON "users" FOR EACH ROW WHEN (NEW.email IS NOT NULL) EXECUTE FUNCTION "users_normalise_email"()',
        ]},
        down_sql={PG: [
            'DROP TRIGGER "users_normalise_email" ON "users"',
            'DROP FUNCTION "users_normalise_email"',
        ]},
        refused={SQLITE: 'create_function has no SQLite meaning: SQLite has no stored functions (its triggers hold their statements inline)'},
    ),
    Case(
        "create_function_sql",
        setup=[],
        ops=[create_function("add_tax", "amount numeric, rate numeric DEFAULT 0.2", "numeric", "SELECT amount * (1 + rate)", language="sql", volatility="immutable")],
        sql={PG: [
            'CREATE FUNCTION "add_tax"(amount numeric, rate numeric DEFAULT 0.2) RETURNS numeric LANGUAGE sql IMMUTABLE AS $pymig$SELECT amount * (1 + rate)$pymig$',
        ]},
        down_sql={PG: [
            'DROP FUNCTION "add_tax"',
        ]},
        refused={SQLITE: 'create_function has no SQLite meaning: SQLite has no stored functions (its triggers hold their statements inline)'},
    ),
    Case(
        "replace_function",
        setup=[create_function("answer", "", "integer", "BEGIN RETURN 42; END", volatility="immutable")],
        ops=[replace_function("answer", "", "integer", "BEGIN RETURN 43; END")],
        sql={PG: [
            'CREATE OR REPLACE FUNCTION "answer"() RETURNS integer LANGUAGE plpgsql AS $pymig$BEGIN RETURN 43; END$pymig$',
        ]},
        down_sql={PG: [
            'CREATE OR REPLACE FUNCTION "answer"() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $pymig$BEGIN RETURN 42; END$pymig$',
        ]},
        refused={SQLITE: 'create_function has no SQLite meaning: SQLite has no stored functions (its triggers hold their statements inline)'},
    ),
    Case(
        "drop_function",
        setup=[create_function("answer", "", "integer", "BEGIN RETURN 42; END", volatility="immutable")],
        ops=[drop_function("answer")],
        sql={PG: [
            'DROP FUNCTION "answer"',
        ]},
        down_sql={PG: [
            'CREATE FUNCTION "answer"() RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $pymig$BEGIN RETURN 42; END$pymig$',
        ]},
        refused={SQLITE: 'create_function has no SQLite meaning: SQLite has no stored functions (its triggers hold their statements inline)'},
    ),
    Case(
        "drop_trigger",
        setup=[USERS, create_function("users_touch", "", "trigger", "BEGIN RETURN NEW; END"), create_trigger("users", "users_touch", "users_touch", when="after", events=["insert", "delete"], for_each="statement")],
        ops=[drop_trigger("users", "users_touch")],
        sql={PG: [
            'DROP TRIGGER "users_touch" ON "users"',
        ]},
        down_sql={PG: [
            'CREATE TRIGGER "users_touch" AFTER INSERT OR DELETE ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "users_touch"()',
        ]},
        refused={SQLITE: 'create_function has no SQLite meaning: SQLite has no stored functions (its triggers hold their statements inline)'},
    ),

    # a type change back from an enum sets the default again: converted, it would still name the
    # enum, which could not be dropped then
    Case(
        "alter_column_to_enum_with_default",
        setup=[USERS],
        ops=[add_column("users", "role", "varchar(20)", nullable=False, default="member"), create_enum("user_role", ["member", "admin"]), alter_column("users", "role", type="user_role", using="role::user_role", default="member", rewrite=True)],
        sql={PG: [
            'ALTER TABLE "users" ADD COLUMN "role" character varying(20) DEFAULT \'member\' NOT NULL',
            'CREATE TYPE "user_role" AS ENUM (\'member\', \'admin\')',
            '-- WARNING: alter_column users.role: changing the type from character varying(20) to user_role rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT, ALTER COLUMN "role" TYPE user_role USING role::user_role, ALTER COLUMN "role" SET DEFAULT \'member\'',
        ]},
        down_sql={PG: [
            '-- WARNING: alter_column users.role: changing the type from user_role to character varying(20) rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: reads and writes wait until it finishes',
            'ALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT, ALTER COLUMN "role" TYPE character varying(20), ALTER COLUMN "role" SET DEFAULT \'member\'',
            'DROP TYPE "user_role"',
            'ALTER TABLE "users" DROP COLUMN "role"',
        ]},
        checks={PG: [
            'column "users.role" has {count} {noun} that cannot be converted to user_role with using=\'role::user_role\'',
        ]},
        down_checks={PG: [
            'column "users.role" has {count} {noun} longer than 20 characters, which character varying(20) cannot hold',
            'column "users.role" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        rows=SOME_USERS,
        refused={SQLITE: 'create_enum has no SQLite meaning: SQLite has no enum types (a CHECK (value IN (...)) constraint does the job there)'},
    ),

    # -- keys, constraint renames, extensions, schemas --
    Case(
        "add_primary_key",
        setup=[create_table("tags", column("name", "text", nullable=False), column("label", "text"))],
        ops=[add_primary_key("tags", ["name"])],
        sql={PG: [
            '-- outside a transaction\n-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"tags_pkey"\')\nDROP INDEX CONCURRENTLY IF EXISTS "tags_pkey"',
            '-- outside a transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "tags_pkey" ON "tags" ("name")\n-- undo: DROP INDEX CONCURRENTLY IF EXISTS "tags_pkey"',
            'ALTER TABLE "tags" ADD CONSTRAINT "tags_pkey" PRIMARY KEY USING INDEX "tags_pkey"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_tags" (\n    "name" TEXT NOT NULL,\n    "label" TEXT,\n    CONSTRAINT "tags_pkey" PRIMARY KEY ("name")\n)',
            'INSERT INTO "pymig_new_tags" ("name", "label")\nSELECT "name", "label" FROM "tags"',
            'DROP TABLE "tags"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_tags" RENAME TO "tags"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_sql={PG: [
            'ALTER TABLE "tags" DROP CONSTRAINT "tags_pkey"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_tags" (\n    "name" TEXT NOT NULL,\n    "label" TEXT\n)',
            'INSERT INTO "pymig_new_tags" ("name", "label")\nSELECT "name", "label" FROM "tags"',
            'DROP TABLE "tags"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_tags" RENAME TO "tags"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        checks={PG: [
            'table "tags" has {count} {noun} with NULL in (name), which primary key "tags_pkey" forbids',
            '{count} {noun} of "tags" share {groups} of (name), which primary key "tags_pkey" allows only once',
        ], SQLITE: [
            'table "tags" has {count} {noun} with NULL in (name), which primary key "tags_pkey" forbids',
            '{count} {noun} of "tags" share {groups} of (name), which primary key "tags_pkey" allows only once',
        ]},
        rows=["INSERT INTO tags VALUES ('a', 'A'), ('b', NULL)"],
        data="SELECT name, label FROM tags ORDER BY name",
    ),
    Case(
        "add_primary_key_nullable_column",
        setup=[create_table("events", column("id", "bigint"), column("kind", "text", nullable=False))],
        ops=[add_primary_key("events", "id", name="events_id_pk")],
        sql={PG: [
            'ALTER TABLE "events" ADD CONSTRAINT "events_id_pymig_not_null" CHECK ("id" IS NOT NULL) NOT VALID\n-- undo: ALTER TABLE "events" DROP CONSTRAINT IF EXISTS "events_id_pymig_not_null"',
            'COMMIT',
            'ALTER TABLE "events" VALIDATE CONSTRAINT "events_id_pymig_not_null"',
            'ALTER TABLE "events" ALTER COLUMN "id" SET NOT NULL',
            'ALTER TABLE "events" DROP CONSTRAINT "events_id_pymig_not_null"',
            '-- outside a transaction\n-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"events_id_pk"\')\nDROP INDEX CONCURRENTLY IF EXISTS "events_id_pk"',
            '-- outside a transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "events_id_pk" ON "events" ("id")\n-- undo: DROP INDEX CONCURRENTLY IF EXISTS "events_id_pk"',
            'ALTER TABLE "events" ADD CONSTRAINT "events_id_pk" PRIMARY KEY USING INDEX "events_id_pk"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_events" (\n'
            '    "id" BIGINT NOT NULL,\n'
            '    "kind" TEXT NOT NULL,\n'
            '    CONSTRAINT "events_id_pk" PRIMARY KEY ("id")\n'
            ')',
            'INSERT INTO "pymig_new_events" ("id", "kind")\n'
            'SELECT "id", "kind" FROM "events"',
            'DROP TABLE "events"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_events" RENAME TO "events"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_sql={PG: [
            'ALTER TABLE "events" DROP CONSTRAINT "events_id_pk"',
            'ALTER TABLE "events" ALTER COLUMN "id" DROP NOT NULL',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_events" (\n'
            '    "id" BIGINT,\n'
            '    "kind" TEXT NOT NULL\n'
            ')',
            'INSERT INTO "pymig_new_events" ("id", "kind")\n'
            'SELECT "id", "kind" FROM "events"',
            'DROP TABLE "events"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_events" RENAME TO "events"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        checks={PG: [
            'table "events" has {count} {noun} with NULL in (id), which primary key "events_id_pk" forbids',
            '{count} {noun} of "events" share {groups} of (id), which primary key "events_id_pk" allows only once',
        ], SQLITE: [
            'table "events" has {count} {noun} with NULL in (id), which primary key "events_id_pk" forbids',
            '{count} {noun} of "events" share {groups} of (id), which primary key "events_id_pk" allows only once',
        ]},
        rows=["INSERT INTO events VALUES (1, 'x'), (2, 'y')"],
    ),
    Case(
        "add_primary_key_new_table",
        setup=[],
        ops=[create_table("events", column("id", "bigint"), column("kind", "text", nullable=False)), add_primary_key("events", ["id", "kind"])],
        sql={PG: [
            'CREATE TABLE "events" (\n    "id" bigint,\n    "kind" text NOT NULL\n)',
            'ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY ("id", "kind")',
        ], SQLITE: [
            'CREATE TABLE "events" (\n'
            '    "id" BIGINT,\n'
            '    "kind" TEXT NOT NULL\n'
            ')',
            'CREATE TABLE "pymig_new_events" (\n'
            '    "id" BIGINT NOT NULL,\n'
            '    "kind" TEXT NOT NULL,\n'
            '    CONSTRAINT "events_pkey" PRIMARY KEY ("id", "kind")\n'
            ')',
            'INSERT INTO "pymig_new_events" ("id", "kind")\n'
            'SELECT "id", "kind" FROM "events"',
            'DROP TABLE "events"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_events" RENAME TO "events"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_sql={PG: [
            'ALTER TABLE "events" DROP CONSTRAINT "events_pkey"',
            'ALTER TABLE "events" ALTER COLUMN "id" DROP NOT NULL',
            'DROP TABLE "events"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_events" (\n'
            '    "id" BIGINT,\n'
            '    "kind" TEXT NOT NULL\n'
            ')',
            'INSERT INTO "pymig_new_events" ("id", "kind")\n'
            'SELECT "id", "kind" FROM "events"',
            'DROP TABLE "events"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_events" RENAME TO "events"',
            'PRAGMA legacy_alter_table = OFF',
            'DROP TABLE "events"',
        ]},
        checks={PG: [
            'table "events" has {count} {noun} with NULL in (id, kind), which primary key "events_pkey" forbids',
            '{count} {noun} of "events" share {groups} of (id, kind), which primary key "events_pkey" allows only once',
        ], SQLITE: [
            'table "events" has {count} {noun} with NULL in (id, kind), which primary key "events_pkey" forbids',
            '{count} {noun} of "events" share {groups} of (id, kind), which primary key "events_pkey" allows only once',
        ]},
        down_checks={PG: [
            'table "events" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ], SQLITE: [
            'table "events" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
    ),
    Case(
        "drop_primary_key",
        setup=[create_table("tags", column("name", "text", nullable=False), column("label", "text")), add_primary_key("tags", ["name"])],
        ops=[drop_primary_key("tags")],
        sql={PG: [
            'ALTER TABLE "tags" DROP CONSTRAINT "tags_pkey"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_tags" (\n    "name" TEXT NOT NULL,\n    "label" TEXT\n)',
            'INSERT INTO "pymig_new_tags" ("name", "label")\nSELECT "name", "label" FROM "tags"',
            'DROP TABLE "tags"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_tags" RENAME TO "tags"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"tags_pkey"\')\nDROP INDEX CONCURRENTLY IF EXISTS "tags_pkey"',
            '-- outside a transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "tags_pkey" ON "tags" ("name")\n-- undo: DROP INDEX CONCURRENTLY IF EXISTS "tags_pkey"',
            'ALTER TABLE "tags" ADD CONSTRAINT "tags_pkey" PRIMARY KEY USING INDEX "tags_pkey"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_tags" (\n    "name" TEXT NOT NULL,\n    "label" TEXT,\n    CONSTRAINT "tags_pkey" PRIMARY KEY ("name")\n)',
            'INSERT INTO "pymig_new_tags" ("name", "label")\nSELECT "name", "label" FROM "tags"',
            'DROP TABLE "tags"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_tags" RENAME TO "tags"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_checks={PG: [
            'table "tags" has {count} {noun} with NULL in (name), which primary key "tags_pkey" forbids',
            '{count} {noun} of "tags" share {groups} of (name), which primary key "tags_pkey" allows only once',
        ], SQLITE: [
            'table "tags" has {count} {noun} with NULL in (name), which primary key "tags_pkey" forbids',
            '{count} {noun} of "tags" share {groups} of (name), which primary key "tags_pkey" allows only once',
        ]},
        rows=["INSERT INTO tags VALUES ('a', 'A')"],
    ),
    Case(
        "rename_constraint",
        setup=[USERS, add_check("users", "users_email_check", "email <> ''")],
        ops=[rename_constraint("users", "users_pkey", "users_primary_key"), rename_constraint("users", "users_email_check", "users_email_not_empty")],
        sql={PG: [
            'ALTER TABLE "users" RENAME CONSTRAINT "users_pkey" TO "users_primary_key"',
            'ALTER TABLE "users" RENAME CONSTRAINT "users_email_check" TO "users_email_not_empty"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_users" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "users_primary_key" PRIMARY KEY AUTOINCREMENT,\n'
            '    "email" VARCHAR(255) NOT NULL,\n'
            '    "name" TEXT,\n'
            '    CONSTRAINT "users_email_not_empty" CHECK (email <> \'\')\n'
            ')',
            'INSERT INTO "pymig_new_users" ("id", "email", "name")\n'
            'SELECT "id", "email", "name" FROM "users"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_users'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_users', seq FROM sqlite_sequence WHERE name = 'users'",
            'DROP TABLE "users"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_users" RENAME TO "users"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" RENAME CONSTRAINT "users_email_not_empty" TO "users_email_check"',
            'ALTER TABLE "users" RENAME CONSTRAINT "users_primary_key" TO "users_pkey"',
        ], SQLITE: [
            'CREATE TABLE "pymig_new_users" (\n'
            '    "id" INTEGER NOT NULL CONSTRAINT "users_pkey" PRIMARY KEY AUTOINCREMENT,\n'
            '    "email" VARCHAR(255) NOT NULL,\n'
            '    "name" TEXT,\n'
            '    CONSTRAINT "users_email_check" CHECK (email <> \'\')\n'
            ')',
            'INSERT INTO "pymig_new_users" ("id", "email", "name")\n'
            'SELECT "id", "email", "name" FROM "users"',
            "DELETE FROM sqlite_sequence WHERE name = 'pymig_new_users'",
            "INSERT INTO sqlite_sequence (name, seq) SELECT 'pymig_new_users', seq FROM sqlite_sequence WHERE name = 'users'",
            'DROP TABLE "users"',
            'PRAGMA legacy_alter_table = ON',
            'ALTER TABLE "pymig_new_users" RENAME TO "users"',
            'PRAGMA legacy_alter_table = OFF',
        ]},
    ),
    Case(
        "create_extension",
        setup=[USERS],
        ops=[create_extension("citext"), add_column("users", "nick", "citext")],
        sql={PG: [
            'CREATE EXTENSION "citext"',
            'ALTER TABLE "users" ADD COLUMN "nick" citext',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "nick"',
            'DROP EXTENSION "citext"',
        ]},
        down_checks={PG: [
            'column "users.nick" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: 'create_extension has no SQLite meaning: SQLite has no extensions'},
    ),
    Case(
        "drop_extension",
        setup=[create_extension("pg_trgm")],
        ops=[drop_extension("pg_trgm")],
        sql={PG: [
            'DROP EXTENSION "pg_trgm"',
        ]},
        down_sql={PG: [
            'CREATE EXTENSION "pg_trgm"',
        ]},
        refused={SQLITE: 'create_extension has no SQLite meaning: SQLite has no extensions'},
    ),
    Case(
        "create_schema",
        setup=[],
        ops=[create_schema("reporting"), comment_on("reporting", "read-only copies for the analysts")],
        sql={PG: [
            'CREATE SCHEMA "reporting"',
            'COMMENT ON SCHEMA "reporting" IS \'read-only copies for the analysts\'',
        ]},
        down_sql={PG: [
            'COMMENT ON SCHEMA "reporting" IS NULL',
            'DROP SCHEMA "reporting"',
        ]},
        down_checks={PG: [
            'schema "reporting" holds {count} {noun}, and pymig never drops with CASCADE',
        ]},
        refused={SQLITE: 'create_schema has no SQLite meaning: SQLite has no schemas (an attached database file is the nearest thing)'},
    ),
    Case(
        "drop_schema",
        setup=[create_schema("archive")],
        ops=[drop_schema("archive")],
        sql={PG: [
            'DROP SCHEMA "archive"',
        ]},
        down_sql={PG: [
            'CREATE SCHEMA "archive"',
        ]},
        checks={PG: [
            'schema "archive" holds {count} {noun}, and pymig never drops with CASCADE',
        ]},
        refused={SQLITE: 'create_schema has no SQLite meaning: SQLite has no schemas (an attached database file is the nearest thing)'},
    ),

    Case(
        "add_exclusion",
        setup=[create_extension("btree_gist"), BOOKINGS],
        ops=[NO_OVERLAP],
        sql={PG: [
            '-- WARNING: add_exclusion bookings_no_overlap on bookings: PostgreSQL builds its index under an ACCESS EXCLUSIVE lock (an exclusion constraint cannot be added from an index built concurrently): reads and writes of bookings wait until it finishes',
            'ALTER TABLE "bookings" ADD CONSTRAINT "bookings_no_overlap" EXCLUDE USING gist ("room_id" WITH =, "during" WITH &&) WHERE (NOT cancelled)',
        ]},
        down_sql={PG: [
            'ALTER TABLE "bookings" DROP CONSTRAINT "bookings_no_overlap"',
        ]},
        checks={PG: [
            '{count} {noun} of "bookings" conflict with another row under exclusion "bookings_no_overlap" (room_id WITH =, during WITH &&)',
        ]},
        rows=SOME_BOOKINGS,
        data="SELECT id, room_id, during::text FROM bookings ORDER BY id",
        refused={SQLITE: 'create_extension has no SQLite meaning: SQLite has no extensions'},
    ),
    Case(
        "add_exclusion_expression",
        setup=[USERS],
        ops=[add_exclusion("users", "users_email_excl", "btree", [("lower(email)", "=")])],
        sql={PG: [
            '-- WARNING: add_exclusion users_email_excl on users: PostgreSQL builds its index under an ACCESS EXCLUSIVE lock (an exclusion constraint cannot be added from an index built concurrently): reads and writes of users wait until it finishes',
            'ALTER TABLE "users" ADD CONSTRAINT "users_email_excl" EXCLUDE USING btree (lower(email) WITH =)',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP CONSTRAINT "users_email_excl"',
        ]},
        checks={PG: [
            '{count} {noun} of "users" conflict with another row under exclusion "users_email_excl" (lower(email) WITH =)',
        ]},
        rows=SOME_USERS,
        refused={SQLITE: 'add_exclusion has no SQLite meaning: SQLite has no exclusion constraints (a trigger that refuses conflicting rows is the nearest thing, with run_sql)'},
    ),
    Case(
        "drop_constraint_exclusion",
        setup=[create_extension("btree_gist"), BOOKINGS, NO_OVERLAP],
        ops=[drop_constraint("bookings", "bookings_no_overlap")],
        sql={PG: [
            'ALTER TABLE "bookings" DROP CONSTRAINT "bookings_no_overlap"',
        ]},
        down_sql={PG: [
            '-- WARNING: add_exclusion bookings_no_overlap on bookings: PostgreSQL builds its index under an ACCESS EXCLUSIVE lock (an exclusion constraint cannot be added from an index built concurrently): reads and writes of bookings wait until it finishes',
            'ALTER TABLE "bookings" ADD CONSTRAINT "bookings_no_overlap" EXCLUDE USING gist ("room_id" WITH =, "during" WITH &&) WHERE (NOT cancelled)',
        ]},
        down_checks={PG: [
            '{count} {noun} of "bookings" conflict with another row under exclusion "bookings_no_overlap" (room_id WITH =, during WITH &&)',
        ]},
        rows=SOME_BOOKINGS,
        refused={SQLITE: 'create_extension has no SQLite meaning: SQLite has no extensions'},
    ),
    Case(
        "create_table_partitioned",
        ops=[EVENTS, JANUARY, create_partition("events", "events_other", for_values="DEFAULT"),
             create_table("regions", column("code", "text", nullable=False), partition_by="list (code)"),
             create_partition("regions", "regions_eu", for_values="IN ('de', 'fr', NULL)"),
             create_table("shards", column("id", "bigint", nullable=False), partition_by="hash (id)"),
             create_partition("shards", "shards_0", for_values="WITH (MODULUS 2, REMAINDER 0)"),
             create_partition("shards", "shards_1", for_values="WITH (modulus 2, remainder 1)")],
        sql={PG: [
            'CREATE TABLE "events" (\n    "id" bigint NOT NULL,\n    "created_at" timestamp with time zone NOT NULL,\n    "kind" text DEFAULT \'click\' NOT NULL,\n    CONSTRAINT "events_pkey" PRIMARY KEY ("id", "created_at")\n) PARTITION BY RANGE (created_at)',
            'CREATE TABLE "events_2024_01" PARTITION OF "events" FOR VALUES FROM (\'2024-01-01\') TO (\'2024-02-01\')',
            'CREATE TABLE "events_other" PARTITION OF "events" DEFAULT',
            'CREATE TABLE "regions" (\n    "code" text NOT NULL\n) PARTITION BY LIST (code)',
            'CREATE TABLE "regions_eu" PARTITION OF "regions" FOR VALUES IN (\'de\', \'fr\', NULL)',
            'CREATE TABLE "shards" (\n    "id" bigint NOT NULL\n) PARTITION BY HASH (id)',
            'CREATE TABLE "shards_0" PARTITION OF "shards" FOR VALUES WITH (MODULUS 2, REMAINDER 0)',
            'CREATE TABLE "shards_1" PARTITION OF "shards" FOR VALUES WITH (modulus 2, remainder 1)',
        ]},
        down_sql={PG: [
            'DROP TABLE "shards_1"',
            'DROP TABLE "shards_0"',
            'DROP TABLE "shards"',
            'DROP TABLE "regions_eu"',
            'DROP TABLE "regions"',
            'DROP TABLE "events_other"',
            'DROP TABLE "events_2024_01"',
            'DROP TABLE "events"',
        ]},
        down_checks={PG: [
            'table "shards_1" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "shards_0" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "shards" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "regions_eu" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "regions" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "events_other" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "events_2024_01" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "events" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "create_partition",
        setup=[EVENTS, create_index("events", ["kind"]), JANUARY],
        ops=[FEBRUARY],
        sql={PG: [
            'CREATE TABLE "events_2024_02" PARTITION OF "events" FOR VALUES FROM (\'2024-02-01\') TO (\'2024-03-01\')',
        ]},
        down_sql={PG: [
            'DROP TABLE "events_2024_02"',
        ]},
        down_checks={PG: [
            'table "events_2024_02" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        rows=["INSERT INTO events (id, created_at) VALUES (1, '2024-01-05')"],
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "attach_partition",
        setup=[EVENTS, JANUARY, events_table("events_2024_02", partitioned=False)],
        ops=[attach_partition("events", "events_2024_02", for_values=FEBRUARY_ROWS)],
        sql={PG: [
            'ALTER TABLE "events_2024_02" ADD CONSTRAINT "events_2024_02_pymig_bound" CHECK ("created_at" IS NOT NULL AND "created_at" >= \'2024-02-01\' AND "created_at" < \'2024-03-01\') NOT VALID\n-- undo: ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_pymig_bound"',
            'COMMIT',
            'ALTER TABLE "events_2024_02" VALIDATE CONSTRAINT "events_2024_02_pymig_bound"',
            'ALTER TABLE "events" ATTACH PARTITION "events_2024_02" FOR VALUES FROM (\'2024-02-01\') TO (\'2024-03-01\')',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT "events_2024_02_pymig_bound"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n-- only if: SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(\'"events_2024_02"\')\nALTER TABLE "events" DETACH PARTITION "events_2024_02" FINALIZE',
            '-- outside a transaction\nALTER TABLE "events" DETACH PARTITION "events_2024_02" CONCURRENTLY',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_created_at_check"',
        ]},
        rows=["INSERT INTO events_2024_02 (id, created_at) VALUES (3, '2024-02-03')"],
        data="SELECT id, created_at::text FROM events ORDER BY id",
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "attach_partition_builds_its_key",
        setup=[EVENTS, create_index("events", ["kind"]), events_table("events_2024_02", partitioned=False, key=False)],
        ops=[attach_partition("events", "events_2024_02", for_values=FEBRUARY_ROWS)],
        sql={PG: [
            '-- WARNING: attach_partition events_2024_02 to events: PostgreSQL builds constraint events_2024_02_pkey on events_2024_02 under its lock while it attaches',
            '-- WARNING: attach_partition events_2024_02 to events: PostgreSQL builds index events_2024_02_kind_idx on events_2024_02 under its lock while it attaches',
            'ALTER TABLE "events_2024_02" ADD CONSTRAINT "events_2024_02_pymig_bound" CHECK ("created_at" IS NOT NULL AND "created_at" >= \'2024-02-01\' AND "created_at" < \'2024-03-01\') NOT VALID\n-- undo: ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_pymig_bound"',
            'COMMIT',
            'ALTER TABLE "events_2024_02" VALIDATE CONSTRAINT "events_2024_02_pymig_bound"',
            'ALTER TABLE "events" ATTACH PARTITION "events_2024_02" FOR VALUES FROM (\'2024-02-01\') TO (\'2024-03-01\')',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT "events_2024_02_pymig_bound"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n-- only if: SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(\'"events_2024_02"\')\nALTER TABLE "events" DETACH PARTITION "events_2024_02" FINALIZE',
            '-- outside a transaction\nALTER TABLE "events" DETACH PARTITION "events_2024_02" CONCURRENTLY',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_created_at_check"',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT "events_2024_02_pkey"',
            '-- outside a transaction\nDROP INDEX CONCURRENTLY IF EXISTS "events_2024_02_kind_idx"',
        ]},
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "detach_partition",
        setup=[EVENTS, JANUARY, FEBRUARY],
        ops=[detach_partition("events", "events_2024_02")],
        sql={PG: [
            '-- outside a transaction\n-- only if: SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = to_regclass(\'"events_2024_02"\')\nALTER TABLE "events" DETACH PARTITION "events_2024_02" FINALIZE',
            '-- outside a transaction\nALTER TABLE "events" DETACH PARTITION "events_2024_02" CONCURRENTLY',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_created_at_check"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "events_2024_02" ADD CONSTRAINT "events_2024_02_pymig_bound" CHECK ("created_at" IS NOT NULL AND "created_at" >= \'2024-02-01\' AND "created_at" < \'2024-03-01\') NOT VALID\n-- undo: ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_pymig_bound"',
            'COMMIT',
            'ALTER TABLE "events_2024_02" VALIDATE CONSTRAINT "events_2024_02_pymig_bound"',
            'ALTER TABLE "events" ATTACH PARTITION "events_2024_02" FOR VALUES FROM (\'2024-02-01\') TO (\'2024-03-01\')',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT "events_2024_02_pymig_bound"',
        ]},
        rows=SOME_EVENTS,
        data="SELECT id, created_at::text FROM events_2024_02 ORDER BY id",
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "detach_partition_with_a_default_partition",
        setup=[EVENTS, JANUARY, create_partition("events", "events_other", for_values="DEFAULT")],
        ops=[detach_partition("events", "events_2024_01", concurrently=False)],
        sql={PG: [
            'ALTER TABLE "events" DETACH PARTITION "events_2024_01"',
        ]},
        down_sql={PG: [
            '-- WARNING: attach_partition events_2024_01 to events: PostgreSQL scans the default partition events_other for rows of the new bound, under a lock that stops its writes',
            'ALTER TABLE "events_2024_01" ADD CONSTRAINT "events_2024_01_pymig_bound" CHECK ("created_at" IS NOT NULL AND "created_at" >= \'2024-01-01\' AND "created_at" < \'2024-02-01\') NOT VALID\n-- undo: ALTER TABLE "events_2024_01" DROP CONSTRAINT IF EXISTS "events_2024_01_pymig_bound"',
            'COMMIT',
            'ALTER TABLE "events_2024_01" VALIDATE CONSTRAINT "events_2024_01_pymig_bound"',
            'ALTER TABLE "events" ATTACH PARTITION "events_2024_01" FOR VALUES FROM (\'2024-01-01\') TO (\'2024-02-01\')',
            'ALTER TABLE "events_2024_01" DROP CONSTRAINT "events_2024_01_pymig_bound"',
        ]},
        rows=SOME_EVENTS,
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "drop_table_partition",
        setup=[EVENTS, JANUARY, FEBRUARY, add_check("events_2024_02", "events_2024_02_kind_check", "kind <> ''")],
        ops=[drop_table("events_2024_02", allow_data_loss=True)],
        sql={PG: [
            'DROP TABLE "events_2024_02"',
        ]},
        down_sql={PG: [
            'CREATE TABLE "events_2024_02" PARTITION OF "events" FOR VALUES FROM (\'2024-02-01\') TO (\'2024-03-01\')',
            'ALTER TABLE "events_2024_02" ADD CONSTRAINT "events_2024_02_kind_check" CHECK (kind <> \'\')',
        ]},
        checks={PG: [
            'table "events_2024_02" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        down_checks={PG: [
            'check "events_2024_02_kind_check" (CHECK (kind <> \'\')) fails for {count} {noun} of "events_2024_02"',
        ]},
        rows=SOME_EVENTS,
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "attach_partition_beside_a_default_partition",
        setup=[EVENTS, create_partition("events", "events_other", for_values="DEFAULT"),
               events_table("events_2024_02", partitioned=False)],
        ops=[attach_partition("events", "events_2024_02", for_values=FEBRUARY_ROWS)],
        sql={PG: [
            '-- WARNING: attach_partition events_2024_02 to events: PostgreSQL scans the default partition events_other for rows of the new bound, under a lock that stops its writes',
            'ALTER TABLE "events_2024_02" ADD CONSTRAINT "events_2024_02_pymig_bound" CHECK ("created_at" IS NOT NULL AND "created_at" >= \'2024-02-01\' AND "created_at" < \'2024-03-01\') NOT VALID\n-- undo: ALTER TABLE "events_2024_02" DROP CONSTRAINT IF EXISTS "events_2024_02_pymig_bound"',
            'COMMIT',
            'ALTER TABLE "events_2024_02" VALIDATE CONSTRAINT "events_2024_02_pymig_bound"',
            'ALTER TABLE "events" ATTACH PARTITION "events_2024_02" FOR VALUES FROM (\'2024-02-01\') TO (\'2024-03-01\')',
            'ALTER TABLE "events_2024_02" DROP CONSTRAINT "events_2024_02_pymig_bound"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "events" DETACH PARTITION "events_2024_02"',
        ]},
        rows=["INSERT INTO events (id, created_at) VALUES (1, '2024-01-05')",
              "INSERT INTO events_2024_02 (id, created_at) VALUES (3, '2024-02-03')"],
        refused={SQLITE: PARTITIONED},
    ),
    Case(
        "partitioned_table_changes_reach_its_partitions",
        setup=[EVENTS, create_index("events", ["kind"]), JANUARY, FEBRUARY,
               add_column("events", "legacy", "integer")],
        ops=[add_column("events", "source", "text", nullable=False, default="web"),
             add_check("events", "events_kind_check", "kind <> ''"),
             alter_column("events", "kind", default="view"),
             rename_column("events", "kind", "event_kind", compatible=False),
             drop_column("events", "legacy", allow_data_loss=True)],
        sql={PG: [
            'ALTER TABLE "events" ADD COLUMN "source" text DEFAULT \'web\' NOT NULL',
            'ALTER TABLE "events" ADD CONSTRAINT "events_kind_check" CHECK (kind <> \'\') NOT VALID\n-- undo: ALTER TABLE "events" DROP CONSTRAINT IF EXISTS "events_kind_check"',
            'COMMIT',
            'ALTER TABLE "events" VALIDATE CONSTRAINT "events_kind_check"',
            'ALTER TABLE "events" ALTER COLUMN "kind" SET DEFAULT \'view\'',
            'ALTER TABLE "events" RENAME COLUMN "kind" TO "event_kind"',
            'ALTER TABLE "events" DROP COLUMN "legacy"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "events" ADD COLUMN "legacy" integer',
            'ALTER TABLE "events" RENAME COLUMN "event_kind" TO "kind"',
            'ALTER TABLE "events" ALTER COLUMN "kind" SET DEFAULT \'click\'',
            'ALTER TABLE "events" DROP CONSTRAINT "events_kind_check"',
            'ALTER TABLE "events" DROP COLUMN "source"',
        ]},
        checks={PG: [
            'check "events_kind_check" (CHECK (kind <> \'\')) fails for {count} {noun} of "events"',
            'column "events.legacy" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        down_checks={PG: [
            'column "events.source" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        rows=SOME_EVENTS,
        data="SELECT id, created_at::text FROM events ORDER BY id",
        refused={SQLITE: PARTITIONED},
    ),
]
