"""Renewing an exception: a new request, linked to it, decided like any other, within the cap."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from approvals.catalog import Catalog
from approvals.deadlines import rules_of
from approvals.errors import ConcurrentUpdate, InvalidRequest, NotAllowed
from approvals.expiry import IN_FORCE
from approvals.model import Actor, AuditEvent, Request, RequestDraft, RequestKind, Source, State
from approvals.policies import DEFAULT_POLICY, MAX_TITLE, Policy, validate_draft
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id, load_request
from approvals.staffing import people_in_role
from approvals.submitting import Link, Requester, open_request


class RenewalCapReached(NotAllowed):
    """The policy allows no more renewals of this exception."""

    def __init__(self, request: Request, granted: int, cap: int, tier: str) -> None:
        times = "once" if granted == 1 else f"{granted} times"
        allowed = "no renewal" if cap == 0 else ("1 renewal" if cap == 1 else f"{cap} renewals")
        super().__init__(
            f"{request.id} cannot be renewed again: it was renewed {times} and the policy for "
            f"tier {tier} exceptions allows {allowed}. Ask for a new exception instead: "
            f"request exception for {request.asset_name}")
        self.cap = cap


def may_renew(catalog: Catalog, request: Request) -> set[str]:
    """The requester of the exception and the asset's owner (or owning team's members)."""
    asset = catalog.assets.get(request.asset_name)
    return {request.requester_id, *(people_in_role(catalog, asset, "owner") if asset else ())}


def default_expiry(request: Request, today: date, max_days: int) -> date:
    """Without a date: as long again as the exception has run since it was asked for, at most
    the policy's maximum from today."""
    assert request.expires_on is not None
    length = max(request.expires_on - request.created_at.date(), timedelta(days=1))
    return min(request.expires_on + length, today + timedelta(days=max_days))


async def renew_exception(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, until: date | None,
    actor: Actor, source: Source, policy: Policy = DEFAULT_POLICY,
    away: Mapping[str, datetime | None] | None = None,
) -> tuple[Request, Request]:
    """The requester or the owner asks to extend an exception in force, one renewal at a time,
    within the policy's renewal cap and maximum duration; its card goes around people `away`
    as a new request's does. Returns (renewal, exception)."""
    now = clock.now()
    person_id = acting_id(catalog, actor)
    async with uow:
        original = await load_request(uow, request_id)
        _check(catalog, original, person_id)
        asset = catalog.find_asset(original.asset_name)
        rules = rules_of(catalog, policy, original)
        renewals = [r for r in await uow.requests.list_linked(original.id) if r.renews]
        waiting = [r for r in renewals if r.state.is_open]
        if waiting:
            raise NotAllowed(f"{waiting[0].id} already asks to renew {original.id}: wait for "
                             "its decision")
        granted = sum(1 for r in renewals if r.state is State.APPROVED)
        if granted >= rules.max_renewals:
            raise RenewalCapReached(original, granted, rules.max_renewals, asset.tier.value)
        assert original.expires_on is not None
        expires_on = until or default_expiry(original, now.date(), rules.max_days)
        if expires_on <= original.expires_on:
            raise InvalidRequest({"expires_on": f"{expires_on.isoformat()} is not after the "
                                  f"current expiry, {original.expires_on.isoformat()}"})
        draft = RequestDraft(
            kind=RequestKind.EXCEPTION, asset_name=asset.name,
            title=f"Renewal of {original.id}: {original.title}"[:MAX_TITLE],
            justification=original.justification, risk=original.risk,
            controls=original.controls, expires_on=expires_on,
        )
        validate_draft(draft, asset, now.date(), policy)  # within the maximum duration
        version = await _claim(uow, original, now)
        renewal, events = await open_request(
            uow, catalog, policy, now, draft, Requester(person_id, actor.name), source,
            Link(renews=original.id), away=away)
        events.append(AuditEvent(
            action="request.renewal_requested", outcome="ok", actor_id=person_id,
            actor_name=actor.name, at=now, request_id=original.id, source=source,
            detail={"renewal": renewal.id, "from_expiry": original.expires_on.isoformat(),
                    "to_expiry": expires_on.isoformat(),
                    "renewals_granted": str(granted), "cap": str(rules.max_renewals),
                    "version": str(version)},
        ))
        for event in events:  # the audit appends are the transaction's last writes
            await uow.audit.append(event)
        await uow.commit()
    return renewal, original


async def _claim(uow: UnitOfWork, original: Request, now: datetime) -> int:
    """One renewal at a time under concurrency: the exception's version moves (its state does
    not) by compare-and-set, so of two renewals checked at once only the first goes on; the
    other waits for the row and finds it changed."""
    touched = original.evolve(version=original.version + 1, updated_at=now)
    if not await uow.requests.compare_and_set(touched, original.version):
        raise ConcurrentUpdate(f"{original.id} changed meanwhile: a renewal may already be "
                               f"waiting; see `status {original.id}`")
    return touched.version


def _check(catalog: Catalog, original: Request, person_id: str) -> None:
    if original.linked_to:
        raise NotAllowed(f"{original.id} is about {original.linked_to}: renew "
                         f"{original.linked_to} itself")
    if original.kind is not RequestKind.EXCEPTION or original.expires_on is None:
        raise NotAllowed(f"{original.id} is not an exception: only exceptions are renewed")
    if original.state not in IN_FORCE:
        raise NotAllowed(f"{original.id} is {original.state.label}: only an exception in force "
                         f"can be renewed; ask for a new one: request exception for "
                         f"{original.asset_name}")
    allowed = may_renew(catalog, original)
    if person_id not in allowed:
        names = sorted(catalog.display(p) for p in allowed)
        raise NotAllowed(f"only {', '.join(names)} can renew {original.id}")
