"""The ownership catalog: people, teams and assets, validated as a whole."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from approvals.errors import UnknownAsset
from approvals.model import Asset, Person, Team, Tier

MAX_TYPO_LENGTH_CHANGE = 2


class CatalogError(Exception):
    """An invalid catalog: one message per problem, each naming its place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid catalog:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Catalog:
    people: Mapping[str, Person]
    teams: Mapping[str, Team]
    assets: Mapping[str, Asset]

    def __post_init__(self) -> None:
        index: dict[str, Asset] = {}
        for asset in self.assets.values():
            for key in (asset.name, *asset.aliases):
                index[key.lower()] = asset
        by_aad = {p.aad_object_id.lower(): p for p in self.people.values()}
        by_email = {p.email.lower(): p for p in self.people.values()}
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_by_aad", by_aad)
        object.__setattr__(self, "_by_email", by_email)

    def find_asset(self, name: str) -> Asset:
        """An asset by name or alias, tolerating case and small typos; else UnknownAsset."""
        key = name.strip().strip("`'\"").lower()
        index: dict[str, Asset] = self._index  # type: ignore[attr-defined]
        if key in index:
            return index[key]
        # A typo changes a few letters; a longer or shorter name is another asset, so
        # "payments-web" must not silently become the asset aliased "payments".
        close = [
            c for c in difflib.get_close_matches(key, list(index), n=3, cutoff=0.8)
            if abs(len(c) - len(key)) <= MAX_TYPO_LENGTH_CHANGE
        ]
        if len(close) >= 1 and len({index[c].name for c in close}) == 1:
            return index[close[0]]
        raise UnknownAsset(name.strip(), self.suggest(key))

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """The asset names closest to `name`, for a helpful answer."""
        index: dict[str, Asset] = self._index  # type: ignore[attr-defined]
        close = difflib.get_close_matches(name.lower(), list(index), n=n * 2, cutoff=0.4)
        names: list[str] = []
        for c in close:
            if index[c].name not in names:
                names.append(index[c].name)
        if not names:
            names = [a.name for a in self.assets.values() if name.lower() in a.name.lower()]
        return names[:n]

    def person(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    def person_by_aad(self, aad_object_id: str) -> Person | None:
        by_aad: dict[str, Person] = self._by_aad  # type: ignore[attr-defined]
        return by_aad.get(aad_object_id.lower())

    def person_by_email(self, email: str) -> Person | None:
        """A person by email or UPN, whatever its case."""
        by_email: dict[str, Person] = self._by_email  # type: ignore[attr-defined]
        return by_email.get(email.strip().lower())

    def find_person(self, text: str) -> Person | None:
        """A person by handle, email, name or first name."""
        t = text.strip().lstrip("@").lower()
        for p in self.people.values():
            if t in (p.id.lower(), p.email.lower(), p.name.lower(), p.name.split()[0].lower()):
                return p
        return None

    def members_of(self, owner: str) -> tuple[str, ...]:
        """The people an owner handle stands for: the person, or every member of the team."""
        if owner in self.teams:
            return self.teams[owner].members
        return (owner,)

    def display(self, owner: str) -> str:
        if owner in self.teams:
            return self.teams[owner].name
        p = self.people.get(owner)
        return p.name if p else owner

    def assets_owned_by(self, person_id: str) -> list[Asset]:
        return [
            a for a in self.assets.values()
            if person_id in self.members_of(a.owner) or a.backup == person_id
        ]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


Origin = Callable[[Any], str | None]


def _no_origin(entry: Any) -> str | None:
    return None


def build_catalog(data: Mapping[str, Any], origin: Origin | None = None) -> Catalog:
    """Validate parsed catalog data as a whole; raise CatalogError listing every problem.
    `origin(entry)` may name where an entry was read (`file:line`): it prefixes its problems."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise CatalogError(["catalog: the top level must be a mapping with people, teams, assets"])
    at = _Places(origin or _no_origin)
    people = _people(data.get("people"), problems, at)
    teams = _teams(data.get("teams"), people, problems, at)
    assets = _assets(data.get("assets"), people, teams, problems, at)
    if problems:
        raise CatalogError(problems)
    return Catalog(people=people, teams=teams, assets=assets)


class _Places:
    """Problem places, prefixed with where their entry was read when that is known."""

    def __init__(self, origin: Origin) -> None:
        self._origin = origin
        self._of: dict[str, str | None] = {}

    def __call__(self, entry: Any, place: str, key: str | None = None) -> str:
        found = self._origin(entry)
        if key is not None:
            self._of[key] = found
        return f"{found}: {place}" if found else place

    def origin(self, entry: Any) -> str | None:
        return self._origin(entry)

    def of(self, key: str, place: str) -> str:
        found = self._of.get(key)
        return f"{found}: {place}" if found else place


def _people(raw: Any, problems: list[str], at: _Places) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for i, p in enumerate(_as_list(raw)):
        where = at(p, f"people[{i}]")
        if not isinstance(p, Mapping):
            problems.append(f"{where}: must be a mapping")
            continue
        missing = [k for k in ("id", "name", "email", "aad_object_id") if not p.get(k)]
        if missing:
            problems.append(f"{where} ({p.get('id', '?')}): missing {', '.join(missing)}")
            continue
        pid = str(p["id"])
        if pid in people:
            problems.append(f"{where}: duplicate person id {pid!r}")
            continue
        at(p, "", key=f"person:{pid}")
        people[pid] = Person(
            id=pid, name=str(p["name"]), email=str(p["email"]),
            aad_object_id=str(p["aad_object_id"]),
            manager=str(p["manager"]) if p.get("manager") else None,
        )
    for pid, person in people.items():
        if person.manager and person.manager not in people:
            problems.append(f"{at.of(f'person:{pid}', f'people.{pid}.manager')}: unknown person "
                            f"{person.manager!r}")
    _duplicates([(p.aad_object_id.lower(), at.of(f"person:{p.id}", f"people.{p.id}"))
                 for p in people.values()], "aad_object_id", problems)
    _duplicates([(p.email.lower(), at.of(f"person:{p.id}", f"people.{p.id}"))
                 for p in people.values()], "email", problems)
    return people


def _teams(raw: Any, people: Mapping[str, Person], problems: list[str], at: _Places
           ) -> dict[str, Team]:
    teams: dict[str, Team] = {}
    for i, t in enumerate(_as_list(raw)):
        where = at(t, f"teams[{i}]")
        if not isinstance(t, Mapping) or not t.get("id"):
            problems.append(f"{where}: must be a mapping with an id")
            continue
        tid = str(t["id"])
        if tid in teams or tid in people:
            problems.append(f"{where}: duplicate id {tid!r} (ids of people and teams are shared)")
            continue
        members = tuple(str(m) for m in _as_list(t.get("members")))
        if not members:
            problems.append(f"{at(t, f'teams.{tid}')}: has no members")
        for m in members:
            if m not in people:
                problems.append(f"{at(t, f'teams.{tid}.members')}: unknown person {m!r}")
        teams[tid] = Team(id=tid, name=str(t.get("name") or tid), members=members)
    return teams


def _assets(
    raw: Any, people: Mapping[str, Person], teams: Mapping[str, Team], problems: list[str],
    at: _Places,
) -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    seen: dict[str, str] = {}
    for i, a in enumerate(_as_list(raw)):
        if not isinstance(a, Mapping) or not a.get("name"):
            problems.append(f"{at(a, f'assets[{i}]')}: must be a mapping with a name")
            continue
        name = str(a["name"])
        where = at(a, f"assets.{name}")
        owner = a.get("owner")
        if not owner:
            problems.append(f"{where}: missing owner")
        elif str(owner) not in people and str(owner) not in teams:
            problems.append(f"{where}.owner: unknown person or team {owner!r}")
        elif str(owner) in teams and not teams[str(owner)].members:
            problems.append(f"{where}.owner: team {owner!r} has no members, so nobody can "
                            "decide")
        backup = a.get("backup")
        if backup and str(backup) not in people:
            problems.append(f"{where}.backup: unknown person {backup!r}")
        team = a.get("team")
        if team and str(team) not in teams:
            problems.append(f"{where}.team: unknown team {team!r}")
        tier_raw = str(a.get("tier") or "medium").lower()
        if tier_raw not in TIERS:
            problems.append(f"{where}.tier: {tier_raw!r} is not one of low, medium, high, critical")
            tier_raw = "medium"
        aliases = tuple(str(x) for x in _as_list(a.get("aliases")))
        read_at = at.origin(a)
        first_use = f"assets.{name} ({read_at})" if read_at else f"assets.{name}"
        for key in (name, *aliases):
            if key.lower() in seen:
                other = seen[key.lower()]
                problems.append(f"{where}: name or alias {key!r} already used by {other}")
            else:
                seen[key.lower()] = first_use
        if not owner:
            continue
        assets[name] = Asset(
            name=name, kind=str(a.get("kind") or "asset"), owner=str(owner),
            tier=Tier(tier_raw), aliases=aliases,
            backup=str(backup) if backup else None, team=str(team) if team else None,
            tags=tuple(str(x) for x in _as_list(a.get("tags"))),
        )
    return assets


TIERS = frozenset(t.value for t in Tier)


def _duplicates(keys: Iterable[tuple[str, str]], what: str, problems: list[str]) -> None:
    seen: dict[str, str] = {}
    for key, where in keys:
        if key in seen:
            problems.append(f"{where}: duplicate {what} (also {seen[key]})")
        seen[key] = where


def names(assets: Sequence[Asset]) -> list[str]:
    return [a.name for a in assets]


def catalog_to_data(catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    """The catalog as the native file lays it out (what `build_catalog` reads back), with
    empty optional fields left out."""
    people = [_compact({"id": p.id, "name": p.name, "email": p.email,
                        "aad_object_id": p.aad_object_id, "manager": p.manager})
              for p in catalog.people.values()]
    teams = [{"id": t.id, "name": t.name, "members": list(t.members)}
             for t in catalog.teams.values()]
    assets = [_compact({"name": a.name, "aliases": list(a.aliases), "kind": a.kind,
                        "owner": a.owner, "backup": a.backup, "team": a.team,
                        "tier": a.tier.value, "tags": list(a.tags)})
              for a in catalog.assets.values()]
    return {"people": people, "teams": teams, "assets": assets}


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v not in (None, [], "")}
