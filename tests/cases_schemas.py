"""Rows of the shared case table (tests/cases.py) with schema-qualified names: tables, indexes,
foreign keys across schemas, columns, renames, enums, views, sequences, functions, triggers,
comments and privileges in schemas other than the default one (pymig.names).

Same shape and same suites as the rows in cases.py (rendering, state, load, real round trips on
PostgreSQL 15 and 18). SQLite has no schemas: each row's setup creates one, which it refuses when
the migration is loaded (a qualified name alone is refused too: tests/test_schemas.py)."""

from __future__ import annotations

from pymig import (add_column, add_unique, alter_column, backfill, column, comment_on, create_enum, create_function,
                   create_index, create_schema, create_sequence, create_table, create_trigger, create_view,
                   drop_index, drop_table, grant, rename_column, rename_index, rename_table, sql)

from cases import PG, SQLITE, USERS, Case

NO_SCHEMAS = 'create_schema has no SQLite meaning: SQLite has no schemas (an attached database file is the nearest thing)'

ACCOUNTS = create_table(
    "billing.accounts",
    column("id", "serial", primary_key=True),
    column("email", "text"),
    column("user_id", "integer", references="users"),
)
SOME_ACCOUNTS = ["INSERT INTO billing.accounts (email) VALUES ('a@example.com'), ('b@example.com'), ('c@example.com')"]

SCHEMA_CASES = [
    Case(
        "qualified_tables_and_cross_schema_references",
        setup=[create_schema("billing"), create_schema("analytics"), USERS],
        ops=[
            create_table("billing.accounts", column("id", "serial", primary_key=True),
                         column("email", "text", unique=True),
                         column("user_id", "integer", references="users", on_delete="set null")),
            create_table("analytics.events", column("id", "bigserial", primary_key=True),
                         column("account_id", "integer", nullable=False, references="billing.accounts(id)",
                                on_delete="cascade"),
                         column("at", "timestamptz", nullable=False, default=sql("now()"))),
            create_index("analytics.events", ["account_id", "at"]),
            add_column("users", "account_id", "integer", references="billing.accounts"),
        ],
        sql={PG: [
            'CREATE TABLE "billing"."accounts" (\n    "id" serial NOT NULL,\n    "email" text,\n    "user_id" integer,\n    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),\n    CONSTRAINT "accounts_email_key" UNIQUE ("email"),\n    CONSTRAINT "accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ON DELETE SET NULL\n)',
            'CREATE TABLE "analytics"."events" (\n    "id" bigserial NOT NULL,\n    "account_id" integer NOT NULL,\n    "at" timestamp with time zone DEFAULT now() NOT NULL,\n    CONSTRAINT "events_pkey" PRIMARY KEY ("id"),\n    CONSTRAINT "events_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "billing"."accounts" ("id") ON DELETE CASCADE\n)',
            'CREATE INDEX "events_account_id_at_idx" ON "analytics"."events" ("account_id", "at")',
            'ALTER TABLE "users" ADD COLUMN "account_id" integer',
            'ALTER TABLE "users" ADD CONSTRAINT "users_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "billing"."accounts" NOT VALID\n-- undo: ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_account_id_fkey"',
            'COMMIT',
            'ALTER TABLE "users" VALIDATE CONSTRAINT "users_account_id_fkey"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "users" DROP COLUMN "account_id"',
            '-- outside a transaction\nDROP INDEX CONCURRENTLY IF EXISTS "analytics"."events_account_id_at_idx"',
            'DROP TABLE "analytics"."events"',
            'DROP TABLE "billing"."accounts"',
        ]},
        checks={PG: []},
        down_checks={PG: [
            'column "users.account_id" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "analytics.events" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "billing.accounts" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: NO_SCHEMAS},
    ),
    Case(
        "qualified_column_changes_and_renames_on_a_live_table",
        setup=[create_schema("billing"), USERS, ACCOUNTS, create_index("billing.accounts", ["email"])],
        rows=SOME_ACCOUNTS,
        data="SELECT count(*) FROM pg_class WHERE relname IN ('accounts', 'customers')",
        ops=[
            add_column("billing.accounts", "plan", "text", nullable=False, default="free"),
            backfill("billing.accounts", {"plan": "'pro'"}, where="email LIKE 'a%'", reverse={"plan": "'free'"}),
            alter_column("billing.accounts", "email", nullable=False),
            rename_column("billing.accounts", "plan", "tier", compatible=False),
            rename_index("billing.accounts_email_idx", "accounts_by_email"),
            add_unique("billing.accounts", ["email", "tier"]),
            rename_table("billing.accounts", "customers", compatible=False),
        ],
        sql={PG: [
            'ALTER TABLE "billing"."accounts" ADD COLUMN "plan" text DEFAULT \'free\' NOT NULL',
            '-- batches of 10000 by id, each batch committed on its own:\nUPDATE "billing"."accounts" SET "plan" = \'pro\' WHERE "id" = ANY(ARRAY(SELECT "id" FROM "billing"."accounts" WHERE true AND (email LIKE \'a%\') ORDER BY "id" LIMIT {limit})) RETURNING "id"\n-- next batches:\nUPDATE "billing"."accounts" SET "plan" = \'pro\' WHERE "id" = ANY(ARRAY(SELECT "id" FROM "billing"."accounts" WHERE "id" > {after} AND (email LIKE \'a%\') ORDER BY "id" LIMIT {limit})) RETURNING "id"',
            'ALTER TABLE "billing"."accounts" ADD CONSTRAINT "accounts_email_pymig_not_null" CHECK ("email" IS NOT NULL) NOT VALID\n-- undo: ALTER TABLE "billing"."accounts" DROP CONSTRAINT IF EXISTS "accounts_email_pymig_not_null"',
            'COMMIT',
            'ALTER TABLE "billing"."accounts" VALIDATE CONSTRAINT "accounts_email_pymig_not_null"',
            'ALTER TABLE "billing"."accounts" ALTER COLUMN "email" SET NOT NULL',
            'ALTER TABLE "billing"."accounts" DROP CONSTRAINT "accounts_email_pymig_not_null"',
            'ALTER TABLE "billing"."accounts" RENAME COLUMN "plan" TO "tier"',
            'ALTER INDEX "billing"."accounts_email_idx" RENAME TO "accounts_by_email"',
            '-- outside a transaction\n-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"billing"."accounts_email_tier_key"\')\nDROP INDEX CONCURRENTLY IF EXISTS "billing"."accounts_email_tier_key"',
            '-- outside a transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "accounts_email_tier_key" ON "billing"."accounts" ("email", "tier")\n-- undo: DROP INDEX CONCURRENTLY IF EXISTS "billing"."accounts_email_tier_key"',
            'ALTER TABLE "billing"."accounts" ADD CONSTRAINT "accounts_email_tier_key" UNIQUE USING INDEX "accounts_email_tier_key"',
            'ALTER TABLE "billing"."accounts" RENAME TO "customers"',
        ]},
        down_sql={PG: [
            'ALTER TABLE "billing"."customers" RENAME TO "accounts"',
            'ALTER TABLE "billing"."accounts" DROP CONSTRAINT "accounts_email_tier_key"',
            'ALTER INDEX "billing"."accounts_by_email" RENAME TO "accounts_email_idx"',
            'ALTER TABLE "billing"."accounts" RENAME COLUMN "tier" TO "plan"',
            'ALTER TABLE "billing"."accounts" ALTER COLUMN "email" DROP NOT NULL',
            '-- batches of 10000 by id, each batch committed on its own:\nUPDATE "billing"."accounts" SET "plan" = \'free\' WHERE "id" = ANY(ARRAY(SELECT "id" FROM "billing"."accounts" WHERE true ORDER BY "id" LIMIT {limit})) RETURNING "id"\n-- next batches:\nUPDATE "billing"."accounts" SET "plan" = \'free\' WHERE "id" = ANY(ARRAY(SELECT "id" FROM "billing"."accounts" WHERE "id" > {after} ORDER BY "id" LIMIT {limit})) RETURNING "id"',
            'ALTER TABLE "billing"."accounts" DROP COLUMN "plan"',
        ]},
        checks={PG: [
            'column "billing.accounts.email" is NULL in {count} {noun}, so it cannot become NOT NULL',
            '{count} {noun} of "billing.accounts" share {groups} of (email, tier), which unique "accounts_email_tier_key" allows only once',
        ]},
        down_checks={PG: [
            'column "billing.accounts.plan" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: NO_SCHEMAS},
    ),
    Case(
        "qualified_objects",
        setup=[create_schema("reporting")],
        ops=[
            create_enum("reporting.mood", ["calm", "busy"]),
            create_table("reporting.visits", column("id", "serial", primary_key=True),
                         column("mood", "reporting.mood"), column("seen", "integer", nullable=False, default=0)),
            create_sequence("reporting.visit_numbers", start=100, owned_by="reporting.visits.seen"),
            create_view("reporting.calm_visits", "SELECT id FROM reporting.visits WHERE mood = 'calm'"),
            create_function("reporting.touch", "", "trigger", "BEGIN NEW.seen := NEW.seen + 1; RETURN NEW; END"),
            create_trigger("reporting.visits", "visits_touch", "reporting.touch", events=["update"]),
            comment_on("reporting.visits", "one row per visit"),
            comment_on("reporting.visits.mood", "how it felt"),
            comment_on("reporting.mood", "moods"),
            grant(["SELECT"], "reporting.calm_visits", "pymig_test_reader"),
            create_index("reporting.visits", ["mood"], name="visits_mood"),
            drop_index("reporting.visits_mood"),
        ],
        sql={PG: [
            'CREATE TYPE "reporting"."mood" AS ENUM (\'calm\', \'busy\')',
            'CREATE TABLE "reporting"."visits" (\n    "id" serial NOT NULL,\n    "mood" reporting.mood,\n    "seen" integer DEFAULT 0 NOT NULL,\n    CONSTRAINT "visits_pkey" PRIMARY KEY ("id")\n)',
            'CREATE SEQUENCE "reporting"."visit_numbers" START WITH 100 OWNED BY "reporting"."visits"."seen"',
            'CREATE VIEW "reporting"."calm_visits" AS\nSELECT id FROM reporting.visits WHERE mood = \'calm\'',
            'CREATE FUNCTION "reporting"."touch"() RETURNS trigger LANGUAGE plpgsql AS $pymig$BEGIN NEW.seen := NEW.seen + 1; RETURN NEW; END$pymig$',
            'CREATE TRIGGER "visits_touch" BEFORE UPDATE ON "reporting"."visits" FOR EACH ROW EXECUTE FUNCTION "reporting"."touch"()',
            'COMMENT ON TABLE "reporting"."visits" IS \'one row per visit\'',
            'COMMENT ON COLUMN "reporting"."visits"."mood" IS \'how it felt\'',
            'COMMENT ON TYPE "reporting"."mood" IS \'moods\'',
            'GRANT SELECT ON "reporting"."calm_visits" TO "pymig_test_reader"',
            'CREATE INDEX "visits_mood" ON "reporting"."visits" ("mood")',
            'DROP INDEX "reporting"."visits_mood"',
        ]},
        down_sql={PG: [
            '-- outside a transaction\n-- only if: SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(\'"reporting"."visits_mood"\')\nDROP INDEX CONCURRENTLY IF EXISTS "reporting"."visits_mood"',
            '-- outside a transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "visits_mood" ON "reporting"."visits" ("mood")\n-- undo: DROP INDEX CONCURRENTLY IF EXISTS "reporting"."visits_mood"',
            '-- outside a transaction\nDROP INDEX CONCURRENTLY IF EXISTS "reporting"."visits_mood"',
            'REVOKE SELECT ON "reporting"."calm_visits" FROM "pymig_test_reader"',
            'COMMENT ON TYPE "reporting"."mood" IS NULL',
            'COMMENT ON COLUMN "reporting"."visits"."mood" IS NULL',
            'COMMENT ON TABLE "reporting"."visits" IS NULL',
            'DROP TRIGGER "visits_touch" ON "reporting"."visits"',
            'DROP FUNCTION "reporting"."touch"',
            'DROP VIEW "reporting"."calm_visits"',
            'DROP SEQUENCE "reporting"."visit_numbers"',
            'DROP TABLE "reporting"."visits"',
            'DROP TYPE "reporting"."mood"',
        ]},
        checks={PG: [
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
        ]},
        down_checks={PG: [
            'role "pymig_test_reader" does not exist: pymig does not create roles (they belong to the whole server, not to one database)',
            'view "reporting.calm_visits" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'sequence "reporting.visit_numbers" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "reporting.visits" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
        ]},
        refused={SQLITE: NO_SCHEMAS},
    ),
    Case(
        "qualified_drop_table",
        setup=[create_schema("billing"), USERS, ACCOUNTS, create_index("billing.accounts", ["email"]),
               comment_on("billing.accounts.email", "where invoices go")],
        ops=[drop_table("billing.accounts")],
        sql={PG: [
            'DROP TABLE "billing"."accounts"',
        ]},
        down_sql={PG: [
            'CREATE TABLE "billing"."accounts" (\n    "id" serial NOT NULL,\n    "email" text,\n    "user_id" integer,\n    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),\n    CONSTRAINT "accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id")\n)',
            'COMMENT ON COLUMN "billing"."accounts"."email" IS \'where invoices go\'',
            'CREATE INDEX "accounts_email_idx" ON "billing"."accounts" ("email")',
        ]},
        checks={PG: [
            'table "billing.accounts" is used by {count} other {noun}, and pymig never drops dependents implicitly (no CASCADE)',
            'table "billing.accounts" holds {count} {noun}, which dropping it would lose',
        ]},
        down_checks={PG: []},
        refused={SQLITE: NO_SCHEMAS},
    ),
]
