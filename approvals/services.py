"""Use cases: one function per command, dependencies passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from approvals.catalog import Catalog
from approvals.errors import (
    AlreadyDecided,
    ConcurrentUpdate,
    NotADecider,
    NotAllowed,
    SelfDecision,
    UnknownRequest,
)
from approvals.model import (
    Actor,
    Asset,
    AuditEvent,
    Decision,
    Note,
    Outcome,
    Request,
    RequestDraft,
    Source,
    State,
)
from approvals.policies import DEFAULT_POLICY, Policy, deciders_for, validate_draft
from approvals.ports import Clock, UnitOfWork
from approvals.transitions import Action, next_state

OUTCOME_ACTION = {
    Outcome.APPROVE: Action.APPROVE,
    Outcome.REJECT: Action.REJECT,
    Outcome.NEED_INFO: Action.ASK_INFO,
}


def person_id_of(catalog: Catalog, actor: Actor) -> str | None:
    """Who the actor is in the catalog, by their Entra object id only."""
    person = catalog.person_by_aad(actor.aad_object_id)
    return person.id if person else None


async def submit_request(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, draft: RequestDraft, actor: Actor,
    source: Source, policy: Policy = DEFAULT_POLICY,
) -> Request:
    """A valid draft on a known asset becomes a pending request routed to a decider."""
    asset = catalog.find_asset(draft.asset_name)
    now = clock.now()
    validate_draft(draft, asset, now.date(), policy)
    requester_id = person_id_of(catalog, actor) or f"aad:{actor.aad_object_id}"
    deciders = deciders_for(catalog, asset, requester_id)
    async with uow:
        request = Request(
            id=await uow.requests.next_id(draft.kind), kind=draft.kind, asset_name=asset.name,
            title=draft.title.strip(), justification=draft.justification.strip(),
            requester_id=requester_id, requester_name=actor.name, deciders=deciders,
            created_at=now, updated_at=now, risk=draft.risk, controls=draft.controls.strip(),
            expires_on=draft.expires_on, change_ref=draft.change_ref.strip(),
            rollback_of=draft.rollback_of.strip(), emergency=draft.emergency,
        )
        await uow.requests.add(request)
        await uow.audit.append(AuditEvent(
            action="request.submitted", outcome="ok", actor_id=requester_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source,
            detail={"asset": asset.name, "routed_to": deciders[0]},
        ))
        await uow.commit()
    return request


async def record_decision(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, outcome: Outcome,
    comment: str, actor: Actor, source: Source,
) -> Request:
    """Only a designated decider, never the requester, decides an open request, exactly once."""
    now = clock.now()
    person_id = person_id_of(catalog, actor) or f"aad:{actor.aad_object_id}"
    if outcome is Outcome.NEED_INFO and not comment.strip():
        raise NotAllowed("write your question in the comment box, then click Ask for info")
    async with uow:
        request = await _load(uow, request_id)
        refusal = _refusal(catalog, request, person_id, outcome)
        if refusal is not None:
            await _audit_refusal(uow, request, actor, person_id, outcome, refusal, now, source)
            raise refusal
        action = OUTCOME_ACTION[outcome]
        new_state = next_state(request.state, action)
        assert new_state is not None  # _refusal checked the table
        decision = Decision(outcome, person_id, actor.name, now, comment.strip())
        updated = request.evolve(
            state=new_state, version=request.version + 1, updated_at=now,
            decisions=(*request.decisions, decision),
        )
        if not await uow.requests.compare_and_set(updated, request.version):
            # Someone else changed it first: say what they did, and never overwrite it.
            current = await _load(uow, request.id)
            error = _refusal(catalog, current, person_id, outcome) or ConcurrentUpdate(
                f"{current.id} changed while you decided: it is now {current.state.label}, "
                "look at it again"
            )
            await _audit_refusal(uow, current, actor, person_id, outcome, error, now, source)
            raise error
        await uow.requests.add_decision(request.id, decision)
        if outcome is Outcome.NEED_INFO and comment.strip():
            note = Note(person_id, actor.name, comment.strip(), now, "question")
            await uow.requests.add_note(request.id, note)
            updated = updated.evolve(notes=(*request.notes, note))
        await uow.audit.append(AuditEvent(
            action=f"decision.{outcome.value}", outcome="ok", actor_id=person_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source,
            detail={"from": request.state.value, "to": new_state.value,
                    "version": str(updated.version)},
        ))
        await uow.commit()
    return updated


async def answer_info(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, answer: str,
    actor: Actor, source: Source,
) -> Request:
    """Only the requester answers a decider's question; the request goes back to pending."""
    now = clock.now()
    person_id = person_id_of(catalog, actor) or f"aad:{actor.aad_object_id}"
    if not answer.strip():
        raise NotAllowed("write an answer before you send it")
    async with uow:
        request = await _load(uow, request_id)
        if person_id != request.requester_id:
            raise NotAllowed(f"only {request.requester_name} can answer questions on {request.id}")
        new_state = next_state(request.state, Action.ANSWER_INFO)
        if new_state is None:
            raise NotAllowed(f"{request.id} is {request.state.label}: no question is waiting")
        note = Note(person_id, actor.name, answer.strip(), now, "answer")
        updated = request.evolve(
            state=new_state, version=request.version + 1, updated_at=now,
            notes=(*request.notes, note),
        )
        if not await uow.requests.compare_and_set(updated, request.version):
            raise ConcurrentUpdate(f"{request.id} changed while you answered: ask for its status")
        await uow.requests.add_note(request.id, note)
        await uow.audit.append(AuditEvent(
            action="request.info_answered", outcome="ok", actor_id=person_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source,
            detail={"from": request.state.value, "to": new_state.value},
        ))
        await uow.commit()
    return updated


async def _load(uow: UnitOfWork, request_id: str) -> Request:
    key = request_id.strip().upper()
    request = await uow.requests.get(key)
    if request is None:
        raise UnknownRequest(key)
    return request


def _refusal(
    catalog: Catalog, request: Request, person_id: str, outcome: Outcome
) -> Exception | None:
    who_can = [catalog.display(d) for d in request.deciders]
    if person_id == request.requester_id:
        return SelfDecision(request.id, who_can)
    if person_id not in request.deciders:
        return NotADecider(request.id, who_can)
    if next_state(request.state, OUTCOME_ACTION[outcome]) is None:
        if request.state is State.INFO_REQUESTED:
            return NotAllowed(
                f"{request.id} already waits for {request.requester_name}'s answer"
            )
        return AlreadyDecided(request.id, request.state, request.final_decision)
    return None


async def _audit_refusal(
    uow: UnitOfWork, request: Request, actor: Actor, person_id: str, outcome: Outcome,
    error: Exception, now: datetime, source: Source,
) -> None:
    await uow.audit.append(AuditEvent(
        action=f"decision.{outcome.value}", outcome="refused", actor_id=person_id,
        actor_name=actor.name, at=now, request_id=request.id, source=source,
        detail={"reason": type(error).__name__, "state": request.state.value},
    ))
    await uow.commit()


@dataclass(frozen=True)
class Ownership:
    asset: Asset
    owner: str
    backup: str | None
    team: str | None
    open_requests: list[Request]


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
    )


async def request_status(uow: UnitOfWork, request_id: str) -> Request:
    """A request with every decision and note, by id."""
    async with uow:
        return await _load(uow, request_id)


async def my_requests(uow: UnitOfWork, catalog: Catalog, actor: Actor) -> list[Request]:
    """The open requests the actor made."""
    person_id = person_id_of(catalog, actor) or f"aad:{actor.aad_object_id}"
    async with uow:
        return await uow.requests.list_by_requester(person_id, open_only=True)


async def my_approvals(uow: UnitOfWork, catalog: Catalog, actor: Actor) -> list[Request]:
    """The open requests the actor may decide now."""
    person_id = person_id_of(catalog, actor)
    if person_id is None:
        return []
    async with uow:
        found = await uow.requests.list_open_for_decider(person_id)
    return [r for r in found if r.state in (State.PENDING, State.INFO_REQUESTED)]
