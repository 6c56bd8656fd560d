"""The hot path's statements run straight on SQLite's cursor (storage/direct.py): they must give
what SQLAlchemy's execution gives (values, types, row counts, errors), in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import direct, prepared
from storage.engine import session_factory
from storage.request_rows import request_row
from tests.integration.support import exception_request

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _through_sqlalchemy(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    return session.connection().execute(statement, params)


async def both_ways(session: AsyncSession, statement: Any,
                    params: dict[str, Any]) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """The rows the direct path reads and the rows SQLAlchemy reads, in one transaction."""
    fast = await prepared.rows(session, statement, params)
    slow = (await session.run_sync(_through_sqlalchemy, statement, params)).all()
    return list(fast), list(slow)


async def test_rows_read_directly_equal_sqlalchemys_values_types_and_names(
        engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        row = request_row(exception_request("EXC-1", T0))
        session.add(row)
        await session.flush()
        fast, slow = await both_ways(session, prepared.select_where("requests", "id"),
                                     {"w_id": "EXC-1"})

    assert [tuple(r) for r in fast] == [tuple(r) for r in slow]
    assert [type(v) for v in fast[0]] == [type(v) for v in slow[0]]
    assert fast[0].created_at == T0 and fast[0].created_at.tzinfo is not None
    assert fast[0].expires_on == slow[0].expires_on and fast[0].emergency is False


async def test_writes_count_rows_and_break_rules_as_sqlalchemy_says(engine: AsyncEngine) -> None:
    values = {"key": "msteams|c|a1", "request_id": "EXC-1", "action": "decision.approve",
              "processed_at": T0}
    once = prepared.insert_row_once(engine.dialect.name, "processed_activities",
                                    tuple(values), ("key",))
    async with session_factory(engine)() as session:
        session.add(request_row(exception_request("EXC-1", T0)))
        await session.flush()
        first = await prepared.run(session, once, values)
        again = await prepared.run(session, once, values)
        assert (first.rowcount, again.rowcount) == (1, 0)
        await session.commit()
    async with session_factory(engine)() as session:
        decision = {"request_id": "EXC-404", "outcome": "approve", "decider_id": "owen",
                    "decider_name": "Owen", "decided_at": T0, "comment": "",
                    "on_behalf_id": "", "on_behalf_name": ""}
        stale = await prepared.run(session, prepared.update_where(
            "requests", ("id", "version"), ("state",)),
            {"w_id": "EXC-1", "w_version": 99, "v_state": "approved"})
        assert stale.rowcount == 0
        with pytest.raises(IntegrityError):  # no such request: the foreign key
            await prepared.run(session, prepared.insert_row(
                "decisions", tuple(decision)), decision)


async def test_only_sqlite_in_turns_runs_directly_and_defaults_go_through_sqlalchemy(
        engine: AsyncEngine) -> None:
    defaulted = prepared.insert_row("outbox", ("key", "request_id", "recipient_id", "kind",
                                               "detail", "created_at", "next_attempt_at"))
    plain = prepared.select_where("requests", "id")

    assert direct.compile_direct(defaulted, engine.sync_engine.dialect) is None  # state, attempts
    async with session_factory(engine)() as session:
        ran = await direct.run_if_direct(session, plain, {"w_id": "EXC-1"})
    assert (ran is not None) == (engine.dialect.driver == "signoff_turns")


async def test_a_value_the_statement_cannot_take_is_a_statement_error(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        with pytest.raises(StatementError):  # no value for w_id
            await prepared.run(session, prepared.select_where("requests", "id"), {})
        with pytest.raises(StatementError):  # a UTC column refuses a naive time
            await prepared.run(session, prepared.update_where(
                "requests", ("id",), ("updated_at",)),
                {"w_id": "EXC-1", "v_updated_at": datetime(2026, 11, 27, 10, 0)})


def _job(key: str, due: datetime) -> dict[str, Any]:
    return {"key": key, "kind": "expire", "request_id": "EXC-1", "due_at": due, "detail": "{}",
            "state": "pending", "attempts": 0, "next_attempt_at": due}


async def test_many_rows_in_one_statement_write_what_one_by_one_writes(
        engine: AsyncEngine) -> None:
    later = T0.replace(day=28)
    jobs = [_job("EXC-1:a", T0), _job("EXC-1:b", later), _job("EXC-1:a", later)]  # a twice
    once = prepared.insert_row_once(engine.dialect.name, "jobs", tuple(jobs[0]), ("key",))
    async with session_factory(engine)() as session:
        session.add(request_row(exception_request("EXC-1", T0)))
        await session.flush()
        await prepared.run_many(session, once, jobs)
        stored = await prepared.rows(session, prepared.select_where("jobs", "request_id",
                                                                    ("key",)),
                                     {"w_request_id": "EXC-1"})
        assert [(r.key, r.due_at) for r in stored] == [("EXC-1:a", T0), ("EXC-1:b", later)]
        with pytest.raises(StatementError):  # a naive time in one of the rows
            await prepared.run_many(session, once, [_job("EXC-1:c", T0),
                                                    _job("EXC-1:d", T0.replace(tzinfo=None))])
        await session.commit()
    async with session_factory(engine)() as session:
        with pytest.raises(IntegrityError):  # a key taken, where nothing says to pass over it
            await prepared.run_many(session, prepared.insert_row("jobs", tuple(jobs[0])),
                                    [_job("EXC-1:e", T0), _job("EXC-1:a", T0)])
