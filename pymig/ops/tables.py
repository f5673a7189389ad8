"""create_table, drop_table, rename_table."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import Schema, Table
from ..names import bare
from ..sqltext import rename_table_in
from .base import Operation, register, validate_column, validate_constraint


@register
@dataclass(frozen=True)
class CreateTable(Operation):
    kind = "create_table"
    table: Table

    def describe(self):
        return f"create_table {self.table.name}"

    def validate(self):
        for c in self.table.columns:
            validate_column(c)
        for c in self.table.constraints:
            validate_constraint(c)

    def values(self):
        return [self.table]

    def columns_added(self):
        return [(self.table.name, c.name) for c in self.table.columns]

    def state_forwards(self, schema):
        table = self.table
        self_ref = schema.with_table(table)
        table = replace(table, constraints=tuple(self_ref.resolve_references(c) for c in table.constraints))
        return schema.with_table(table)

    def inverse(self, schema, added):
        return [DropTable(self.table.name, allow_data_loss=True)]


@register
@dataclass(frozen=True)
class DropTable(Operation):
    kind = "drop_table"
    name: str
    allow_data_loss: bool = False

    def describe(self):
        return f"drop_table {self.name}"

    def state_forwards(self, schema):
        schema.table(self.name)
        partitions = [t.name for t in schema.partitions(self.name)]
        if partitions:  # PostgreSQL would drop them with it, CASCADE or not
            raise PymigError(f'table "{self.name}" has partitions: {", ".join(partitions)}',
                             hint="detach_partition or drop_table them first")
        return schema.without_table(self.name)

    def inverse(self, schema, added):
        from .indexes import CreateIndex
        from .partitions import recreate_partition

        table = schema.table(self.name)
        if table.partition_of:
            return recreate_partition(schema, self.name)
        return [CreateTable(table), *(CreateIndex(i) for i in schema.indexes_on(self.name))]

    def checks(self, schema, dialect):
        from ..dialects.checks import drop_table_checks

        return drop_table_checks(self, schema, dialect)


@register
@dataclass(frozen=True)
class RenameTable(Operation):
    """compatible=True: on a live table, on a database that can, the old name stays served by a view
    until contract (pymig/ops/compat.py); False: the plain instant rename."""

    kind = "rename_table"
    old: str
    new: str
    compatible: bool = True

    def describe(self):
        return f"rename_table {self.old} -> {self.new}"

    def phases(self, schema, dialect, added):
        compat = self.compat_phases(schema, dialect)
        return compat.as_phases() if compat is not None else None

    def compat_phases(self, schema, dialect):
        """The compatible form's phases (ops.compat.RenamePhases), or None when the plain rename runs."""
        from .compat import RenamePhases, refuse_on_compat_view, view_of
        from .views import DropView

        if not (self.compatible and dialect.compatible_renames and schema.is_live(self.old)):
            return None
        refuse_on_compat_view(self, schema, self.old)
        after = RenameTable(self.old, self.new, compatible=False).state_forwards(schema)
        view = view_of(after.table(self.new), self.old, (), f'the old name of table "{self.new}"', dialect)
        back = RenameTable(self.new, self.old, compatible=False)
        return RenamePhases(after.with_object(view), view, self.new, contract=(DropView(self.old),),
                            undo=(DropView(self.old), back), final_inverse=(back,))

    def state_forwards(self, schema):
        old, new = self.old, self.new
        tables = {}
        for t in schema.tables.values():
            constraints = tuple(
                replace(c, ref_table=new, definition=rename_table_in(c.definition, bare(old), bare(new)))
                if c.ref_table == old else c
                for c in t.constraints
            )
            columns = tuple(c.renamed(old, new, c.name) for c in t.columns) if t.name == old else t.columns
            t = replace(t, name=new if t.name == old else t.name, columns=columns, constraints=constraints,
                        partition_of=new if t.partition_of == old else t.partition_of)
            tables[t.name] = t
        schema.table(old)
        indexes = {
            n: replace(i, table=new, definition=rename_table_in(i.definition, bare(old), bare(new))) if i.table == old else i
            for n, i in schema.indexes.items()
        }
        return Schema(tables, indexes, objects=schema.objects)

    def inverse(self, schema, added):
        return [RenameTable(self.new, self.old, compatible=False)]  # a down contracts at once anyway

