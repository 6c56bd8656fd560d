"""Questions answered from the records: who owns what, where a request stands, who waits."""

from __future__ import annotations

from dataclasses import dataclass

from approvals.catalog import Catalog
from approvals.errors import UnknownPerson, UnknownRequest
from approvals.model import Actor, Asset, Person, Request, State
from approvals.ports import UnitOfWork


def person_id_of(catalog: Catalog, actor: Actor) -> str | None:
    """Who the actor is in the catalog, by their Entra object id only."""
    person = catalog.person_by_aad(actor.aad_object_id)
    return person.id if person else None


def acting_id(catalog: Catalog, actor: Actor) -> str:
    """The actor's catalog id, or `aad:<object id>` for someone the catalog does not know."""
    return person_id_of(catalog, actor) or f"aad:{actor.aad_object_id}"


async def load_request(uow: UnitOfWork, request_id: str) -> Request:
    """A request by id, whatever the case of the id; else UnknownRequest."""
    key = request_id.strip().upper()
    request = await uow.requests.get(key)
    if request is None:
        raise UnknownRequest(key)
    return request


@dataclass(frozen=True)
class Ownership:
    asset: Asset
    owner: str
    backup: str | None
    team: str | None
    open_requests: list[Request]
    people: tuple[Person, ...] = ()  # owner and backup when they are people: to @mention


async def who_owns(uow: UnitOfWork, catalog: Catalog, name: str) -> Ownership:
    """Owner, backup, team and open requests of an asset found by name, alias or near-typo."""
    asset = catalog.find_asset(name)
    async with uow:
        open_requests = await uow.requests.list_open_for_asset(asset.name)
    return Ownership(
        asset=asset, owner=catalog.display(asset.owner),
        backup=catalog.display(asset.backup) if asset.backup else None,
        team=catalog.display(asset.team) if asset.team else None,
        open_requests=open_requests,
        people=tuple(p for p in (catalog.person(asset.owner),
                                 catalog.person(asset.backup or "")) if p is not None),
    )


async def request_status(uow: UnitOfWork, request_id: str) -> Request:
    """A request with every decision and note, by id."""
    async with uow:
        return await load_request(uow, request_id)


async def my_requests(uow: UnitOfWork, catalog: Catalog, actor: Actor) -> list[Request]:
    """The open requests the actor made, and their exceptions in force (active)."""
    async with uow:
        found = await uow.requests.list_by_requester(acting_id(catalog, actor), open_only=False)
    return [r for r in found if r.state.is_open or r.state is State.ACTIVE]


async def my_approvals(uow: UnitOfWork, catalog: Catalog, actor: Actor) -> list[Request]:
    """The open requests the actor may decide now, emergency rollbacks to review among them
    (someone only the directory knows, as `aad:<object id>`, too)."""
    person_id = acting_id(catalog, actor)
    async with uow:
        found = await uow.requests.list_open_for_decider(person_id)
    return [r for r in found if r.state.is_open and person_id in r.deciders
            and person_id != r.requester_id]


@dataclass(frozen=True)
class Holdings:
    person: Person
    owns: list[Asset]
    backs_up: list[Asset]


def what_person_owns(catalog: Catalog, text: str) -> Holdings:
    """The assets a person owns (alone or through a team) and those they back up."""
    person = catalog.find_person(text)
    if person is None:
        raise UnknownPerson(text.strip())
    owns = [a for a in catalog.assets.values() if person.id in catalog.members_of(a.owner)]
    backs_up = [a for a in catalog.assets.values()
                if a.backup == person.id and a not in owns]
    return Holdings(person, owns, backs_up)
