"""approvals.ports.ProcessedActivities over SQL: one row per activity that acted."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.model import Source
from storage import prepared

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
        inserted = await prepared.run(self._session, prepared.insert_row_once(
            self._dialect, "processed_activities", tuple(values), ("key",)), values)
        if inserted.rowcount == 1:
            return None
        earlier = await prepared.rows(
            self._session, prepared.select_where("processed_activities", "key"), {"w_key": key})
        return str(earlier[0].request_id)
