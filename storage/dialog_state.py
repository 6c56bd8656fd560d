"""Conversation and dialog state as JSON documents with eTags, for a botbuilder Storage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.ports import Clock, SystemClock
from storage.engine import session_factory
from storage.tables import DialogStateRow, table_of
from storage.upsert import upsert

WILDCARD = "*"


class EtagConflict(Exception):
    """The document changed (or vanished) since it was read with this eTag."""

    def __init__(self, key: str, expected_etag: str) -> None:
        super().__init__(f"eTag conflict on {key!r}: expected {expected_etag!r}")
        self.key = key
        self.expected_etag = expected_etag


class DialogStateStore:
    """Documents by key. Each call is its own short transaction."""

    def __init__(
        self, engine_or_sessions: AsyncEngine | async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
    ) -> None:
        self._sessions = (
            session_factory(engine_or_sessions)
            if isinstance(engine_or_sessions, AsyncEngine) else engine_or_sessions
        )
        self._clock: Clock = clock or SystemClock()

    async def read(self, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
        """{key: (etag, json text)} for the keys that exist."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        async with self._sessions() as session:
            rows = (await session.exec(
                select(DialogStateRow).where(col(DialogStateRow.key).in_(wanted))
            )).all()
            return {r.key: (r.etag, r.data) for r in rows}

    async def write(self, key: str, data: str, expected_etag: str | None) -> str:
        """Store `data` under `key`; return its new eTag.

        `expected_etag` None or "*" writes unconditionally (insert or overwrite). Any other
        value writes only over that exact version: a changed or deleted document raises
        EtagConflict.
        """
        if expected_etag == "":
            raise ValueError("an empty eTag is neither a version nor the wildcard")
        etag = uuid.uuid4().hex
        now = self._clock.now()
        async with self._sessions() as session:
            if expected_etag is None or expected_etag == WILDCARD:
                dialect = session.bind.dialect.name if session.bind is not None else ""
                values = {"key": key, "etag": etag, "data": data, "updated_at": now}
                await session.exec(upsert(dialect, table_of("dialog_state"), values, ("key",)))
            else:
                result = await session.exec(
                    update(DialogStateRow)
                    .where(col(DialogStateRow.key) == key)
                    .where(col(DialogStateRow.etag) == expected_etag)
                    .values(etag=etag, data=data, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:
                    await session.rollback()
                    raise EtagConflict(key, expected_etag)
            await session.commit()
        return etag

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove the documents; keys that do not exist are ignored."""
        doomed = list(dict.fromkeys(keys))
        if not doomed:
            return
        async with self._sessions() as session:
            await session.exec(
                delete(DialogStateRow).where(col(DialogStateRow.key).in_(doomed))
                .execution_options(synchronize_session=False)
            )
            await session.commit()
