"""Proactive messages: reach a person 1:1 (stored reference, else a new chat); update cards."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from aiohttp import ClientError
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    InvokeResponse,
)
from msrest.exceptions import ClientException

from approvals.directory import DirectoryUnavailable
from bot.conversations import to_reference

log = logging.getLogger(__name__)
DELIVERY_ERRORS = (ClientException, ClientError, OSError)


@dataclass(frozen=True)
class Delivered:
    conversation_id: str
    activity_id: str
    service_url: str


@dataclass(frozen=True)
class Route:
    """Where to create a 1:1 chat when a person never wrote to the bot: the current turn's."""

    tenant_id: str
    service_url: str
    bot_id: str
    bot_name: str = "Signoff"


class DeliveryFailed(Exception):
    """Teams did not take the message. `status` is Teams' HTTP status (None: no answer, e.g.
    unreachable); `retry_after` its Retry-After in seconds, when it sent one."""

    def __init__(self, reason: str, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class PersonalChats(Protocol):
    """Opens the bot's 1:1 chat with a person by installing the Teams app for them (Graph)."""

    async def personal_chat(self, object_id: str) -> str | None: ...


class BuiltAttachment(Attachment):  # type: ignore[misc]  # botbuilder is untyped
    """A card attachment built for one message and never changed afterwards. botbuilder
    deep-copies every activity it sends (TurnContext.send_activities); a card is some hundreds
    of dicts and lists, most of a millisecond of CPU to copy, for nothing. (Not a dict
    subclass: msrest would send that as its str().)"""

    def __deepcopy__(self, memo: dict[int, Any]) -> BuiltAttachment:
        return self


class BuiltInvokeResponse(InvokeResponse):  # type: ignore[misc]
    """An invoke response (a card) built for one turn: not deep-copied either (see above)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> BuiltInvokeResponse:
        return self


def card_activity(card: dict[str, Any], summary: str = "") -> Activity:
    activity = MessageFactory.attachment(
        BuiltAttachment(content_type=CardFactory.content_types.adaptive_card, content=card))
    if summary:
        activity.summary = summary
    return activity


class Messenger:
    def __init__(self, adapter: CloudAdapter, app_id: str, uow_factory: Callable[[], Any],
                 personal_chats: PersonalChats | None = None) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._uow_factory = uow_factory
        self._personal_chats = personal_chats

    async def send_to_person(
        self, aad_object_id: str, activity: Activity, route: Route
    ) -> Delivered:
        """Send 1:1: by the person's stored personal chat, else by creating one in the tenant."""
        aad = aad_object_id.lower()
        async with self._uow_factory() as uow:
            ref = await uow.conversations.get(aad)
        if (ref is None or ref.conversation_type != "personal") and self._personal_chats:
            ref = await self._install_app_for(aad, route, ref) or ref
        try:
            if ref is not None and ref.conversation_type == "personal":
                return await self._continue(ref, activity)
            return await self._create(aad, activity, route, ref)
        except DELIVERY_ERRORS as exc:
            log.warning("delivery to %s failed: %s", aad, type(exc).__name__)
            raise _failure(exc) from exc

    async def send_to_conversation(self, conversation_id: str, service_url: str,
                                   activity: Activity) -> Delivered:
        """Post into a known chat or channel thread (a policy's leadership channel)."""
        reference = ConversationReference(
            channel_id="msteams", service_url=service_url,
            conversation=ConversationAccount(id=conversation_id, is_group=True),
            bot=ChannelAccount(id=""),
        )
        outcome = _Outcome()

        async def callback(turn_context: TurnContext) -> None:
            async with outcome.capture():
                response = await turn_context.send_activity(activity)
                outcome.delivered = Delivered(
                    conversation_id, response.id if response else "", service_url)

        try:
            await self._adapter.continue_conversation(reference, callback, self._app_id)
            return outcome.result()
        except DELIVERY_ERRORS as exc:
            log.warning("post to %s failed: %s", conversation_id, type(exc).__name__)
            raise _failure(exc) from exc

    async def update(self, conversation_id: str, activity_id: str, service_url: str,
                     bot_id: str, activity: Activity) -> None:
        """Replace a message the bot sent earlier (a card changes in place)."""
        reference = ConversationReference(
            channel_id="msteams", service_url=service_url,
            conversation=ConversationAccount(id=conversation_id), bot=ChannelAccount(id=bot_id),
        )
        activity.id = activity_id

        outcome = _Outcome()

        async def callback(turn_context: TurnContext) -> None:
            activity.conversation = turn_context.activity.conversation
            async with outcome.capture():
                await turn_context.update_activity(activity)
                outcome.delivered = Delivered(conversation_id, activity_id, service_url)

        try:
            await self._adapter.continue_conversation(reference, callback, self._app_id)
            outcome.result()
        except DELIVERY_ERRORS as exc:
            log.warning("card update %s failed: %s", activity_id, type(exc).__name__)
            raise _failure(exc) from exc

    async def _install_app_for(self, aad: str, route: Route, ref: Any) -> Any:
        """Someone who never talked to the bot 1:1: install the app for them (Graph) and keep
        the chat that results as their personal chat; None when that is not possible."""
        service_url = (ref.service_url if ref is not None else "") or route.service_url
        assert self._personal_chats is not None
        try:
            chat_id = await self._personal_chats.personal_chat(aad) if service_url else None
        except DirectoryUnavailable as exc:
            log.warning("Teams app not installed for %s: %s", aad, exc.reason)
            return None
        if not chat_id:
            return None
        async with self._uow_factory() as uow:
            stored = await uow.conversations.upsert(
                aad_object_id=aad, user_id=(ref.user_id if ref is not None else "") or aad,
                user_name=ref.user_name if ref is not None else "",
                tenant_id=(ref.tenant_id if ref is not None else "") or route.tenant_id,
                channel_id="msteams", service_url=service_url, conversation_id=chat_id,
                conversation_type="personal", bot_id=route.bot_id, bot_name=route.bot_name,
            )
            await uow.commit()
        log.info("Teams app installed for %s: personal chat %s", aad, chat_id)
        return stored

    async def _continue(self, ref: Any, activity: Activity) -> Delivered:
        outcome = _Outcome()

        async def callback(turn_context: TurnContext) -> None:
            async with outcome.capture():
                response = await turn_context.send_activity(activity)
                outcome.delivered = Delivered(
                    ref.conversation_id, response.id if response else "", ref.service_url)

        await self._adapter.continue_conversation(to_reference(ref), callback, self._app_id)
        return outcome.result()

    async def _create(self, aad: str, activity: Activity, route: Route, ref: Any) -> Delivered:
        tenant = (ref.tenant_id if ref is not None else "") or route.tenant_id
        service_url = (ref.service_url if ref is not None else "") or route.service_url
        if not service_url:
            raise DeliveryFailed("no Teams service URL is known yet for this tenant")
        member_id = (ref.user_id if ref is not None else "") or aad
        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount(id=route.bot_id, name=route.bot_name),
            # The Teams user id when a group chat told us; else the Entra object id, which
            # Teams accepts for a personal chat with an app the person has installed.
            members=[ChannelAccount(id=member_id, aad_object_id=aad)],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        outcome = _Outcome()

        async def callback(turn_context: TurnContext) -> None:
            conversation_id = turn_context.activity.conversation.id
            async with outcome.capture():
                response = await turn_context.send_activity(activity)
                outcome.delivered = Delivered(
                    conversation_id, response.id if response else "", service_url)
            if outcome.delivered is None:
                return
            async with self._uow_factory() as uow:
                await uow.conversations.upsert(
                    aad_object_id=aad, user_id=member_id, user_name="", tenant_id=tenant,
                    channel_id="msteams", service_url=service_url,
                    conversation_id=conversation_id, conversation_type="personal",
                    bot_id=route.bot_id, bot_name=route.bot_name,
                )
                await uow.commit()

        await self._adapter.create_conversation(
            self._app_id, callback, parameters, "msteams", service_url, None
        )
        return outcome.result()


class _Outcome:
    """What a proactive turn did. The adapter's error handler would swallow a failed send inside
    the turn, so the failure is caught here and raised again once the turn is over."""

    def __init__(self) -> None:
        self.delivered: Delivered | None = None
        self.error: BaseException | None = None

    @contextlib.asynccontextmanager
    async def capture(self) -> AsyncIterator[None]:
        try:
            yield
        except DELIVERY_ERRORS as exc:
            self.error = exc

    def result(self) -> Delivered:
        if self.error is not None:
            raise self.error
        if self.delivered is None:
            raise DeliveryFailed("Teams did not open a chat with this person")
        return self.delivered


def _failure(exc: BaseException) -> DeliveryFailed:
    """A DeliveryFailed carrying what the relay needs to decide on a retry."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    headers = getattr(response, "headers", None)
    return DeliveryFailed(
        _describe(exc), status=status if isinstance(status, int) else None,
        retry_after=_retry_after(headers) if isinstance(headers, Mapping) else None,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date taken against the response's Date."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        wait = parsedate_to_datetime(value) - parsedate_to_datetime(headers.get("Date") or "")
    except (TypeError, ValueError):  # not a date, no Date header, or naive against aware
        return None
    return max(0.0, wait.total_seconds())


def _describe(exc: BaseException) -> str:
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status == 429:
        return "Teams is throttling messages right now (HTTP 429)"
    if status in (403, 404):
        return "Teams refused to open a chat with this person: is the app installed for them?"
    if status:
        return f"Teams answered HTTP {status}"
    return "Teams could not be reached"
