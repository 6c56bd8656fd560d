"""Submitting a request: validated, staffed by policy, audited, announced and put on a clock."""

from __future__ import annotations

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
from approvals.redelivery import act_once
from approvals.staffing import deciders_now, first_line, people_in_role, staff
from approvals.transitions import Action, next_state


async def submit_request(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, draft: RequestDraft, actor: Actor,
    source: Source, policy: Policy = DEFAULT_POLICY,
) -> Request:
    """A valid draft becomes a request for distinct deciders, never the requester, on a clock."""
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
    async with uow:
        request_id = await uow.requests.next_id(draft.kind)
        await act_once(uow, source, request_id, "request.submitted", now)
        request = Request(
            id=request_id, kind=draft.kind, asset_name=asset.name,
            title=draft.title.strip(), justification=draft.justification.strip(),
            requester_id=requester_id, requester_name=actor.name, deciders=deciders,
            created_at=now, updated_at=now, state=state, risk=draft.risk,
            controls=draft.controls.strip(), expires_on=draft.expires_on,
            change_ref=draft.change_ref.strip(), rollback_of=draft.rollback_of.strip(),
            emergency=draft.emergency, rule=rules.deciders.rule, steps=steps,
            due_at=now + deadline,
        )
        await uow.requests.add(request)
        due = {"due_at": (now + deadline).isoformat()}
        if emergency:
            owners = [p for p in people_in_role(catalog, asset, "owner")
                      if p != requester_id and p not in deciders]
            await notify(uow, request, EMERGENCY, owners, now, due)
        first = first_line(catalog, asset, request.rule, steps, requester_id) or deciders
        await notify(uow, request, REVIEW if emergency else APPROVAL, first, now, due)
        await replan(uow, request, rules, now)
        # The audit appends are the transaction's last writes (they serialise the hash chain).
        await uow.audit.append(AuditEvent(
            action="request.submitted", outcome="ok", actor_id=requester_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source,
            detail={"asset": asset.name, "routed_to": deciders[0], "rule": request.rule.value,
                    "steps": "; ".join(s.role for s in steps)},
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
