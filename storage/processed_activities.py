"""approvals.ports.ProcessedActivities over SQL: one row per activity that acted."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.model import Source
from storage.tables import ProcessedActivityRow, table_of
from storage.upsert import insert_once

KEY_LIMIT = 1000  # conversation and activity ids come from the channel: keep the key bounded


def activity_key(source: Source) -> str:
    return f"{source.channel}|{source.conversation_id or ''}|{source.activity_id}"[:KEY_LIMIT]


class SqlProcessedActivities:
    """Inside a unit of work. Never commits."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def record(self, source: Source, request_id: str, action: str,
                     at: datetime) -> str | None:
        key = activity_key(source)
        values = {"key": key, "request_id": request_id, "action": action, "processed_at": at}
        # ON CONFLICT DO NOTHING: a concurrent copy waits for the first one's transaction
        # (PostgreSQL's unique index; SQLite's write lock) and then finds its row.
        inserted = await self._session.exec(
            insert_once(self._dialect, table_of("processed_activities"), values, ("key",)))
        if inserted.rowcount == 1:
            return None
        earlier = await self._session.exec(
            select(ProcessedActivityRow.request_id).where(ProcessedActivityRow.key == key))
        return str(earlier.one())
