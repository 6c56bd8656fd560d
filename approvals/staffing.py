"""Who fills the steps of a request: roles to people, distinct people, whose turn it is."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from approvals.catalog import Catalog
from approvals.errors import NoDecider
from approvals.model import Asset, DecisionRule, Request, Step
from approvals.policies import ROLES, TEAM_PREFIX, Deciders

LEGACY_ROLE = "decider"  # the one step of a request recorded before policies
OWNER_SIDE = {*ROLES, LEGACY_ROLE}


def people_in_role(catalog: Catalog, asset: Asset, role: str) -> tuple[str, ...]:
    """A role's people: owner (or its team's members), backup, team, team:<id>, owners' managers."""
    if role == "owner":
        return catalog.members_of(asset.owner)
    if role == "backup":
        return (asset.backup,) if asset.backup else ()
    if role == "team":
        return catalog.members_of(asset.team) if asset.team else ()
    if role == "manager":
        managers = (catalog.people[p].manager for p in catalog.members_of(asset.owner)
                    if p in catalog.people)
        return _unique(m for m in managers if m)
    if role.startswith(TEAM_PREFIX):
        team = catalog.teams.get(role[len(TEAM_PREFIX):])
        return team.members if team else ()
    return ()


def first_line(catalog: Catalog, asset: Asset, rule: DecisionRule, steps: Sequence[Step],
               requester_id: str, unavailable: Collection[str] = ()) -> tuple[str, ...]:
    """Who gets the approval card at once: for each step open now, the people of its first
    role that has someone other than the requester (and the `unavailable`, e.g. away); the
    owner before the backup or team. The others stay eligible; escalation brings them in."""
    people: list[str] = []
    for index in open_steps(rule, steps):
        step = steps[index]
        for role in step.roles:
            found = [p for p in people_in_role(catalog, asset, role)
                     if p in step.eligible and p != requester_id and p not in unavailable]
            if found:
                people += found
                break
    return _unique(people)


def staff(catalog: Catalog, asset: Asset, deciders: Deciders, requester_id: str) -> tuple[
        Step, ...]:
    """Each step with its people, never the requester; NoDecider unless distinct people fill all."""
    steps: list[Step] = []
    for roles in deciders.steps:
        eligible = _unique(p for role in roles for p in people_in_role(catalog, asset, role)
                           if p != requester_id)
        role = " or ".join(roles)
        if not eligible:
            raise NoDecider(_nobody(catalog, asset, role, len(deciders.steps) == 1))
        steps.append(Step(role=role, eligible=eligible))
    if not _matchable([s.eligible for s in steps], {requester_id}):
        people = sorted(catalog.display(p) for s in steps for p in s.eligible)
        raise NoDecider(
            f"{asset.name} needs {len(steps)} different people ({', '.join(s.role for s in steps)})"
            f" other than you, and only {', '.join(dict.fromkeys(people))} can fill them: one "
            "person gives one approval; ask its owner to name more people in the catalog"
        )
    return tuple(steps)


def _nobody(catalog: Catalog, asset: Asset, role: str, only_step: bool) -> str:
    if only_step:
        return (f"{asset.name} has no decider other than you: ask its owner to name a backup "
                "in the catalog")
    if role.startswith(TEAM_PREFIX) and role[len(TEAM_PREFIX):] not in catalog.teams:
        return f"{asset.name} needs an approval from {role}, which is not a team in the catalog"
    return f"{asset.name} needs an approval from its {role}, and nobody but you can give it"


def steps_of(request: Request) -> tuple[Step, ...]:
    """The request's steps; a request recorded before policies had one step: its deciders."""
    return request.steps or (Step(role=LEGACY_ROLE, eligible=request.deciders),)


def open_steps(rule: DecisionRule, steps: Sequence[Step]) -> list[int]:
    """The steps that may be filled now: every unfilled one, or in a sequence the first."""
    unfilled = [i for i, s in enumerate(steps) if s.approved_by is None]
    return unfilled[:1] if rule is DecisionRule.SEQUENCE else unfilled


def approvers(steps: Iterable[Step]) -> set[str]:
    return {s.approved_by for s in steps if s.approved_by is not None}


def step_for(rule: DecisionRule, steps: Sequence[Step], person_id: str, requester_id: str
             ) -> int | None:
    """The first open step the person may fill leaving the rest to distinct people, or None."""
    taken = approvers(steps) | {requester_id}
    if person_id in taken:
        return None
    for i in open_steps(rule, steps):
        if person_id not in steps[i].eligible:
            continue
        rest = [s.eligible for j, s in enumerate(steps) if s.approved_by is None and j != i]
        if _matchable(rest, taken | {person_id}):
            return i
    return None


def deciders_now(rule: DecisionRule, steps: Sequence[Step], requester_id: str) -> tuple[str, ...]:
    """Everyone who may act now: the people who could fill an open step."""
    candidates = _unique(p for i in open_steps(rule, steps) for p in steps[i].eligible)
    return tuple(p for p in candidates if step_for(rule, steps, p, requester_id) is not None)


def fill(steps: Sequence[Step], index: int, person_id: str) -> tuple[Step, ...]:
    return tuple(
        s if i != index else Step(s.role, s.eligible, approved_by=person_id)
        for i, s in enumerate(steps)
    )


def stand_in_steps(rule: DecisionRule, steps: Sequence[Step]) -> list[int]:
    """Open steps escalated people may fill: the owner's side, never another team's alone."""
    return [i for i in open_steps(rule, steps) if set(steps[i].roles) & OWNER_SIDE]


def add_eligible(rule: DecisionRule, steps: Sequence[Step], people: Sequence[str]
                 ) -> tuple[Step, ...]:
    """Escalation: `people` may fill the open steps of the owner's side too."""
    opened = set(stand_in_steps(rule, steps))
    return tuple(
        Step(s.role, _unique((*s.eligible, *people)), s.approved_by) if i in opened else s
        for i, s in enumerate(steps)
    )


def _matchable(steps: Sequence[tuple[str, ...]], excluded: set[str]) -> bool:
    """Whether each step can get its own person, none of them excluded (a bipartite matching,
    by augmenting paths: a handful of steps and people)."""
    holder: dict[str, int] = {}

    def assign(i: int, seen: set[str]) -> bool:
        for p in steps[i]:
            if p in excluded or p in seen:
                continue
            seen.add(p)
            if p not in holder or assign(holder[p], seen):
                holder[p] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(steps)))


def _unique(people: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(people))
