"""A catalog change never loses a pending request: whoever may decide it now gets it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from approvals.catalog import Catalog
from approvals.deadlines import replan, rules_of
from approvals.escalation import reached_people
from approvals.model import Asset, AuditEvent, Request, Source, State, Step
from approvals.notifications import APPROVAL, EVERY_CARD, REFRESH_CARDS, REVIEW, notify
from approvals.policies import CHANNEL_PREFIX, Policy, Rules
from approvals.ports import UnitOfWork
from approvals.staffing import OWNER_SIDE, deciders_now, people_in_role, steps_of

# The requester's notification that the catalog moved their request (the delegation's
# `notifications.REROUTED` tells the person whose card moved); also a flag in the new
# decider's card detail.
MOVED_BY_CATALOG = "moved_by_catalog"
OPEN_STATES = (State.PENDING, State.INFO_REQUESTED, State.APPROVED_PENDING_REVIEW)
LEGACY_ROLES = ("owner", "backup", "team")  # what a request from before policies asked for
MAX_TRIES = 3  # a decision may land while a request is re-routed: plan again on its new version


@dataclass(frozen=True)
class Reroute:
    """A request before and after a catalog change; who gets its card now, who loses it."""

    before: Request
    after: Request
    reached: tuple[str, ...]
    released: tuple[str, ...]


@dataclass(frozen=True)
class Kept:
    """An open request the new catalog cannot re-route: it stays with its deciders."""

    request_id: str
    reason: str


def plan_reroute(before: Catalog, after: Catalog, policy: Policy, request: Request,
                 now: datetime) -> Reroute | Kept | None:
    """The request's open steps staffed from the new catalog (same roles, filled steps kept),
    or None when nothing changes for it, or Kept with the reason it cannot move."""
    asset = after.assets.get(request.asset_name)
    if asset is None:
        return Kept(request.id, f"{request.asset_name} is no longer in the catalog")
    rules = rules_of(after, policy, request)
    steps = tuple(
        step if step.approved_by else Step(step.role, _eligible(after, asset, rules, request,
                                                                step))
        for step in steps_of(request))
    if steps == steps_of(request):
        return None
    empty = [s.role for s in steps if s.approved_by is None and not s.eligible]
    deciders = deciders_now(request.rule, steps, request.requester_id)
    if empty or not deciders:
        return Kept(request.id, f"nobody in the new catalog but the requester can give the "
                                f"{', '.join(empty) or 'remaining'} approval")
    updated = request.evolve(steps=steps, deciders=deciders, version=request.version + 1,
                             updated_at=now)
    had = reached_people(before, rules_of(before, policy, request), request)
    has = reached_people(after, rules, updated)
    return Reroute(request, updated, tuple(p for p in has if p not in had),
                   tuple(p for p in had if p not in updated.deciders))


def _eligible(catalog: Catalog, asset: Asset, rules: Rules, request: Request,
              step: Step) -> tuple[str, ...]:
    """A step's people in the new catalog: its roles, and on the owner's side whoever the
    escalation chain has brought in so far."""
    roles = LEGACY_ROLES if step.roles == ("decider",) else step.roles
    people = [p for role in roles for p in people_in_role(catalog, asset, role)]
    if set(roles) & OWNER_SIDE:
        for entry in rules.escalation[:request.escalation_level]:
            if not entry.startswith(CHANNEL_PREFIX):
                people += people_in_role(catalog, asset, entry)
    return tuple(p for p in dict.fromkeys(people) if p != request.requester_id)


async def reroute_open_requests(
    uow: UnitOfWork, before: Catalog, after: Catalog, policy: Policy, now: datetime,
    actor: tuple[str, str], reason: str, source: Source, detail: Mapping[str, str],
) -> tuple[list[Reroute], list[Kept], list[AuditEvent]]:
    """Re-route every open request whose deciders the new catalog changes: the new people get
    the card, old cards say where it went, deadlines are planned again. Returns the audit
    events for the caller to append last (they serialise the hash chain)."""
    moved: list[Reroute] = []
    kept: list[Kept] = []
    events: list[AuditEvent] = []
    for request in await uow.requests.list_in_states(OPEN_STATES):
        plan = await _settle(uow, before, after, policy, request, now)
        if isinstance(plan, Kept):
            kept.append(plan)
        elif plan is not None:
            moved.append(plan)
            await _announce(uow, after, policy, plan, now, {**detail, "reason": reason})
            events.append(_event(after, plan, now, actor, reason, source, detail))
    return moved, kept, events


async def _settle(uow: UnitOfWork, before: Catalog, after: Catalog, policy: Policy,
                  request: Request | None, now: datetime) -> Reroute | Kept | None:
    """Plan and compare-and-set; a request changed meanwhile is planned again from its new
    version (a decision that landed first stands)."""
    for _ in range(MAX_TRIES):
        if request is None or request.state not in OPEN_STATES:
            return None
        plan = plan_reroute(before, after, policy, request, now)
        if not isinstance(plan, Reroute):
            return plan
        if await uow.requests.compare_and_set(plan.after, request.version):
            return plan
        request = await uow.requests.get(request.id)
    assert request is not None
    return Kept(request.id, "it kept changing while the catalog was applied")


async def _announce(uow: UnitOfWork, catalog: Catalog, policy: Policy, plan: Reroute,
                    now: datetime, why: Mapping[str, str]) -> None:
    """The new people get the card, the requester a note, every card copy its new view
    (`why`: the reason, and the snapshot the people are in, so the relay can wait for it)."""
    request = plan.after
    to = ", ".join(catalog.display(p) for p in plan.after.deciders)
    kind = REVIEW if request.state is State.APPROVED_PENDING_REVIEW else APPROVAL
    due = {"due_at": request.due_at.isoformat()} if request.due_at else {}
    await notify(uow, request, kind, plan.reached, now, {**due, **why, MOVED_BY_CATALOG: "true"})
    await notify(uow, request, MOVED_BY_CATALOG, [request.requester_id], now, {**why, "to": to})
    await notify(uow, request, REFRESH_CARDS, [EVERY_CARD], now, {**why, "moved_to": to})
    await replan(uow, request, rules_of(catalog, policy, request), now)


def _event(catalog: Catalog, plan: Reroute, now: datetime, actor: tuple[str, str], reason: str,
           source: Source, detail: Mapping[str, str]) -> AuditEvent:
    return AuditEvent(
        action="request.rerouted", outcome="ok", actor_id=actor[0], actor_name=actor[1],
        at=now, request_id=plan.after.id, source=source,
        detail={**detail, "reason": reason, "version": str(plan.after.version),
                "from": ", ".join(plan.before.deciders), "to": ", ".join(plan.after.deciders),
                "reached": ", ".join(plan.reached), "released": ", ".join(plan.released)},
    )
