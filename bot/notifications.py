"""Outbox notifications rendered as cards and delivered 1:1 (or as in-place card updates).

The relay calls `deliver` for each queued notification; a DeliveryFailed is retried by the
relay, an Undeliverable is not. Cards show the request as it is when delivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity, TextFormatTypes

from approvals import notifications as kinds
from approvals import services
from approvals.errors import UnknownRequest
from approvals.model import Request
from approvals.ports import Notification
from approvals.rerouting import MOVED_BY_CATALOG
from bot import card_updates, card_views, replies
from bot.deps import BotDeps
from bot.messenger import DeliveryFailed, Route, card_activity
from bot.relay import Deliver, Undeliverable
from cards import views
from cards.layout import literal
from cards.text import clean, shorten
from cards.views import Copy, View

MESSAGE_BYTES = 6000  # a revoke reason may be long; Teams takes about 28 KB

log = logging.getLogger(__name__)


def card_delivery(deps: BotDeps) -> Deliver:
    async def deliver(notification: Notification) -> str | None:
        if notification.kind == kinds.AUDIT_CHECKPOINT:
            return await _post_checkpoint(deps, notification)
        if notification.detail.get("snapshot") and deps.catalog_check is not None:
            await deps.catalog_check()  # re-routed by an import: its people are in that catalog
        if notification.kind == kinds.REFRESH_CARDS:  # one message per copy: no card yet
            await card_updates.queue_copy_updates(deps, notification)
            return None
        try:
            request = await services.request_status(deps.uow_factory(), notification.request_id)
        except UnknownRequest as error:
            raise Undeliverable(str(error)) from error
        if notification.kind == card_updates.CARD_UPDATE:
            await card_updates.update_copy(deps, request, notification)
            return None
        try:
            return await _send(deps, request, notification)
        except (DeliveryFailed, Undeliverable) as failure:
            if notification.kind not in (kinds.APPROVAL, kinds.REVIEW) or (
                    isinstance(failure, DeliveryFailed) and failure.status not in (403, 404)):
                raise
            await _tell_requester_not_delivered(deps, request, notification, failure)
            raise Undeliverable(str(failure)) from failure

    return deliver


def _copy_kind(request: Request, notification: Notification) -> Copy:
    """What a card sent for `notification` is, kept with the copy for its later updates."""
    kind = notification.kind
    if kind in (kinds.APPROVAL, kinds.REVIEW, kinds.REMINDER):
        return Copy.DECIDER
    if kind == kinds.QUESTION:
        return Copy.QUESTION
    if kind == kinds.DECIDED:
        return Copy.OUTCOME
    return Copy.REQUESTER if notification.recipient_id == request.requester_id else Copy.DECIDER


async def _render(deps: BotDeps, request: Request, notification: Notification) -> Activity:
    kind = notification.kind
    if kind == kinds.ANSWERED:
        return _plain(
            f"{request.requester_name} answered your question on {request.id}: the card "
            "above shows the answer.")
    if kind == kinds.EXPIRY_REMINDER:
        days = notification.detail.get("days", "")
        return _plain(
            f"Exception {request.id} on {request.asset_name} ends in {days} day(s), on "
            f'{request.expires_on}. To keep it, say "renew {request.id}" before then.')
    if kind == kinds.REVOKED:
        return _plain(
            f"{notification.detail.get('by', 'The owner')} revoked exception {request.id} on "
            f"{request.asset_name}: {notification.detail.get('reason', '')}")
    if kind == kinds.WITHDRAWN:
        return _plain(
            f"{request.requester_name} withdrew {request.id}: nothing is left to decide.")
    if kind == MOVED_BY_CATALOG:
        return _plain(
            f"{request.id} now goes to {notification.detail.get('to', 'its new owner')}: the "
            f"ownership catalog changed ({notification.detail.get('reason', '')}).")
    if kind in LIFECYCLE_TEXTS:
        return _plain(LIFECYCLE_TEXTS[kind](request, notification.detail))
    if kind == kinds.ESCALATED:
        return _plain(
            f"{request.id} was not decided in time and went to more people who may decide it.")
    # Every other kind is a card showing the request: the recipient's own view of it now.
    copy = _copy_kind(request, notification)
    card = await card_views.card_for(deps, request, notification.recipient_id, copy)
    view = views.view_for(deps.catalog, request, notification.recipient_id, copy)
    return card_activity(card, summary=_summary(request, notification, view))


def _plain(text: str) -> Activity:
    """A message Teams shows as plain text, never as Markdown: it quotes names from Teams, the
    catalog or Graph, asset names and a revoke reason, any of which could hold a link. Bounded,
    like a card's text."""
    activity = MessageFactory.text(shorten(clean(text), MESSAGE_BYTES))
    activity.text_format = TextFormatTypes.plain
    return activity


def _summary(request: Request, notification: Notification, view: View) -> str:
    """The notification line of a card: why it came (a decider's, only while they can act)."""
    if view is View.DECIDE:
        return _approval_summary(request, notification)
    if notification.kind == kinds.LAPSED:
        return f"Exception {request.id} has lapsed"
    return ""


def _approval_summary(request: Request, notification: Notification) -> str:
    """The notification line of a decider's card: why it came to them."""
    detail = notification.detail
    if notification.kind == kinds.REMINDER:
        return f"Reminder: {request.id} waits for your decision"
    if detail.get(MOVED_BY_CATALOG):
        return f"{request.id} was re-routed to you and needs your decision"
    if detail.get("returned_from"):
        return (f"{request.id} is back with you: your delegation to "
                f"{literal(detail['returned_from'])} ended")
    if detail.get("on_behalf_of") and not detail.get("escalated"):
        return f"{request.id} needs your decision, on behalf of {literal(detail['on_behalf_of'])}"
    if request.reviews:
        return f"{request.id}: keep or revoke {request.reviews}?"
    return f"{request.id} needs your decision"


def _rerouted(request: Request, detail: dict[str, str]) -> str:
    if detail.get("start"):
        return (f"{request.id} went to {detail.get('to', 'your delegate')}, who decides for you "
                f"until {detail.get('until', '')}: the card you had shows who has it now.")
    return (f"{request.id} went back to {detail.get('to', 'its owner')}: the delegation ended, "
            "so you no longer decide it.")


def _extended(request: Request, detail: dict[str, str]) -> str:
    return (f"Exception {request.id} on {request.asset_name} is renewed "
            f"({detail.get('renewal', '')} approved): it now runs until "
            f"{detail.get('to', request.expires_on)}, not {detail.get('from', '')}.")


def _linked_closed(request: Request, detail: dict[str, str]) -> str:
    state = detail.get("original_state", "no longer in force").replace("_", " ")
    return (f"{request.id} is closed undecided: {detail.get('original', 'its exception')} is "
            f"{state}.")


LIFECYCLE_TEXTS: dict[str, Callable[[Request, dict[str, str]], str]] = {
    kinds.REROUTED: _rerouted, kinds.EXTENDED: _extended, kinds.LINKED_CLOSED: _linked_closed,
}


async def _send(deps: BotDeps, request: Request, notification: Notification) -> str | None:
    if notification.recipient_id.startswith("channel:"):
        return await _post_to_channel(deps, request, notification)
    aad = deps.aad_of(notification.recipient_id)
    if aad is None:
        raise Undeliverable(f"{notification.recipient_id} has no Teams identity")
    activity = await _render(deps, request, notification)
    delivered = await deps.messenger.send_to_person(aad, activity, await _route(deps, request))
    if activity.attachments:
        await card_updates.remember_copy(
            deps, request.id, _copy_kind(request, notification), aad,
            delivered.conversation_id, delivered.activity_id, delivered.service_url)
    return delivered.activity_id or None


async def _post_to_channel(deps: BotDeps, request: Request,
                           notification: Notification) -> str | None:
    name = notification.recipient_id.split(":", 1)[1]
    conversation_id = deps.channels.get(name)
    if not conversation_id:
        raise Undeliverable(f"no conversation is configured for {notification.recipient_id}: "
                            f"set SIGNOFF_CHANNELS={name}=<Teams conversation id>")
    route = await _route(deps, request)
    if not route.service_url:
        raise Undeliverable("no Teams service URL is known yet")
    card = await card_views.card_for(deps, request, None, Copy.CHANNEL)
    delivered = await deps.messenger.send_to_conversation(
        conversation_id, route.service_url, card_activity(card, summary=f"{request.id} is overdue"))
    await card_updates.remember_copy(
        deps, request.id, Copy.CHANNEL, "", delivered.conversation_id, delivered.activity_id,
        delivered.service_url)
    return delivered.activity_id or None


async def _post_checkpoint(deps: BotDeps, notification: Notification) -> str | None:
    """The audit chain's head, posted where it cannot be edited together with the database."""
    conversation_id = notification.recipient_id.removeprefix(kinds.CHAT_PREFIX)
    async with deps.uow_factory() as uow:
        ref = await uow.conversations.latest()
    if ref is None:
        raise Undeliverable("no Teams service URL is known yet: the bot has not been used")
    d = notification.detail
    card = replies.message(
        "Audit checkpoint",
        f"The audit trail's newest event is {d.get('event_id')} (event {d.get('count')} of the "
        f"chain), recorded {d.get('at')}.",
        f"Hash: {d.get('hash')}",
        "Keep this message. signoff audit verify --checkpoint <hash> shows later that no "
        "event up to this one was removed or changed.")
    delivered = await deps.messenger.send_to_conversation(conversation_id, ref.service_url,
                                                          card_activity(card))
    return delivered.activity_id or None


async def _tell_requester_not_delivered(deps: BotDeps, request: Request,
                                        notification: Notification, failure: Exception) -> None:
    """Nothing is dropped silently: the requester learns who the owner is and what failed."""
    owner = deps.name_of(notification.recipient_id)
    reason = failure.reason if isinstance(failure, DeliveryFailed) else str(failure)
    card = replies.message(  # the title is Markdown: the owner's name goes in the text below
        f"{request.id} could not be delivered",
        f"It did not reach {owner}: {reason}. {request.id} stays {request.state.label}: ask "
        f"{owner} to open Signoff in Teams and type: my approvals")
    aad = deps.aad_of(request.requester_id)
    if aad is not None:
        await deps.messenger.send_to_person(aad, card_activity(card), await _route(deps, request))


async def _route(deps: BotDeps, request: Request) -> Route:
    """Outside a turn, a new 1:1 chat is opened where the requester reached the bot."""
    aad = deps.aad_of(request.requester_id) or ""
    async with deps.uow_factory() as uow:
        ref = await uow.conversations.get(aad.lower())
    if ref is None:
        return Route(tenant_id="", service_url="", bot_id="")
    return Route(tenant_id=ref.tenant_id, service_url=ref.service_url, bot_id=ref.bot_id,
                 bot_name=ref.bot_name or "Signoff")
