"""Who decides in whose place: the one routing decision every use case asks.

A person who is away names a stand-in; today the only source is a delegation (`delegate to adele
until 2026-12-24`). `stand_ins_at` turns whatever says who is away into one table, person ->
stand-in; another source (e.g. out of office from a directory) adds its rows there.
Requests record the pairs in force on them (`Request.stand_ins`), so a decision, a card and the
audit trail can say "on behalf of"; steps keep the people policy named, and `decision_steps`
shows them with each stand-in in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from approvals.model import DecisionRule, Delegation, Request, Step
from approvals.ports import UnitOfWork
from approvals.staffing import approvers, deciders_now, matchable, steps_of

Pairs = tuple[tuple[str, str], ...]


async def stand_ins_at(uow: UnitOfWork, now: datetime) -> dict[str, str]:
    """Person -> who decides in their place at `now`, from every source (today: delegations).
    A new source (out of office from a directory...) adds its rows here; a delegation wins."""
    return stand_ins_now(await uow.delegations.running(), now)


def stand_ins_now(delegations: Iterable[Delegation], now: datetime) -> dict[str, str]:
    """Person -> the delegate who decides for them at `now` (delegations that run now)."""
    return {d.delegator_id: d.delegate_id for d in delegations if d.runs_at(now)}


def current_decider(person_id: str, stand_ins: Mapping[str, str]) -> str:
    """Who decides in `person_id`'s place now: their stand-in, else themselves (not chained:
    a delegate's own delegation does not move a request twice)."""
    return stand_ins.get(person_id, person_id)


def with_stand_ins(steps: Sequence[Step], pairs: Pairs) -> tuple[Step, ...]:
    """The open steps with each delegator replaced by their delegate; filled steps unchanged."""
    if not pairs:
        return tuple(steps)
    swap = dict(pairs)
    return tuple(
        s if s.approved_by is not None
        else Step(s.role, tuple(dict.fromkeys(current_decider(p, swap) for p in s.eligible)))
        for s in steps
    )


def decision_steps(request: Request, steps: Sequence[Step] | None = None) -> tuple[Step, ...]:
    """The request's steps as they are decided now: stand-ins in place of who they stand for."""
    return with_stand_ins(steps if steps is not None else steps_of(request), request.stand_ins)


def deciders_with(request: Request, steps: Sequence[Step] | None = None,
                  pairs: Pairs | None = None) -> tuple[str, ...]:
    """Everyone who may act now on the request (its steps and stand-ins, or those given)."""
    view = with_stand_ins(steps if steps is not None else steps_of(request),
                          request.stand_ins if pairs is None else pairs)
    return deciders_now(request.rule, view, request.requester_id)


def pairs_for(rule: DecisionRule, steps: Sequence[Step], stand_ins: Mapping[str, str],
              requester_id: str, pairs: Pairs = ()) -> Pairs:
    """`pairs` plus a pair for each person of an open step who has a stand-in now, where it
    keeps the rules: the stand-in is never the requester, and distinct people can still fill
    every open step (else that person keeps deciding themselves)."""
    kept = list(pairs)
    present = {a for a, _ in kept}
    for person in dict.fromkeys(p for s in steps if s.approved_by is None for p in s.eligible):
        delegate = stand_ins.get(person)
        if delegate is None or person in present or delegate in (requester_id, person):
            continue
        trial = (*kept, (person, delegate))
        view = with_stand_ins(steps, trial)
        unfilled = [s.eligible for s in view if s.approved_by is None]
        if matchable(unfilled, approvers(steps) | {requester_id}) and deciders_now(
                rule, view, requester_id):
            kept.append((person, delegate))
            present.add(person)
    return tuple(kept)


def without(pairs: Pairs, delegator_id: str) -> Pairs:
    return tuple(p for p in pairs if p[0] != delegator_id)


def on_behalf_of(request: Request, person_id: str) -> str:
    """The delegator `person_id` decides for on this request, or ""."""
    for delegator, delegate in request.stand_ins:
        if delegate == person_id:
            return delegator
    return ""


def map_people(people: Iterable[str], pairs: Pairs) -> tuple[str, ...]:
    """People with each delegator replaced by their delegate (who gets a card, a reminder)."""
    swap = dict(pairs)
    return tuple(dict.fromkeys(current_decider(p, swap) for p in people))
