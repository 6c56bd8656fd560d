"""Card buttons (Action.Execute): parse the verb, call the service, answer with the new card."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import InvokeResponse

from approvals import services
from approvals.errors import ConcurrentUpdate, DomainError, InvalidRequest, NotAllowed
from approvals.model import Request, RequestKind, State
from bot import replies
from bot.deps import BotDeps, actor_of, route_of, source_of
from bot.messenger import DeliveryFailed, card_activity
from cards import actions as card_actions
from storage.engine import DatabaseUnavailable

log = logging.getLogger(__name__)
CARD = "application/vnd.microsoft.card.adaptive"


def card_response(card: dict[str, Any]) -> InvokeResponse:
    return InvokeResponse(status=200, body={"statusCode": 200, "type": CARD, "value": card})


class CardActions:
    def __init__(self, deps: BotDeps) -> None:
        self.deps = deps

    async def handle(self, turn_context: TurnContext) -> InvokeResponse:
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        try:
            parsed = card_actions.parse_action(action)
        except card_actions.InvalidAction as error:
            return card_response(replies.message("That button did not work", str(error)))
        try:
            card = await self._dispatch(turn_context, parsed)
        except (NotAllowed, ConcurrentUpdate) as error:
            card = await self._explain_on_card(parsed, error)
        except DomainError as error:
            card = replies.for_error(error, self.deps.catalog)
        except DatabaseUnavailable:
            log.warning("card action %s: database unavailable", type(parsed).__name__)
            card = replies.database_unavailable()
        return card_response(card)

    async def _explain_on_card(self, parsed: Any, error: DomainError) -> dict[str, Any]:
        """A decider's click that did nothing keeps their buttons, with the reason on top."""
        if not isinstance(parsed, card_actions.DecisionAction):
            return replies.for_error(error, self.deps.catalog)
        request = await services.request_status(self.deps.uow_factory(), parsed.request_id)
        return replies.approval_card(request, self.deps.catalog, problem=str(error))

    async def _dispatch(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        if isinstance(parsed, card_actions.SubmitRequestAction):
            return await self.submit(turn_context, parsed)
        if isinstance(parsed, card_actions.DecisionAction):
            return await self.decide(turn_context, parsed)
        if isinstance(parsed, card_actions.AnswerAction):
            return await self.answer(turn_context, parsed)
        return await self.refresh(turn_context, parsed)

    async def submit(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        kind = RequestKind(parsed.kind)
        try:
            draft = card_actions.draft_from_form(kind, parsed.values)
            request = await services.submit_request(
                d.uow_factory(), d.catalog, d.clock, draft, actor_of(activity),
                source_of(activity), d.policy,
            )
        except InvalidRequest as error:
            return replies.form_card(kind, d.catalog, d.clock.now().date(), d.policy,
                                     values=parsed.values, errors=error.problems)
        warning = await self._send_to_deciders(turn_context, request)
        await self._remember_card(request.id, activity.from_property.aad_object_id, "requester",
                                  activity.conversation.id, activity.reply_to_id or "",
                                  activity.service_url)
        return replies.confirmation_card(request, d.catalog, warning)

    async def decide(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        request = await services.record_decision(
            d.uow_factory(), d.catalog, d.clock, parsed.request_id, parsed.outcome,
            parsed.comment, actor_of(activity), source_of(activity),
        )
        if request.state is State.INFO_REQUESTED:
            await self._ask_requester(turn_context, request)
            card = replies.approval_card(request, d.catalog)
        else:
            card = replies.decided_card(request, d.catalog)
            await self._notify_requester(turn_context, request, card)
        await self._update_copies(turn_context, request, card, role="decider")
        return card

    async def answer(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        request = await services.answer_info(
            d.uow_factory(), d.catalog, d.clock, parsed.request_id, parsed.answer,
            actor_of(activity), source_of(activity),
        )
        card = replies.approval_card(request, d.catalog)
        await self._update_copies(turn_context, request, card, role="decider")
        await self._send_to_deciders(turn_context, request, text=(
            f"{request.requester_name} answered your question on {request.id}."))
        return replies.answer_sent_card(request, d.name_of(request.routed_to))

    async def refresh(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        request = await services.request_status(d.uow_factory(), parsed.request_id)
        person = d.catalog.person_by_aad(actor_of(turn_context.activity).aad_object_id)
        if person is not None and person.id in request.deciders and request.state in (
            State.PENDING, State.INFO_REQUESTED
        ) and person.id != request.requester_id:
            return replies.approval_card(request, d.catalog)
        return replies.status_card(request, d.catalog)

    async def _send_to_deciders(self, turn_context: TurnContext, request: Request,
                                text: str | None = None) -> str | None:
        """Send the approval card (or a note) to the first decider; a failure is reported back."""
        d = self.deps
        decider = request.routed_to
        aad = d.aad_of(decider)
        if aad is None:
            return "they have no Teams identity in the catalog"
        activity = card_activity(replies.approval_card(request, d.catalog),
                                 summary=f"{request.id} needs your decision")
        if text is not None:
            activity = MessageFactory.text(text)
        try:
            delivered = await d.messenger.send_to_person(
                aad, activity, route_of(turn_context))
        except DeliveryFailed as failure:
            log.warning("approval card for %s not delivered to %s", request.id, decider)
            return (f"{failure.reason}. {request.id} stays pending: ask them to open Signoff "
                    "in Teams and type: my approvals")
        if text is None:
            await self._remember_card(request.id, aad, "decider", delivered.conversation_id,
                                      delivered.activity_id, delivered.service_url)
        return None

    async def _ask_requester(self, turn_context: TurnContext, request: Request) -> None:
        await self._send_requester(turn_context, request, replies.question_card(request))

    async def _notify_requester(self, turn_context: TurnContext, request: Request,
                                card: dict[str, Any]) -> None:
        await self._send_requester(turn_context, request, card)

    async def _send_requester(self, turn_context: TurnContext, request: Request,
                              card: dict[str, Any]) -> None:
        aad = self.deps.aad_of(request.requester_id)
        if aad is None:
            return
        try:
            await self.deps.messenger.send_to_person(aad, card_activity(card),
                                                     route_of(turn_context))
        except DeliveryFailed:
            log.warning("outcome of %s not delivered to the requester", request.id)

    async def _update_copies(self, turn_context: TurnContext, request: Request,
                             card: dict[str, Any], role: str) -> None:
        """Every stored copy of the decider's card changes in place (the bot edits its message)."""
        async with self.deps.uow_factory() as uow:
            copies = await uow.cards.for_request(request.id)
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else ""
        for copy in copies:
            if copy.role != role:
                continue
            try:
                await self.deps.messenger.update(copy.conversation_id, copy.activity_id,
                                                 copy.service_url, bot_id, card_activity(card))
            except DeliveryFailed:
                log.warning("card copy of %s in %s not updated", request.id, copy.conversation_id)

    async def _remember_card(self, request_id: str, recipient_aad: str | None, role: str,
                             conversation_id: str, activity_id: str, service_url: str) -> None:
        if not activity_id or not recipient_aad:
            return
        async with self.deps.uow_factory() as uow:
            await uow.cards.add(request_id=request_id, recipient_aad=recipient_aad.lower(),
                                role=role, conversation_id=conversation_id,
                                activity_id=activity_id, service_url=service_url)
            await uow.commit()

