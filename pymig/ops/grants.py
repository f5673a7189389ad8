"""grant, revoke: privileges on a table or view. The inverse is derived from the privileges held
before (aclitem), so `down` takes back only what `up` gave, and gives back only what it took."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import PymigError
from ..steps import Check
from .base import Operation, register

# What GRANT ALL gives on a table before PostgreSQL 17 (17 adds MAINTAIN): pymig spells the list
# out so that the state, and the inverse, are the same on every version.
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "REFERENCES")


def privileges_list(privileges, columns) -> tuple[str, ...]:
    if isinstance(privileges, str):
        privileges = [privileges]
    names = [" ".join(str(p).upper().split()) for p in privileges]
    if "ALL" in names or "ALL PRIVILEGES" in names:
        names = list(COLUMN_PRIVILEGES if columns else TABLE_PRIVILEGES)
    allowed = COLUMN_PRIVILEGES if columns else (*TABLE_PRIVILEGES, "MAINTAIN")
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        what = "a column" if columns else "a table or view"
        raise PymigError(f"privileges {list(privileges)!r}: {', '.join(bad) or 'none given'} is not a "
                         f"privilege on {what} (use {', '.join(allowed)})")
    return tuple(dict.fromkeys(names))


def _held(schema, on: str) -> set:
    return set(schema.relation(on).grants)


def _entries(privileges, role, columns, option) -> list:
    return [(role, p, c, option) for p in privileges for c in (columns or (None,))]


def _role_check(op, role: str, dialect) -> list[Check]:
    query = dialect.missing_role_query(role)
    if query is None:
        return []
    return [Check(op.describe(), f'role "{role}"', query,
                  f'role "{role}" does not exist: pymig does not create roles (they belong to the '
                  "whole server, not to one database)",
                  hint=f'create it first (CREATE ROLE "{role}" ...), as the server\'s administrator does')]


def _with(schema, on: str, grants: set):
    rel = schema.relation(on)
    key = lambda p: (p[0], p[1], p[2] or "", p[3])  # noqa: E731
    return schema.with_relation(replace(rel, grants=tuple(sorted(grants, key=key))))


@register
@dataclass(frozen=True)
class Grant(Operation):
    kind = "grant"
    privileges: tuple[str, ...]
    on: str
    to: str
    columns: tuple[str, ...] = ()
    with_grant_option: bool = False

    def describe(self):
        return f"grant {', '.join(self.privileges)} on {self.on} to {self.to}"

    def state_forwards(self, schema):
        held = _held(schema, self.on)
        for c in self.columns:
            schema.table(self.on).column(c)
        for role, p, c, option in _entries(self.privileges, self.to, self.columns, self.with_grant_option):
            if (role, p, c, True) not in held:
                held.discard((role, p, c, False))
                held.add((role, p, c, option))
        return _with(schema, self.on, held)

    def inverse(self, schema, added):
        held = {(r, p, c): o for r, p, c, o in _held(schema, self.on)}
        new: dict = {}
        upgraded: dict = {}
        for role, p, c, option in _entries(self.privileges, self.to, self.columns, self.with_grant_option):
            if (role, p, c) not in held:
                new.setdefault(c, []).append(p)
            elif option and not held[role, p, c]:
                upgraded.setdefault(c, []).append(p)
        out = [Revoke(tuple(ps), self.on, self.to, (c,) if c else ()) for c, ps in new.items()]
        out += [Revoke(tuple(ps), self.on, self.to, (c,) if c else (), grant_option_for=True)
                for c, ps in upgraded.items()]
        # revoking a table privilege takes it from every column too: give back the columns' own
        kept = sorted((p, c, o) for (r, p, c), o in held.items() if r == self.to and c and p in new.get(None, ()))
        out += [Grant((p,), self.on, self.to, (c,), o) for p, c, o in kept]
        return out

    def checks(self, schema, dialect):
        return _role_check(self, self.to, dialect)


@register
@dataclass(frozen=True)
class Revoke(Operation):
    """REVOKE of a table privilege takes the same privilege on every column too, as PostgreSQL does."""

    kind = "revoke"
    privileges: tuple[str, ...]
    on: str
    to: str  # the role it is revoked from
    columns: tuple[str, ...] = ()
    grant_option_for: bool = False

    def describe(self):
        return f"revoke {', '.join(self.privileges)} on {self.on} from {self.to}"

    def _taken(self, schema) -> set:
        return {g for g in _held(schema, self.on) if g[0] == self.to and g[1] in self.privileges
                and (not self.columns or g[2] in self.columns) and (g[3] or not self.grant_option_for)}

    def state_forwards(self, schema):
        held = _held(schema, self.on)
        taken = self._taken(schema)
        held -= taken
        if self.grant_option_for:
            held |= {(r, p, c, False) for r, p, c, _ in taken}
        return _with(schema, self.on, held)

    def inverse(self, schema, added):
        groups: dict = {}
        for _, p, c, option in sorted(self._taken(schema), key=lambda g: (g[1], g[2] or "", g[3])):
            groups.setdefault((c, option), []).append(p)
        return [Grant(tuple(ps), self.on, self.to, (c,) if c else (), option) for (c, option), ps in groups.items()]

    def checks(self, schema, dialect):
        return _role_check(self, self.to, dialect)
