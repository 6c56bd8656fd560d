"""Delegation on fakes: pending and new requests go to the delegate and come back, decisions
on someone's behalf, the end date as a due job, and the refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from approvals import services
from approvals.delegating import MAX_DAYS, InvalidDelegation
from approvals.errors import NotADecider, NotAllowed, UnknownPerson
from approvals.model import Delegation, Outcome, Request, State
from approvals.policy_file import build_policy

from .fakes import (
    SOURCE,
    T0,
    FakeClock,
    FakeDatabase,
    FakeUnitOfWork,
    actor,
    run_due_jobs,
    stranger,
)
from .test_deadlines import CATALOG, POLICY, decide, exception_draft, stored, submit

UNTIL = T0.date() + timedelta(days=7)


async def delegate(db: FakeDatabase, clock: FakeClock, by: str = "megan", to: str = "isaiah",
                   until: date = UNTIL) -> tuple[Delegation, list[Request]]:
    return await services.start_delegation(FakeUnitOfWork(db), CATALOG, clock, actor(by), to,
                                           until, SOURCE, POLICY)


async def delegation_off(db: FakeDatabase, clock: FakeClock, by: str = "megan"
                         ) -> tuple[Delegation, list[Request]]:
    return await services.end_delegation(FakeUnitOfWork(db), CATALOG, clock, actor(by), SOURCE,
                                         POLICY)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_pending_request_moves_to_the_delegate_who_decides_on_the_owners_behalf(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    delegation, moved = await delegate(db, clock)

    assert [r.id for r in moved] == ["EXC-1"]
    request = stored(db)
    assert (request.stand_ins, request.deciders, request.version) == (
        (("megan", "isaiah"),), ("isaiah", "adele"), 2)
    [approval] = [n for n in db.notifications("EXC-1", "approval") if n.recipient_id == "isaiah"]
    assert approval.detail["on_behalf_of"] == "Megan Bowen"
    assert db.sent("rerouted") == ["megan"]
    assert "refresh_cards" in [n.kind for n in db.notifications("EXC-1")]
    assert db.audit[-1].action == "delegation.started"
    assert (db.audit[-1].detail["delegate"], db.audit[-1].detail["requests"]) == (
        "isaiah", "EXC-1")
    rerouted = db.audit_for("EXC-1")[-1]
    assert (rerouted.action, rerouted.actor_id, rerouted.detail["to"]) == (
        "request.rerouted", "megan", "Isaiah Langer")
    [end] = [j for j in db.jobs.values() if j.kind == "delegation_end"]
    assert end.due_at == datetime(2025, 3, 11, tzinfo=UTC) == delegation.ends_at

    with pytest.raises(NotADecider):
        await decide(db, clock, "megan")
    decided = await decide(db, clock, "isaiah")
    assert decided.state is State.ACTIVE
    decision = decided.decisions[-1]
    assert (decision.decider_id, decision.on_behalf_id, decision.on_behalf_name) == (
        "isaiah", "megan", "Megan Bowen")
    event = db.audit_for("EXC-1")[-1]
    assert (event.actor_id, event.actor_name) == ("isaiah", "Isaiah Langer")
    assert (event.detail["on_behalf_of"], event.detail["on_behalf_of_name"]) == (
        "megan", "Megan Bowen")


async def test_new_requests_go_to_the_delegate_and_come_back_on_delegation_off(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await delegate(db, clock)
    clock.advance(hours=1)
    request = await submit(db, clock)
    assert request.stand_ins == (("megan", "isaiah"),)
    assert db.sent("approval") == ["isaiah"]
    assert db.audit_for("EXC-1")[-1].detail["on_behalf_of"] == "Isaiah Langer for Megan Bowen"

    clock.advance(hours=1)
    _, back = await delegation_off(db, clock)
    assert [r.id for r in back] == ["EXC-1"]
    assert (stored(db).stand_ins, stored(db).deciders) == ((), ("megan", "adele"))
    [returned] = [n for n in db.notifications("EXC-1", "approval") if n.recipient_id == "megan"]
    assert returned.detail["returned_from"] == "Isaiah Langer"
    assert db.sent("rerouted") == ["isaiah"]
    assert [j.kind for j in db.jobs.values() if j.kind == "delegation_end"] == []
    assert db.audit[-1].action == "delegation.ended"
    with pytest.raises(NotAllowed, match="no delegation running"):
        await delegation_off(db, clock)


async def test_at_its_end_date_the_delegation_ends_by_itself_and_the_owner_is_told(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    delegation, _ = await delegate(db, clock, until=T0.date() + timedelta(days=1))
    clock.set(delegation.ends_at - timedelta(seconds=1))
    assert "delegation_end" not in [j.kind for j in await run_due_jobs(db, CATALOG, POLICY,
                                                                       clock)]
    clock.set(delegation.ends_at)
    assert [j.kind for j in await run_due_jobs(db, CATALOG, POLICY, clock)] == [
        "delegation_end"]
    assert stored(db).stand_ins == ()
    assert db.delegations[delegation.id].ended_at == delegation.ends_at
    assert db.delegations[delegation.id].ended_by == "signoff"
    assert [n.recipient_id for n in db.notifications("EXC-1", "approval")] == [
        "megan", "isaiah", "megan"]
    assert db.audit_for("EXC-1")[-1].actor_id == "signoff"


async def test_the_delegate_never_decides_their_own_request_nor_fills_two_steps(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await delegate(db, clock, to="alex")
    request = await submit(db, clock)  # alex asks: megan keeps it
    assert (request.stand_ins, db.sent("approval")) == ((), ["megan"])

    both = build_policy({"exception": {"deciders": {"all": ["owner", "backup"]}}}, CATALOG)
    other = FakeDatabase()
    await services.submit_request(FakeUnitOfWork(other), CATALOG, clock, exception_draft(),
                                  actor("alex"), SOURCE, both)
    _, moved = await services.start_delegation(FakeUnitOfWork(other), CATALOG, clock,
                                               actor("megan"), "adele", UNTIL, SOURCE, both)
    assert moved == [], "adele cannot give the owner's and the backup's approval both"


@pytest.mark.parametrize(("by", "to", "until", "error", "match"), [
    ("megan", "megan", UNTIL, InvalidDelegation, "yourself"),
    ("megan", "isaiah", T0.date() - timedelta(days=1), InvalidDelegation, "in the past"),
    ("megan", "isaiah", T0.date() + timedelta(days=MAX_DAYS + 1), InvalidDelegation,
     "more than 90 days ahead: the latest is 2025-06-01"),
    ("megan", "nobody", UNTIL, UnknownPerson, "nobody"),
])
async def test_bad_delegations_are_refused_and_record_nothing(
    db: FakeDatabase, clock: FakeClock, by: str, to: str, until: date,
    error: type[Exception], match: str,
) -> None:
    with pytest.raises(error, match=match):
        await delegate(db, clock, by, to, until)
    assert (db.delegations, db.audit) == ({}, [])


async def test_one_delegation_at_a_time_also_for_someone_only_the_directory_knows(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await delegate(db, clock, to="Isaiah Langer")  # by name
    with pytest.raises(InvalidDelegation, match="already delegate to Isaiah Langer"):
        await delegate(db, clock, to="adele")
    # Not in the file, maybe a member of an Entra group that decides: known by object id.
    theirs, moved = await services.start_delegation(FakeUnitOfWork(db), CATALOG, clock,
                                                    stranger(), "adele", UNTIL, SOURCE, POLICY)
    assert (theirs.delegator_id, moved) == (f"aad:{stranger().aad_object_id}", [])
    own, others = await services.running_delegations(FakeUnitOfWork(db), CATALOG,
                                                     actor("isaiah"))
    assert own is None and [d.delegator_id for d in others] == ["megan"]


async def test_a_rejection_by_the_delegate_is_on_behalf_too(
    db: FakeDatabase, clock: FakeClock
) -> None:
    await submit(db, clock)
    await delegate(db, clock)
    rejected = await decide(db, clock, "isaiah", Outcome.REJECT)
    assert (rejected.state, rejected.decisions[-1].on_behalf_id) == (State.REJECTED, "megan")
