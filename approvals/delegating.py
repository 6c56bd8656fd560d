"""Delegation: while an owner is away, their decisions go to a delegate, and come back after.

`delegate to adele until 2026-12-24` runs through the end of that day (UTC), at most
MAX_DAYS ahead. While it runs, new requests and the undecided ones whose decider is the
delegator go to the delegate (approvals.routing says who stands in for whom); the delegate
decides "on behalf of" the delegator. It ends on `delegation off` or at its end (a due job);
requests still undecided then go back to the delegator, who gets their cards again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from approvals.catalog import Catalog
from approvals.deadlines import replan, rules_of
from approvals.errors import ConcurrentUpdate, NotAllowed, UnknownPerson
from approvals.escalation import reached_people
from approvals.job_kinds import END_DELEGATION
from approvals.model import SIGNOFF, Actor, AuditEvent, Delegation, Request, Source, State
from approvals.notifications import APPROVAL, REROUTED, REVIEW, notify, refresh_cards
from approvals.policies import DEFAULT_POLICY, Policy
from approvals.ports import Clock, Job, UnitOfWork
from approvals.queries import acting_id
from approvals.routing import Pairs, deciders_with, pairs_for, without
from approvals.staffing import steps_of
from approvals.transitions import Action, next_state

MAX_DAYS = 90
OPEN = tuple(s for s in State if s.is_open)


class InvalidDelegation(NotAllowed):
    """A delegation the rules refuse: unknown person, oneself, a date out of bounds."""


def subject(delegation_id: str) -> str:
    """What a delegation's jobs are filed under (the jobs table files work by request id)."""
    return f"delegation:{delegation_id}"


def ends_at(until: date) -> datetime:
    """A delegation `until` a day runs through that day: it ends at 00:00 UTC the day after."""
    return datetime.combine(until + timedelta(days=1), time(0), UTC)


async def start_delegation(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, actor: Actor, delegate_text: str,
    until: date, source: Source, policy: Policy = DEFAULT_POLICY,
) -> tuple[Delegation, list[Request]]:
    """A person delegates to another of the catalog until a day from today to MAX_DAYS ahead;
    one delegation at a time. Returns it and the requests that moved to the delegate. Someone
    only the directory knows (an Entra group's member, `aad:<object id>`) may delegate too."""
    now = clock.now()
    delegator = acting_id(catalog, actor)
    person = catalog.find_person(delegate_text)
    if person is None:
        raise UnknownPerson(delegate_text.strip())
    if person.id == delegator:
        raise InvalidDelegation("you cannot delegate to yourself")
    latest = now.date() + timedelta(days=MAX_DAYS)
    if until < now.date():
        raise InvalidDelegation(f"{until.isoformat()} is in the past: give the last day you "
                                "are away, e.g. delegate to adele until "
                                f"{(now.date() + timedelta(days=7)).isoformat()}")
    if until > latest:
        raise InvalidDelegation(f"{until.isoformat()} is more than {MAX_DAYS} days ahead: the "
                                f"latest is {latest.isoformat()}")
    delegation = Delegation(
        id=f"DLG-{delegator}-{now.strftime('%Y%m%d%H%M%S')}", delegator_id=delegator,
        delegate_id=person.id, starts_at=now, until=until, ends_at=ends_at(until),
        created_by=delegator,
    )
    async with uow:
        running = await uow.delegations.running_for(delegator)
        if running is not None:
            raise InvalidDelegation(
                f"you already delegate to {catalog.display(running.delegate_id)} until "
                f"{running.until.isoformat()}: say `delegation off` first")
        await uow.delegations.add(delegation)
        moved, events = await _move(uow, catalog, policy, now, delegation, source,
                                    (delegator, actor.name), start=True)
        await uow.jobs.schedule(Job(
            key=f"{delegation.id}:{END_DELEGATION}", kind=END_DELEGATION,
            request_id=subject(delegation.id), due_at=delegation.ends_at,
            detail={"delegation": delegation.id}))
        events.append(_event("delegation.started", delegation, delegator, actor.name, now,
                             source, catalog, moved))
        for event in events:  # the audit appends are the transaction's last writes
            await uow.audit.append(event)
        await uow.commit()
    return delegation, moved


async def end_delegation(
    uow: UnitOfWork, catalog: Catalog, clock: Clock, actor: Actor, source: Source,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[Delegation, list[Request]]:
    """`delegation off`: the person's running delegation ends now; the requests still undecided
    go back to them. Returns it and the requests that came back."""
    now = clock.now()
    delegator = acting_id(catalog, actor)
    async with uow:
        running = await uow.delegations.running_for(delegator)
        if running is None:
            raise NotAllowed("you have no delegation running")
        back = await _finish(uow, catalog, policy, now, running, delegator, actor.name, source)
        await uow.commit()
    return running, back


async def run_delegation_job(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, job: Job, now: datetime
) -> bool:
    """The end of a delegation's last day: it ends, and what is undecided goes back."""
    delegation = await uow.delegations.get(job.detail.get("delegation", ""))
    if delegation is None or delegation.ended_at is not None or now < delegation.ends_at:
        return False
    source = Source(channel="scheduler", activity_id=job.key)
    await _finish(uow, catalog, policy, now, delegation, *SIGNOFF, source)
    return True


async def running_delegations(uow: UnitOfWork, catalog: Catalog, actor: Actor
                              ) -> tuple[Delegation | None, list[Delegation]]:
    """The actor's own running delegation, and those that make them someone's delegate."""
    person = acting_id(catalog, actor)
    async with uow:
        running = await uow.delegations.running()
    own = next((d for d in running if d.delegator_id == person), None)
    return own, [d for d in running if d.delegate_id == person]


async def _finish(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, now: datetime, delegation: Delegation,
    actor_id: str, actor_name: str, source: Source,
) -> list[Request]:
    if not await uow.delegations.end(delegation.id, now, actor_id):
        raise ConcurrentUpdate("the delegation ended meanwhile")
    await uow.jobs.cancel(subject(delegation.id))
    back, events = await _move(uow, catalog, policy, now, delegation, source,
                               (actor_id, actor_name), start=False)
    events.append(_event("delegation.ended", delegation, actor_id, actor_name, now, source,
                         catalog, back))
    for event in events:
        await uow.audit.append(event)
    return back


async def _move(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, now: datetime, delegation: Delegation,
    source: Source, actor: tuple[str, str], start: bool,
) -> tuple[list[Request], list[AuditEvent]]:
    """Re-route every undecided request of the delegator (start) or back from the delegate."""
    delegator, delegate = delegation.delegator_id, delegation.delegate_id
    moved: list[Request] = []
    events: list[AuditEvent] = []
    for request in await uow.requests.list_in_states(OPEN):
        if start:
            if not any(delegator in s.eligible for s in steps_of(request)):
                continue
            pairs = pairs_for(request.rule, steps_of(request), {delegator: delegate},
                              request.requester_id, request.stand_ins)
        else:
            if (delegator, delegate) not in request.stand_ins:
                continue
            pairs = without(request.stand_ins, delegator)
        if pairs == request.stand_ins:
            continue  # the rules keep the delegator here (e.g. the delegate asked for it)
        updated = await _reroute(uow, catalog, policy, now, request, pairs, delegation, start)
        moved.append(updated)
        frm, to = (delegator, delegate) if start else (delegate, delegator)
        events.append(AuditEvent(
            action="request.rerouted", outcome="ok", actor_id=actor[0], actor_name=actor[1],
            at=now, request_id=request.id, source=source,
            detail={"from": catalog.display(frm), "to": catalog.display(to),
                    "on_behalf_of": delegator, "on_behalf_of_name": catalog.display(delegator),
                    "reason": "delegation started" if start else "delegation ended",
                    "delegation": delegation.id, "version": str(updated.version)},
        ))
    return moved, events


async def _reroute(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, now: datetime, request: Request,
    pairs: Pairs, delegation: Delegation, start: bool,
) -> Request:
    state = next_state(request.state, Action.REROUTE)
    assert state is request.state, "re-routing never changes the state"
    rules = rules_of(catalog, policy, request)
    had_card = set(reached_people(catalog, rules, request))
    updated = request.evolve(version=request.version + 1, updated_at=now, stand_ins=pairs,
                             deciders=deciders_with(request, pairs=pairs) or request.deciders)
    if not await uow.requests.compare_and_set(updated, request.version):
        raise ConcurrentUpdate(f"{request.id} changed meanwhile: try again")
    await replan(uow, updated, rules, now)  # reminders and escalation follow the new version
    giver, taker = ((delegation.delegator_id, delegation.delegate_id) if start
                    else (delegation.delegate_id, delegation.delegator_id))
    if giver in had_card:
        kind = REVIEW if request.state is State.APPROVED_PENDING_REVIEW else APPROVAL
        detail = {"on_behalf_of": catalog.display(delegation.delegator_id)} if start else {
            "returned_from": catalog.display(delegation.delegate_id)}
        await notify(uow, updated, kind, [taker], now, detail)
        await notify(uow, updated, REROUTED, [giver], now, {
            "to": catalog.display(taker), "start": "true" if start else "",
            "until": delegation.until.isoformat()})
    await refresh_cards(uow, updated, now)
    return updated


def _event(action: str, delegation: Delegation, actor_id: str, actor_name: str, now: datetime,
           source: Source, catalog: Catalog, requests: list[Request]) -> AuditEvent:
    return AuditEvent(
        action=action, outcome="ok", actor_id=actor_id, actor_name=actor_name, at=now,
        source=source,
        detail={"delegation": delegation.id, "delegator": delegation.delegator_id,
                "delegator_name": catalog.display(delegation.delegator_id),
                "delegate": delegation.delegate_id,
                "delegate_name": catalog.display(delegation.delegate_id),
                "until": delegation.until.isoformat(),
                "requests": ", ".join(r.id for r in requests)},
    )
