"""Withdrawing: the requester only, before a decision; deadlines stop, the deciders are told."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.errors import NotAllowed
from approvals.model import Outcome, State

from .fakes import SOURCE, FakeClock, FakeDatabase, FakeUnitOfWork, actor
from .test_deadlines import CATALOG, POLICY, decide, stored, submit, tick


async def withdraw(db: FakeDatabase, clock: FakeClock, by: str = "alex") -> None:
    await services.withdraw_request(FakeUnitOfWork(db), CATALOG, clock, "exc-1", actor(by),
                                    SOURCE, POLICY)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_the_requester_withdraws_a_pending_request(db: FakeDatabase,
                                                         clock: FakeClock) -> None:
    await submit(db, clock)
    await withdraw(db, clock)

    request = stored(db)
    assert (request.state, request.version, request.due_at) == (State.WITHDRAWN, 2, None)
    assert db.jobs == {}, "no reminder or escalation after a withdrawal"
    assert db.sent("withdrawn") == ["megan"], "who had the card is told"
    assert db.audit_for("EXC-1")[-1].action == "request.withdrawn"
    assert await tick(db, clock, days=30) == []


async def test_nobody_else_withdraws_and_nothing_changes(db: FakeDatabase,
                                                        clock: FakeClock) -> None:
    await submit(db, clock)
    with pytest.raises(NotAllowed, match="only Alex"):
        await withdraw(db, clock, by="megan")
    assert (stored(db).state, stored(db).version) == (State.PENDING, 1)


async def test_a_decided_request_cannot_be_withdrawn(db: FakeDatabase, clock: FakeClock) -> None:
    await submit(db, clock)
    await decide(db, clock, "megan", Outcome.REJECT)
    with pytest.raises(NotAllowed, match="no longer be withdrawn"):
        await withdraw(db, clock)
    assert stored(db).state is State.REJECTED
