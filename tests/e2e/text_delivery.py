"""A plain-text rendering of outbox messages, sent 1:1 through the Messenger.

The relay tests deliver with it, so they assert on plain text rather than on cards.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory

from approvals.ports import Notification
from bot.deps import BotDeps
from bot.messenger import Route
from bot.relay import Deliver, Undeliverable


def text_delivery(deps: BotDeps) -> Deliver:
    async def deliver(notification: Notification) -> str | None:
        aad = deps.aad_of(notification.recipient_id)
        if aad is None:
            raise Undeliverable(f"{notification.recipient_id} has no Teams identity")
        text = notification.detail.get("text") or f"{notification.request_id}: {notification.kind}"
        # No route: only a person with a stored 1:1 chat can be reached from outside a turn.
        delivered = await deps.messenger.send_to_person(
            aad, MessageFactory.text(text), Route(tenant_id="", service_url="", bot_id=""))
        return delivered.activity_id or None

    return deliver
