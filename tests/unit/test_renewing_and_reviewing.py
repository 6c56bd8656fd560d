"""Renewals and reviews on fakes: linked requests decided like new ones, the renewal cap, the
expiry moved and re-planned, reviews kept or revoked, and what closes with the exception."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from approvals import services
from approvals.errors import ExpiryTooLate, InvalidRequest, NotAllowed
from approvals.model import Outcome, Request, State
from approvals.policies import Policy
from approvals.policy_file import build_policy
from approvals.renewing import RenewalCapReached

from .fakes import SOURCE, T0, FakeClock, FakeDatabase, FakeUnitOfWork, actor, run_due_jobs
from .test_deadlines import CATALOG, exception_draft, stored

POLICY = build_policy({"exception": {"max_renewals": 1, "review_every": "3d"}}, CATALOG)
EXPIRES = T0.date() + timedelta(days=7)  # exception_draft's expiry


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def active(db: FakeDatabase, clock: FakeClock, policy: Policy = POLICY,
                 asset: str = "payments-api") -> Request:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(asset),
                                  actor("alex"), SOURCE, policy)
    return await decide(db, clock, "megan", "EXC-1", policy=policy)


async def decide(db: FakeDatabase, clock: FakeClock, by: str, request_id: str,
                 outcome: Outcome = Outcome.APPROVE, comment: str = "",
                 policy: Policy = POLICY) -> Request:
    return await services.record_decision(FakeUnitOfWork(db), CATALOG, clock, request_id,
                                          outcome, comment, actor(by), SOURCE, policy)


async def renew(db: FakeDatabase, clock: FakeClock, until: date | None, by: str = "alex",
                request_id: str = "EXC-1", policy: Policy = POLICY) -> Request:
    renewal, _ = await services.renew_exception(FakeUnitOfWork(db), CATALOG, clock, request_id,
                                                until, actor(by), SOURCE, policy)
    return renewal


async def tick(db: FakeDatabase, clock: FakeClock, policy: Policy = POLICY, **until: float
               ) -> list[str]:
    clock.set(T0 + timedelta(**until))
    return [job.kind for job in await run_due_jobs(db, CATALOG, policy, clock)]


# --- renewals -----------------------------------------------------------------------------------


async def test_a_renewal_is_a_linked_request_and_its_approval_moves_the_expiry(
    db: FakeDatabase, clock: FakeClock
) -> None:
    exception = await active(db, clock)
    assert exception.state is State.ACTIVE
    renewal = await renew(db, clock, EXPIRES + timedelta(days=20))
    assert (renewal.id, renewal.renews, renewal.state, renewal.deciders) == (
        "EXC-2", "EXC-1", State.PENDING, ("megan", "adele"))
    assert renewal.due_at == T0 + timedelta(days=3), "the policy's deadline, like a new request"
    assert db.sent("approval", "EXC-2") == ["megan"]
    assert db.audit_for("EXC-1")[-1].action == "request.renewal_requested"
    with pytest.raises(NotAllowed, match="EXC-2 already asks to renew EXC-1"):
        await renew(db, clock, None)

    approved = await decide(db, clock, "megan", "EXC-2")
    assert approved.state is State.APPROVED, "the renewal is not an exception of its own"
    original = stored(db, "EXC-1")
    assert (original.state, original.expires_on, original.version) == (
        State.ACTIVE, EXPIRES + timedelta(days=20), 4), "asked to renew, then extended"
    lapse = [j for j in db.jobs.values() if j.kind == "lapse"]
    assert [j.key for j in lapse] == [f"EXC-1:lapse:{EXPIRES + timedelta(days=20)}"]
    assert db.sent("extended") == ["alex", "megan"]
    assert db.audit_for("EXC-1")[-1].detail["to_expiry"] == str(EXPIRES + timedelta(days=20))

    assert "lapse" not in await tick(db, clock, days=7)
    assert stored(db, "EXC-1").state is State.ACTIVE
    assert "lapse" in await tick(db, clock, days=27)
    assert stored(db, "EXC-1").state is State.LAPSED


async def test_the_renewal_cap_refuses_with_the_cap_named(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await active(db, clock)
    await renew(db, clock, EXPIRES + timedelta(days=3))
    await decide(db, clock, "megan", "EXC-2", Outcome.REJECT)
    await renew(db, clock, EXPIRES + timedelta(days=3), by="megan")  # a rejection counts not
    await decide(db, clock, "adele", "EXC-3")
    with pytest.raises(RenewalCapReached,
                       match="renewed once and the policy for tier high exceptions allows 1"):
        await renew(db, clock, EXPIRES + timedelta(days=10))
    none = build_policy({"exception": {"max_renewals": 0}}, CATALOG)
    other = FakeDatabase()
    await active(other, clock, none)
    with pytest.raises(RenewalCapReached, match="allows no renewal"):
        await renew(other, clock, None, policy=none)


async def test_who_may_renew_what_and_until_when(db: FakeDatabase, clock: FakeClock) -> None:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, POLICY)
    with pytest.raises(NotAllowed, match="EXC-1 is pending: only an exception in force"):
        await renew(db, clock, None)
    await decide(db, clock, "megan", "EXC-1")
    with pytest.raises(NotAllowed, match="only Alex Wilber, Megan Bowen can renew"):
        await renew(db, clock, None, by="adele")
    with pytest.raises(InvalidRequest, match="not after the current expiry"):
        await renew(db, clock, EXPIRES)
    with pytest.raises(ExpiryTooLate):
        await renew(db, clock, T0.date() + timedelta(days=91))
    renewal = await renew(db, clock, None)  # as long again: 7 more days
    assert renewal.expires_on == EXPIRES + timedelta(days=7)
    with pytest.raises(NotAllowed, match="renew EXC-1 itself"):
        await renew(db, clock, None, request_id="EXC-2")


async def test_a_critical_renewal_needs_the_owner_and_security_like_a_new_request(
    db: FakeDatabase, clock: FakeClock
) -> None:
    critical = build_policy({"tiers": {"critical": {"exception": {
        "deciders": {"all": ["owner", "team:security-team"]}}}}}, CATALOG)
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock,
                                  exception_draft("kv-payments"), actor("alex"), SOURCE,
                                  critical)
    await decide(db, clock, "megan", "EXC-1", policy=critical)
    await decide(db, clock, "lynne", "EXC-1", policy=critical)
    renewal = await renew(db, clock, EXPIRES + timedelta(days=5), policy=critical)
    assert [s.role for s in renewal.steps] == ["owner", "team:security-team"]
    await decide(db, clock, "megan", "EXC-2", policy=critical)
    assert stored(db, "EXC-1").expires_on == EXPIRES, "one approval of two changes nothing"
    await decide(db, clock, "isaiah", "EXC-2", policy=critical)
    assert stored(db, "EXC-1").expires_on == EXPIRES + timedelta(days=5)


async def test_an_undecided_renewal_closes_when_its_exception_is_revoked(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await active(db, clock)
    await renew(db, clock, EXPIRES + timedelta(days=3))
    await services.revoke_exception(FakeUnitOfWork(db), CATALOG, clock, "EXC-1", "done early",
                                    actor("megan"), SOURCE)
    closed = stored(db, "EXC-2")
    assert closed.state is State.EXPIRED
    assert [j for j in db.jobs.values() if j.request_id == "EXC-2"] == []
    assert sorted(db.sent("linked_closed")) == ["adele", "alex", "megan"]
    assert db.audit[-1].detail["because"] == "EXC-1", "the audit appends come last"


# --- reviews ------------------------------------------------------------------------------------


async def test_a_review_falls_due_goes_to_the_owner_and_keeping_plans_the_next(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await active(db, clock)
    assert "review_due" not in await tick(db, clock, days=3, seconds=-1)
    assert await tick(db, clock, days=3) == ["review_due"]
    review = stored(db, "EXC-2")
    assert (review.reviews, review.requester_id, review.deciders) == (
        "EXC-1", "alex", ("megan", "adele"))
    assert db.sent("approval", "EXC-2") == ["megan"]
    assert db.audit_for("EXC-1")[-1].action == "request.review_due"

    kept = await decide(db, clock, "megan", "EXC-2")
    assert kept.state is State.APPROVED and stored(db, "EXC-1").state is State.ACTIVE
    assert db.audit_for("EXC-1")[-1].action == "request.review_kept"
    assert [j.due_at for j in db.jobs.values() if j.kind == "review_due"] == [
        T0 + timedelta(days=6)]
    assert "review_due" in await tick(db, clock, days=6)
    assert "lapse" in await tick(db, clock, days=7)
    assert stored(db, "EXC-3").state is State.EXPIRED, "the lapse closes the open review"
    assert await tick(db, clock, days=20) == [], "no review of a lapsed exception"


async def test_an_ignored_review_is_reminded_escalated_and_a_rejection_revokes(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await active(db, clock)
    await tick(db, clock, days=3)
    assert await tick(db, clock, days=4) == ["remind"]
    assert db.sent("reminder", "EXC-2") == ["megan"]
    revoked = await decide(db, clock, "adele", "EXC-2", Outcome.REJECT, "not needed")
    assert revoked.state is State.REJECTED
    original = stored(db, "EXC-1")
    assert original.state is State.REVOKED
    assert original.notes[-1].text == "revoked at review EXC-2: not needed"
    assert [j for j in db.jobs.values() if j.request_id == "EXC-1"] == []
    assert db.sent("revoked", "EXC-1") == ["alex", "megan"]


async def test_a_review_job_does_nothing_when_a_review_is_open_or_the_exception_ended(
    db: FakeDatabase, clock: FakeClock
) -> None:
    daily = build_policy({"exception": {"review_every": "1d", "deadline": "3d"}}, CATALOG)
    await active(db, clock, daily)
    assert await tick(db, clock, daily, days=1) == ["review_due"]
    assert stored(db, "EXC-2").reviews == "EXC-1"
    await services.revoke_exception(FakeUnitOfWork(db), CATALOG, clock, "EXC-1", "done",
                                    actor("megan"), SOURCE)
    assert stored(db, "EXC-2").state is State.EXPIRED
    assert await tick(db, clock, daily, days=10) == []
    assert db.request("EXC-3") is None
