"""Delegations, linked requests and decisions on someone's behalf in real databases (SQLite and
PostgreSQL), and the migration that turns approved exceptions into active ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals.model import Decision, Delegation, Outcome, State
from storage.engine import create_engine
from storage.migrate import alembic_config
from storage.uow import SqlUnitOfWork, uow_factory
from tests.integration.support import FixedClock, exception_request

Uows = Callable[[], SqlUnitOfWork]


@pytest.fixture
def uows(engine: AsyncEngine, clock: FixedClock) -> Uows:
    return uow_factory(engine, clock)


def delegation(clock: FixedClock, delegator: str = "owen", n: int = 1) -> Delegation:
    now = clock.now()
    return Delegation(id=f"DLG-{delegator}-{n}", delegator_id=delegator, delegate_id="bea",
                      starts_at=now, until=now.date() + timedelta(days=7),
                      ends_at=now + timedelta(days=8), created_by=delegator)


async def test_one_running_delegation_per_person_and_it_ends_once(
    uows: Uows, clock: FixedClock
) -> None:
    async with uows() as uow:
        await uow.delegations.add(delegation(clock))
        await uow.commit()
    with pytest.raises(IntegrityError):
        async with uows() as uow:
            await uow.delegations.add(delegation(clock, n=2))
            await uow.commit()
    async with uows() as uow:
        running = await uow.delegations.running_for("owen")
        assert running == delegation(clock)
        assert await uow.delegations.end(running.id, clock.now(), "owen")
        assert not await uow.delegations.end(running.id, clock.now(), "owen")
        await uow.commit()
    async with uows() as uow:
        assert await uow.delegations.running() == []
        ended = await uow.delegations.get("DLG-owen-1")
        assert ended is not None and (ended.ended_at, ended.ended_by) == (clock.now(), "owen")
        await uow.delegations.add(delegation(clock, n=3))  # a new one after the first ended
        await uow.commit()
    async with uows() as uow:
        assert [d.id for d in await uow.delegations.running()] == ["DLG-owen-3"]


async def test_stand_ins_links_and_on_behalf_decisions_come_back(
    uows: Uows, clock: FixedClock
) -> None:
    original = exception_request("EXC-1", clock.now())
    renewal = replace(exception_request("EXC-2", clock.now()), renews="EXC-1",
                      stand_ins=(("owen", "bea"),))
    review = replace(exception_request("EXC-3", clock.now()), reviews="EXC-1")
    decision = Decision(Outcome.APPROVE, "bea", "Bea Backup", clock.now(), "ok", "owen",
                        "Owen Owner")
    async with uows() as uow:
        for request in (original, renewal, review):
            await uow.requests.add(request)
        await uow.requests.add_decision("EXC-2", decision)
        await uow.commit()
    async with uows() as uow:
        stored = await uow.requests.get("EXC-2")
        assert stored is not None
        assert (stored.renews, stored.stand_ins) == ("EXC-1", (("owen", "bea"),))
        assert stored.decisions == (decision,)
        assert [r.id for r in await uow.requests.list_linked("EXC-1")] == ["EXC-2", "EXC-3"]
        assert await uow.requests.list_linked("EXC-2") == []


async def test_migration_0004_makes_approved_exceptions_active(database_url: str) -> None:
    from alembic import command

    def upgrade(revision: str) -> Callable[[object], None]:
        def run(connection: object) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return run

    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade("0003"))
            for n, (kind, state) in enumerate([("exception", "approved"),
                                               ("rollback", "approved"),
                                               ("exception", "pending")], start=1):
                await connection.execute(text(
                    "INSERT INTO requests (id, kind, number, asset_name, title, justification,"
                    " controls, change_ref, rollback_of, emergency, requester_id,"
                    " requester_name, deciders, state, version, created_at, updated_at)"
                    f" VALUES ('X-{n}', '{kind}', {n}, 'a', 't', 'j', '', '', '', false, 'r',"
                    " 'R', '[]', :state, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"state": state})
            await connection.run_sync(upgrade("0004"))
            rows = (await connection.execute(
                text("SELECT id, state FROM requests ORDER BY id"))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("X-1", State.ACTIVE.value), ("X-2", "approved"), ("X-3", "pending")]
