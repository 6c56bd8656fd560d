"""Where one feature meets another: delegation and out of office at submission and at
escalation, people only Entra ID knows, renewals one at a time, the directory step for
renewals and reviews."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from approvals import services
from approvals.policy_file import build_policy

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
