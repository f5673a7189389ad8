"""The differ and the rename rules without a database: Schema values in, operations out."""

from __future__ import annotations

import pytest

from pymig import add_foreign_key, column, create_index, create_table
from pymig.autogen.differ import Differ
from pymig.autogen.renames import Rename, Renames, candidates, decide, parse
from pymig.errors import ConfigError
from pymig.schema import Schema


def schema(*ops) -> Schema:
    s = Schema()
    for op in ops:
        s = op.state_forwards(s)
    return s


USERS = create_table("users", column("id", "integer", primary_key=True), column("name", "text"))


def kinds(plan) -> list[str]:
    return [op.describe() for op in plan.operations]


def test_new_tables_come_after_the_tables_they_point_at():
    desired = schema(USERS,
                     create_table("posts", column("id", "integer", primary_key=True),
                                  column("author", "integer", references="users(id)")),
                     create_table("comments", column("id", "integer", primary_key=True),
                                  column("post", "integer", references="posts(id)")))
    plan = Differ(schema(USERS), desired, canonical=False).run()
    assert kinds(plan) == ["create_table posts", "create_table comments"]


def test_a_cycle_is_closed_with_add_foreign_key_and_dropped_from_the_referencing_side():
    a = create_table("a", column("id", "integer", primary_key=True), column("b_id", "integer"))
    b = create_table("b", column("id", "integer", primary_key=True), column("a_id", "integer", references="a(id)"))
    both = schema(a, b, add_foreign_key("a", "b_id", "b", "id"))
    assert kinds(Differ(Schema(), both, canonical=False).run()) == [
        "create_table a", "create_table b", "add_foreign_key a_b_id_fkey on a"]
    assert kinds(Differ(both, Schema(), canonical=False).run()) == [
        "drop_constraint b_a_id_fkey on b", "drop_table a", "drop_table b"]


def test_foreign_keys_go_before_what_they_point_at_and_drops_carry_a_comment():
    posts = create_table("posts", column("id", "integer", primary_key=True),
                         column("author", "integer", references="users(id)"))
    plan = Differ(schema(USERS, posts), schema(USERS, create_table("posts", column("id", "integer", primary_key=True))),
                  canonical=False).run()
    assert kinds(plan) == ["drop_constraint posts_author_fkey on posts", "drop_column posts.author"]
    assert plan.steps[1].op.allow_data_loss is False
    assert "allow_data_loss=True accepts" in plan.steps[1].comment


def test_a_changed_index_is_dropped_and_created_and_nothing_changes_twice():
    before = schema(USERS, create_index("users", ["name"], name="users_lookup"))
    after = schema(USERS, create_index("users", ["name", "id"], name="users_lookup"))
    plan = Differ(before, after, canonical=False).run()
    assert kinds(plan) == ["drop_index users_lookup", "create_index users_lookup on users"]
    assert Differ(after, after, canonical=False).run().steps == []


def test_a_cast_that_is_not_implicit_gets_a_using_placeholder_and_a_warning():
    before = schema(create_table("t", column("code", "text")))
    after = schema(create_table("t", column("code", "integer")))
    plan = Differ(before, after, canonical=False).run()
    assert plan.operations[0].using == "code::integer"
    assert plan.warnings == ["column t.code: text -> integer is not an implicit cast: using= is a placeholder, "
                             "the plain cast; check that it converts every row as you mean"]
    assert Differ(before, after, canonical=False, casts=frozenset({("text", "integer")})).run().operations[0].using is None


RENAMED = schema(create_table("users", column("id", "integer", primary_key=True), column("full_name", "text")))


def test_rename_candidates_and_decisions():
    found = candidates(schema(USERS), RENAMED, Renames())
    assert found == [Rename("name", "full_name", "users")]
    assert str(found[0]) == "users.name -> users.full_name"
    assert decide(found, None) == ([], found)  # no terminal: nothing decided
    assert decide(found, lambda r: True) == (found, [])
    assert decide(found, lambda r: False) == ([], [])


def test_an_undecided_rename_is_a_drop_and_an_add_with_comments():
    found = candidates(schema(USERS), RENAMED, Renames())
    plan = Differ(schema(USERS), RENAMED, undecided=tuple(found), canonical=False).run()
    assert kinds(plan) == ["add_column users.full_name", "drop_column users.name"]
    assert all("possible rename: users.name -> users.full_name" in s.comment for s in plan.steps)


@pytest.mark.parametrize("option, message", [
    ("users.name=users.full_name", None),
    ("users.name=full_name", None),
    ("users.name=other.full_name", "a column keeps its table"),
    ("users.nope=users.full_name", "the migrations have no column users.nope"),
    ("users.name=users.nope", "the desired schema has no column users.nope"),
    ("users.id=users.full_name", "column users.id is still in the desired schema"),
    ("nope=users", "the migrations have no table nope"),
    ("users=users.x", "a table renames to a table name"),
    ("=x", "write OLD=NEW"),
])
def test_rename_options(option, message):
    if message is None:
        assert parse(option, schema(USERS), RENAMED, Renames()) == Rename("name", "full_name", "users")
    else:
        with pytest.raises(ConfigError, match=message):
            parse(option, schema(USERS), RENAMED, Renames())
