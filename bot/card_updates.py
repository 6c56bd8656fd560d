"""Every card already sent about a request follows its state: one outbox message per stored
copy and state change (key `<state change's key>:copy-<n>`), each rendered when delivered as
its reader's view (or the status, where a chat or channel reads it together)."""

from __future__ import annotations

from approvals.model import Request
from approvals.ports import Notification
from bot import card_views, replies
from bot.deps import BotDeps
from bot.messenger import card_activity
from bot.relay import Undeliverable
from cards import views
from cards.views import Copy, View
from storage.card_messages import CardMessage

CARD_UPDATE = "card_update"  # one stored card shows the request's current state (bot-only kind)


async def queue_copy_updates(deps: BotDeps, notification: Notification) -> None:
    """One outbox message per card already sent about the notification's request, each with
    its own key: a copy that fails is retried alone, and no copy is updated twice for one state
    change. Each renders the request as it is when delivered."""
    now = deps.clock.now()
    request_id = notification.request_id
    async with deps.uow_factory() as uow:
        copies = await uow.cards.for_request(request_id)
        if not copies and await uow.requests.get(request_id) is None:
            raise Undeliverable(f"no request {request_id}")  # kept visible as failed
        for copy in copies:
            await uow.outbox.add(Notification(
                key=f"{notification.key}:copy-{copy.id}", request_id=request_id,
                recipient_id=_chat_of(deps, copy), kind=CARD_UPDATE, created_at=now,
                detail={**notification.detail, "copy": str(copy.id)}))
        await uow.commit()


async def update_copy(deps: BotDeps, request: Request, notification: Notification) -> None:
    """One stored card shows the request as it is now: its reader's view, or the status
    where everyone reads it."""
    named = notification.detail.get("copy", "")
    copy = None
    if named.isdigit():
        async with deps.uow_factory() as uow:
            copy = await uow.cards.get(int(named))
    if copy is None or copy.request_id != request.id:
        raise Undeliverable(f"card copy {notification.detail.get('copy')} is not stored")
    kind = _stored_kind(copy.role)
    viewer = None if kind.shared else card_views.viewer_of(deps, copy.recipient_aad)
    moved_to = notification.detail.get("moved_to")
    if (moved_to and kind is Copy.DECIDER and request.state.is_open
            and views.view_for(deps.catalog, request, viewer, kind) is not View.DECIDE):
        # the catalog took the request from this decider: say where it went
        card = replies.moved_card(request, deps.catalog, moved_to,
                                  notification.detail.get("reason", ""))
    else:
        card = await card_views.card_for(deps, request, viewer, kind)
    await deps.messenger.update(copy.conversation_id, copy.activity_id, copy.service_url, "",
                                card_activity(card))


async def remember_copy(deps: BotDeps, request_id: str, copy: Copy, recipient_aad: str,
                        conversation_id: str, activity_id: str | None, service_url: str) -> None:
    """Keep where a card about the request went, so every later change updates it in place
    (nothing to keep without the message's id; a channel's copy has no single reader: "")."""
    if not activity_id:
        return
    async with deps.uow_factory() as uow:
        await uow.cards.add(request_id=request_id, recipient_aad=recipient_aad, role=copy.value,
                            conversation_id=conversation_id, activity_id=activity_id,
                            service_url=service_url)
        await uow.commit()


def _stored_kind(role: str) -> Copy:
    try:
        return Copy(role)
    except ValueError:  # a copy stored before its kind was known: update it as the reader's
        return Copy.REQUESTER


def _chat_of(deps: BotDeps, copy: CardMessage) -> str:
    """The relay's rate-limit key for a copy: its reader (as their 1:1 messages) or its chat."""
    kind = _stored_kind(copy.role)
    viewer = None if kind.shared else card_views.viewer_of(deps, copy.recipient_aad)
    return viewer or f"chat:{copy.conversation_id}"
