"""`pymig diff`: one case table of schema changes, each run in both directions on a real server.

A case is a schema before and after (SQL), the operations `diff` must write going forward and
going back, and the renames given with --rename. Each direction: the `before` schema is what the
migrations produce (one run_sql migration), the `after` schema a schema file; the module diff
writes must hold the expected operations, load, apply on top of the migrations and reach the
desired catalog exactly (the snapshot `pymig verify` compares), pass `ruff format --check` and
`ruff check`, and a second diff then writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from adopt_support import ruff_clean
from pymig.autogen import states
from pymig.autogen.command import differences
from pymig.autogen.written import migration
from pymig.dialects import for_url
from pymig.autogen.renames import Renames, parse
from pymig.loader import discover, load
from pymig.writer import Commented, module_source

USERS = "CREATE TABLE users (id serial PRIMARY KEY, email varchar(100) NOT NULL, name text);\n"
POSTS = "CREATE TABLE posts (id bigserial PRIMARY KEY, user_id integer NOT NULL, title text NOT NULL);\n"


@dataclass(frozen=True)
class Case:
    id: str
    before: str
    after: str
    up: list[str]  # lines the forward module must hold, in this order
    down: list[str]  # lines the module written for the way back must hold, in this order
    up_renames: tuple[str, ...] = ()
    down_renames: tuple[str, ...] = ()
    notes: dict = field(default_factory=dict)


CASES = [
    Case("create_table_with_foreign_keys", USERS,
         USERS + "CREATE TABLE posts (id bigserial PRIMARY KEY,\n"
                 "  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE, title text NOT NULL);",
         ['        column("user_id", "integer", nullable=False, references="users(id)", on_delete="cascade"),'],
         ['    drop_table("posts"),']),
    Case("foreign_key_cycle", USERS,
         USERS + "CREATE TABLE a (id integer PRIMARY KEY, b_id integer);\n"
                 "CREATE TABLE b (id integer PRIMARY KEY, a_id integer REFERENCES a (id));\n"
                 "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b (id);",
         ['    create_table("a", column("id", "integer", primary_key=True), column("b_id", "integer")),',
          '    create_table("b", column("id", "integer", primary_key=True), column("a_id", "integer", references="a(id)")),',
          '    add_foreign_key("a", "b_id", "b", "id"),'],
         ['    drop_constraint("b", "b_a_id_fkey"),', '    drop_table("a"),', '    drop_table("b"),']),
    Case("add_column", USERS, USERS.replace("name text", "name text, bio varchar(500)"),
         ['    add_column("users", "bio", "varchar(500)"),'],
         ['    drop_column("users", "bio"),']),
    Case("type_change_implicit", USERS, USERS.replace("name text", "name varchar(200)"),
         ['    alter_column("users", "name", type="varchar(200)"),'],
         ['    alter_column("users", "name", type="text"),']),
    Case("type_change_with_using", USERS.replace("name text", "name text, age text"),
         USERS.replace("name text", "name text, age integer"),
         ["    # text -> integer is not an implicit cast: using= is a placeholder, the plain cast; check that it",
          '    alter_column("users", "age", type="integer", using="age::integer"),'],
         ['    alter_column("users", "age", type="text"),']),
    Case("nullability", USERS, USERS.replace("name text", "name text NOT NULL"),
         ['    alter_column("users", "name", nullable=False),'],
         ['    alter_column("users", "name", nullable=True),']),
    Case("default", USERS, USERS.replace("name text", "name text DEFAULT 'anonymous'"),
         ['    alter_column("users", "name", default="anonymous"),'],
         ['    alter_column("users", "name", default=None),']),
    Case("check", USERS, USERS + "ALTER TABLE users ADD CONSTRAINT email_shape CHECK (email LIKE '%@%');",
         ["    add_check(\"users\", \"email_shape\", \"email::text ~~ '%@%'::text\"),"],
         ['    drop_constraint("users", "email_shape"),']),
    Case("unique", USERS, USERS + "ALTER TABLE users ADD UNIQUE (email);",
         ['    add_unique("users", "email"),'],
         ['    drop_constraint("users", "users_email_key"),']),
    Case("foreign_key", USERS + POSTS,
         USERS + POSTS + "ALTER TABLE posts ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;",
         ['    add_foreign_key("posts", "user_id", "users", "id", on_delete="cascade"),'],
         ['    drop_constraint("posts", "posts_user_id_fkey"),']),
    Case("primary_key", "CREATE TABLE t (id integer NOT NULL, v text);", "CREATE TABLE t (id integer PRIMARY KEY, v text);",
         ['    add_primary_key("t", "id"),'], ['    drop_constraint("t", "t_pkey"),']),
    Case("index", USERS, USERS + "CREATE INDEX users_name_idx ON users (name);",
         ['    create_index("users", "name"),'],
         ['    drop_index("users_name_idx"),']),
    Case("partial_index", USERS, USERS + "CREATE INDEX users_named_idx ON users (email) WHERE name IS NOT NULL;",
         ['    create_index("users", "email", name="users_named_idx", where="name IS NOT NULL"),'],
         ['    drop_index("users_named_idx"),']),
    Case("expression_index", USERS, USERS + "CREATE UNIQUE INDEX users_email_lower ON users (lower(email));",
         ['    create_index("users", "lower(email::text)", name="users_email_lower", unique=True),'],
         ['    drop_index("users_email_lower"),']),
    Case("index_changed", USERS + "CREATE INDEX users_lookup ON users (name);",
         USERS + "CREATE INDEX users_lookup ON users (name, email);",
         ['    drop_index("users_lookup"),', '    create_index("users", ["name", "email"], name="users_lookup"),'],
         ['    drop_index("users_lookup"),', '    create_index("users", "name", name="users_lookup"),']),
    Case("enum_and_column_of_it", USERS,
         "CREATE TYPE mood AS ENUM ('calm', 'busy');\n" + USERS.replace("name text", "name text, mood mood"),
         ['    create_enum("mood", ["calm", "busy"]),', '    add_column("users", "mood", "mood"),'],
         ['    drop_column("users", "mood"),', '    drop_enum("mood"),']),
    Case("enum_values_added", "CREATE TYPE mood AS ENUM ('calm', 'busy');\n" + USERS,
         "CREATE TYPE mood AS ENUM ('calm', 'curious', 'busy', 'away');\n" + USERS,
         ['    add_enum_value("mood", "curious", before="busy"),', '    add_enum_value("mood", "away"),'],
         ['    drop_enum("mood"),', '    create_enum("mood", ["calm", "busy"]),']),
    Case("view", USERS, USERS + "CREATE VIEW named_users AS SELECT id, name FROM users WHERE name IS NOT NULL;",
         ['    create_view('], ['    drop_view("named_users"),']),
    Case("view_on_a_changed_column", USERS + "CREATE VIEW names AS SELECT id, name FROM users;",
         USERS.replace("name text", "name varchar(200)") + "CREATE VIEW names AS SELECT id, name FROM users;",
         ['    # dropped to change what it depends on, created again below', '    drop_view("names"),',
          '    alter_column("users", "name", type="varchar(200)"),', '    create_view('],
         ['    drop_view("names"),', '    alter_column("users", "name", type="text"),', '    create_view(']),
    Case("function_and_trigger", USERS,
         USERS + "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.name := lower(NEW.name); "
                 "RETURN NEW; END $$;\nCREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION touch();",
         ['    create_function("touch", "", "trigger", " BEGIN NEW.name := lower(NEW.name); RETURN NEW; END "),',
          '    create_trigger("users", "users_touch", "touch", events=["insert"]),'],
         ['    drop_trigger("users", "users_touch"),', '    drop_function("touch"),']),
    Case("objects_exclusion_partitions", USERS + "CREATE TABLE slots (id serial PRIMARY KEY, during tsrange NOT NULL);",
         USERS + "CREATE TABLE slots (id serial PRIMARY KEY, during tsrange NOT NULL,\n"
                 "  CONSTRAINT slots_no_overlap EXCLUDE USING gist (during WITH &&));\n"
                 "GRANT SELECT ON users TO PUBLIC;\nCOMMENT ON TABLE users IS 'People';\n"
                 "COMMENT ON COLUMN users.email IS 'Where we write';\nCREATE SEQUENCE order_no START 100;\n"
                 "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at))\n"
                 "  PARTITION BY RANGE (at);\nCREATE INDEX events_kind_idx ON events (kind);\n"
                 "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
                 "CREATE TABLE events_other PARTITION OF events DEFAULT;",
         ['    create_sequence("order_no", start=100),', '        partition_by="RANGE (at)",',
          """    create_partition("events", "events_2024", for_values="FROM ('2024-01-01') TO ('2025-01-01')"),""",
          '    create_partition("events", "events_other", for_values="DEFAULT"),',
          '    add_exclusion("slots", "slots_no_overlap", "gist", [["during", "&&"]]),',
          '    create_index("events", "kind"),', '    grant(["SELECT"], "users", "public"),',
          '    comment_on("users.email", "Where we write"),', '    comment_on("users", "People"),'],
         ['    comment_on("users", None),', '    revoke(["SELECT"], "users", "public"),',
          '    drop_constraint("slots", "slots_no_overlap"),', '    drop_table("events_2024"),',
          '    drop_table("events_other"),', '    drop_table("events"),', '    drop_sequence("order_no"),']),
    Case("objects_schema_extension_domain_materialized_view_policy", USERS,
         USERS + "CREATE SCHEMA reporting;\nCREATE EXTENSION citext;\n"
                 "CREATE DOMAIN email_address AS citext CHECK (VALUE LIKE '%@%');\n"
                 "ALTER TABLE users ADD COLUMN contact email_address;\n"
                 "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;\n"
                 "ALTER TABLE users ENABLE ROW LEVEL SECURITY;\n"
                 "CREATE POLICY users_named ON users USING (name IS NOT NULL);",
         ['    create_schema("reporting"),', '    create_extension("citext"),', '    # create domain email_address',
          '    add_column("users", "contact", "email_address"),', '        materialized=True,',
          '    # create row security users', '    # create policy users.users_named'],
         ['    # drop policy users.users_named', '    # drop row security users', '    drop_view("user_count"),',
          '    drop_column("users", "contact"),', '    # drop domain email_address', '    drop_extension("citext"),',
          '    drop_schema("reporting"),']),
    Case("rename_column", USERS, USERS.replace("name text", "full_name text"),
         ['    rename_column("users", "name", "full_name"),'],
         ['    rename_column("users", "full_name", "name"),'],
         up_renames=("users.name=users.full_name",), down_renames=("users.full_name=name",)),
    Case("rename_table", USERS + "CREATE TABLE tags (code serial PRIMARY KEY, label text NOT NULL UNIQUE);",
         USERS + "CREATE TABLE labels (code serial PRIMARY KEY, label text NOT NULL UNIQUE);",
         ['    rename_table("tags", "labels"),', '    rename_constraint("labels", "tags_label_key", "labels_label_key"),',
          '    rename_constraint("labels", "tags_pkey", "labels_pkey"),',
          '    # sequence tags_code_seq of labels.code after the rename'],
         ['    rename_table("labels", "tags"),', '    rename_constraint("tags", "labels_label_key", "tags_label_key"),',
          '    # sequence labels_code_seq of tags.code after the rename'],
         up_renames=("tags=labels",), down_renames=("labels=tags",)),
]


def _write(directory, name: str, text: str):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text)
    return path


def _diff_once(url, tmp_path, before: str, after: str, renames_given) -> tuple[str, object, object]:
    migrations = tmp_path / "migrations"
    _write(migrations, "001_before.py",
           f'"""Before."""\n\nfrom pymig import run_sql\n\noperations = [run_sql({before!r})]\n')
    current = states.from_migrations(url, [load(f) for f in discover(migrations)])
    desired = states.from_schema_file(url, _write(tmp_path, "schema.sql", after))
    renames = Renames()
    for option in renames_given:
        renames.add(parse(option, current.schema, desired.schema, renames))
    plan = migration(current, desired, for_url(url), renames)
    # laid out at pymig's own line-length (120), as the expected lines of the cases are
    source = module_source("Diff.", [Commented(s.comment, s.op) if s.comment else s.op for s in plan.steps], 120)
    return source, desired, migrations


@pytest.mark.parametrize("direction", ["up", "down"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_diff_case(case: Case, direction: str, db_url, tmp_path):
    before, after = (case.before, case.after) if direction == "up" else (case.after, case.before)
    expected = case.up if direction == "up" else case.down
    renames = case.up_renames if direction == "up" else case.down_renames
    source, desired, migrations = _diff_once(db_url, tmp_path, before, after, renames)
    lines = source.splitlines()
    found = [lines.index(line) if line in lines else -1 for line in expected]
    assert -1 not in found and found == sorted(found), source
    ruff_clean(_write(migrations, "002_diff.py", source))
    reached = states.from_migrations(db_url, [load(f) for f in discover(migrations)])
    assert [d.describe("after the diff", "desired") for d in differences(reached, desired)] == []
    assert migration(reached, desired, for_url(db_url)).steps == []
