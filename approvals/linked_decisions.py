"""What the decision on a renewal or a review does to its exception."""

from __future__ import annotations

from datetime import datetime

from approvals.catalog import Catalog
from approvals.deadlines import rules_of
from approvals.errors import ConcurrentUpdate
from approvals.expiry import IN_FORCE, plan_expiry, plan_review, told_of_expiry
from approvals.job_kinds import EXPIRY_JOBS
from approvals.model import AuditEvent, Decision, Outcome, Request, Source
from approvals.notifications import EXTENDED, notify, refresh_cards
from approvals.policies import Policy
from approvals.ports import UnitOfWork
from approvals.revoking import end_in_force
from approvals.transitions import Action, next_state


async def apply_linked_decision(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, linked: Request, decision: Decision,
    source: Source,
) -> list[AuditEvent]:
    """An approved renewal moves the exception's expiry; a review kept plans the next one, a
    review rejected revokes the exception. A rejected renewal changes nothing: the exception
    runs to its expiry. The audit events are for the caller to append last."""
    original = await uow.requests.get(linked.linked_to)
    if original is None or original.state not in IN_FORCE:
        return []  # it ended first; its end closed what was still open
    now = decision.decided_at
    if linked.renews and decision.outcome is Outcome.APPROVE:
        return [await _extend(uow, catalog, policy, original, linked, decision, now, source)]
    if linked.reviews and decision.outcome is Outcome.APPROVE:
        for job in plan_review(original, rules_of(catalog, policy, original), now):
            await uow.jobs.schedule(job)
        return [AuditEvent(
            action="request.review_kept", outcome="ok", actor_id=decision.decider_id,
            actor_name=decision.decider_name, at=now, request_id=original.id, source=source,
            detail={"review": linked.id, "state": original.state.value},
        )]
    if linked.reviews and decision.outcome is Outcome.REJECT:
        reason = f"revoked at review {linked.id}" + (
            f": {decision.comment}" if decision.comment else "")
        _, events = await end_in_force(uow, catalog, original, decision.decider_id,
                                       decision.decider_name, reason, now, source)
        return events
    return []


async def _extend(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, original: Request, renewal: Request,
    decision: Decision, now: datetime, source: Source,
) -> AuditEvent:
    state = next_state(original.state, Action.EXTEND)
    assert state is not None
    extended = original.evolve(state=state, version=original.version + 1, updated_at=now,
                               expires_on=renewal.expires_on)
    if not await uow.requests.compare_and_set(extended, original.version):
        raise ConcurrentUpdate(f"{original.id} changed while you decided: look at it again")
    await uow.jobs.cancel(original.id, EXPIRY_JOBS)
    for job in plan_expiry(extended, rules_of(catalog, policy, extended), now):
        await uow.jobs.schedule(job)
    before = original.expires_on.isoformat() if original.expires_on else ""
    after = extended.expires_on.isoformat() if extended.expires_on else ""
    await notify(uow, extended, EXTENDED, told_of_expiry(catalog, extended), now,
                 {"renewal": renewal.id, "from": before, "to": after})
    await refresh_cards(uow, extended, now)
    return AuditEvent(
        action="request.extended", outcome="ok", actor_id=decision.decider_id,
        actor_name=decision.decider_name, at=now, request_id=original.id, source=source,
        detail={"renewal": renewal.id, "from_expiry": before, "to_expiry": after,
                "version": str(extended.version)},
    )
