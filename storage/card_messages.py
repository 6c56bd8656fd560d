"""Every card the bot sent about a request, so it can update them in place later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.ports import Clock
from storage import prepared
from storage.tables import CardMessageRow


@dataclass(frozen=True)
class CardMessage:
    """A sent card: where it is, whom it was for, in what role (not a domain type)."""

    id: int
    request_id: str
    recipient_aad: str
    role: str  # "decider" | "requester"
    conversation_id: str
    activity_id: str
    service_url: str
    created_at: datetime


class CardMessageRepository:
    """Never commits."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def add(
        self, *, request_id: str, recipient_aad: str, role: str, conversation_id: str,
        activity_id: str, service_url: str, created_at: datetime | None = None,
    ) -> CardMessage:
        row = CardMessageRow(
            request_id=request_id, recipient_aad=recipient_aad.lower(), role=role,
            conversation_id=conversation_id, activity_id=activity_id, service_url=service_url,
            created_at=created_at or self._clock.now(),
        )
        self._session.add(row)
        await self._session.flush()
        return _to_message(row)

    async def for_request(self, request_id: str) -> list[CardMessage]:
        """The request's cards, oldest first."""
        rows = await prepared.rows(
            self._session, prepared.select_where("card_messages", "request_id", ("id",)),
            prepared.where({"request_id": request_id}))
        return [_to_message(r) for r in rows]

    async def get(self, copy_id: int) -> CardMessage | None:
        rows = await prepared.rows(self._session, prepared.select_where("card_messages", "id"),
                                   prepared.where({"id": copy_id}))
        return _to_message(rows[0]) if rows else None


def _to_message(row: CardMessageRow | Any) -> CardMessage:
    assert row.id is not None  # flushed
    return CardMessage(
        id=row.id, request_id=row.request_id, recipient_aad=row.recipient_aad, role=row.role,
        conversation_id=row.conversation_id, activity_id=row.activity_id,
        service_url=row.service_url, created_at=row.created_at,
    )
