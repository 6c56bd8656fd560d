"""Where each person can be reached: the last conversation the bot saw them in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.ports import Clock
from storage import prepared
from storage.tables import ConversationRefRow, table_of
from storage.upsert import upsert


@dataclass(frozen=True)
class ConversationRef:
    """What a proactive message needs to reach a person (not a domain type)."""

    aad_object_id: str
    user_id: str
    user_name: str
    tenant_id: str
    channel_id: str
    service_url: str
    conversation_id: str
    conversation_type: str
    bot_id: str
    bot_name: str
    updated_at: datetime


class ConversationRefRepository:
    """One reference per Entra object id (stored lower-case). Never commits."""

    def __init__(self, session: AsyncSession, dialect: str, clock: Clock) -> None:
        self._session = session
        self._dialect = dialect
        self._clock = clock

    async def upsert(
        self, *, aad_object_id: str, user_id: str, user_name: str, tenant_id: str,
        channel_id: str, service_url: str, conversation_id: str, conversation_type: str,
        bot_id: str, bot_name: str, updated_at: datetime | None = None,
    ) -> ConversationRef:
        """Insert or replace the person's reference."""
        ref = ConversationRef(
            aad_object_id=aad_object_id.lower(), user_id=user_id, user_name=user_name,
            tenant_id=tenant_id, channel_id=channel_id, service_url=service_url,
            conversation_id=conversation_id, conversation_type=conversation_type,
            bot_id=bot_id, bot_name=bot_name, updated_at=updated_at or self._clock.now(),
        )
        table = table_of("conversation_refs")
        await self._session.exec(upsert(self._dialect, table, asdict(ref), key=("aad_object_id",)))
        return ref

    async def get(self, aad_object_id: str) -> ConversationRef | None:
        found = await prepared.rows(
            self._session, prepared.select_where("conversation_refs", "aad_object_id"),
            prepared.where({"aad_object_id": aad_object_id.lower()}))
        return _to_ref(found[0]) if found else None

    async def get_many(self, aad_object_ids: Sequence[str]) -> dict[str, ConversationRef]:
        """The references of these people (lowercased object id -> reference), in one query."""
        keys = list(dict.fromkeys(a.lower() for a in aad_object_ids))
        if not keys:
            return {}
        found = await prepared.rows(
            self._session, prepared.select_where("conversation_refs", "aad_object_id",
                                                 count=len(keys)),
            prepared.one_of(keys, "aad_object_id"))
        return {row.aad_object_id: _to_ref(row) for row in found}

    async def latest(self) -> ConversationRef | None:
        """The reference seen last, whoever's: a service URL to post to a chat with no person."""
        row = (await self._session.exec(
            select(ConversationRefRow).order_by(col(ConversationRefRow.updated_at).desc())
            .limit(1)
        )).first()
        return _to_ref(row) if row is not None else None


def _to_ref(row: Any) -> ConversationRef:  # a ConversationRefRow or a prepared row
    return ConversationRef(
        aad_object_id=row.aad_object_id, user_id=row.user_id, user_name=row.user_name,
        tenant_id=row.tenant_id, channel_id=row.channel_id, service_url=row.service_url,
        conversation_id=row.conversation_id, conversation_type=row.conversation_type,
        bot_id=row.bot_id, bot_name=row.bot_name, updated_at=row.updated_at,
    )
