"""Submitting a request: validated, staffed by policy, audited, announced and put on a clock."""

from __future__ import annotations

from collections.abc import Mapping
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
from approvals.policies import DEFAULT_POLICY, Policy, validate_draft
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id
from approvals.staffing import deciders_now, people_in_role, staff
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
    rules = policy.rules_for(asset.tier, draft.kind)
    requester_id = acting_id(catalog, actor)
    steps = staff(catalog, asset, rules.deciders, requester_id)
    emergency = draft.kind is RequestKind.ROLLBACK and draft.emergency
    state = next_state(State.PENDING, Action.APPROVE_EMERGENCY) if emergency else State.PENDING
    assert state is not None
    deadline, _ = rules.window(emergency)
    deciders = deciders_now(rules.deciders.rule, steps, requester_id)
    first, away_notes = route_around_absences(catalog, asset, rules.deciders.rule, steps,
                                              requester_id, away or {}, now)
    if away_notes:  # the person the card went to comes first ("routed to")
        deciders = (*[p for p in first if p in deciders],
                    *[p for p in deciders if p not in first])
    async with uow:
        request = Request(
            id=await uow.requests.next_id(draft.kind), kind=draft.kind, asset_name=asset.name,
            title=draft.title.strip(), justification=draft.justification.strip(),
            requester_id=requester_id, requester_name=actor.name, deciders=deciders,
            created_at=now, updated_at=now, state=state, risk=draft.risk,
            controls=draft.controls.strip(), expires_on=draft.expires_on,
            change_ref=draft.change_ref.strip(), rollback_of=draft.rollback_of.strip(),
            emergency=draft.emergency, rule=rules.deciders.rule, steps=steps,
            due_at=now + deadline, notes=away_notes,
        )
        await uow.requests.add(request)
        due = {"due_at": (now + deadline).isoformat()}
        if emergency:
            owners = [p for p in people_in_role(catalog, asset, "owner")
                      if p != requester_id and p not in deciders]
            await notify(uow, request, EMERGENCY, owners, now, due)
        await notify(uow, request, REVIEW if emergency else APPROVAL, first or deciders, now, due)
        await replan(uow, request, rules, now)
        # The audit appends are the transaction's last writes (they serialise the hash chain).
        await uow.audit.append(AuditEvent(
            action="request.submitted", outcome="ok", actor_id=requester_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source,
            detail={"asset": asset.name, "routed_to": deciders[0], "rule": request.rule.value,
                    "steps": "; ".join(s.role for s in steps),
                    **({"away": "; ".join(n.text for n in away_notes)} if away_notes else {})},
        ))
        if emergency:
            await uow.audit.append(AuditEvent(
                action="request.emergency_approved", outcome="ok", actor_id=requester_id,
                actor_name=actor.name, at=now, request_id=request.id, source=source,
                detail={"from": State.PENDING.value, "to": state.value,
                        "review_due": due["due_at"]},
            ))
        await uow.commit()
    return request
