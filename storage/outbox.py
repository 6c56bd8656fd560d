"""The outbox: messages owed to Teams, written in the state change's transaction (the port),
then claimed, sent and marked by the relay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.ports import Notification
from storage import prepared
from storage.jobs import decode_detail, encode_detail
from storage.tables import table_of
from storage.work_queue import LEASE, PENDING, Backlog, WorkQueue


class SqlOutbox:
    """approvals.ports.Outbox inside a unit of work. Never commits."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect
        self.queued = False  # something was added: wake the relay after commit

    async def add(self, notification: Notification) -> None:
        """Queue a notification; a second one with the same key is ignored."""
        n = notification
        values = {
            "key": n.key, "request_id": n.request_id, "recipient_id": n.recipient_id,
            "kind": n.kind, "detail": encode_detail(n.detail), "created_at": n.created_at,
            "state": PENDING, "attempts": 0, "next_attempt_at": n.created_at,
        }
        statement = prepared.insert_row_once(self._dialect, "outbox", tuple(values), ("key",))
        await prepared.run(self._session, statement, values)
        self.queued = True


@dataclass(frozen=True)
class ClaimedMessage:
    notification: Notification
    attempts: int  # delivery attempts including this one


class OutboxStore:
    """The relay's side of the outbox: claim due messages, mark them sent, retried or failed."""

    def __init__(self, engine: AsyncEngine, lease: timedelta = LEASE) -> None:
        self.queue = WorkQueue(engine, table_of("outbox"), age_column="created_at", lease=lease)

    async def claim_due_messages(self, now: datetime, limit: int, worker_id: str,
                                 max_attempts: int = 6) -> list[ClaimedMessage]:
        """Messages due to be sent, now running by `worker_id`; each to one worker, oldest first."""
        rows = await self.queue.claim(now, limit, worker_id, max_attempts)
        return [ClaimedMessage(_to_notification(r), r["attempts"]) for r in rows]

    async def mark_sent(self, key: str, worker_id: str, now: datetime,
                        activity_id: str | None = None) -> bool:
        return await self.queue.finish(key, worker_id, {
            "state": "sent", "sent_at": now, "activity_id": activity_id, "last_error": None})

    async def mark_retry(self, key: str, worker_id: str, error: str, at: datetime) -> bool:
        return await self.queue.retry(key, worker_id, error, at)

    async def mark_failed(self, key: str, worker_id: str, error: str) -> bool:
        return await self.queue.fail(key, worker_id, error)

    async def defer(self, keys: list[str], worker_id: str, at: datetime) -> None:
        """Hand messages back unsent until `at` (rate limit): not counted as an attempt."""
        await self.queue.defer(keys, worker_id, at)

    async def defer_each(self, keys_by_time: Mapping[datetime, Sequence[str]],
                         worker_id: str) -> None:
        """`defer` for several send slots, in one transaction."""
        await self.queue.defer_each(keys_by_time, worker_id)

    async def backlog(self, now: datetime) -> Backlog:
        return await self.queue.backlog(now)


def _to_notification(row: RowMapping) -> Notification:
    return Notification(
        key=row["key"], request_id=row["request_id"], recipient_id=row["recipient_id"],
        kind=row["kind"], created_at=row["created_at"], detail=decode_detail(row["detail"]),
    )
