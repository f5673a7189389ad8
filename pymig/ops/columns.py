"""add_column, drop_column, rename_column, alter_column."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import Column, Constraint, Schema, privilege_key
from ..types import SERIAL_BASE, converts_without_using
from ..sqltext import mentions, rename_column_in
from .base import Operation, Phases, register, validate_column, validate_constraint
from .partitions import followed_by_partitions


def _touches(c: Constraint, column: str) -> bool:
    return (column in c.columns or mentions(c.expression, column) or mentions(c.where, column)
            or any(mentions(e, column) for e, _ in c.elements if e not in c.columns))


@register
@dataclass(frozen=True)
class AddColumn(Operation):
    kind = "add_column"
    table: str
    column: Column
    constraints: tuple[Constraint, ...] = ()

    def describe(self):
        return f"add_column {self.table}.{self.column.name}"

    def validate(self):
        validate_column(self.column)
        for c in self.constraints:
            validate_constraint(c)

    def values(self):
        return [self.column, *self.constraints]

    def columns_added(self):
        return [(self.table, self.column.name)]

    @followed_by_partitions
    def state_forwards(self, schema):
        t = schema.table(self.table)
        if t.has_column(self.column.name):
            raise PymigError(f'column "{self.column.name}" already exists on table "{self.table}"')
        t = replace(t, columns=t.columns + (self.column,))
        schema = schema.with_table(t)
        constraints = tuple(schema.resolve_references(c) for c in self.constraints)
        return schema.with_table(replace(t, constraints=t.constraints + constraints))

    def inverse(self, schema, added):
        return [DropColumn(self.table, self.column.name, allow_data_loss=True)]

    def checks(self, schema, dialect):
        from ..dialects.checks import add_column_checks

        return add_column_checks(self, schema, dialect)


@register
@dataclass(frozen=True)
class DropColumn(Operation):
    kind = "drop_column"
    table: str
    name: str
    allow_data_loss: bool = False

    def describe(self):
        return f"drop_column {self.table}.{self.name}"

    @followed_by_partitions
    def state_forwards(self, schema):
        t = schema.table(self.table)
        t.column(self.name)
        t = replace(
            t,
            columns=tuple(c for c in t.columns if c.name != self.name),
            constraints=tuple(c for c in t.constraints if not _touches(c, self.name)),
        )
        schema = schema.with_table(t)
        for i in self._indexes(schema):
            schema = schema.without_index(i.name)
        return schema

    def _indexes(self, schema):
        return [
            i for i in schema.indexes_on(self.table)
            if any(mentions(col, self.name) for col in i.columns) or mentions(i.where, self.name)
            or self.name in i.include
        ]

    def inverse(self, schema, added):
        from .indexes import CreateIndex

        t = schema.table(self.table)
        restored = AddColumn(
            self.table, t.column(self.name), tuple(c for c in t.constraints if _touches(c, self.name))
        )
        return [restored, *(CreateIndex(i) for i in self._indexes(schema))]

    def checks(self, schema, dialect):
        from ..dialects.checks import drop_column_checks

        return drop_column_checks(self, schema, dialect)


@register
@dataclass(frozen=True)
class RenameColumn(Operation):
    """compatible=True: on a live table, on a database that can, the old name stays served (a view
    under the table's name shows the column under both names) until contract (pymig/ops/compat.py);
    False: the plain instant rename."""

    kind = "rename_column"
    table: str
    old: str
    new: str
    compatible: bool = True

    def describe(self):
        return f"rename_column {self.table}.{self.old} -> {self.new}"

    def phases(self, schema, dialect, added):
        compat = self.compat_phases(replace(schema, new_columns=frozenset(added)), dialect)
        return compat.as_phases() if compat is not None else None

    def compat_phases(self, schema, dialect):
        """The compatible form's phases (ops.compat.RenamePhases), or None when the plain rename runs."""
        from .compat import RenamePhases, base_name, refuse_on_compat_view, view_of
        from .tables import RenameTable
        from .views import DropView

        if not (self.compatible and dialect.compatible_renames and schema.is_live(self.table)) \
                or (self.table, self.old) in schema.new_columns:  # added by this migration: nobody uses it yet
            return None
        refuse_on_compat_view(self, schema, self.table)
        base = base_name(self.table)
        if base in schema.relation_names():
            raise PymigError(f'{self.describe()}: a table or view "{base}" already exists, and the compatible '
                             "rename moves the table there until contract", hint="pass compatible=False")
        moved = RenameTable(self.table, base, compatible=False).state_forwards(schema)
        after = RenameColumn(base, self.old, self.new, compatible=False).state_forwards(moved)
        view = view_of(after.table(base), self.table, ((self.old, self.new),),
                       f'table "{base}" with column "{self.new}" also under its old name "{self.old}"', dialect)
        back = RenameTable(base, self.table, compatible=False)
        final = RenameColumn(self.table, self.new, self.old, compatible=False)
        return RenamePhases(after.with_object(view), view, base, contract=(DropView(self.table), back),
                            undo=(DropView(self.table), back, final), final_inverse=(final,))

    @followed_by_partitions
    def state_forwards(self, schema):
        old, new = self.old, self.new
        t = schema.table(self.table)
        t.column(old)

        def fix(c: Constraint) -> Constraint:
            cols = tuple(new if x == old else x for x in c.columns)
            return replace(c, columns=cols, expression=rename_column_in(c.expression, old, new),
                           definition=rename_column_in(c.definition, old, new),
                           elements=tuple((rename_column_in(e, old, new), op) for e, op in c.elements),
                           where=rename_column_in(c.where, old, new))

        t = replace(
            t,
            columns=tuple(c.renamed(t.name, t.name, new) if c.name == old else c for c in t.columns),
            constraints=tuple(fix(c) if _touches(c, old) else c for c in t.constraints),
            # a column privilege follows its column (PostgreSQL keeps it by the column's number)
            grants=tuple(sorted(((r, p, new if col == old else col, g) for r, p, col, g in t.grants), key=privilege_key)),
        )
        tables = dict(schema.tables)
        tables[t.name] = t
        for other in schema.tables.values():  # foreign keys that point at the renamed column
            if other.name == t.name:
                continue
            cons = tuple(
                replace(c, ref_columns=tuple(new if x == old else x for x in c.ref_columns),
                        definition=rename_column_in(c.definition, old, new))
                if c.kind == "foreign_key" and c.ref_table == t.name and old in c.ref_columns else c
                for c in other.constraints
            )
            tables[other.name] = replace(other, constraints=cons)
        indexes = {
            n: replace(i, columns=tuple(rename_column_in(c, old, new) for c in i.columns),
                       include=tuple(new if c == old else c for c in i.include),
                       where=rename_column_in(i.where, old, new),
                       definition=rename_column_in(i.definition, old, new))
            if i.table == t.name else i
            for n, i in schema.indexes.items()
        }
        return Schema(tables, indexes, objects=schema.objects)

    def inverse(self, schema, added):
        return [RenameColumn(self.table, self.new, self.old, compatible=False)]  # a down contracts at once anyway


@register
@dataclass(frozen=True)
class AlterColumn(Operation):
    """Only the given attributes change. `change_default` tells `default=None` (drop it) from not given."""

    kind = "alter_column"
    table: str
    name: str
    type: str | None = None
    nullable: bool | None = None
    default: str | None = None
    change_default: bool = False
    using: str | None = None
    rewrite: bool = False  # a type change on a live table: the plain ALTER TYPE, not expand/contract
    down: str | None = None  # expand/contract: the old column's value from the new one (default: a cast)

    def describe(self):
        return f"alter_column {self.table}.{self.name}"

    def validate(self):
        from ..sqltext import check_expression

        if not self.changes():
            raise PymigError("alter_column needs at least one of type=, nullable=, default=")
        if self.using is not None and self.type is None:
            raise PymigError("alter_column: using= needs type=")
        if self.down is not None and self.type is None:
            raise PymigError("alter_column: down= needs type=")
        for expr in (self.default, self.using, self.down):
            if expr is not None:
                check_expression(expr)

    def expressions(self):
        return [(name, text) for name, text in (("default", self.default), ("using", self.using), ("down", self.down))
                if text is not None]

    def phases(self, schema, dialect, added):
        """A type change that rewrites a live table runs expand/contract (docs/expand-contract.md)."""
        from ..types import family
        from .expand import ContractColumnType, RevertColumnType, SerialSequenceType, expanded_state

        if not expands(self, schema, dialect):
            return None
        before = schema.table(self.table).column(self.name)
        after = expanded_state(schema, self.state_forwards(schema), self.table, before)
        final = tuple(self.inverse(schema, added))
        integers = ("smallint", "integer", "bigint")
        old, new = family(SERIAL_BASE.get(before.type, before.type))[0], family(SERIAL_BASE.get(self.type, self.type))[0]
        if before.type in SERIAL_BASE and old in integers and new in integers:
            final += (SerialSequenceType(self.table, self.name, old),)  # the contract made it count in `new`
        return Phases(inverse=(RevertColumnType(self.table, self.name, before),),
                      contract=(ContractColumnType(self.table, self.name, self.type),),
                      final_inverse=final, expanded=after)

    def types(self):
        return [self.type] if self.type is not None else []

    def _after(self, before: Column) -> Column:
        return replace(
            before,
            type=self.type if self.type is not None else before.type,
            nullable=self.nullable if self.nullable is not None else before.nullable,
            default=self.default if self.change_default else before.default,
        )

    @followed_by_partitions
    def state_forwards(self, schema):
        t = schema.table(self.table)
        before = t.column(self.name)
        if self.change_default:
            self._refuse_default(before)
        after = self._after(before)
        return schema.with_table(replace(t, columns=tuple(after if c is before else c for c in t.columns)))

    def _refuse_default(self, column: Column) -> None:
        """Columns whose values do not come from a default: PostgreSQL refuses SET/DROP DEFAULT on
        identity and generated columns, and a serial's default is its sequence."""
        what = f'column "{self.table}.{self.name}"'
        verb = "drop its default" if self.default is None else "set a default"
        if column.identity:
            raise PymigError(f"{what} is an identity column (generated {column.identity}): it has no default, "
                             f"so alter_column cannot {verb}; its values come from its identity sequence",
                             hint=f"to stop numbering it, run_sql(\"ALTER TABLE {self.table} ALTER COLUMN {self.name} "
                             "DROP IDENTITY\", down=...); leave default= out otherwise")
        if column.generated is not None:
            raise PymigError(f"{what} is a generated column (GENERATED ALWAYS AS ({column.generated}) STORED): "
                             f"it has no default, so alter_column cannot {verb}",
                             hint=f"to make it a plain column that keeps its values: run_sql(\"ALTER TABLE {self.table} "
                             f"ALTER COLUMN {self.name} DROP EXPRESSION\", down=...), then alter_column(default=...)")
        if column.type in SERIAL_BASE:
            raise PymigError(f"{what} is {column.type}: its default is its sequence's nextval(), which "
                             f"alter_column cannot {'drop' if self.default is None else 'replace'} "
                             "(the sequence would stay, owned by the column)",
                             hint="leave default= out; change such a column with run_sql")

    def changes(self) -> bool:
        return self.type is not None or self.nullable is not None or self.change_default

    def inverse(self, schema, added):
        before = schema.table(self.table).column(self.name)
        after = self._after(before)
        type_back = before.type if after.type != before.type else None
        back = AlterColumn(
            self.table, self.name,
            type=type_back,
            nullable=before.nullable if after.nullable != before.nullable else None,
            default=before.default,
            # a type change converts the default too, and the converted one would still name the
            # type it came from (an enum dropped next): the default is set again as it was
            change_default=after.default != before.default or (type_back is not None and before.default is not None),
            # without USING when a cast does it by itself: the check that refuses values that do not
            # fit then applies (an explicit ::varchar(n) would cut them silently)
            using=f"{_quote(self.name)}::{SERIAL_BASE.get(before.type, before.type)}"
            if self.using and type_back and not converts_without_using(after.type, before.type) else None,
            # a revert changes the type back with the plain ALTER TYPE, in place (the column keeps its
            # position; warned about as a rewrite): `pymig down` is a rollback, not a new deploy
            rewrite=type_back is not None,
        )
        return [back] if back.changes() else []

    def checks(self, schema, dialect):
        from ..dialects.checks import alter_column_checks

        return alter_column_checks(self, schema, dialect)


def expands(op: AlterColumn, schema: Schema, dialect) -> bool:
    """Whether the type change runs expand/contract here: on a table in use, where the database
    would rewrite it, unless rewrite=True; or when an interrupted run left its columns behind."""
    from .expand import old_name, shadow_name

    if op.type is None or op.rewrite or not dialect.online_recipes or not schema.is_live(op.table):
        return False
    table = schema.tables.get(op.table)
    if table is None or not table.has_column(op.name):
        return False
    if table.partition_by or table.partition_of:  # no CREATE INDEX CONCURRENTLY there: the plain ALTER TYPE
        return False
    if table.has_column(shadow_name(op.name)) or table.has_column(old_name(op.name)):
        return True  # resumed half-way: the same steps as the first run
    before = table.column(op.name)
    return dialect.rewrite_cost(before.type, op.type, op.using) is not None


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def blocked_type_changes(ops, schema: Schema, dialect) -> dict[int, int]:
    """Index of each expand/contract type change in `ops` -> index of the first later operation of
    the same migration that names its table: while expanded the table carries the shadow and the
    pymig-named old column and constraints, which a later change of the table would act on or break."""
    from .. import names

    blocked = {}
    for i, op in enumerate(ops):
        if isinstance(op, AlterColumn) and expands(op, schema, dialect):
            later = next((j for j in range(i + 1, len(ops)) if op.table in _tables_named(ops[j], names)), None)
            if later is not None:
                blocked[i] = later
    return blocked


def with_feasible_type_changes(ops, schema: Schema, dialect) -> list:
    """`ops` with each type change that blocked_type_changes finds made the plain ALTER TYPE
    (rewrite=True); `pymig check` says so (PM201)."""
    blocked = blocked_type_changes(ops, schema, dialect)
    return [replace(op, rewrite=True) if i in blocked else op for i, op in enumerate(ops)]


def _tables_named(op, names) -> set[str]:
    found: set[str] = set()

    def note(kind, text):
        if kind == names.QUALIFIED:
            found.add(text)
        elif kind == names.COLUMN_REF:
            found.add(names.column_ref(text)[0])
        return text

    names.transform(op, note)
    return found
