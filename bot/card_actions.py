"""Card buttons (Action.Execute): parse the verb, call the service, answer with the new card.

Messages to other people (the owner's card, the requester's outcome, updates of every copy of
a card) are queued by the domain in the same transaction and delivered by the outbox relay.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import InvokeResponse

from approvals import services
from approvals.errors import ConcurrentUpdate, DomainError, InvalidRequest, NotAllowed
from approvals.model import Request, RequestKind, State
from bot import replies
from bot.deps import BotDeps, actor_of, source_of
from bot.messenger import BuiltInvokeResponse
from bot.references import References
from cards import actions as card_actions
from storage.engine import DatabaseUnavailable

log = logging.getLogger(__name__)
CARD = "application/vnd.microsoft.card.adaptive"
OPEN_FOR_DECIDERS = (State.PENDING, State.INFO_REQUESTED, State.APPROVED_PENDING_REVIEW)


def card_response(card: dict[str, Any]) -> InvokeResponse:
    return BuiltInvokeResponse(status=200, body={"statusCode": 200, "type": CARD, "value": card})


class CardActions:
    def __init__(self, deps: BotDeps, references: References) -> None:
        self.deps = deps
        self.references = references

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
        if activity.conversation is not None and activity.conversation.is_group:
            # The owner may never have written to the bot: their Teams id is in this roster.
            await self.references.remember_roster(turn_context)
        try:
            draft = card_actions.draft_from_form(kind, parsed.values)
            request = await services.submit_request(
                d.uow_factory(), d.catalog, d.clock, draft, actor_of(activity),
                source_of(activity), d.policy,
            )
        except InvalidRequest as error:
            return replies.form_card(kind, d.catalog, d.clock.now().date(), d.policy,
                                     values=parsed.values, errors=error.problems)
        await self._remember_card(request.id, activity.from_property.aad_object_id,
                                  activity.conversation.id, activity.reply_to_id or "",
                                  activity.service_url)
        return replies.confirmation_card(request, d.catalog, None)

    async def decide(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        request = await services.record_decision(
            d.uow_factory(), d.catalog, d.clock, parsed.request_id, parsed.outcome,
            parsed.comment, actor_of(activity), source_of(activity), d.policy,
        )
        return self._view_for(turn_context, request)

    async def answer(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        request = await services.answer_info(
            d.uow_factory(), d.catalog, d.clock, parsed.request_id, parsed.answer,
            actor_of(activity), source_of(activity), d.policy,
        )
        return replies.answer_sent_card(request, d.name_of(request.routed_to))

    async def refresh(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        request = await services.request_status(self.deps.uow_factory(), parsed.request_id)
        return self._view_for(turn_context, request)

    def _view_for(self, turn_context: TurnContext, request: Request) -> dict[str, Any]:
        """The card this person should see now: buttons while they can act, else the outcome."""
        d = self.deps
        person = d.catalog.person_by_aad(actor_of(turn_context.activity).aad_object_id)
        if (person is not None and person.id in request.deciders
                and person.id != request.requester_id and request.state in OPEN_FOR_DECIDERS
                and not any(s.approved_by == person.id for s in request.steps)):
            return replies.approval_card(request, d.catalog)
        if request.final_decision is not None:
            return replies.decided_card(request, d.catalog)
        return replies.status_card(request, d.catalog)

    async def _remember_card(self, request_id: str, recipient_aad: str | None,
                             conversation_id: str, activity_id: str, service_url: str) -> None:
        """The requester's form became their confirmation: update it as the request moves."""
        if not activity_id or not recipient_aad:
            return
        async with self.deps.uow_factory() as uow:
            await uow.cards.add(request_id=request_id, recipient_aad=recipient_aad.lower(),
                                role="requester", conversation_id=conversation_id,
                                activity_id=activity_id, service_url=service_url)
            await uow.commit()
