"""PostgreSQL's expand/contract recipe for a type change that would rewrite a table in use
(docs/expand-contract.md). Expand: a shadow column of the new type, kept equal to the old one by a
trigger, backfilled in batches, its indexes and constraints built online. Switch: one short
transaction swaps the columns' names and places (indexes, constraints, default, sequence, primary
key, the foreign keys that point at it); the trigger then keeps the old column equal to the new.
Contract (`pymig complete`): the old column and the trigger go."""

from __future__ import annotations

from dataclasses import replace

from ..names import bare, sibling
from ..ops.expand import SerialSequenceType, copy_name, is_pymig_name, kept_name, old_name, shadow_name, sync_name
from ..schema import Column, Index, Schema
from ..sqltext import dollar_tag, mentions, rename_column_in, rename_index_in
from ..steps import Commit, Phase, Sql
from ..types import SERIAL_BASE, STRING_TYPES, family

EXPAND = ("the application goes on reading and writing {col} as the old type; a trigger copies every "
          "write into {shadow}")
SWITCH = ("from here {col} has the new type; the old column is kept as {old}, written by the trigger, so "
          "`pymig down` is instant until `pymig complete`; deploy the code for the new type, then run it")


class Involved:
    """What a type change of `table.column` touches, pymig's own objects left out (so that a rerun
    after an interruption, which sees the ones it had built, renders the same steps)."""

    def __init__(self, schema: Schema, table: str, column: str):
        t = self.t = schema.table(table)
        self.table, self.name, self.column = table, column, t.column(column)
        mine = [k for k in t.constraints if not is_pymig_name(k.name)]
        self.pk = next((k for k in mine if k.kind == "primary_key" and column in k.columns), None)
        self.uniques = [k for k in mine if k.kind == "unique" and column in k.columns]
        self.copied = [k for k in mine if (k.kind == "check" and mentions(k.expression, column))
                       or (k.kind == "foreign_key" and column in k.columns)]
        self.indexes = [i for i in schema.indexes_on(table) if not is_pymig_name(i.name) and (
            any(mentions(c, column) for c in i.columns) or mentions(i.where, column) or column in i.include)]
        self.referencing = [(rt.name, k) for rt in schema.tables.values() for k in rt.constraints
                            if k.kind == "foreign_key" and k.ref_table == table and column in k.ref_columns
                            and not (rt.name == table and column in k.columns)]


class ExpandStatements:
    """The statements the phases of ExpandContract are built from: copies of the column's indexes and
    constraints, the trigger function, moving the default and the keys."""

    def _copy_constraint(self, k, old: str, new: str):
        """A check or foreign key of the old column, on the new one (built from its parts: a foreign
        key's text would name the referenced column too)."""
        columns = tuple(new if x == old else x for x in k.columns)
        return replace(k, name=copy_name(k.name), columns=columns, expression=rename_column_in(k.expression, old, new),
                       definition=None if k.kind == "foreign_key" else rename_column_in(k.definition, old, new))

    def _index_copies(self, table, inv: Involved, old: str, new: str) -> list[Index]:
        out = []
        for i in inv.indexes:
            name = sibling(i.name, copy_name(bare(i.name)))
            definition = rename_column_in(rename_index_in(i.definition, bare(i.name), bare(name)), old, new) \
                if i.definition else None
            out.append(replace(i, name=name, columns=tuple(rename_column_in(x, old, new) for x in i.columns),
                               where=rename_column_in(i.where, old, new),
                               include=tuple(new if x == old else x for x in i.include), definition=definition,
                               comment=None))
        for k in [inv.pk, *inv.uniques]:
            if k is not None:
                cols = tuple(self.quote(new if x == old else x) for x in k.columns)
                out.append(Index(sibling(table, copy_name(k.name)), table, cols, unique=True))
        if inv.pk is not None:  # the old column keeps a unique index: `pymig down` makes it the key again
            out.append(Index(sibling(table, kept_name(inv.pk.name)), table, tuple(self.quote(x) for x in inv.pk.columns),
                             unique=True))
        return out

    def _sync_function(self, table: str, column: str, source: str, target: str, expression: str | None,
                       lenient: bool = False) -> str:
        """The trigger function: NEW.target computed from the row (a bare column: assigned, which
        converts as ALTER ... TYPE does without USING). `lenient` (the old column, after the switch):
        a value the old type cannot hold leaves it NULL instead of failing the write; a `pymig down`
        before the contract counts such rows and refuses."""
        fn = self._sync(table, column)[1]
        target = f"NEW.{self.quote(target)}"
        if expression is None:
            body = f"{target} := NEW.{self.quote(source)};"
        else:
            body = f"SELECT {expression} INTO {target} FROM (SELECT (NEW).*) AS {self.quote(bare(table))};"
        if lenient:
            body = f"BEGIN\n    {body}\n  EXCEPTION WHEN others THEN\n    {target} := NULL;\n  END;"
        tag = dollar_tag(body)
        return (f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS {tag}\n"
                f"#variable_conflict use_column\nBEGIN\n  {body}\n  RETURN NEW;\nEND\n{tag}")

    def _move_default(self, table, col: Column, src: str, dst: str, default, keep_sequence=True) -> list[str]:
        """The default (a serial's sequence, an identity) from column `src` to `dst`."""
        t, q, lt = self.qname(table), self.quote, self.literal(self.qname(table))
        if col.identity and keep_sequence:  # an identity's sequence cannot move: a new one of the same name goes on
            kind = "ALWAYS" if col.identity == "always" else "BY DEFAULT"
            return [self._sequence_block(table, src, [
                "pymig_next := nextval(pymig_seq);",
                f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP IDENTITY', {lt}, {self.literal(src)});",
                f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I ADD GENERATED {kind} AS IDENTITY "
                f"(SEQUENCE NAME %s START WITH %s)', {lt}, {self.literal(dst)}, pymig_seq, pymig_next);"])]
        if col.type in SERIAL_BASE and keep_sequence:
            return [self._sequence_block(table, src, [
                f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', {lt}, {self.literal(src)});",
                f"EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT nextval(%L::regclass)', {lt}, "
                f"{self.literal(dst)}, pymig_seq);",
                f"EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.%I', pymig_seq, {lt}, {self.literal(dst)});"])]
        out = [f"ALTER TABLE {t} ALTER COLUMN {q(src)} DROP DEFAULT"] if col.default is not None else []
        if default is not None:
            out.append(f"ALTER TABLE {t} ALTER COLUMN {q(dst)} SET DEFAULT {self.default_sql(default)}")
        return out

    def _not_null_name(self, table: str, column: str) -> str:
        return _not_null_name_block(self, table, column)

    def _sequence_block(self, table: str, column: str, body: list[str]) -> str:
        """A DO block that runs `body` with the column's sequence (a serial's or an identity's) in
        pymig_seq: only the catalog knows its name. Nothing happens without one."""
        return ("DO $pymig$\nDECLARE\n  pymig_seq text := pg_get_serial_sequence("
                f"{self.literal(self.qname(table))}, {self.literal(column)});\n  pymig_next bigint;\nBEGIN\n"
                "  IF pymig_seq IS NOT NULL THEN\n" + "".join(f"    {line}\n" for line in body)
                + "  END IF;\nEND\n$pymig$")

    def _attach_keys(self, table, inv: Involved, index_name) -> list[str]:
        """The primary key and unique constraints on the column now under the name, from their
        prebuilt indexes; then the foreign keys that point at it, NOT VALID (validated after)."""
        t, q = self.qname(table), self.quote
        out = []
        if inv.pk is not None:
            out.append(f"ALTER TABLE {t} ADD CONSTRAINT {q(inv.pk.name)} PRIMARY KEY USING INDEX {q(index_name(inv.pk.name))}")
        if index_name is copy_name:
            out += [f"ALTER TABLE {t} ADD CONSTRAINT {q(k.name)} UNIQUE USING INDEX {q(copy_name(k.name))}"
                    for k in inv.uniques]
        out += [f"ALTER TABLE {self.qname(rt)} ADD {self.constraint_sql(k)} NOT VALID" for rt, k in inv.referencing]
        return out


class ExpandContract(ExpandStatements):
    """The `<kind>_steps` of PostgresDialect for type changes that expand (ops.columns.expands)."""

    def merge(self, ops, schema):
        from ..ops.columns import with_feasible_type_changes

        return with_feasible_type_changes(super().merge(ops, schema), schema, self)

    def alter_column_steps(self, op, change):
        from ..ops.columns import expands

        if not expands(op, change.before, self):
            return super().alter_column_steps(op, change)
        inv = Involved(change.before, op.table, op.name)
        switch = self._switch(op, inv)
        revert = self._revert(inv, inv.column)
        switch[-1] = replace(switch[-1], undo=Sql(";\n".join(revert)))  # a later failure switches back
        return [*self._expand(op, inv), Commit(),
                Phase("switch", SWITCH.format(col=self.quote(op.name), old=self.quote(old_name(op.name)))),
                *switch, Commit(), *self._validate_referencing(inv)]

    def contract_column_type_steps(self, op, change):
        t, old = self.qname(op.table), self.quote(old_name(op.name))
        trigger, fn = self._sync(op.table, op.name)
        steps = [Phase("contract", "the old column and its sync trigger go: no code may use "
                                   f"{old} from here"),
                 Sql(f"DROP TRIGGER IF EXISTS {trigger} ON {t}"), Sql(f"DROP FUNCTION IF EXISTS {fn}()"),
                 Sql(f"ALTER TABLE {t} DROP COLUMN IF EXISTS {old}")]
        kind = family(SERIAL_BASE.get(op.type, op.type))[0]
        if kind in ("smallint", "integer", "bigint"):  # a serial's sequence counts in the new type's range
            steps += self.serial_sequence_type_steps(SerialSequenceType(op.table, op.name, kind), change)
        return steps

    def serial_sequence_type_steps(self, op, change):
        return [Sql(self._sequence_block(op.table, op.name, [f"EXECUTE format('ALTER SEQUENCE %s AS {op.type}', pymig_seq);"]))]

    def revert_column_type_steps(self, op, change):
        inv = Involved(change.before, op.table, op.name)
        steps = [Phase("revert", f"the old column {self.quote(old_name(op.name))} takes the name "
                                 f"{self.quote(op.name)} back")]
        if not op.column.nullable:  # NOT NULL again, proven by a validated check (no scan under the lock)
            steps += self._set_not_null(op.table, old_name(op.name))[:3] + [Commit()]
        return steps + [*(Sql(s) for s in self._revert(inv, op.column)), Commit(), *self._validate_referencing(inv)]

    def _sync(self, table: str, column: str) -> tuple[str, str]:
        """(trigger, function) of the sync trigger, as SQL: the function in the table's schema."""
        name = sync_name(bare(table), column)
        return self.quote(name), self.qname(sibling(table, name))

    # -- expand --------------------------------------------------------------------------------
    def _expand(self, op, inv: Involved) -> list:
        t, c, col = self.qname(op.table), op.name, inv.column
        shadow = shadow_name(c)
        new_type = SERIAL_BASE.get(op.type, op.type)
        keep = col.collation if col.collation and family(new_type)[0] in STRING_TYPES else None
        trigger, fn = self._sync(op.table, c)
        steps = [Phase("expand", EXPAND.format(col=self.quote(c), shadow=self.quote(shadow))),
                 Sql(self.add_column(op.table, Column(shadow, new_type, collation=keep))[0],
                     undo=Sql(f"ALTER TABLE {t} DROP COLUMN IF EXISTS {self.quote(shadow)}")),
                 Sql(self._sync_function(op.table, c, c, shadow, op.using),
                     undo=Sql(f"DROP FUNCTION IF EXISTS {fn}() CASCADE")),
                 Sql(f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}()")]
        validate = []
        if not self._nullable(op, col):
            nn = self.quote(object_name_nn(bare(op.table), shadow))
            steps.append(Sql(f"ALTER TABLE {t} ADD CONSTRAINT {nn} CHECK ({self.quote(shadow)} IS NOT NULL) NOT VALID"))
            validate.append(nn)
        for k in inv.copied:
            copy = self._copy_constraint(k, c, shadow)
            steps.append(Sql(f"ALTER TABLE {t} ADD {self.constraint_sql(copy)} NOT VALID"))
            if k.validated:
                validate.append(self.quote(copy.name))
        # the first batch small (1000 rows): the size then grows to the time budget, so no writer waits
        # for a first batch of 10,000 rows (each row also runs the trigger)
        steps += [Commit(), self.backfill(inv.t, {shadow: op.using or self.quote(c)}, None, 1000, online=True)]
        if validate:
            steps += [Commit(), *(Sql(f"ALTER TABLE {t} VALIDATE CONSTRAINT {n}") for n in validate)]
        for index in self._index_copies(op.table, inv, c, shadow):
            steps += self._concurrent_index(index)
        return steps

    def _nullable(self, op, col) -> bool:
        return col.nullable if op.nullable is None else op.nullable

    # -- switch --------------------------------------------------------------------------------
    def _switch(self, op, inv: Involved) -> list:
        t, c, col = self.qname(op.table), op.name, inv.column
        old, shadow = old_name(c), shadow_name(c)
        q = self.quote
        out = [f"ALTER TABLE {self.qname(rt)} DROP CONSTRAINT {q(k.name)}" for rt, k in inv.referencing]
        if inv.pk is not None:
            out.append(f"ALTER TABLE {t} DROP CONSTRAINT {q(inv.pk.name)}")
        out += [f"ALTER TABLE {t} RENAME CONSTRAINT {q(k.name)} TO {q(kept_name(k.name))}" for k in inv.uniques]
        for k in inv.copied:
            out += [f"ALTER TABLE {t} RENAME CONSTRAINT {q(k.name)} TO {q(kept_name(k.name))}",
                    f"ALTER TABLE {t} RENAME CONSTRAINT {q(copy_name(k.name))} TO {q(k.name)}"]
        for i in inv.indexes:
            name = bare(i.name)
            out += [f"ALTER INDEX {self.qname(i.name)} RENAME TO {q(kept_name(name))}",
                    f"ALTER INDEX {self.qname(sibling(i.name, copy_name(name)))} RENAME TO {q(name)}"]
        out += [f"ALTER TABLE {t} RENAME COLUMN {q(c)} TO {q(old)}", f"ALTER TABLE {t} RENAME COLUMN {q(shadow)} TO {q(c)}"]
        # the trigger leaves the old column NULL where its type cannot hold the value: it loses NOT NULL
        # (first, so that PostgreSQL 18 names the new column's after the column; an identity keeps it
        # until it has moved, PostgreSQL refuses it otherwise)
        drop_not_null = [f"ALTER TABLE {t} ALTER COLUMN {q(old)} DROP NOT NULL"] if not col.nullable else []
        if not col.identity:
            out += drop_not_null
        if not self._nullable(op, col):
            out += [f"ALTER TABLE {t} ALTER COLUMN {q(c)} SET NOT NULL",
                    f"ALTER TABLE {t} DROP CONSTRAINT {q(object_name_nn(bare(op.table), shadow))}"]
        default = op.default if op.change_default else col.default
        out += self._move_default(op.table, col, old, c, default, keep_sequence=not op.change_default)
        if col.identity:
            out += drop_not_null
            if not self._nullable(op, col):  # PostgreSQL 18 gave it a suffixed name while the old one had it
                out.append(self._not_null_name(op.table, c))
        out += self._attach_keys(op.table, inv, copy_name)
        out.append(self._sync_function(op.table, c, c, old, op.down, lenient=True))
        return [Sql(s) for s in out]

    def _validate_referencing(self, inv: Involved) -> list:
        """Every one of them: after an interruption past the switch they are all NOT VALID, and the
        rerun must render the same steps (one that was NOT VALID before comes back validated)."""
        return [Sql(f"ALTER TABLE {self.qname(rt)} VALIDATE CONSTRAINT {self.quote(k.name)}")
                for rt, k in inv.referencing]

    # -- revert (before the contract) ----------------------------------------------------------
    def _revert(self, inv: Involved, col: Column) -> list[str]:
        """Back to the old column, from the expanded state: it takes the name and places back; the new
        column goes with its indexes and constraints."""
        t, q, c = self.qname(inv.table), self.quote, inv.name
        old = old_name(c)
        trigger, fn = self._sync(inv.table, c)
        out = [f"ALTER TABLE {self.qname(rt)} DROP CONSTRAINT {q(k.name)}" for rt, k in inv.referencing]
        out += [f"DROP TRIGGER IF EXISTS {trigger} ON {t}", f"DROP FUNCTION IF EXISTS {fn}()"]
        not_null = [f"ALTER TABLE {t} ALTER COLUMN {q(c if not col.identity else old)} SET NOT NULL",
                    f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {q(object_name_nn(bare(inv.table), old))}"] \
            if not col.nullable else []
        if col.identity:  # an identity needs NOT NULL first (PostgreSQL 18 then names it after the kept column)
            out += not_null
        out += self._move_default(inv.table, replace(col, default=inv.column.default) if col.type not in SERIAL_BASE
                                  else col, c, old, col.default)
        out += [f"ALTER TABLE {t} DROP COLUMN {q(c)}", f"ALTER TABLE {t} RENAME COLUMN {q(old)} TO {q(c)}"]
        if not col.identity:  # NOT NULL under the column's own name (PostgreSQL 18 names it after the column)
            out += not_null
        elif not col.nullable:  # PostgreSQL 18 named it after the kept column
            out.append(self._not_null_name(inv.table, c))
        out += [f"ALTER TABLE {t} RENAME CONSTRAINT {q(kept_name(k.name))} TO {q(k.name)}"
                for k in [*inv.uniques, *inv.copied]]
        out += [f"ALTER INDEX {self.qname(sibling(i.name, kept_name(bare(i.name))))} RENAME TO {q(bare(i.name))}"
                for i in inv.indexes]
        return out + self._attach_keys(inv.table, inv, kept_name)


def _not_null_name_block(dialect, table: str, column: str) -> str:
    """PostgreSQL 18 names a NOT NULL constraint `<table>_<column>_not_null` when it is made, with a
    suffix when that name is taken: the column's own one under that name (15: there is no such row)."""
    t, c = dialect.literal(dialect.qname(table)), dialect.literal(column)
    name = dialect.literal(f"{bare(table)}_{column}_not_null")
    return (f"DO $pymig$\nDECLARE pymig_name name;\nBEGIN\n  SELECT conname INTO pymig_name FROM pg_constraint "
            f"WHERE conrelid = {t}::regclass AND contype = 'n' AND conkey = ARRAY[(SELECT attnum FROM pg_attribute "
            f"WHERE attrelid = {t}::regclass AND attname = {c})];\n  IF pymig_name <> {name} THEN\n"
            f"    EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', {t}, pymig_name, {name});\n  END IF;\nEND\n$pymig$")


def object_name_nn(table: str, column: str) -> str:
    from ..ops.base import object_name

    return object_name(table, column, suffix="pymig_not_null")
