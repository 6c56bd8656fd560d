"""A unit of work's own turn on SQLite's one connection, without a pooled connection.

A unit of work through an AsyncSession pays for SQLAlchemy's machinery around the statements
even when storage/direct.py runs every one of them straight on the cursor: checking a pooled
connection out and in, the session's transaction objects, a hop into SQLAlchemy's sync world
to commit and another to close. On this kind of machine that was about 140 µs of a unit's
160 µs when it ran one statement, and a card click runs one unit.

A Lane is the unit's place in the queue of storage/sqlite_turns.py instead: its first
statement waits for the turn and opens the unit (a savepoint in the group transaction),
`end` commits or rolls it back and waits for the group's COMMIT exactly as a pooled connection
does. The session is still there for what the direct path does not run (the ORM's `add` and
`flush`, statements that need SQLAlchemy): when it begins, its pooled connection joins the
lane (`join_lane`), so its statements run in the same unit, and its own commit or rollback
leaves the unit to the lane. Errors are sqlalchemy.exc's DBAPIError family, as through the
session.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_turns import TurnConnection, Turns

LANE_KEY = "signoff.lane"
_BEGAN_KEY = "signoff.began"
UNIT_ENDED = "this unit of work has ended: start a new one"


class Lane:
    """One unit of work's turn on the engine's one SQLite connection."""

    __slots__ = ("_turns", "_joined", "_ended")

    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        turns.users += 1  # as a pooled connection: the real connection stays open meanwhile
        self._joined = True
        self._ended = False

    async def execute_in_turn(self, sql: str, parameters: Any,
                              many: bool = False) -> tuple[list[Any], int]:
        """Run one statement (`many`: once per parameter set) in this unit, waiting for its
        turn first: the rows and the row count (sqlite3 errors as they are)."""
        if self._ended:
            raise sqlite3.ProgrammingError(UNIT_ENDED)
        return await self._turns.run_in_unit(self, sql, parameters, many)

    async def end(self, keep: bool) -> None:
        """Commit (`keep`) or roll back the unit, if one is open, and wait until what it saw
        and wrote is durable (its group's COMMIT), as a pooled connection's commit does."""
        turns = self._turns
        if not turns.in_unit(self):
            return
        try:
            durable = turns.end_unit(self, keep)
            if durable is not None:
                await asyncio.shield(durable)
        except sqlite3.Error as error:
            raise DBAPIError.instance(None, None, error, sqlite3.Error) from error

    def release(self) -> None:
        """The unit of work is over: undo a unit still open (its task was cancelled), fail
        what still waits for a turn as this lane (a task the unit's code left running), and
        let go of the connection. A statement on the lane from now on fails."""
        self._ended = True
        self._turns.forget(self, sqlite3.ProgrammingError(UNIT_ENDED))
        if self._joined:
            self._joined = False
            self._turns.close()


def open_lane(session: AsyncSession) -> Lane | None:
    """A lane for a unit of work's session, kept in the session for storage/direct.py; None:
    not SQLite in turns, or no pooled connection holds the real one open yet (the session
    then opens it, and the pool keeps it)."""
    bind = session.bind
    turns: Turns | None = getattr(bind.dialect, "turns", None) if bind is not None else None
    if (turns is None or turns.connection is None or turns.users <= 0
            or not isinstance(session.sync_session, UnitSession)):
        return None
    lane = Lane(turns)
    session.info[LANE_KEY] = lane
    return lane


def close_lane(session: AsyncSession, lane: Lane) -> None:
    """The unit of work is over: the lane lets go, and the session no longer names it (used
    again, it takes a pooled connection of its own, as any session)."""
    session.info.pop(LANE_KEY, None)
    lane.release()


def used_its_connection(session: AsyncSession) -> bool:
    """The session began a transaction on a pooled connection (its lane's or its own)."""
    return bool(session.info.get(_BEGAN_KEY))


class UnitSession(Session):
    """A unit of work's session: its statements run in the unit's lane when it has one."""


@event.listens_for(UnitSession, "after_begin")
def join_lane(session: Session, _transaction: SessionTransaction,
              connection: Connection) -> None:
    """The session took a pooled connection for its transaction: it takes turns as the lane."""
    session.info[_BEGAN_KEY] = True
    lane = session.info.get(LANE_KEY)
    if lane is None:
        return
    pooled = connection.connection.dbapi_connection
    if isinstance(pooled, TurnConnection):
        pooled.adopt(lane)
