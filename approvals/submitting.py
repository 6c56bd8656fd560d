"""Submitting a request: validated, staffed by policy, routed, audited, announced, on a clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from approvals.away import route_around_absences
from approvals.catalog import Catalog
from approvals.deadlines import replan
from approvals.model import (
    Actor,
    AuditEvent,
    Request,
    RequestDraft,
    RequestKind,
    Source,
    State,
)
from approvals.notifications import APPROVAL, EMERGENCY, REVIEW, notify
from approvals.policies import DEFAULT_POLICY, Deciders, Policy, validate_draft
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id
from approvals.redelivery import act_once
from approvals.routing import deciders_with, map_people, pairs_for, stand_ins_at
from approvals.staffing import people_in_role, staff
from approvals.transitions import Action, next_state


async def submit_request(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, draft: RequestDraft, actor: Actor,
    source: Source, policy: Policy = DEFAULT_POLICY,
    away: Mapping[str, datetime | None] | None = None,
) -> Request:
    """A valid draft becomes a request for distinct deciders, never the requester, on a clock;
    its card goes around first-line people who are `away` (person id -> back at, if known)."""
    asset = catalog.find_asset(draft.asset_name)
    now = clock.now()
    validate_draft(draft, asset, now.date(), policy)
    requester = Requester(acting_id(catalog, actor), actor.name)
    async with uow:
        # The asset by its catalog name: open_request's lookup is then a dictionary hit,
        # not a second fuzzy search of what the person typed.
        request, events = await open_request(
            uow, catalog, policy, now, replace(draft, asset_name=asset.name), requester, source,
            away=away or {},
        )
        for event in events:  # the audit appends are the transaction's last writes
            await uow.audit.append(event)
        await uow.commit()
    return request


@dataclass(frozen=True)
class Requester:
    id: str
    name: str


@dataclass(frozen=True)
class Link:
    """What a renewal or review request is about, and who decides it when not the policy's
    usual deciders."""

    renews: str = ""
    reviews: str = ""
    deciders: Deciders | None = None


async def open_request(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, now: datetime, draft: RequestDraft,
    requester: Requester, source: Source, link: Link = Link(),
    away: Mapping[str, datetime | None] | None = None,
) -> tuple[Request, list[AuditEvent]]:
    """Record a request inside the caller's transaction: staffed (never the requester), routed
    to stand-ins of people who delegated and around people who are away, its cards queued and
    its deadline jobs planned. Returns the audit events for the caller to append last. Raises
    NoDecider before writing anything."""
    asset = catalog.find_asset(draft.asset_name)
    rules = policy.rules_for(asset.tier, draft.kind)
    deciders_rule = link.deciders or rules.deciders
    steps = staff(catalog, asset, deciders_rule, requester.id)
    emergency = draft.kind is RequestKind.ROLLBACK and draft.emergency
    state = next_state(State.PENDING, Action.APPROVE_EMERGENCY) if emergency else State.PENDING
    assert state is not None
    deadline, _ = rules.window(emergency)
    stand_ins = await stand_ins_at(uow, now)
    pairs = pairs_for(deciders_rule.rule, steps, stand_ins, requester.id)
    request_id = await uow.requests.next_id(draft.kind)
    await act_once(uow, source, request_id, "request.submitted", now)
    request = Request(
        id=request_id, kind=draft.kind, asset_name=asset.name,
        title=draft.title.strip(), justification=draft.justification.strip(),
        requester_id=requester.id, requester_name=requester.name, deciders=(), created_at=now,
        updated_at=now, state=state, risk=draft.risk, controls=draft.controls.strip(),
        expires_on=draft.expires_on, change_ref=draft.change_ref.strip(),
        rollback_of=draft.rollback_of.strip(), emergency=draft.emergency,
        rule=deciders_rule.rule, steps=steps, due_at=now + deadline, stand_ins=pairs,
        renews=link.renews, reviews=link.reviews,
    )
    # Someone away who delegated is not routed around: their delegate stands in for them.
    standing_in = dict(pairs)
    absent = {p: back for p, back in (away or {}).items() if p not in standing_in}
    usual, away_notes = route_around_absences(
        catalog, asset, request.rule, steps, requester.id, absent, now
    )
    first = map_people(usual, pairs)
    deciders = deciders_with(request)
    if away_notes:  # the person the card went to comes first ("routed to")
        deciders = (*[p for p in first if p in deciders], *[p for p in deciders if p not in first])
    request = request.evolve(deciders=deciders, notes=away_notes)
    await uow.requests.add(request)
    due = {"due_at": (now + deadline).isoformat()}
    if emergency:
        owners = [p for p in people_in_role(catalog, asset, "owner")
                  if p != requester.id and p not in request.deciders]
        await notify(uow, request, EMERGENCY, owners, now, due)
    await notify(uow, request, REVIEW if emergency else APPROVAL, first or request.deciders,
                 now, due)
    await replan(uow, request, rules, now)
    detail = {"asset": asset.name, "routed_to": request.deciders[0], "rule": request.rule.value,
              "steps": "; ".join(s.role for s in steps)}
    if pairs:
        detail["on_behalf_of"] = "; ".join(
            f"{catalog.display(b)} for {catalog.display(a)}" for a, b in pairs)
    if request.linked_to:
        detail["renews" if link.renews else "reviews"] = request.linked_to
    if away_notes:
        detail["away"] = "; ".join(n.text for n in away_notes)
    events = [AuditEvent(
        action="request.submitted", outcome="ok", actor_id=requester.id,
        actor_name=requester.name, at=now, request_id=request.id, source=source, detail=detail,
    )]
    if emergency:
        events.append(AuditEvent(
            action="request.emergency_approved", outcome="ok", actor_id=requester.id,
            actor_name=requester.name, at=now, request_id=request.id, source=source,
            detail={"from": State.PENDING.value, "to": state.value, "review_due": due["due_at"]},
        ))
    return request, events
