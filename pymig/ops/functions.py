"""create_function, replace_function, drop_function; create_trigger, drop_trigger."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..schema import Function, Trigger
from .base import Operation, register


def _triggers_using(schema, function: str) -> list[str]:
    return [f"{t.name}.{tg.name}" for t in schema.tables.values() for tg in t.triggers if tg.function == function]


@register
@dataclass(frozen=True)
class CreateFunction(Operation):
    kind = "create_function"
    function: Function

    def describe(self):
        return f"create_function {self.function.name}"

    def state_forwards(self, schema):
        if schema.get("function", self.function.name):
            raise PymigError(f'function "{self.function.name}" already exists',
                             hint="replace_function changes its definition")
        return schema.with_object(self.function)

    def inverse(self, schema, added):
        return [DropFunction(self.function.name)]


@register
@dataclass(frozen=True)
class ReplaceFunction(Operation):
    """CREATE OR REPLACE FUNCTION; the inverse puts back the previous definition (pg_get_functiondef)."""

    kind = "replace_function"
    function: Function

    def describe(self):
        return f"replace_function {self.function.name}"

    def state_forwards(self, schema):
        old = schema.object("function", self.function.name)
        return schema.with_object(replace(self.function, comment=old.comment))

    def inverse(self, schema, added):
        return [ReplaceFunction(schema.object("function", self.function.name))]


@register
@dataclass(frozen=True)
class DropFunction(Operation):
    kind = "drop_function"
    name: str

    def describe(self):
        return f"drop_function {self.name}"

    def state_forwards(self, schema):
        schema.object("function", self.name)
        used = _triggers_using(schema, self.name)
        if used:
            raise PymigError(f"drop_function {self.name}: triggers call it: {', '.join(used)}",
                             hint="drop_trigger them first")
        return schema.without_object("function", self.name)

    def inverse(self, schema, added):
        return [CreateFunction(schema.object("function", self.name))]


@register
@dataclass(frozen=True)
class CreateTrigger(Operation):
    kind = "create_trigger"
    trigger: Trigger

    def describe(self):
        return f"create_trigger {self.trigger.name} on {self.trigger.table}"

    def state_forwards(self, schema):
        t = schema.table(self.trigger.table)
        if any(tg.name == self.trigger.name for tg in t.triggers):
            raise PymigError(f'trigger "{self.trigger.name}" already exists on table "{t.name}"')
        return schema.with_table(replace(t, triggers=(*t.triggers, self.trigger)))

    def inverse(self, schema, added):
        return [DropTrigger(self.trigger.table, self.trigger.name)]


@register
@dataclass(frozen=True)
class DropTrigger(Operation):
    kind = "drop_trigger"
    table: str
    name: str

    def describe(self):
        return f"drop_trigger {self.name} on {self.table}"

    def _trigger(self, schema) -> Trigger:
        for tg in schema.table(self.table).triggers:
            if tg.name == self.name:
                return tg
        raise PymigError(f'trigger "{self.name}" does not exist on table "{self.table}"')

    def state_forwards(self, schema):
        self._trigger(schema)
        t = schema.table(self.table)
        return schema.with_table(replace(t, triggers=tuple(tg for tg in t.triggers if tg.name != self.name)))

    def inverse(self, schema, added):
        return [CreateTrigger(self._trigger(schema))]
