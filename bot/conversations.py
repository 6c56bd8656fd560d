"""Conversation references: remembered from every activity, rebuilt for proactive messages."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference


def tenant_of(activity: Activity) -> str:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else None
    if tenant and tenant.get("id"):
        return str(tenant["id"])
    conv = activity.conversation
    return str(conv.tenant_id) if conv is not None and conv.tenant_id else ""


def reference_fields(activity: Activity) -> dict[str, Any] | None:
    """What to store about the sender so the bot can reach them again; None without aadObjectId."""
    sender = activity.from_property
    if sender is None or not sender.aad_object_id or activity.conversation is None:
        return None
    recipient = activity.recipient or ChannelAccount(id="", name="")
    return {
        "aad_object_id": sender.aad_object_id.lower(),
        "user_id": sender.id or "",
        "user_name": sender.name or "",
        "tenant_id": tenant_of(activity),
        "channel_id": activity.channel_id or "msteams",
        "service_url": activity.service_url or "",
        "conversation_id": activity.conversation.id or "",
        "conversation_type": activity.conversation.conversation_type or "personal",
        "bot_id": recipient.id or "",
        "bot_name": recipient.name or "",
    }


def to_reference(ref: Any) -> ConversationReference:
    """A botbuilder reference from a stored one (storage.ConversationRef)."""
    return ConversationReference(
        channel_id=ref.channel_id,
        service_url=ref.service_url,
        conversation=ConversationAccount(
            id=ref.conversation_id, conversation_type=ref.conversation_type,
            tenant_id=ref.tenant_id, is_group=ref.conversation_type != "personal",
        ),
        bot=ChannelAccount(id=ref.bot_id, name=ref.bot_name),
        user=ChannelAccount(id=ref.user_id, name=ref.user_name, aad_object_id=ref.aad_object_id),
    )
