"""Reminders and escalation at the right simulated times, emergency rollbacks and their review,
messages queued once, and nothing queued when the transaction rolls back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approvals import services
from approvals.errors import NotAllowed
from approvals.model import Outcome, Request, RequestDraft, RequestKind, Risk, State
from approvals.policies import Policy
from approvals.policy_file import build_policy
from approvals.ports import Job, Notification

from .fakes import (
    SOURCE,
    T0,
    FakeClock,
    FakeDatabase,
    FakeJobQueue,
    FakeOutbox,
    FakeUnitOfWork,
    actor,
    policy_catalog,
    run_due_jobs,
)

CATALOG = policy_catalog()
POLICY = build_policy({"defaults": {"escalation": ["backup", "manager", "channel:leadership"]}},
                      CATALOG)


def exception_draft(asset: str = "payments-api") -> RequestDraft:
    return RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name=asset, title="Public network access",
        justification="Vendor migration", risk=Risk.MEDIUM, expires_on=T0.date() + timedelta(7),
    )


def rollback_draft(emergency: bool = True) -> RequestDraft:
    return RequestDraft(
        kind=RequestKind.ROLLBACK, asset_name="payments-api", title="Roll back release 42",
        justification="Checkout errors", change_ref="INC-7", rollback_of="release 42",
        emergency=emergency,
    )


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def submit(db: FakeDatabase, clock: FakeClock, draft: RequestDraft | None = None,
                 policy: Policy = POLICY) -> Request:
    return await services.submit_request(FakeUnitOfWork(db), CATALOG, clock,
                                         draft or exception_draft(), actor("alex"), SOURCE, policy)


async def decide(db: FakeDatabase, clock: FakeClock, by: str, outcome: Outcome = Outcome.APPROVE,
                 request_id: str = "EXC-1", comment: str = "") -> Request:
    return await services.record_decision(FakeUnitOfWork(db), CATALOG, clock, request_id,
                                          outcome, comment, actor(by), SOURCE, POLICY)


async def tick(db: FakeDatabase, clock: FakeClock, **until: float) -> list[str]:
    """Move the clock to T0 + `until` and run what fell due; the kinds of the jobs run."""
    clock.set(T0 + timedelta(**until))
    return [job.kind for job in await run_due_jobs(db, CATALOG, POLICY, clock)]


def stored(db: FakeDatabase, request_id: str = "EXC-1") -> Request:
    request = db.request(request_id)
    assert request is not None
    return request


# --- reminders and escalation -------------------------------------------------------------------


async def test_reminders_come_before_the_deadline_and_escalation_after_it_not_before(
    db: FakeDatabase, clock: FakeClock
) -> None:
    request = await submit(db, clock)
    assert request.due_at == T0 + timedelta(days=3)
    assert [(j.kind, j.due_at - T0) for j in db.due_jobs(T0 + timedelta(days=30))] == [
        ("remind", timedelta(days=1)), ("remind", timedelta(days=2)),
        ("escalate", timedelta(days=3))]

    assert await tick(db, clock, days=1, seconds=-1) == []
    assert db.sent("reminder") == []

    assert await tick(db, clock, days=1) == ["remind"]
    assert db.sent("reminder") == ["megan"], "the backup has no card yet: no reminder"
    assert await tick(db, clock, days=2, hours=23, minutes=59) == ["remind"]
    assert db.sent("reminder") == ["megan"] * 2
    assert stored(db).deciders == ("megan", "adele")

    assert await tick(db, clock, days=3) == ["escalate"]
    backup = stored(db)
    assert (backup.deciders, backup.escalation_level, backup.version) == (
        ("megan", "adele"), 1, 2)
    assert db.sent("approval") == ["megan", "adele"], "the backup gets the card at the deadline"
    assert db.audit_for("EXC-1")[-1].detail["to"] == "Adele Vance"

    assert await tick(db, clock, days=4) == ["escalate"]
    escalated = stored(db)
    assert escalated.deciders == ("megan", "adele", "lynne")
    assert (escalated.state, escalated.version, escalated.escalation_level) == (
        State.PENDING, 3, 2)
    assert escalated.due_at == T0 + timedelta(days=5)
    event = db.audit_for("EXC-1")[-1]
    assert (event.action, event.actor_id, event.at) == (
        "request.escalated", "signoff", T0 + timedelta(days=4))
    assert event.detail == {"level": "2", "to_role": "manager", "from": "Megan Bowen, Adele Vance",
                            "to": "Lynne Robbins", "version": "3"}
    [approval] = [n for n in db.notifications("EXC-1", "approval") if n.recipient_id == "lynne"]
    assert approval.detail["escalated"] == "true"
    assert approval.detail["on_behalf_of"] == "Megan Bowen, Adele Vance"
    assert db.sent("escalated") == ["alex", "alex"]
    assert db.sent("reminder") == ["megan"] * 2, "no reminders after the deadline"

    assert await tick(db, clock, days=5, seconds=-1) == []
    assert await tick(db, clock, days=5) == ["escalate"]

    assert db.sent("escalation") == ["channel:leadership"]
    assert (stored(db).escalation_level, stored(db).due_at) == (3, None)
    assert db.jobs == {}, "the chain is done"

    approved = await decide(db, clock, "lynne")
    assert approved.state is State.ACTIVE
    assert await tick(db, clock, days=6) == ["expiry_remind"], "a day before it expires"
    assert await tick(db, clock, days=7) == ["lapse"]
    assert stored(db).state is State.LAPSED
    assert await tick(db, clock, days=30) == []


async def test_a_decision_before_the_deadline_cancels_every_reminder_and_escalation(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    await tick(db, clock, hours=1)
    await decide(db, clock, "megan")

    assert sorted(j.kind for j in db.jobs.values()) == ["expiry_remind", "lapse"]
    assert await tick(db, clock, days=10) == ["expiry_remind", "lapse"]
    assert db.sent("reminder") == [] and db.sent("escalation") == []
    assert [e.action for e in db.audit_for("EXC-1")] == [
        "request.submitted", "decision.approve", "request.lapsed"]


async def test_a_job_for_a_changed_or_closed_request_does_nothing(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    [stale] = [j for j in db.jobs.values() if j.kind == "escalate"]
    await decide(db, clock, "megan", Outcome.NEED_INFO, comment="Which ranges?")
    await services.answer_info(FakeUnitOfWork(db), CATALOG, clock, "EXC-1", "these",
                               actor("alex"), SOURCE, POLICY)
    before = (stored(db), list(db.audit), dict(db.outbox))

    clock.set(T0 + timedelta(days=5))
    await services.run_due_job(FakeUnitOfWork(db), CATALOG, POLICY, clock, stale)
    await decide(db, clock, "adele", Outcome.REJECT)
    after_close = (list(db.audit), dict(db.outbox))
    await services.run_due_job(FakeUnitOfWork(db), CATALOG, POLICY, clock, stale)

    assert before[0].version == 3 and stored(db).state is State.REJECTED
    assert [e.action for e in db.audit if e.action == "request.escalated"] == []
    assert (list(db.audit), dict(db.outbox)) == after_close
    assert db.jobs == {}


async def test_a_job_run_twice_queues_each_message_once(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    reminder, _, escalation = db.due_jobs(T0 + timedelta(days=3))
    clock.set(T0 + timedelta(days=3))

    for job in (reminder, reminder, escalation, escalation):
        await services.run_due_job(FakeUnitOfWork(db), CATALOG, POLICY, clock, job)

    assert db.sent("reminder") == ["megan"]
    assert [e.action for e in db.audit].count("request.escalated") == 1
    assert db.sent("approval") == ["megan", "adele"]
    keys = [n.key for n in db.outbox.values()]
    assert len(keys) == len(set(keys))
    assert "EXC-1:v1:reminder-2:megan" in keys


async def test_an_escalation_that_loses_a_race_to_a_decision_changes_nothing(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    clock.set(T0 + timedelta(days=3))
    [escalation] = [j for j in db.jobs.values() if j.kind == "escalate"]
    worker = FakeUnitOfWork(db)
    real_get = worker.requests.get

    async def get_then_megan_approves(request_id: str) -> Request | None:
        found = await real_get(request_id)
        await decide(db, clock, "megan")
        return found

    worker.requests.get = get_then_megan_approves  # type: ignore[method-assign]
    await services.run_due_job(worker, CATALOG, POLICY, clock, escalation)

    assert (stored(db).state, stored(db).version) == (State.ACTIVE, 2)
    assert "request.escalated" not in [e.action for e in db.audit]
    assert db.sent("escalated") == []
    assert not worker.committed


# --- emergency rollbacks ------------------------------------------------------------------------


async def test_an_emergency_rollback_is_approved_at_once_and_reviewed_later(
    db: FakeDatabase, clock: FakeClock
) -> None:
    request = await submit(db, clock, rollback_draft())

    assert (request.state, request.version) == (State.APPROVED_PENDING_REVIEW, 1)
    assert stored(db, "RBK-1") == request
    assert request.due_at == T0 + timedelta(hours=24)
    assert [(e.action, e.detail.get("to")) for e in db.audit_for("RBK-1")] == [
        ("request.submitted", None), ("request.emergency_approved", "approved_pending_review")]
    assert db.sent("review", "RBK-1") == ["megan"]

    assert await tick(db, clock, hours=8) == ["remind"]
    assert await tick(db, clock, hours=16) == ["remind"]
    assert db.sent("reminder", "RBK-1") == ["megan"] * 2
    assert await tick(db, clock, hours=24, seconds=-1) == []
    assert await tick(db, clock, hours=24) == ["escalate"]

    overdue = stored(db, "RBK-1")
    assert overdue.state is State.APPROVED_PENDING_REVIEW
    assert overdue.deciders == ("megan", "adele")
    assert db.sent("review", "RBK-1") == ["megan", "adele"], "the backup reviews when overdue"
    assert db.sent("escalated", "RBK-1") == ["alex"]

    confirmed = await decide(db, clock, "adele", request_id="RBK-1", comment="fine")

    assert confirmed.state is State.APPROVED
    assert db.audit_for("RBK-1")[-1].detail["to"] == "approved"
    assert db.sent("decided", "RBK-1") == ["alex"]
    assert db.jobs == {}


async def test_rejecting_the_review_rejects_the_rollback(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock, rollback_draft())

    with pytest.raises(NotAllowed) as refused:
        await decide(db, clock, "megan", Outcome.NEED_INFO, "RBK-1", comment="Why?")
    assert "review" in str(refused.value)
    rejected = await decide(db, clock, "megan", Outcome.REJECT, "RBK-1", comment="not needed")

    assert rejected.state is State.REJECTED
    assert rejected.final_decision is not None and rejected.final_decision.comment == "not needed"
    assert db.audit_for("RBK-1")[-1].detail == {
        "from": "approved_pending_review", "to": "rejected", "version": "2"}


async def test_an_ordinary_rollback_waits_for_a_decision_within_four_hours(
    db: FakeDatabase, clock: FakeClock
) -> None:
    request = await submit(db, clock, rollback_draft(emergency=False))

    assert (request.state, request.due_at) == (State.PENDING, T0 + timedelta(hours=4))
    assert db.sent("approval", "RBK-1") == ["megan"]
    assert await tick(db, clock, hours=3) == ["remind", "remind", "remind"]


async def test_the_owner_hears_of_an_emergency_rollback_even_when_others_review_it(
    db: FakeDatabase, clock: FakeClock
) -> None:
    policy = build_policy({"rollback": {"deciders": {"any": ["team:security-team"]}}}, CATALOG)

    await submit(db, clock, rollback_draft(), policy)

    assert db.sent("review", "RBK-1") == ["lynne", "isaiah"]
    assert db.sent("emergency", "RBK-1") == ["megan"]


# --- the transaction ----------------------------------------------------------------------------


async def test_messages_and_jobs_are_committed_with_the_request(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)

    assert {(n.kind, n.recipient_id) for n in db.notifications("EXC-1")} == {
        ("approval", "megan")}
    assert all(n.created_at == T0 for n in db.outbox.values())
    assert {j.key for j in db.jobs.values()} == {
        "EXC-1:v1:remind:1", "EXC-1:v1:remind:2", "EXC-1:v1:escalate:1"}


async def test_a_failure_before_commit_drops_the_queued_messages_and_jobs(
    db: FakeDatabase, clock: FakeClock
) -> None:
    class BrokenJobQueue(FakeJobQueue):
        async def schedule(self, *jobs: Job) -> None:
            raise OSError("jobs table unavailable")

    uow = FakeUnitOfWork(db)
    uow.jobs = BrokenJobQueue(uow._tx)

    with pytest.raises(OSError):
        await services.submit_request(uow, CATALOG, clock, exception_draft(), actor("alex"),
                                      SOURCE, POLICY)

    assert db.requests() == [] and db.audit == [] and db.outbox == {} and db.jobs == {}
    assert uow.rollbacks == 1


async def test_a_failed_escalation_leaves_the_request_and_its_jobs_as_they_were(
    db: FakeDatabase, clock: FakeClock
) -> None:
    class BrokenOutbox(FakeOutbox):
        async def add(self, notification: Notification) -> None:
            raise OSError("outbox unavailable")

    await submit(db, clock)
    before = (stored(db), list(db.audit), dict(db.outbox), dict(db.jobs))
    [escalation] = [j for j in db.jobs.values() if j.kind == "escalate"]
    clock.set(T0 + timedelta(days=3))
    worker = FakeUnitOfWork(db)
    worker.outbox = BrokenOutbox(worker._tx)

    with pytest.raises(OSError):
        await services.run_due_job(worker, CATALOG, POLICY, clock, escalation)

    assert (stored(db), list(db.audit), dict(db.outbox), dict(db.jobs)) == before
    assert worker.rollbacks == 1
