"""Deciding a request: approving one step, approving, rejecting, asking for information."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from approvals.catalog import Catalog
from approvals.deadlines import replan, rules_of
from approvals.errors import (
    AlreadyDecided,
    ConcurrentUpdate,
    DomainError,
    NotADecider,
    NotAllowed,
    NotYourTurn,
    OneStepEach,
    SelfDecision,
)
from approvals.hidden_text import hidden_characters_problem
from approvals.linked_decisions import apply_linked_decision
from approvals.model import (
    Actor,
    AuditEvent,
    Decision,
    DecisionRule,
    Note,
    Outcome,
    Request,
    RequestKind,
    Source,
    State,
    Step,
)
from approvals.notifications import (
    APPROVAL,
    DECIDED,
    QUESTION,
    REVIEW,
    notify,
    refresh_cards,
)
from approvals.policies import DEFAULT_POLICY, Policy, Rules
from approvals.ports import Clock, UnitOfWork
from approvals.queries import acting_id, load_request
from approvals.redelivery import act_once
from approvals.routing import deciders_with, decision_steps, on_behalf_of
from approvals.staffing import fill, open_steps, step_for, steps_of
from approvals.transitions import Action, next_state

OUTCOME_ACTION = {
    Outcome.APPROVE: Action.APPROVE,
    Outcome.REJECT: Action.REJECT,
    Outcome.NEED_INFO: Action.ASK_INFO,
}
REVIEW_ACTION = {Outcome.APPROVE: Action.CONFIRM_REVIEW, Outcome.REJECT: Action.REJECT_REVIEW}


@dataclass(frozen=True)
class Move:
    """What a decision does to a request: the action, the state after it, the steps after it."""

    action: Action
    state: State
    steps: tuple[Step, ...]
    filled: Step | None = None
    activated: bool = False  # an approved exception is active at once
    on_behalf: str = ""  # the delegator the decider stands in for


async def record_decision(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, request_id: str, outcome: Outcome,
    comment: str, actor: Actor, source: Source, policy: Policy = DEFAULT_POLICY,
) -> Request:
    """Only who may act now, never the requester, decides; one step each; the last approves."""
    now = clock.now()
    person_id = acting_id(catalog, actor)
    if outcome is Outcome.NEED_INFO and not comment.strip():
        raise NotAllowed("write your question in the comment box, then click Ask for info")
    if (hidden := hidden_characters_problem(comment)) is not None:
        raise NotAllowed(f"your comment {hidden}: write it again without them")
    async with uow:
        request = await load_request(uow, request_id)
        await act_once(uow, source, request.id, f"decision.{outcome.value}", now)
        move = plan_move(catalog, request, person_id, outcome)
        if isinstance(move, DomainError):
            await _audit_refusal(uow, request, actor, person_id, outcome, move, now, source)
            raise move
        decision = Decision(outcome, person_id, actor.name, now, comment.strip(), move.on_behalf,
                            catalog.display(move.on_behalf) if move.on_behalf else "")
        rules = rules_of(catalog, policy, request)
        updated = _after(request, move, decision, rules, now)
        if not await uow.requests.compare_and_set(updated, request.version):
            # Someone else changed it first: say what they did, and never overwrite it.
            current = await load_request(uow, request.id)
            error = plan_move(catalog, current, person_id, outcome)
            if not isinstance(error, DomainError):
                error = ConcurrentUpdate(
                    f"{current.id} changed while you decided: it is now {current.state.label}, "
                    "look at it again")
            await _audit_refusal(uow, current, actor, person_id, outcome, error, now, source)
            raise error
        await uow.requests.add_decision(request.id, decision)
        if move.action is Action.ASK_INFO:
            note = Note(person_id, actor.name, comment.strip(), now, "question")
            await uow.requests.add_note(request.id, note)
            updated = updated.evolve(notes=(*request.notes, note))
        detail = {"from": request.state.value, "to": move.state.value,
                  "version": str(updated.version)}
        if move.activated:  # approved, and so in force at once: one step, one event
            detail["expires_on"] = str(updated.expires_on or "")
        if move.filled is not None:
            detail["step"] = move.filled.role
        if move.on_behalf:
            detail.update(on_behalf_of=move.on_behalf, on_behalf_of_name=decision.on_behalf_name)
        await _announce(uow, request, updated, move, decision, now)
        await replan(uow, updated, rules, now)
        events = [AuditEvent(
            action=f"decision.{outcome.value}", outcome="ok", actor_id=person_id,
            actor_name=actor.name, at=now, request_id=request.id, source=source, detail=detail,
        )]
        if updated.linked_to and not updated.state.is_open:
            events += await apply_linked_decision(uow, catalog, policy, updated, decision, source)
        # The audit appends are the transaction's last writes (they serialise the hash chain).
        for event in events:
            await uow.audit.append(event)
        await uow.commit()
    return updated


def plan_move(
    catalog: Catalog, request: Request, person_id: str, outcome: Outcome
) -> Move | DomainError:
    """What `person_id` deciding `outcome` does to the request, or why they may not."""
    who_can = [catalog.display(d) for d in request.deciders]
    steps = steps_of(request)
    view = decision_steps(request, steps)  # with the stand-ins of delegators in place
    if person_id == request.requester_id:
        return SelfDecision(request.id, who_can)
    involved = person_id in request.deciders or any(
        person_id in s.eligible or person_id == s.approved_by for s in (*steps, *view))
    if not request.state.is_open:
        if involved:
            return AlreadyDecided(request.id, request.state, request.final_decision)
        return NotADecider(request.id, who_can)
    index = step_for(request.rule, view, person_id, request.requester_id)
    if person_id not in request.deciders or index is None:
        return _not_now(request, view, person_id, who_can)
    review = request.state is State.APPROVED_PENDING_REVIEW
    filled: Step | None = None
    if outcome is Outcome.APPROVE:
        steps = fill(steps, index, person_id)
        filled = steps[index]
        done = all(s.approved_by is not None for s in steps)
        action = (REVIEW_ACTION[outcome] if review else Action.APPROVE) if done \
            else Action.APPROVE_STEP
    else:
        action = REVIEW_ACTION.get(outcome, Action.ASK_INFO) if review else OUTCOME_ACTION[outcome]
    state = next_state(request.state, action)
    on_behalf = on_behalf_of(request, person_id)
    if state is State.APPROVED and request.kind is RequestKind.EXCEPTION and not request.linked_to:
        active = next_state(state, Action.ACTIVATE)
        assert active is not None
        return Move(action, active, steps, filled, activated=True, on_behalf=on_behalf)
    if state is not None:
        return Move(action, state, steps, filled, on_behalf=on_behalf)
    if request.state is State.INFO_REQUESTED:
        return NotAllowed(f"{request.id} already waits for {request.requester_name}'s answer")
    if review:
        return NotAllowed(f"{request.id} was rolled back in an emergency and waits for its "
                          "review: confirm it (Approve) or reject it; ask questions in chat")
    return AlreadyDecided(request.id, request.state, request.final_decision)


def _not_now(
    request: Request, steps: tuple[Step, ...], person_id: str, who_can: list[str]
) -> DomainError:
    for step in steps:
        if step.approved_by == person_id:
            return OneStepEach(request.id, step.role, who_can)
    current = open_steps(request.rule, steps)
    later = [s for s in steps if s.approved_by is None and person_id in s.eligible]
    if request.rule is DecisionRule.SEQUENCE and later and current:
        return NotYourTurn(request.id, steps[current[0]].role, who_can)
    return NotADecider(request.id, who_can)


def _after(request: Request, move: Move, decision: Decision, rules: Rules, now: datetime
           ) -> Request:
    """The request after the move: who may act next, and a fresh deadline when a sequence
    moves on to its next step. A closed request keeps the deciders it had when it closed."""
    changes: dict[str, object] = {
        "state": move.state, "version": request.version + 1, "updated_at": now,
        "decisions": (*request.decisions, decision), "steps": move.steps,
    }
    if not move.state.is_open:
        changes["due_at"] = None
    else:
        changes["deciders"] = deciders_with(request, move.steps)
        before = open_steps(request.rule, steps_of(request))
        if request.rule is DecisionRule.SEQUENCE and open_steps(request.rule, move.steps) != before:
            deadline, _ = rules.window(move.state is State.APPROVED_PENDING_REVIEW)
            changes.update(due_at=now + deadline, escalation_level=0)
    return request.evolve(**changes)


async def _announce(
    uow: UnitOfWork, before: Request, after: Request, move: Move, decision: Decision,
    now: datetime,
) -> None:
    """The requester hears of the outcome or the question; people newly able to act get their
    card; every card already sent shows the new state."""
    if not after.state.is_open:
        await notify(uow, after, DECIDED, [after.requester_id], now,
                     {"outcome": decision.outcome.value, "decider": decision.decider_name})
    elif move.action is Action.ASK_INFO:
        await notify(uow, after, QUESTION, [after.requester_id], now,
                     {"asked_by": decision.decider_name})
    else:
        kind = REVIEW if after.state is State.APPROVED_PENDING_REVIEW else APPROVAL
        newcomers = [p for p in after.deciders if p not in before.deciders]
        await notify(uow, after, kind, newcomers, now, {"approved_by": decision.decider_name})
    await refresh_cards(uow, after, now)


async def _audit_refusal(
    uow: UnitOfWork, request: Request, actor: Actor, person_id: str, outcome: Outcome,
    error: Exception, now: datetime, source: Source,
) -> None:
    await uow.audit.append(AuditEvent(
        action=f"decision.{outcome.value}", outcome="refused", actor_id=person_id,
        actor_name=actor.name, at=now, request_id=request.id, source=source,
        detail={"reason": type(error).__name__, "state": request.state.value},
    ))
    await uow.commit()
