"""Who is reachable for an asset, asked of the directory before the domain decides.

Routing itself stays pure: this step turns directory answers into plain values (a catalog
holding the directory's people, group members and managers; who is away until when) that
`submit_request` and the escalation consume. When the directory cannot be asked, routing
uses the catalog as it is and the log says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from approvals.catalog import Catalog
from approvals.directory import Directory, DirectoryPerson, DirectoryUnavailable
from approvals.errors import UnknownAsset
from approvals.model import Asset, Person
from approvals.staffing import people_in_role

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_AWAY_CHECKS = 25  # mailboxes read per routing; a larger group is routed as listed
DIRECTORY_PREFIX = "aad:"  # the id of a person only the directory knows (as for outsiders)


@dataclass(frozen=True)
class DirectoryAnswers:
    """What the directory said about people, groups and managers, to apply to a catalog."""

    resolved: Mapping[str, DirectoryPerson] = field(default_factory=dict)
    members: Mapping[str, tuple[DirectoryPerson, ...]] = field(default_factory=dict)
    managers: Mapping[str, DirectoryPerson | None] = field(default_factory=dict)

    def apply(self, catalog: Catalog) -> Catalog:
        """`catalog` with these answers; meant for the catalog as it is once they came back
        (another turn may have added its own answers meanwhile: they are kept)."""
        return with_directory(catalog, self.resolved, self.members, self.managers)


@dataclass(frozen=True)
class Reachable:
    """What routing needs: the catalog as the directory sees it now, and who is away
    (person id -> back at, None when the mailbox gives no end)."""

    catalog: Catalog
    away: Mapping[str, datetime | None] = field(default_factory=dict)
    fallback: str | None = None  # why the directory was not used, when it was not
    answers: DirectoryAnswers = field(default_factory=DirectoryAnswers)


async def who_is_reachable(directory: Directory, catalog: Catalog, asset_name: str,
                           now: datetime, managers_too: bool = False) -> Reachable:
    """The asset's people resolved, its Entra groups listed, managers found, absences read
    (the owners' managers' too with `managers_too`, for an escalation)."""
    try:
        asset = catalog.find_asset(asset_name)
    except UnknownAsset:
        return Reachable(catalog)  # the use case gives the clear answer
    try:
        resolved = await _resolve(directory, catalog, _owner_side(catalog, asset, teams=True))
        members = await _members(directory, catalog, asset)
        merged = with_directory(catalog, resolved, members)
        people = [p for p in _owner_side(merged, asset) if p.aad_object_id]
        managers = await _gather({p.id: directory.manager_of(p.aad_object_id)
                                  for p in people if p.id in merged.members_of(asset.owner)})
        merged = with_directory(merged, managers=managers)
        checked = people[:MAX_AWAY_CHECKS]
        if managers_too:
            bosses = (merged.people[b] for b in people_in_role(merged, asset, "manager")
                      if b in merged.people)
            checked += [b for b in bosses if b.aad_object_id and b not in checked]
        replies = await _gather({p.id: directory.automatic_replies(p.aad_object_id)
                                 for p in checked})
    except DirectoryUnavailable as exc:
        log.warning("directory unavailable (%s): %s is routed from the catalog alone",
                    exc.reason, asset.name)
        return Reachable(catalog, fallback=exc.reason)
    away = {pid: r.until for pid, r in replies.items() if r is not None and r.away_at(now)}
    return Reachable(merged, away, answers=DirectoryAnswers(resolved, members, managers))


async def resolve_people(directory: Directory, catalog: Catalog) -> Catalog:
    """Every person named by email alone, looked up (at start); unchanged if unreachable."""
    try:
        resolved = await _resolve(directory, catalog, catalog.unresolved)
    except DirectoryUnavailable as exc:
        log.warning("directory unavailable (%s): %d people named by email stay unresolved",
                    exc.reason, len(catalog.unresolved))
        return catalog
    return with_directory(catalog, resolved)


def with_directory(
    catalog: Catalog, resolved: Mapping[str, DirectoryPerson] | None = None,
    members: Mapping[str, tuple[DirectoryPerson, ...]] | None = None,
    managers: Mapping[str, DirectoryPerson | None] | None = None,
) -> Catalog:
    """The catalog with the directory's answers: people's names and object ids, a group-backed
    team's members, people's managers. Someone only the directory knows joins as `aad:<id>`.
    Applying the same answers twice changes nothing (the same catalog comes back)."""
    people = dict(catalog.people)
    teams = dict(catalog.teams)
    by_aad = {p.aad_object_id.lower(): p.id for p in people.values() if p.aad_object_id}
    by_email = {p.email.lower(): p.id for p in people.values() if not p.aad_object_id}

    def resolve(pid: str, found: DirectoryPerson) -> None:
        oid = found.object_id.lower()
        people[pid] = replace(people[pid], name=found.name or people[pid].email,
                              aad_object_id=oid)
        by_aad[oid] = pid

    def id_for(found: DirectoryPerson) -> str:
        oid = found.object_id.lower()
        if oid not in by_aad and found.email.lower() in by_email:  # named by email in the file
            resolve(by_email[found.email.lower()], found)
        if oid not in by_aad:
            pid = f"{DIRECTORY_PREFIX}{oid}"
            people[pid] = Person(pid, found.name or found.email, found.email, oid)
            by_aad[oid] = pid
        return by_aad[oid]

    # A person or team the catalog no longer has (reloaded meanwhile) is left out.
    for pid, found in (resolved or {}).items():
        if pid in people:
            resolve(pid, found)
    for tid, listed in (members or {}).items():
        if listed and tid in teams:  # an empty group keeps the catalog's members, not none
            teams[tid] = replace(teams[tid], members=tuple(dict.fromkeys(map(id_for, listed))))
    for pid, manager in (managers or {}).items():
        if manager is not None and pid in people:
            people[pid] = replace(people[pid], manager=id_for(manager))
    if people == catalog.people and teams == catalog.teams:
        return catalog
    return replace(catalog, people=people, teams=teams)  # the asset index is kept


def _owner_side(catalog: Catalog, asset: Asset, teams: bool = False) -> list[Person]:
    """The people who may get the card first: owner (or its team), backup, the asset's team."""
    ids = [*catalog.members_of(asset.owner), *([asset.backup] if asset.backup else []),
           *(catalog.members_of(asset.team) if asset.team else ())]
    return [catalog.people[p] for p in dict.fromkeys(ids) if p in catalog.people]


async def _resolve(directory: Directory, catalog: Catalog,
                   people: Iterable[Person]) -> dict[str, DirectoryPerson]:
    found = await _gather({p.id: directory.find_person(p.email)
                           for p in people if not p.aad_object_id})
    for pid, person in found.items():
        if person is None:
            log.warning("directory: no user %s (person %r of the catalog): they cannot be "
                        "reached until the catalog or Entra ID is corrected",
                        catalog.people[pid].email, pid)
    return {pid: person for pid, person in found.items() if person is not None}


async def _members(directory: Directory, catalog: Catalog,
                   asset: Asset) -> dict[str, tuple[DirectoryPerson, ...]]:
    teams = [catalog.teams[t] for t in dict.fromkeys([asset.owner, asset.team or ""])
             if t in catalog.teams and catalog.teams[t].group_id]
    listed = await _gather({t.id: directory.group_members(t.group_id or "") for t in teams})
    for tid, members in listed.items():
        if not members:
            log.warning("directory: group %s of team %r is missing or empty: its catalog "
                        "members are used", catalog.teams[tid].group_id, tid)
    return {tid: members for tid, members in listed.items() if members}


async def _gather(calls: Mapping[str, Awaitable[T]]) -> dict[str, T]:
    """Every lookup at once; the first failure is raised once all of them have finished."""
    values = await asyncio.gather(*calls.values(), return_exceptions=True)
    for value in values:
        if isinstance(value, BaseException):
            raise value
    return dict(zip(calls, values, strict=True))  # type: ignore[arg-type]
