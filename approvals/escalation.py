"""An overdue decision goes to the next people in the policy's escalation chain."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from approvals.away import away_people
from approvals.catalog import Catalog
from approvals.model import SIGNOFF, AuditEvent, Request, Source, State
from approvals.notifications import (
    APPROVAL,
    ESCALATED,
    ESCALATION,
    REVIEW,
    notify,
    refresh_cards,
)
from approvals.policies import CHANNEL_PREFIX, Rules
from approvals.ports import UnitOfWork
from approvals.routing import deciders_with, map_people, pairs_for, stand_ins_at
from approvals.staffing import (
    add_eligible,
    approvers,
    first_line,
    people_in_role,
    stand_in_steps,
    steps_of,
)
from approvals.transitions import Action, next_state


async def escalate(
    uow: UnitOfWork, catalog: Catalog, rules: Rules, request: Request, now: datetime,
    job_key: str, away: Mapping[str, datetime | None] | None = None,
) -> tuple[Request, AuditEvent] | None:
    """Overdue: the chain's next people stand in for the owner's side; a channel is told.
    An entry whose people are all `away` now is passed over, unless no later one is left;
    someone away who delegated counts as there (their delegate gets the card)."""
    stand_ins = await stand_ins_at(uow, now)
    absent = {p for p in (away or {}) if p not in stand_ins}
    target = _next_target(catalog, rules, request, absent)
    if target is None:
        return None
    level, entry, reached, skipped = target
    steps = steps_of(request)
    already = {p for i in stand_in_steps(request.rule, steps) for p in steps[i].eligible}
    added = tuple(p for p in reached if p not in already)  # newly eligible; the rest were
    new_steps = add_eligible(request.rule, steps, added) if added else steps
    # Delegations as they run now, not only those recorded at submission: someone the chain
    # brings in may have delegated since.
    pairs = pairs_for(request.rule, new_steps, stand_ins, request.requester_id,
                      request.stand_ins)
    state = next_state(request.state, Action.ESCALATE)
    assert state is request.state, "escalation never changes the state"
    last = level >= len(rules.escalation)
    updated = request.evolve(
        version=request.version + 1, updated_at=now, steps=new_steps, stand_ins=pairs,
        deciders=deciders_with(request, new_steps, pairs) or request.deciders,
        escalation_level=level, due_at=None if last else now + rules.escalate_every,
    )
    if not await uow.requests.compare_and_set(updated, request.version):
        return None  # a decision won the race; it planned its own jobs
    sent_to = map_people(reached, pairs)
    before = ", ".join(catalog.display(p) for p in request.deciders)
    after = ", ".join(catalog.display(p) for p in sent_to) or entry
    detail = {"level": str(level), "to_role": entry, "from": before, "to": after,
              "version": str(updated.version)}
    if skipped:
        detail["skipped"] = ", ".join(skipped)
    stood_in = [(a, b) for a, b in pairs if a in reached]
    if stood_in:
        detail["on_behalf_of"] = "; ".join(
            f"{catalog.display(b)} for {catalog.display(a)}" for a, b in stood_in)
    kind = REVIEW if request.state is State.APPROVED_PENDING_REVIEW else APPROVAL
    await notify(uow, updated, kind, sent_to, now,
                 {"escalated": "true", "on_behalf_of": before})
    if entry.startswith(CHANNEL_PREFIX):
        await notify(uow, updated, ESCALATION, [entry], now, {"deciders": before})
    await notify(uow, updated, ESCALATED, [request.requester_id], now, {"to": after})
    await refresh_cards(uow, updated, now)
    # The caller appends this after its last other write (the audit append serialises the chain).
    return updated, AuditEvent(
        action="request.escalated", outcome="ok", actor_id=SIGNOFF[0], actor_name=SIGNOFF[1],
        at=now, request_id=request.id, source=Source(channel="scheduler", activity_id=job_key),
        detail=detail,
    )


def reached_people(catalog: Catalog, rules: Rules, request: Request,
                   unavailable: Collection[str] = ()) -> tuple[str, ...]:
    """Who has the approval card now: the first line at submission (around whoever was away),
    then each person the escalation chain brought in so far (who may still act); without the
    `unavailable` (away now) unless that leaves nobody."""
    reached = _reached(catalog, rules, request)
    return tuple(p for p in reached if p not in unavailable) or reached


def _reached(catalog: Catalog, rules: Rules, request: Request) -> tuple[str, ...]:
    asset = catalog.assets.get(request.asset_name)
    if asset is None:
        return request.deciders
    steps = steps_of(request)
    people = list(first_line(catalog, asset, request.rule, steps, request.requester_id,
                             unavailable=away_people(request)))
    for entry in rules.escalation[:request.escalation_level]:
        if not entry.startswith(CHANNEL_PREFIX):
            people += people_in_role(catalog, asset, entry)
    return tuple(p for p in map_people(people, request.stand_ins) if p in request.deciders)


def _next_target(
    catalog: Catalog, rules: Rules, request: Request, absent: Collection[str] = ()
) -> tuple[int, str, tuple[str, ...], list[str]] | None:
    """(new level, chain entry, people reached, entries skipped) of the next useful step: the
    first entry with someone who is not the requester, has not approved, has not had the
    card yet (the first line at submission, or an earlier entry of the chain), and is not
    `absent`; failing that, the first entry whose people were all absent."""
    asset = catalog.assets.get(request.asset_name)
    steps = steps_of(request)
    taken = approvers(steps) | {request.requester_id}
    stand_in = stand_in_steps(request.rule, steps)
    reached_before = set(_reached(catalog, rules, request))
    skipped: list[str] = []
    all_away: tuple[int, str, tuple[str, ...], list[str]] | None = None
    for level in range(request.escalation_level + 1, len(rules.escalation) + 1):
        entry = rules.escalation[level - 1]
        if entry.startswith(CHANNEL_PREFIX):
            return level, entry, (), skipped
        people = people_in_role(catalog, asset, entry) if asset and stand_in else ()
        reach = tuple(p for p in people if p not in taken and p not in reached_before)
        there = tuple(p for p in reach if p not in absent)
        if there:
            return level, entry, there, skipped
        if reach:
            all_away = all_away or (level, entry, reach, list(skipped))
            names = ", ".join(catalog.display(p) for p in reach)
            skipped.append(f"{entry} ({names} {'is' if len(reach) == 1 else 'are'} away)")
        else:
            skipped.append(entry)
    return all_away
