"""Revoking an exception in force: its owner's side ends it early, with a reason."""

from __future__ import annotations

from datetime import datetime

from approvals.catalog import Catalog
from approvals.errors import ConcurrentUpdate, NotAllowed
from approvals.expiry import told_of_expiry
from approvals.job_kinds import EXPIRY_JOBS, REVIEW_DUE
from approvals.linked import close_linked
from approvals.model import Actor, AuditEvent, Note, Request, RequestKind, Source
from approvals.notifications import REVOKED, notify, refresh_cards
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id, load_request
from approvals.staffing import people_in_role
from approvals.transitions import Action, next_state


def may_revoke(catalog: Catalog, request: Request) -> set[str]:
    """The asset's owner (or owning team), its backup, and whoever approved the exception."""
    asset = catalog.assets.get(request.asset_name)
    people = set(people_in_role(catalog, asset, "owner") + people_in_role(catalog, asset, "backup")
                 ) if asset else set()
    people |= {s.approved_by for s in request.steps if s.approved_by}
    people |= {d.decider_id for d in request.decisions}
    return people - {request.requester_id}


async def revoke_exception(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, reason: str,
    actor: Actor, source: Source,
) -> Request:
    """Only the owner's side revokes, only an approved exception, and always with a reason."""
    now = clock.now()
    person_id = acting_id(catalog, actor)
    if not reason.strip():
        raise NotAllowed("say why: revoke EXC-4 <reason>")
    async with uow:
        request = await load_request(uow, request_id)
        if request.linked_to:
            raise NotAllowed(f"{request.id} is about {request.linked_to}: revoke "
                             f"{request.linked_to} itself")
        state = next_state(request.state, Action.REVOKE)
        if request.kind is not RequestKind.EXCEPTION or state is None:
            raise NotAllowed(f"{request.id} is {request.state.label}: only an exception in "
                             "force can be revoked")
        if person_id not in may_revoke(catalog, request):
            names = sorted(catalog.display(p) for p in may_revoke(catalog, request))
            raise NotAllowed(f"only {', '.join(names)} can revoke {request.id}")
        revoked, events = await end_in_force(uow, catalog, request, person_id, actor.name,
                                             reason.strip(), now, source)
        for event in events:
            await uow.audit.append(event)
        await uow.commit()
    return revoked


async def end_in_force(
    uow: UnitOfWork, catalog: Catalog, request: Request, person_id: str, name: str, reason: str,
    now: datetime, source: Source, note_kind: str = "revocation",
) -> tuple[Request, list[AuditEvent]]:
    """Revoke an exception in force: the note, the jobs stopped, its renewals and reviews
    closed, the requester and owner told; the audit events for the caller to append last."""
    state = next_state(request.state, Action.REVOKE)
    assert state is not None
    note = Note(person_id, name, reason, now, note_kind)
    revoked = request.evolve(state=state, version=request.version + 1, updated_at=now,
                             notes=(*request.notes, note))
    if not await uow.requests.compare_and_set(revoked, request.version):
        raise ConcurrentUpdate(f"{request.id} changed meanwhile: ask for its status")
    await uow.requests.add_note(request.id, note)
    await uow.jobs.cancel(request.id, (*EXPIRY_JOBS, REVIEW_DUE))
    told = [p for p in told_of_expiry(catalog, revoked) if p != person_id]
    await notify(uow, revoked, REVOKED, told, now, {"by": name, "reason": reason})
    await refresh_cards(uow, revoked, now)
    linked = await close_linked(uow, revoked, now, source)
    event = AuditEvent(
        action="request.revoked", outcome="ok", actor_id=person_id, actor_name=name,
        at=now, request_id=request.id, source=source,
        detail={"from": request.state.value, "to": state.value, "reason": reason},
    )
    return revoked, [event, *linked]
