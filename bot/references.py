"""Conversation references: remembered from every activity and from group rosters, so the bot
can reach a person 1:1 later (continue their chat, or open one with their Teams id)."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext

from bot.conversations import reference_fields
from bot.deps import BotDeps
from bot.roster import roster
from storage.engine import DatabaseUnavailable

log = logging.getLogger(__name__)


class References:
    def __init__(self, deps: BotDeps) -> None:
        self.deps = deps
        self._known: dict[str, tuple[str, str]] = {}  # skips rewriting an unchanged reference

    async def remember(self, turn_context: TurnContext) -> None:
        """Keep every sender's latest conversation reference, so owners can be reached 1:1."""
        fields = reference_fields(turn_context.activity)
        if fields is None or self._known.get(fields["aad_object_id"]) == _where(fields):
            return
        try:
            await self._store(fields)
        except DatabaseUnavailable:
            log.warning("reference of %s not stored: database unavailable",
                        fields["aad_object_id"])

    async def remember_roster(self, turn_context: TurnContext) -> None:
        """In a group chat or team: learn every member's Teams id (bounded roster pages)."""
        base = reference_fields(turn_context.activity)
        if base is None:
            return
        for member in await roster(turn_context):
            if not member.aad_object_id:
                continue
            fields = {**base, "aad_object_id": member.aad_object_id.lower(),
                      "user_id": member.id or "", "user_name": member.name or ""}
            if self._known.get(fields["aad_object_id"]) == _where(fields):
                continue
            try:
                await self._store(fields)
            except DatabaseUnavailable:
                log.warning("roster of %s not stored: database unavailable",
                            fields["conversation_id"])
                return

    async def _store(self, fields: dict[str, str]) -> None:
        key = fields["aad_object_id"]
        async with self.deps.uow_factory() as uow:
            existing = await uow.conversations.get(key)
            # A group chat must not replace a person's personal chat with the bot.
            if not (existing is not None and existing.conversation_type == "personal"
                    and fields["conversation_type"] != "personal"):
                await uow.conversations.upsert(**fields)
                await uow.commit()
        self._known[key] = _where(fields)


def _where(fields: dict[str, str]) -> tuple[str, str]:
    return fields["conversation_id"], fields["service_url"]
