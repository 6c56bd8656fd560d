"""Each shape of policy from request to final state: any-of, all-of, sequence; distinct people;
the audit trail and the messages each change owes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from approvals import services
from approvals.errors import (
    AlreadyDecided,
    NoDecider,
    NotADecider,
    NotYourTurn,
    OneStepEach,
    SelfDecision,
)
from approvals.model import DecisionRule, Outcome, Request, RequestDraft, RequestKind, Risk, State
from approvals.policies import Policy
from approvals.policy_file import build_policy

from .fakes import SOURCE, T0, FakeClock, FakeUnitOfWork, actor, policy_catalog

CATALOG = policy_catalog()


def policy(deciders: dict[str, Any]) -> Policy:
    """The built-in rules, with `deciders` for exceptions on tier critical."""
    return build_policy({"tiers": {"critical": {"exception": {"deciders": deciders}}}}, CATALOG)


OWNER_AND_SECURITY = policy({"all": ["owner", "team:security-team"]})
OWNER_THEN_SECURITY = policy({"sequence": ["owner", "team:security-team"]})
OWNER_OR_BACKUP_AND_SECURITY = policy({"all": [["owner", "backup"], "team:security-team"]})


def draft(asset: str = "kv-payments") -> RequestDraft:
    return RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name=asset, title="Open the vault firewall",
        justification="Vendor migration", risk=Risk.HIGH, controls="IP allow-list",
        expires_on=T0.date() + timedelta(days=14),
    )


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def submit(uow: FakeUnitOfWork, clock: FakeClock, rules: Policy, by: str = "alex",
                 asset: str = "kv-payments") -> Request:
    return await services.submit_request(uow, CATALOG, clock, draft(asset), actor(by), SOURCE,
                                         rules)


async def decide(uow: FakeUnitOfWork, clock: FakeClock, rules: Policy, by: str,
                 outcome: Outcome = Outcome.APPROVE, request_id: str = "EXC-1",
                 comment: str = "") -> Request:
    return await services.record_decision(uow, CATALOG, clock, request_id, outcome, comment,
                                          actor(by), SOURCE, rules)


def audit(uow: FakeUnitOfWork, request_id: str = "EXC-1") -> list[tuple[str, str, str, str]]:
    return [(e.action, e.outcome, e.actor_id, e.detail.get("step", ""))
            for e in uow.db.audit_for(request_id)]


# --- any-of -------------------------------------------------------------------------------------


async def test_any_of_one_approval_by_owner_backup_or_team_approves(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    rules = OWNER_AND_SECURITY  # tier high: the built-in any-of
    request = await submit(uow, clock, rules, asset="payments-api")
    assert (request.rule, request.deciders) == (DecisionRule.ANY, ("megan", "adele"))
    assert [s.role for s in request.steps] == ["owner or backup or team"]

    approved = await decide(uow, clock, rules, "adele")

    assert (approved.state, approved.version) == (State.ACTIVE, 2)
    assert approved.steps[0].approved_by == "adele"
    assert audit(uow)[-1] == ("decision.approve", "ok", "adele", "owner or backup or team")
    assert uow.db.sent("decided", "EXC-1") == ["alex"]


# --- all-of -------------------------------------------------------------------------------------


async def test_all_of_needs_the_owner_and_security_in_any_order(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    request = await submit(uow, clock, OWNER_AND_SECURITY)
    assert request.rule is DecisionRule.ALL
    assert [(s.role, s.eligible) for s in request.steps] == [
        ("owner", ("megan",)), ("team:security-team", ("lynne", "isaiah"))]
    assert request.deciders == ("megan", "lynne", "isaiah")
    assert uow.db.sent("approval", "EXC-1") == ["megan", "lynne", "isaiah"]

    clock.advance(hours=1)
    partly = await decide(uow, clock, OWNER_AND_SECURITY, "isaiah")

    assert (partly.state, partly.version) == (State.PENDING, 2)
    assert partly.deciders == ("megan",)
    assert partly.final_decision is None
    assert [s.approved_by for s in partly.steps] == [None, "isaiah"]
    assert uow.db.sent("decided", "EXC-1") == []

    clock.advance(hours=1)
    approved = await decide(uow, clock, OWNER_AND_SECURITY, "megan", comment="ok for 14 days")

    assert (approved.state, approved.version) == (State.ACTIVE, 3)
    assert [s.approved_by for s in approved.steps] == ["megan", "isaiah"]
    assert approved.final_decision == approved.decisions[-1]
    assert audit(uow) == [
        ("request.submitted", "ok", "alex", ""),
        ("decision.approve", "ok", "isaiah", "team:security-team"),
        ("decision.approve", "ok", "megan", "owner"),
    ]
    partial = uow.db.audit_for("EXC-1")[1]
    assert (partial.detail["from"], partial.detail["to"], partial.at) == (
        "pending", "pending", T0 + timedelta(hours=1))
    assert uow.db.sent("decided", "EXC-1") == ["alex"]
    assert [n.key for n in uow.db.notifications("EXC-1", "refresh_cards")] == [
        "EXC-1:v2:refresh_cards:*", "EXC-1:v3:refresh_cards:*"]
    assert sorted(j.kind for j in committed_jobs(uow)) == ["expiry_remind", "expiry_remind",
                                                           "lapse"], "only the exception's end"


async def test_all_of_a_rejection_by_any_decider_rejects_at_once(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    await submit(uow, clock, OWNER_AND_SECURITY)
    await decide(uow, clock, OWNER_AND_SECURITY, "megan")

    rejected = await decide(uow, clock, OWNER_AND_SECURITY, "lynne", Outcome.REJECT,
                            comment="not without a WAF")

    assert rejected.state is State.REJECTED
    assert rejected.final_decision is not None
    assert rejected.final_decision.decider_id == "lynne"
    with pytest.raises(AlreadyDecided):
        await decide(uow, clock, OWNER_AND_SECURITY, "isaiah")


async def test_one_person_never_gives_two_approvals(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    """lynne owns siem and is in security: her approval fills the owner step, never both."""
    first = await submit(uow, clock, OWNER_AND_SECURITY, asset="siem")
    assert first.deciders == ("lynne", "isaiah")
    await decide(uow, clock, OWNER_AND_SECURITY, "lynne")

    with pytest.raises(OneStepEach) as refused:
        await decide(uow, clock, OWNER_AND_SECURITY, "lynne")

    assert "as owner" in str(refused.value)
    assert refused.value.who_can == ["Isaiah Langer"]
    stored = uow.db.request("EXC-1")
    assert stored is not None and (stored.state, stored.version) == (State.PENDING, 2)
    assert audit(uow)[-1] == ("decision.approve", "refused", "lynne", "")
    assert uow.db.audit_for("EXC-1")[-1].detail["reason"] == "OneStepEach"

    approved = await decide(uow, clock, OWNER_AND_SECURITY, "isaiah")
    assert approved.state is State.ACTIVE


async def test_a_request_distinct_people_cannot_fill_is_refused_before_anything_is_written(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    with pytest.raises(NoDecider) as refused:
        await submit(uow, clock, OWNER_AND_SECURITY, by="isaiah", asset="siem")

    assert "2 different people" in str(refused.value)
    assert uow.db.requests() == [] and uow.db.outbox == {} and uow.db.jobs == {}


async def test_the_owner_asking_cannot_approve_and_nobody_stands_in_unless_policy_says(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    with pytest.raises(NoDecider) as refused:
        await submit(uow, clock, OWNER_AND_SECURITY, by="megan")
    assert "owner" in str(refused.value)

    request = await submit(uow, clock, OWNER_OR_BACKUP_AND_SECURITY, by="megan")
    assert request.deciders == ("adele", "lynne", "isaiah")
    with pytest.raises(SelfDecision):
        await decide(uow, clock, OWNER_OR_BACKUP_AND_SECURITY, "megan")
    await decide(uow, clock, OWNER_OR_BACKUP_AND_SECURITY, "adele")
    approved = await decide(uow, clock, OWNER_OR_BACKUP_AND_SECURITY, "lynne")
    assert approved.state is State.ACTIVE


# --- sequence -----------------------------------------------------------------------------------


async def test_a_sequence_asks_the_owner_then_security(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    request = await submit(uow, clock, OWNER_THEN_SECURITY)
    assert (request.rule, request.deciders) == (DecisionRule.SEQUENCE, ("megan",))
    assert uow.db.sent("approval", "EXC-1") == ["megan"]
    assert request.due_at == T0 + timedelta(days=3)

    with pytest.raises(NotYourTurn) as early:
        await decide(uow, clock, OWNER_THEN_SECURITY, "lynne")
    assert "owner approval first" in str(early.value)
    assert audit(uow)[-1] == ("decision.approve", "refused", "lynne", "")

    moved_on_at = clock.advance(days=1)
    second = await decide(uow, clock, OWNER_THEN_SECURITY, "megan")

    assert (second.state, second.deciders) == (State.PENDING, ("lynne", "isaiah"))
    assert second.due_at == moved_on_at + timedelta(days=3), "each step gets its own deadline"
    assert uow.db.sent("approval", "EXC-1") == ["megan", "lynne", "isaiah"]
    assert [n.key for n in uow.db.notifications("EXC-1", "approval")][1:] == [
        "EXC-1:v2:approval:lynne", "EXC-1:v2:approval:isaiah"]

    approved = await decide(uow, clock, OWNER_THEN_SECURITY, "lynne")

    assert approved.state is State.ACTIVE
    assert [(e[0], e[2], e[3]) for e in audit(uow) if e[1] == "ok"] == [
        ("request.submitted", "alex", ""),
        ("decision.approve", "megan", "owner"),
        ("decision.approve", "lynne", "team:security-team"),
    ]


async def test_in_a_sequence_a_rejection_at_the_first_step_ends_it(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    await submit(uow, clock, OWNER_THEN_SECURITY)

    rejected = await decide(uow, clock, OWNER_THEN_SECURITY, "megan", Outcome.REJECT)

    assert rejected.state is State.REJECTED
    with pytest.raises(NotADecider):
        await decide(uow, clock, OWNER_THEN_SECURITY, "outsider")


# --- asking for information with steps ----------------------------------------------------------


async def test_a_question_between_two_approvals_keeps_the_first(
    uow: FakeUnitOfWork, clock: FakeClock
) -> None:
    await submit(uow, clock, OWNER_AND_SECURITY)
    await decide(uow, clock, OWNER_AND_SECURITY, "megan")
    asked = await decide(uow, clock, OWNER_AND_SECURITY, "lynne", Outcome.NEED_INFO,
                         comment="Which ranges?")
    assert asked.state is State.INFO_REQUESTED
    assert uow.db.sent("question", "EXC-1") == ["alex"]
    assert committed_jobs(uow) == [], "nobody is reminded while the requester owes an answer"

    answered_at = clock.advance(hours=5)
    answered = await services.answer_info(uow, CATALOG, clock, "EXC-1", "10.0.0.0/24",
                                          actor("alex"), SOURCE, OWNER_AND_SECURITY)

    assert answered.state is State.PENDING
    assert answered.due_at == answered_at + timedelta(days=3)
    assert answered.steps[0].approved_by == "megan"
    assert uow.db.sent("answered", "EXC-1") == ["lynne", "isaiah"]
    assert {j.kind for j in committed_jobs(uow)} == {"remind", "escalate"}
    approved = await decide(uow, clock, OWNER_AND_SECURITY, "isaiah")
    assert approved.state is State.ACTIVE


def committed_jobs(uow: FakeUnitOfWork) -> list[Any]:
    return list(uow.db.jobs.values())
