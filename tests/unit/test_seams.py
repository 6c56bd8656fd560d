"""Where one feature meets another: delegation and out of office at submission and at
escalation, people only Entra ID knows, renewals one at a time, the directory step for
renewals and reviews."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approvals import services

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
