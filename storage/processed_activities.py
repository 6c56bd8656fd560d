"""approvals.ports.ProcessedActivities over SQL: one row per activity that acted, kept until
the housekeeping sweep (bot/housekeeping.py) deletes it past its retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.model import Source
from storage import prepared
from storage.tables import table_of

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


class ProcessedActivityStore:
    """The table as a whole, outside any unit of work: its retention."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def forget_before(self, cutoff: datetime, limit: int) -> int:
        """Delete up to `limit` of the oldest rows processed before `cutoff`, in one short
        transaction (SQLite's write lock is held for one batch, not for the whole backlog);
        how many went."""
        t = table_of("processed_activities")
        oldest = (select(t.c.key)
                  .where(t.c.processed_at < bindparam("cutoff", type_=t.c.processed_at.type))
                  .order_by(t.c.processed_at).limit(limit)
                  .with_for_update(skip_locked=True))  # PostgreSQL: replicas split the work
        async with self._engine.begin() as connection:
            result = await connection.execute(delete(t).where(t.c.key.in_(oldest)),
                                              {"cutoff": cutoff})
        return int(result.rowcount)
