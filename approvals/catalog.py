"""The ownership catalog: people, teams and assets, validated as a whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from approvals.asset_search import AssetIndex, AssetMatches, DifflibRanker, TextRanker
from approvals.errors import AmbiguousAsset, AssetChoice, UnknownAsset
from approvals.model import Asset, Person, Team, Tier


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

    ranker: TextRanker = field(default_factory=DifflibRanker, compare=False, repr=False)
    # built from `assets`; `dataclasses.replace` with other people or teams reuses it
    asset_index: AssetIndex | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        by_aad = {p.aad_object_id.lower(): p for p in self.people.values() if p.aad_object_id}
        by_email = {p.email.lower(): p for p in self.people.values()}
        object.__setattr__(self, "_by_email", by_email)
        if self.asset_index is None:
            object.__setattr__(self, "asset_index", AssetIndex(self.assets, self.ranker))
        object.__setattr__(self, "_by_aad", by_aad)

    def search(self, text: str) -> AssetMatches:
        """What `text` names: one clear asset, a few to choose from, or hints."""
        assert self.asset_index is not None  # built in __post_init__
        return self.asset_index.search(text)

    def find_asset(self, name: str) -> Asset:
        """The one asset `name` clearly means (name, alias, tag, kind or typo); else UnknownAsset
        with the assets it could mean or the closest names."""
        found = self.search(name)
        if found.clear is not None:
            return found.clear
        if found.choices:
            choices = [AssetChoice(a.name, a.kind, self.display(a.owner)) for a in found.choices]
            raise AmbiguousAsset(name.strip(), choices, found.matched)
        raise UnknownAsset(name.strip(), list(found.hints))

    def person(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    def person_by_aad(self, aad_object_id: str) -> Person | None:
        by_aad: dict[str, Person] = self._by_aad  # type: ignore[attr-defined]
        return by_aad.get(aad_object_id.lower()) if aad_object_id else None

    def person_by_email(self, email: str) -> Person | None:
        """A person by email or UPN, whatever its case."""
        by_email: dict[str, Person] = self._by_email  # type: ignore[attr-defined]
        return by_email.get(email.strip().lower())

    @property
    def unresolved(self) -> list[Person]:
        """People named by email alone, whose name and Entra object id the directory gives."""
        return [p for p in self.people.values() if not p.aad_object_id]

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


def build_catalog(
    data: Mapping[str, Any], ranker: TextRanker | None = None, *, by_email: bool = False,
    origin: Origin | None = None,
) -> Catalog:
    """Validate parsed catalog data as a whole; raise CatalogError listing every problem.
    With `by_email` (a directory is configured) a person may be named by email alone.
    `origin(entry)` may name where an entry was read (`file:line`): it prefixes its problems."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise CatalogError(["catalog: the top level must be a mapping with people, teams, assets"])
    at = _Places(origin or _no_origin)
    people = _people(data.get("people"), problems, by_email, at)
    if by_email:
        _named_by_email(data, people)
    teams = _teams(data.get("teams"), people, problems, at)
    assets = _assets(data.get("assets"), people, teams, problems, at)
    if problems:
        raise CatalogError(problems)
    if ranker is None:
        return Catalog(people=people, teams=teams, assets=assets)
    return Catalog(people=people, teams=teams, assets=assets, ranker=ranker)


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


def _people(raw: Any, problems: list[str], by_email: bool, at: _Places) -> dict[str, Person]:
    people: dict[str, Person] = {}
    for i, p in enumerate(_as_list(raw)):
        where = at(p, f"people[{i}]")
        if not isinstance(p, Mapping):
            problems.append(f"{where}: must be a mapping")
            continue
        required = ("email",) if by_email else ("id", "name", "email", "aad_object_id")
        missing = [k for k in required if not p.get(k)]
        if missing:
            hint = "" if by_email else (
                " (or configure Microsoft Graph to look people up by email: SIGNOFF_GRAPH_*)")
            problems.append(f"{where} ({p.get('id', '?')}): missing {', '.join(missing)}{hint}")
            continue
        # Named by email alone: the directory (Microsoft Graph) fills in name and object id.
        email = str(p["email"]).strip()
        pid = str(p.get("id") or email.lower())
        if pid in people:
            problems.append(f"{where}: duplicate person id {pid!r}")
            continue
        at(p, "", key=f"person:{pid}")
        people[pid] = Person(
            id=pid, name=str(p.get("name") or email), email=email,
            aad_object_id=str(p.get("aad_object_id") or ""),
            manager=str(p["manager"]) if p.get("manager") else None,
        )
    for pid, person in people.items():
        if person.manager and person.manager not in people:
            problems.append(f"{at.of(f'person:{pid}', f'people.{pid}.manager')}: unknown person "
                            f"{person.manager!r}")
    _duplicates([(p.aad_object_id.lower(), at.of(f"person:{p.id}", f"people.{p.id}"))
                 for p in people.values() if p.aad_object_id], "aad_object_id", problems)
    _duplicates([(p.email.lower(), at.of(f"person:{p.id}", f"people.{p.id}"))
                 for p in people.values()], "email", problems)
    return people


def _named_by_email(data: Mapping[str, Any], people: dict[str, Person]) -> None:
    """An owner, backup or team member written as an email is a person named by email alone."""
    named = [str(t) for t in _as_list(data.get("teams")) if isinstance(t, Mapping)
             for t in _as_list(t.get("members"))]
    named += [str(a.get(k)) for a in _as_list(data.get("assets")) if isinstance(a, Mapping)
              for k in ("owner", "backup") if a.get(k)]
    known = {p.email.lower() for p in people.values()}
    for ref in named:
        if "@" in ref and ref not in people and ref.lower() not in known:
            people[ref] = Person(id=ref, name=ref, email=ref, aad_object_id="")
            known.add(ref.lower())


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
        group = str(t["group"]) if t.get("group") else None
        if not members and group is None:
            problems.append(f"{at(t, f'teams.{tid}')}: has no members (and no Entra group to "
                            "list them)")
        for m in members:
            if m not in people:
                problems.append(f"{at(t, f'teams.{tid}.members')}: unknown person {m!r}")
        teams[tid] = Team(id=tid, name=str(t.get("name") or tid), members=members,
                          group_id=group)
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
        elif str(owner) in teams and not teams[str(owner)].members \
                and not teams[str(owner)].group_id:
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
    teams = [_compact({"id": t.id, "name": t.name, "members": list(t.members),
                       "group": t.group_id})
             for t in catalog.teams.values()]
    assets = [_compact({"name": a.name, "aliases": list(a.aliases), "kind": a.kind,
                        "owner": a.owner, "backup": a.backup, "team": a.team,
                        "tier": a.tier.value, "tags": list(a.tags)})
              for a in catalog.assets.values()]
    return {"people": people, "teams": teams, "assets": assets}


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v not in (None, [], "")}
