"""Where one feature meets another: delegation and out of office at submission and at
escalation, people only Entra ID knows, renewals one at a time, the directory step for
renewals and reviews."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from approvals import services
from approvals.directory import DirectoryPerson
from approvals.model import Actor, Outcome
from approvals.policy_file import build_policy
from approvals.reachability import with_directory

from .fakes import SOURCE, T0, FakeClock, FakeDatabase, FakeUnitOfWork, actor
from .test_deadlines import CATALOG, POLICY, exception_draft, stored

BACK = T0 + timedelta(days=3)
UNTIL = T0.date() + timedelta(days=7)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def delegate(db: FakeDatabase, clock: FakeClock, by: str, to: str) -> None:
    await services.start_delegation(FakeUnitOfWork(db), CATALOG, clock, actor(by), to, UNTIL,
                                    SOURCE, POLICY)


# --- 1. an away owner who delegated: their delegate stands in, nobody routes around them ----


async def test_an_away_owner_who_delegated_gets_the_card_to_their_delegate(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await delegate(db, clock, "megan", "isaiah")
    request = await services.submit_request(
        FakeUnitOfWork(db), CATALOG, clock, exception_draft(), actor("alex"), SOURCE, POLICY,
        away={"megan": BACK})

    assert db.sent("approval") == ["isaiah"]
    assert request.routed_to == "isaiah" and request.notes == ()
    assert stored(db).stand_ins == (("megan", "isaiah"),)
    assert "away" not in db.audit_for(request.id)[0].detail


# --- 2. escalation: delegations that started after the submission count ------------------


async def run_due(db: FakeDatabase, clock: FakeClock, days: float,
                  away: dict[str, datetime | None] | None = None) -> list[str]:
    """The scheduler by hand, with who is away now as the directory step would say."""
    clock.set(T0 + timedelta(days=days))
    ran: list[str] = []
    while due := db.due_jobs(clock.now()):
        db.claim(due[0].key)
        extra = {} if away is None else {"away": away}
        await services.run_due_job(FakeUnitOfWork(db), CATALOG, POLICY, clock, due[0], **extra)
        ran.append(due[0].kind)
    return ran


async def test_an_escalation_goes_to_the_delegate_of_someone_who_delegated_since(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, POLICY)
    await delegate(db, clock, "lynne", "isaiah")  # the manager, before anything reaches her
    assert (await run_due(db, clock, 3))[-1] == "escalate"  # to the backup
    assert (await run_due(db, clock, 4))[-1] == "escalate"  # to the manager: her delegate

    request = stored(db)
    assert "lynne" not in db.sent("approval") and db.sent("approval")[-1] == "isaiah"
    assert ("lynne", "isaiah") in request.stand_ins
    assert "isaiah" in request.deciders and "lynne" not in request.deciders
    event = db.audit_for("EXC-1")[-1]
    assert event.detail["to"] == "Isaiah Langer"
    assert event.detail["on_behalf_of"] == "Isaiah Langer for Lynne Robbins"


# --- 3. escalation and reminders: who is away now -----------------------------------------


async def test_an_escalation_skips_who_is_away_now_for_the_next_in_the_chain(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, POLICY)
    assert (await run_due(db, clock, 3, away={"adele": BACK}))[-1] == "escalate"

    request = stored(db)
    assert db.sent("approval") == ["megan", "lynne"], "the backup is away: the manager"
    assert request.escalation_level == 2 and "lynne" in request.deciders
    event = db.audit_for("EXC-1")[-1]
    assert event.detail["to_role"] == "manager"
    assert event.detail["skipped"] == "backup (Adele Vance is away)"


async def test_when_everyone_left_in_the_chain_is_away_the_first_of_them_gets_it(
    db: FakeDatabase, clock: FakeClock
) -> None:
    policy = build_policy({"defaults": {"escalation": ["backup", "manager"]}}, CATALOG)
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, policy)
    clock.set(T0 + timedelta(days=3))
    [job] = [j for j in db.due_jobs(clock.now()) if j.kind == "escalate"]
    db.claim(job.key)
    await services.run_due_job(FakeUnitOfWork(db), CATALOG, policy, clock, job,
                               away={"adele": BACK, "lynne": None})

    assert db.sent("approval") == ["megan", "adele"], "nobody else is left: the backup anyway"
    assert stored(db).escalation_level == 1


async def test_an_escalation_to_someone_away_who_delegated_goes_to_their_delegate(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, POLICY)
    await delegate(db, clock, "lynne", "isaiah")
    away: dict[str, datetime | None] = {"adele": BACK, "lynne": BACK}
    assert (await run_due(db, clock, 3, away=away))[-1] == "escalate"
    assert db.sent("approval") == ["megan", "isaiah"], "the manager's delegate, not the backup"
    assert stored(db).escalation_level == 2


async def test_reminders_skip_who_is_away_now_unless_nobody_with_the_card_is_left(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(
        "ledger-db"), actor("alex"), SOURCE, POLICY)  # the payments team: megan and adele
    assert db.sent("approval") == ["megan", "adele"]
    [first, second] = sorted((j for j in db.jobs.values() if j.kind == "remind"),
                             key=lambda j: j.due_at)
    clock.set(first.due_at)
    db.claim(first.key)
    await services.run_due_job(FakeUnitOfWork(db), CATALOG, POLICY, clock, first,
                               away={"megan": BACK})
    assert db.sent("reminder") == ["adele"]
    clock.set(second.due_at)
    db.claim(second.key)
    await services.run_due_job(FakeUnitOfWork(db), CATALOG, POLICY, clock, second,
                               away={"megan": BACK, "adele": None})
    assert db.sent("reminder") == ["adele", "megan", "adele"]


async def test_a_request_rerouted_by_a_delegation_is_still_reminded_and_escalated(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await services.submit_request(FakeUnitOfWork(db), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, POLICY)
    await delegate(db, clock, "megan", "isaiah")  # the version moves: the jobs follow it
    assert await run_due(db, clock, 1) == ["remind"]
    assert db.sent("reminder") == ["isaiah"]
    assert (await run_due(db, clock, 3))[-1] == "escalate"
    assert stored(db).escalation_level == 1 and db.sent("approval")[-1] == "adele"


# --- 5. people only Entra ID knows (`aad:<object id>`) ------------------------------------


async def test_a_group_member_only_entra_knows_sees_their_approvals_and_can_delegate(
    db: FakeDatabase, clock: FakeClock
) -> None:
    nestor = Actor(aad_object_id="oid-nestor", name="Nestor Wilke")
    known = with_directory(CATALOG, members={"payments-team": (
        DirectoryPerson("oid-nestor", "Nestor Wilke", "nestorw@contoso.com"),)})
    await services.submit_request(FakeUnitOfWork(db), known, clock,
                                  exception_draft("ledger-db"), actor("alex"), SOURCE, POLICY)
    assert stored(db).deciders == ("aad:oid-nestor",)

    # The app restarted: the catalog from the file does not list the group's members.
    found = await services.my_approvals(FakeUnitOfWork(db), CATALOG, nestor)
    assert [r.id for r in found] == ["EXC-1"]
    await services.start_delegation(FakeUnitOfWork(db), CATALOG, clock, nestor, "isaiah",
                                    UNTIL, SOURCE, POLICY)
    assert stored(db).stand_ins == (("aad:oid-nestor", "isaiah"),)
    own, _ = await services.running_delegations(FakeUnitOfWork(db), CATALOG, nestor)
    assert own is not None and own.delegate_id == "isaiah"
    await services.end_delegation(FakeUnitOfWork(db), CATALOG, clock, nestor, SOURCE, POLICY)
    assert stored(db).stand_ins == ()


# --- 7. renewals and reviews go around who is away, as submissions do ---------------------


async def test_a_renewal_goes_around_an_away_owner_like_a_new_request(
    db: FakeDatabase, clock: FakeClock
) -> None:
    request = await services.submit_request(FakeUnitOfWork(db), CATALOG, clock,
                                            exception_draft(), actor("alex"), SOURCE, POLICY)
    await services.record_decision(FakeUnitOfWork(db), CATALOG, clock, request.id,
                                   Outcome.APPROVE, "", actor("megan"), SOURCE, POLICY)
    renewal, _ = await services.renew_exception(
        FakeUnitOfWork(db), CATALOG, clock, request.id, UNTIL + timedelta(days=7),
        actor("alex"), SOURCE, POLICY, away={"megan": BACK})
    assert db.sent("approval", renewal.id) == ["adele"]
    assert [n.author_id for n in stored(db, renewal.id).notes] == ["megan"]


async def test_a_review_falling_due_goes_around_an_away_owner(
    db: FakeDatabase, clock: FakeClock
) -> None:
    policy = build_policy({"exception": {"review_every": "2d"}}, CATALOG)
    request = await services.submit_request(FakeUnitOfWork(db), CATALOG, clock,
                                            exception_draft(), actor("alex"), SOURCE, policy)
    await services.record_decision(FakeUnitOfWork(db), CATALOG, clock, request.id,
                                   Outcome.APPROVE, "", actor("megan"), SOURCE, policy)
    [review_job] = [j for j in db.jobs.values() if j.kind == "review_due"]
    clock.set(review_job.due_at)
    db.claim(review_job.key)
    await services.run_due_job(FakeUnitOfWork(db), CATALOG, policy, clock, review_job,
                               away={"megan": None})
    [review] = [r for r in db.requests() if r.reviews == request.id]
    assert db.sent("approval", review.id) == ["adele"]
