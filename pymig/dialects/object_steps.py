"""The `<kind>_steps` of the schema objects besides tables and indexes (views, enums, sequences,
functions and triggers, privileges, comments): what each operation's SQL is, from the dialect's
statements. A dialect overrides the kinds it does another way."""

from __future__ import annotations

from dataclasses import replace

from ..steps import Sql, Warning


class ObjectSteps:
    # -- views ---------------------------------------------------------------------------------------
    def create_view_steps(self, op, change):
        return [Sql(s) for s in self.create_view(op.view)]

    def drop_view_steps(self, op, change):
        schema = change.before
        view = schema.get("view", op.name)
        return [Sql(s) for s in self.drop_view(op.name, view is not None and view.materialized)]

    def replace_view_steps(self, op, change):
        schema = change.before
        view = replace(schema.object("view", op.name), query=op.query)
        if op.recreate:
            return [Sql(s) for s in self.drop_view(op.name, False) + self.create_view(view)]
        return [Sql(s) for s in self.replace_view(view)]

    def refresh_materialized_view_steps(self, op, change):
        return [Sql(s) for s in self.refresh_materialized_view(op.name, op.concurrently)]

    # -- enums ---------------------------------------------------------------------------------------
    def create_enum_steps(self, op, change):
        return [Sql(s) for s in self.create_enum(op.enum)]

    def drop_enum_steps(self, op, change):
        return [Sql(s) for s in self.drop_enum(op.name)]

    def add_enum_value_steps(self, op, change):
        return [Sql(s) for s in self.add_enum_value(op.name, op.value, op.before, op.after)]

    def drop_enum_value_steps(self, op, change):
        schema = change.before
        after = op.state_forwards(schema).object("enum", op.name)
        uses = op.columns_using(schema)
        steps = [Warning(f"{op.describe()}: rebuilding the type rewrites {t} under an ACCESS EXCLUSIVE "
                         "lock: reads and writes wait until it finishes")
                 for t in dict.fromkeys(t for t, _, _ in uses) if schema.is_live(t)]
        return steps + [Sql(s) for s in self.rebuild_enum(after, uses)]

    def rename_enum_value_steps(self, op, change):
        return [Sql(s) for s in self.rename_enum_value(op.name, op.value, op.new_value)]

    # -- sequences -----------------------------------------------------------------------------------
    def create_sequence_steps(self, op, change):
        return [Sql(s) for s in self.create_sequence(op.sequence)]

    def alter_sequence_steps(self, op, change):
        schema = change.before
        before, after = schema.object("sequence", op.name), op._after(schema)
        return [Sql(s) for s in self.alter_sequence(before, after)]

    def drop_sequence_steps(self, op, change):
        return [Sql(s) for s in self.drop_sequence(op.name)]

    # -- functions -----------------------------------------------------------------------------------
    def create_function_steps(self, op, change):
        return [Sql(s) for s in self.create_function(op.function)]

    def replace_function_steps(self, op, change):
        return [Sql(s) for s in self.create_function(replace(op.function, comment=None), replace_=True)]

    def drop_function_steps(self, op, change):
        return [Sql(s) for s in self.drop_function(op.name)]

    def create_trigger_steps(self, op, change):
        return [Sql(s) for s in self.create_trigger(op.trigger)]

    def drop_trigger_steps(self, op, change):
        return [Sql(s) for s in self.drop_trigger(op.table, op.name)]

    # -- grants --------------------------------------------------------------------------------------
    def grant_steps(self, op, change):
        return [Sql(s) for s in self.grant(op.privileges, op.on, op.to, op.columns,
                                              op.with_grant_option)]

    def revoke_steps(self, op, change):
        return [Sql(s) for s in self.revoke(op.privileges, op.on, op.to, op.columns,
                                               op.grant_option_for)]

    # -- comments ------------------------------------------------------------------------------------
    def comment_on_steps(self, op, change):
        schema = change.before
        kind, name, table = op.resolved(schema)
        return [Sql(s) for s in self.set_comment(kind, name, op.text, table)]

    # -- extensions and schemas ---------------------------------------------------------------------
    def create_extension_steps(self, op, change):
        return [Sql(s) for s in self.create_extension(op.extension)]

    def drop_extension_steps(self, op, change):
        return [Sql(s) for s in self.drop_extension(op.name)]

    def create_schema_steps(self, op, change):
        return [Sql(s) for s in self.create_schema(op.namespace)]

    def drop_schema_steps(self, op, change):
        return [Sql(s) for s in self.drop_schema(op.name)]

    # -- partitions ----------------------------------------------------------------------------------
    def create_partition_steps(self, op, change):
        return [Sql(s) for s in self.create_partition(op.parent, op.name, op.bound)]

    def attach_partition_steps(self, op, change):
        return [Sql(s) for s in self.attach_partition(op.parent, op.name, op.bound)]

    def detach_partition_steps(self, op, change):
        return [Sql(s) for s in self.detach_partition(op.parent, op.name)]
