"""Renewals and reviews belong to their exception: when it ends, the undecided ones close."""

from __future__ import annotations

from datetime import datetime

from approvals.job_kinds import DEADLINE_JOBS
from approvals.model import SIGNOFF, AuditEvent, Request, Source
from approvals.notifications import LINKED_CLOSED, notify, refresh_cards
from approvals.ports import UnitOfWork
from approvals.transitions import Action, next_state


async def close_linked(uow: UnitOfWork, original: Request, now: datetime, source: Source
                       ) -> list[AuditEvent]:
    """Each undecided renewal or review of `original` expires (nothing is left to decide): its
    requester and deciders are told; the caller appends the audit events last."""
    events: list[AuditEvent] = []
    for linked in await uow.requests.list_linked(original.id):
        state = next_state(linked.state, Action.EXPIRE)
        if state is None:
            continue
        closed = linked.evolve(state=state, version=linked.version + 1, updated_at=now,
                               due_at=None)
        if not await uow.requests.compare_and_set(closed, linked.version):
            continue  # decided meanwhile; its own transaction saw the original in force
        await uow.jobs.cancel(linked.id, DEADLINE_JOBS)
        await notify(uow, closed, LINKED_CLOSED, [closed.requester_id, *closed.deciders], now,
                     {"original": original.id, "original_state": original.state.value})
        await refresh_cards(uow, closed, now)
        events.append(AuditEvent(
            action="request.expired", outcome="ok", actor_id=SIGNOFF[0], actor_name=SIGNOFF[1],
            at=now, request_id=linked.id, source=source,
            detail={"from": linked.state.value, "to": state.value, "because": original.id,
                    "original_state": original.state.value},
        ))
    return events
