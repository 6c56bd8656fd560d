"""Withdrawing a request: its requester only, and only before it is decided."""

from __future__ import annotations

from approvals.catalog import Catalog
from approvals.deadlines import rules_of
from approvals.errors import ConcurrentUpdate, NotAllowed
from approvals.escalation import reached_people
from approvals.job_kinds import DEADLINE_JOBS
from approvals.model import Actor, AuditEvent, Request, Source
from approvals.notifications import WITHDRAWN, notify, refresh_cards
from approvals.policies import DEFAULT_POLICY, Policy
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id, load_request
from approvals.transitions import Action, next_state


async def withdraw_request(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, actor: Actor,
    source: Source, policy: Policy = DEFAULT_POLICY,
) -> Request:
    """Only the requester withdraws, and only an undecided request; its deciders are told."""
    now = clock.now()
    person_id = acting_id(catalog, actor)
    async with uow:
        request = await load_request(uow, request_id)
        if person_id != request.requester_id:
            raise NotAllowed(f"only {request.requester_name}, who asked, can withdraw {request.id}")
        new_state = next_state(request.state, Action.WITHDRAW)
        if new_state is None:
            raise NotAllowed(f"{request.id} is {request.state.label}: it can no longer be "
                             "withdrawn")
        told = reached_people(catalog, rules_of(catalog, policy, request), request)
        updated = request.evolve(state=new_state, version=request.version + 1, updated_at=now,
                                 due_at=None)
        if not await uow.requests.compare_and_set(updated, request.version):
            raise ConcurrentUpdate(f"{request.id} changed while you withdrew it: ask for its "
                                   "status")
        await uow.jobs.cancel(request.id, DEADLINE_JOBS)
        await notify(uow, updated, WITHDRAWN, told, now)
        await refresh_cards(uow, updated, now)
        await uow.audit.append(AuditEvent(
            action="request.withdrawn", outcome="ok", actor_id=person_id, actor_name=actor.name,
            at=now, request_id=request.id, source=source,
            detail={"from": request.state.value, "to": new_state.value},
        ))
        await uow.commit()
    return updated
