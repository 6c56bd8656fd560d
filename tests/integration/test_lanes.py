"""A unit of work on SQLite takes its turn in a lane (storage/lanes.py), and its session, when
it needs one, runs in the same unit: what is committed, rolled back and handed back must be
what the session alone gave."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals.model import AuditEvent
from storage.engine import DatabaseUnavailable, create_engine, ping
from storage.lanes import LANE_KEY, Lane
from storage.migrate import migrate
from storage.sqlite_turns import Turns
from storage.uow import SqlUnitOfWork, uow_factory
from tests.integration.support import exception_request
from tests.integration.test_sqlite_turns import on_disk, until

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lanes.db'}"
    await migrate(url)
    engine = create_engine(url)
    await ping(engine)  # a pooled connection now holds the real one open: units take lanes
    try:
        yield engine
    finally:
        await engine.dispose()


def turns_of(engine: AsyncEngine) -> Turns:
    turns = engine.sync_engine.dialect.turns  # type: ignore[attr-defined]
    assert isinstance(turns, Turns)
    return turns


def event(action: str) -> AuditEvent:
    return AuditEvent(action=action, outcome="ok", actor_id="owen", actor_name="Owen", at=T0)


async def test_a_unit_of_direct_statements_takes_its_turn_without_a_pooled_connection(
        lite: AsyncEngine) -> None:
    pool = lite.sync_engine.pool
    async with uow_factory(lite)() as uow:
        await uow.audit.append(event("test.one"))
        assert isinstance(turns_of(lite).holder, Lane)
        assert pool.checkedout() == 0  # type: ignore[attr-defined]
        await uow.commit()

    assert on_disk(lite, "SELECT action FROM audit_events") == [("test.one",)]
    assert turns_of(lite).holder is None


@pytest.mark.parametrize("orm_first", [True, False], ids=["orm-first", "direct-first"])
async def test_the_session_and_the_lane_write_in_one_unit_and_commit_together(
        lite: AsyncEngine, orm_first: bool) -> None:
    async with uow_factory(lite)() as uow:
        if orm_first:
            await uow.requests.add(exception_request("EXC-1", T0))  # the ORM: add and flush
            await uow.audit.append(event("test.after-orm"))  # direct
        else:
            await uow.audit.append(event("test.before-orm"))
            await uow.requests.add(exception_request("EXC-1", T0))
        await uow.commit()

    assert on_disk(lite, "SELECT id FROM requests") == [("EXC-1",)]
    assert len(on_disk(lite, "SELECT id FROM audit_events")) == 1
    # The pooled connection went back as itself: a plain connection uses it again.
    assert lite.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with lite.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM requests"))).scalar_one()
    assert count == 1


async def test_a_failed_unit_undoes_the_sessions_writes_and_the_lanes(lite: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory(lite)() as uow:
            await uow.requests.add(exception_request("EXC-1", T0))
            await uow.audit.append(event("test.lost"))
            raise RuntimeError("the use case failed")

    assert on_disk(lite, "SELECT count(*) FROM requests") == [(0,)]
    assert on_disk(lite, "SELECT count(*) FROM audit_events") == [(0,)]
    async with uow_factory(lite)() as uow:  # the turn is free again
        await uow.audit.append(event("test.kept"))
        await uow.commit()
    assert on_disk(lite, "SELECT action FROM audit_events") == [("test.kept",)]


async def test_a_unit_whose_task_is_cancelled_while_it_holds_the_turn_leaves_nothing(
        lite: AsyncEngine) -> None:
    forever, holding = asyncio.Event(), asyncio.Event()

    async def stuck() -> None:
        async with uow_factory(lite)() as uow:
            await uow.audit.append(event("test.cancelled"))
            assert isinstance(turns_of(lite).holder, Lane)
            holding.set()
            await forever.wait()

    task = asyncio.ensure_future(stuck())
    await holding.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async with uow_factory(lite)() as uow:
        await uow.audit.append(event("test.next"))
        await uow.commit()
    assert on_disk(lite, "SELECT action FROM audit_events") == [("test.next",)]


async def test_a_failed_group_commit_is_a_database_failure_and_keeps_nothing(
        lite: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_error(self: Turns) -> bool:
        assert self.connection is not None
        self.connection.execute("ROLLBACK")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Turns, "_commit_and_begin", disk_error)
    with pytest.raises(DatabaseUnavailable):
        async with uow_factory(lite)() as uow:
            await uow.audit.append(event("test.lost"))
            await uow.commit()
    monkeypatch.undo()

    assert on_disk(lite, "SELECT count(*) FROM audit_events") == [(0,)]
    async with uow_factory(lite)() as uow:
        await uow.audit.append(event("test.kept"))
        await uow.commit()
    assert on_disk(lite, "SELECT action FROM audit_events") == [("test.kept",)]


async def test_lanes_let_go_of_the_connection_so_dispose_closes_it(lite: AsyncEngine) -> None:
    units = [uow_factory(lite)() for _ in range(8)]

    async def write(uow: SqlUnitOfWork, n: int) -> None:
        async with uow:
            await uow.audit.append(event(f"test.{n}"))
            await uow.commit()

    await asyncio.gather(*(write(uow, n) for n, uow in enumerate(units)))
    turns = turns_of(lite)
    assert turns.users == lite.sync_engine.pool.checkedin()  # type: ignore[attr-defined]
    await lite.dispose()
    assert turns.connection is None and turns.users == 0


@pytest.mark.parametrize("statement", ["orm", "direct"])
async def test_a_statement_the_unit_left_waiting_fails_instead_of_taking_a_turn_for_ever(
        lite: AsyncEngine, monkeypatch: pytest.MonkeyPatch, statement: str) -> None:
    """A unit's code started a statement in another task and ended the unit before it ran:
    it must not get the turn later as a unit nobody ends (every unit after it would wait)."""
    monkeypatch.setattr("storage.sqlite_turns.TURN_TIMEOUT_SECONDS", 5.0)
    release, holding = asyncio.Event(), asyncio.Event()

    async def holder() -> None:  # holds the turn, so the left statement has to wait
        async with uow_factory(lite)() as uow:
            await uow.audit.append(event("test.holder"))
            holding.set()
            await release.wait()
            await uow.commit()

    held = asyncio.ensure_future(holder())
    await holding.wait()
    with pytest.raises(RuntimeError):
        async with uow_factory(lite)() as uow:
            left = asyncio.ensure_future(
                uow.requests.add(exception_request("EXC-1", T0)) if statement == "orm"
                else uow.audit.append(event("test.left")))
            await until(lambda: turns_of(lite).waiting > 0)  # it queued for its turn
            raise RuntimeError("the use case failed")
    # A direct statement is told the unit ended; the ORM's flush finds its session closed.
    with pytest.raises(DBAPIError if statement == "direct" else SQLAlchemyError,
                       match="unit of work has ended" if statement == "direct" else "closed"):
        await left
    release.set()
    await held

    async with uow_factory(lite)() as uow:  # the turn comes free: no wait, no timeout
        await uow.audit.append(event("test.next"))
        await uow.commit()
    assert on_disk(lite, "SELECT action FROM audit_events ORDER BY id") == [
        ("test.holder",), ("test.next",)]
    assert on_disk(lite, "SELECT count(*) FROM requests") == [(0,)]


async def test_a_lane_refuses_statements_once_its_unit_of_work_is_over(lite: AsyncEngine) -> None:
    uow = uow_factory(lite)()
    async with uow:
        lane = uow.requests._session.info[LANE_KEY]  # noqa: SLF001 - the lane it ran in
        await uow.commit()
    with pytest.raises(sqlite3.ProgrammingError, match="unit of work has ended"):
        await lane.execute_in_turn("SELECT 1", ())
    assert LANE_KEY not in uow.requests._session.info  # noqa: SLF001


async def test_a_unit_cancelled_while_it_waits_for_another_processs_lock_leaves_no_transaction(
        lite: AsyncEngine) -> None:
    """Its BEGIN IMMEDIATE goes on in the worker thread after the cancel (a health check's
    timeout, a shutdown): once it returns, the transaction it opened for nobody must be undone,
    or every later unit and every other process would be shut out."""
    path = lite.url.database
    assert path
    turns = turns_of(lite)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing

        async def write() -> None:
            async with uow_factory(lite)() as uow:
                await uow.audit.append(event("test.cancelled"))
                await uow.commit()

        task = asyncio.ensure_future(write())
        await until(lambda: turns.holder is not None)  # its BEGIN waits in the worker thread
        task.cancel()
        other.execute("ROLLBACK")  # the waiting BEGIN now succeeds
        with pytest.raises(asyncio.CancelledError):
            await task
        # Whatever the worker thread still had to do (that BEGIN) is done after this no-op.
        await asyncio.get_running_loop().run_in_executor(
            turns._thread, lambda: None)  # noqa: SLF001
    finally:
        other.close()

    assert turns.connection is not None and not turns.connection.in_transaction
    async with uow_factory(lite)() as uow:
        await uow.audit.append(event("test.next"))
        await uow.commit()
    with sqlite3.connect(path, timeout=1) as writer:  # another process can write again
        writer.execute("DELETE FROM processed_activities")
    assert on_disk(lite, "SELECT action FROM audit_events") == [("test.next",)]
