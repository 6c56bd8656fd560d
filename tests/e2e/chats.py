"""Stored 1:1 chats for test users (light: child processes import it)."""

from __future__ import annotations

from tests.e2e.teams import BOT, TENANT, User


def chat_fields(user: User, service_url: str) -> dict[str, str]:
    """A stored 1:1 chat with `user`, as the bot keeps one after the person writes to it."""
    return {
        "aad_object_id": user.aad, "user_id": user.user_id, "user_name": user.name,
        "tenant_id": TENANT, "channel_id": "msteams", "service_url": service_url,
        "conversation_id": user.personal_conversation, "conversation_type": "personal",
        "bot_id": BOT["id"], "bot_name": BOT["name"],
    }
