"""What replacing one catalog with another changes: assets, owners, people, teams."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from approvals.catalog import Catalog
from approvals.model import Asset

ASSET_FIELDS = tuple(f.name for f in fields(Asset) if f.name != "name")


@dataclass
class CatalogDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    people_added: list[str] = field(default_factory=list)
    people_removed: list[str] = field(default_factory=list)
    people_changed: list[str] = field(default_factory=list)
    teams_added: list[str] = field(default_factory=list)
    teams_removed: list[str] = field(default_factory=list)
    teams_changed: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def owners_changed(self) -> dict[str, tuple[str, str]]:
        return {name: change["owner"] for name, change in self.changed.items()
                if "owner" in change}


def diff_catalogs(before: Catalog, after: Catalog) -> CatalogDiff:
    """Every difference, by asset name, person id and team id (in the new catalog's order)."""
    diff = CatalogDiff(
        added=[n for n in after.assets if n not in before.assets],
        removed=[n for n in before.assets if n not in after.assets],
        people_added=[p for p in after.people if p not in before.people],
        people_removed=[p for p in before.people if p not in after.people],
        people_changed=[p for p, person in after.people.items()
                        if p in before.people and before.people[p] != person],
        teams_added=[t for t in after.teams if t not in before.teams],
        teams_removed=[t for t in before.teams if t not in after.teams],
    )
    for name, asset in after.assets.items():
        old = before.assets.get(name)
        if old is not None and old != asset:
            diff.changed[name] = {f: (getattr(old, f), getattr(asset, f)) for f in ASSET_FIELDS
                                  if getattr(old, f) != getattr(asset, f)}
    for tid, team in after.teams.items():
        old_team = before.teams.get(tid)
        if old_team is not None and set(old_team.members) != set(team.members):
            diff.teams_changed[tid] = (old_team.members, team.members)
    return diff


def describe(diff: CatalogDiff, before: Catalog, after: Catalog) -> list[str]:
    """The diff as lines for a person: `+ asset`, `- asset`, `~ asset: field old -> new`."""
    if diff.empty:
        return ["No change."]
    lines: list[str] = []
    lines += [f"+ asset {n} (owner {after.display(after.assets[n].owner)})" for n in diff.added]
    lines += [f"- asset {n} (owner {before.display(before.assets[n].owner)})"
              for n in diff.removed]
    for name, change in diff.changed.items():
        parts = []
        for f, (old, new) in change.items():
            if f in ("owner", "backup", "team"):
                old = before.display(old) if old else "none"
                new = after.display(new) if new else "none"
            parts.append(f"{f} {_show(old)} -> {_show(new)}")
        lines.append(f"~ asset {name}: {'; '.join(parts)}")
    lines += [f"+ person {p} ({after.people[p].name})" for p in diff.people_added]
    lines += [f"- person {p} ({before.people[p].name})" for p in diff.people_removed]
    lines += [f"~ person {p}" for p in diff.people_changed]
    lines += [f"+ team {t}" for t in diff.teams_added]
    lines += [f"- team {t}" for t in diff.teams_removed]
    lines += [f"~ team {t}: members {', '.join(old)} -> {', '.join(new)}"
              for t, (old, new) in diff.teams_changed.items()]
    counts = (f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} "
              f"changed, {len(diff.owners_changed())} with a new owner")
    return [*lines, f"Assets: {counts}."]


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(getattr(value, "value", value))
