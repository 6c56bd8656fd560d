"""The policy file, parsed: settings per asset tier and request kind, validated as a whole.

```yaml
defaults: {<settings>}       # every tier and kind
exception: {<settings>}      # every tier, exceptions only (likewise `rollback`)
tiers:
  critical:
    <settings>               # tier critical, both kinds
    exception: {<settings>}  # tier critical, exceptions only
```
Later layers win: built-in rules, `defaults`, the kind, the tier, the tier's kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from approvals.catalog import Catalog
from approvals.model import DecisionRule, RequestKind, Tier
from approvals.policies import CHANNEL_PREFIX, ROLES, TEAM_PREFIX, Deciders, Policy, builtin_rules

DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
NEVER = ("none", "never", "off")
KIND_ONLY = {
    "max_duration": RequestKind.EXCEPTION, "max_renewals": RequestKind.EXCEPTION,
    "review_every": RequestKind.EXCEPTION, "expiry_reminders": RequestKind.EXCEPTION,
    "review_within": RequestKind.ROLLBACK, "review_remind_every": RequestKind.ROLLBACK,
}


class PolicyError(Exception):
    """An invalid policy file: one message per problem, each naming its place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid policy:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def parse_duration(text: object) -> timedelta:
    """`30m`, `4h`, `3d` or `2w` as a positive timedelta; ValueError otherwise."""
    match = DURATION.match(str(text)) if isinstance(text, str) else None
    if match is None or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not a duration: write a number and a unit, e.g. 4h or 3d")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def build_policy(data: Any, catalog: Catalog | None = None) -> Policy:
    """Validate policy data (teams against `catalog`); PolicyError names each problem's place."""
    problems: list[str] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise PolicyError(["policy: the top level must be a mapping (defaults, exception, "
                           "rollback, tiers)"])
    parser = _Parser(problems, catalog)
    for key in data:
        if key not in ("defaults", "tiers", *(k.value for k in RequestKind)):
            problems.append(f"{key}: unknown section (sections: defaults, exception, rollback, "
                            "tiers)")
    layers: dict[tuple[Tier | None, RequestKind | None], dict[str, Any]] = {
        (None, None): parser.block(data.get("defaults"), "defaults", None)}
    for kind in RequestKind:
        layers[(None, kind)] = parser.block(data.get(kind.value), kind.value, kind)
    tiers = data.get("tiers") or {}
    if not isinstance(tiers, Mapping):
        problems.append("tiers: must be a mapping of tier to settings")
        tiers = {}
    for name, raw in tiers.items():
        tier = _tier(name)
        if tier is None:
            problems.append(f"tiers.{name}: not a tier (low, medium, high, critical)")
            continue
        raw = raw or {}
        if not isinstance(raw, Mapping):
            problems.append(f"tiers.{name}: must be a mapping of settings")
            continue
        common = {k: v for k, v in raw.items() if k not in {k.value for k in RequestKind}}
        layers[(tier, None)] = parser.block(common, f"tiers.{name}", None)
        for kind in RequestKind:
            layers[(tier, kind)] = parser.block(raw.get(kind.value), f"tiers.{name}.{kind}", kind)
    if problems:
        raise PolicyError(problems)
    table = builtin_rules()
    for (tier, kind), base in table.items():
        for layer in ((None, None), (None, kind), (tier, None), (tier, kind)):
            base = replace(base, **layers.get(layer, {}))
        table[(tier, kind)] = base
    return Policy(rules=table)


def _tier(name: object) -> Tier | None:
    try:
        return Tier(str(name).lower())
    except ValueError:
        return None


class _Parser:
    """Parses one block of settings at a time, adding each problem with its place."""

    def __init__(self, problems: list[str], catalog: Catalog | None) -> None:
        self.problems = problems
        self.catalog = catalog
        self.fields: dict[str, Callable[[Any, str], Any]] = {
            "deciders": self.deciders, "deadline": self.duration,
            "remind_every": self.optional_duration, "escalate_every": self.duration,
            "escalation": self.chain, "max_duration": self.days,
            "max_renewals": self.count, "review_every": self.optional_duration,
            "expiry_reminders": self.durations, "review_within": self.duration,
            "review_remind_every": self.optional_duration,
        }

    def block(self, raw: Any, where: str, kind: RequestKind | None) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problems.append(f"{where}: must be a mapping of settings")
            return {}
        parsed: dict[str, Any] = {}
        for key, value in raw.items():
            place = f"{where}.{key}"
            if key not in self.fields:
                self.problems.append(
                    f"{place}: unknown setting (settings: {', '.join(self.fields)})")
                continue
            only = KIND_ONLY.get(str(key))
            if kind is not None and only is not None and only is not kind:
                self.problems.append(f"{place}: applies to {only.value}s only")
                continue
            try:
                parsed[str(key)] = self.fields[str(key)](value, place)
            except ValueError as exc:
                self.problems.append(f"{place}: {exc}")
        return parsed

    def duration(self, value: Any, where: str) -> timedelta:
        return parse_duration(value)

    def optional_duration(self, value: Any, where: str) -> timedelta | None:
        if value is None or value is False or str(value).lower() in NEVER:
            return None
        return parse_duration(value)

    def durations(self, value: Any, where: str) -> tuple[timedelta, ...]:
        if not isinstance(value, list):
            raise ValueError("must be a list of durations, e.g. [7d, 1d]")
        return tuple(parse_duration(v) for v in value)

    def days(self, value: Any, where: str) -> timedelta:
        duration = parse_duration(value)
        if duration % timedelta(days=1):
            raise ValueError(f"{value!r} must be whole days, e.g. 90d")
        return duration

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{value!r} must be a whole number, 0 or more")
        return value

    def deciders(self, value: Any, where: str) -> Deciders:
        if not isinstance(value, Mapping) or len(value) != 1:
            raise ValueError("must name one rule: {any: [roles]}, {all: [roles]} or "
                             "{sequence: [roles]}")
        [(name, roles)] = value.items()
        try:
            rule = DecisionRule(str(name))
        except ValueError:
            raise ValueError(f"unknown rule {name!r} (any, all, sequence)") from None
        if not isinstance(roles, list) or not roles:
            raise ValueError(f"{name}: must be a non-empty list of roles")
        place = f"{where}.{name}"
        if rule is DecisionRule.ANY:
            return Deciders(rule, (self._roles(roles, place),))
        steps = tuple(
            self._roles(r if isinstance(r, list) else [r], f"{place}[{i}]")
            for i, r in enumerate(roles)
        )
        return Deciders(rule, steps)

    def chain(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValueError("must be a list, e.g. [backup, manager, channel:leadership]")
        chain: list[str] = []
        for i, entry in enumerate(value):
            text = str(entry).strip()
            if text.startswith(CHANNEL_PREFIX) and text[len(CHANNEL_PREFIX):].strip():
                chain.append(text)
            elif self._role(text, f"{where}[{i}]", "or channel:<name>"):
                chain.append(text)
        return tuple(chain)

    def _roles(self, roles: list[Any], where: str) -> tuple[str, ...]:
        if not roles:
            self.problems.append(f"{where}: names no role")
        return tuple(str(r).strip() for r in roles if self._role(str(r).strip(), where))

    def _role(self, role: str, where: str, also: str = "") -> bool:
        if role in ROLES:
            return True
        if role.startswith(TEAM_PREFIX):
            team = role[len(TEAM_PREFIX):]
            if self.catalog is not None and team not in self.catalog.teams:
                self.problems.append(f"{where}: unknown team {team!r} in {role!r}")
                return False
            if team:
                return True
        self.problems.append(
            f"{where}: unknown role {role!r} (roles: {', '.join(ROLES)}, team:<id> {also})"
            .rstrip())
        return False
