"""Long-lived exceptions are reviewed: every `review_every`, the owner keeps or revokes one.

A review is a request of its own, linked to the exception (`Request.reviews`), so it is
reminded and escalated like any decision. Approving it keeps the exception (the next review is
planned), rejecting it revokes the exception (approvals.linked_decisions).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from approvals.catalog import Catalog
from approvals.errors import NoDecider
from approvals.model import SIGNOFF, AuditEvent, Request, RequestDraft, Source, State
from approvals.policies import MAX_TITLE, OWNER_BACKUP_OR_TEAM, Policy
from approvals.ports import Job, UnitOfWork
from approvals.submitting import Link, Requester, open_request

log = logging.getLogger(__name__)
REVIEWERS = OWNER_BACKUP_OR_TEAM  # a periodic review goes to whoever owns the asset now


async def run_review_job(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, request: Request, job: Job,
    now: datetime, away: Mapping[str, datetime | None] | None = None,
) -> bool:
    """An active exception with no review open gets one: its card goes to the owner (around
    the owner if `away`, as for a new request)."""
    if request.state is not State.ACTIVE or request.linked_to:
        return False
    if any(r.reviews and r.state.is_open for r in await uow.requests.list_linked(request.id)):
        return False
    if request.asset_name not in catalog.assets:
        log.warning("review of %s skipped: %s left the catalog", request.id, request.asset_name)
        return False
    draft = RequestDraft(
        kind=request.kind, asset_name=request.asset_name,
        title=f"Review of {request.id}: {request.title}"[:MAX_TITLE],
        justification=request.justification, risk=request.risk, controls=request.controls,
        expires_on=request.expires_on,
    )
    source = Source(channel="scheduler", activity_id=job.key)
    try:
        review, events = await open_request(
            uow, catalog, policy, now, draft,
            Requester(request.requester_id, request.requester_name), source,
            Link(reviews=request.id, deciders=REVIEWERS), away=away)
    except NoDecider as error:
        log.warning("review of %s skipped: %s", request.id, error)
        return False
    events.append(AuditEvent(
        action="request.review_due", outcome="ok", actor_id=SIGNOFF[0], actor_name=SIGNOFF[1],
        at=now, request_id=request.id, source=source,
        detail={"review": review.id, "routed_to": review.deciders[0]},
    ))
    for event in events:
        await uow.audit.append(event)
    return True
