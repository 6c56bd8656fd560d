"""Answering a decider's question: the requester only, and the clock starts again."""

from __future__ import annotations

from approvals.catalog import Catalog
from approvals.deadlines import replan, rules_of
from approvals.errors import ConcurrentUpdate, NotAllowed
from approvals.escalation import reached_people
from approvals.hidden_text import hidden_characters_problem
from approvals.model import Actor, AuditEvent, Note, Request, Source
from approvals.notifications import ANSWERED, notify, refresh_cards
from approvals.policies import DEFAULT_POLICY, Policy
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id, load_request
from approvals.redelivery import act_once
from approvals.transitions import Action, next_state


async def answer_info(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, answer: str,
    actor: Actor, source: Source, policy: Policy = DEFAULT_POLICY,
) -> Request:
    """Only the requester answers a question; the request is pending again, on a fresh deadline."""
    now = clock.now()
    person_id = acting_id(catalog, actor)
    if not answer.strip():
        raise NotAllowed("write an answer before you send it")
    if (hidden := hidden_characters_problem(answer)) is not None:
        raise NotAllowed(f"your answer {hidden}: write it again without them")
    async with uow:
        request = await load_request(uow, request_id)
        if person_id != request.requester_id:
            await uow.audit.append(AuditEvent(
                action="request.info_answered", outcome="refused", actor_id=person_id,
                actor_name=actor.name, at=now, request_id=request.id, source=source,
                detail={"reason": "NotTheRequester", "state": request.state.value},
            ))
            await uow.commit()
            raise NotAllowed(f"only {request.requester_name} can answer questions on {request.id}")
        await act_once(uow, source, request.id, "request.info_answered", now)
        new_state = next_state(request.state, Action.ANSWER_INFO)
        if new_state is None:
            raise NotAllowed(f"{request.id} is {request.state.label}: no question is waiting")
        rules = rules_of(catalog, policy, request)
        note = Note(person_id, actor.name, answer.strip(), now, "answer")
        updated = request.evolve(
            state=new_state, version=request.version + 1, updated_at=now,
            notes=(*request.notes, note), due_at=now + rules.deadline,
        )
        if not await uow.requests.compare_and_set(updated, request.version):
            raise ConcurrentUpdate(f"{request.id} changed while you answered: ask for its status")
        await uow.requests.add_note(request.id, note)
        await notify(uow, updated, ANSWERED, reached_people(catalog, rules, updated), now)
        await refresh_cards(uow, updated, now)
        await replan(uow, updated, rules, now)
        await uow.audit.append(AuditEvent(  # last: it serialises the hash chain
            action="request.info_answered", outcome="ok", actor_id=person_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source,
            detail={"from": request.state.value, "to": new_state.value},
        ))
        await uow.commit()
    return updated
