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
from approvals.errors import (
    AlreadyDone,
    ConcurrentUpdate,
    DomainError,
    InvalidRequest,
    NotAllowed,
)
from approvals.hidden_text import without_hidden
from approvals.model import Request, RequestKind
from approvals.queries import acting_id
from bot import card_updates, card_views, replies
from bot.deps import BotDeps, actor_of, in_shared_chat, source_of
from bot.directory_routing import reachable_for
from bot.messenger import BuiltInvokeResponse
from bot.references import References
from cards import actions as card_actions
from cards import decision, requester
from cards.views import Copy
from storage.engine import DatabaseUnavailable

log = logging.getLogger(__name__)
CARD = "application/vnd.microsoft.card.adaptive"


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
            card = await self._dispatch_once(turn_context, parsed)
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
        try:
            request = await services.request_status(self.deps.uow_factory(), parsed.request_id)
        except DomainError as unknown:  # refused before the request was looked up: no such id
            return replies.for_error(unknown, self.deps.catalog)
        card = decision.approval_card(request, self.deps.catalog, problem=str(error))
        return await card_views.with_refresh(self.deps, card, request)

    async def _dispatch_once(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        try:
            return await self._dispatch(turn_context, parsed)
        except AlreadyDone as done:
            return await self._replay(turn_context, parsed, done.request_id)

    async def _replay(self, turn_context: TurnContext, parsed: Any,
                      request_id: str) -> dict[str, Any]:
        """The channel delivered this click again: answer as the first delivery did."""
        request = await services.request_status(self.deps.uow_factory(), request_id)
        if isinstance(parsed, card_actions.SubmitRequestAction):
            return await card_views.with_refresh(
                self.deps, requester.confirmation_card(request, self.deps.catalog), request)
        if isinstance(parsed, card_actions.AnswerAction):
            return replies.answer_sent_card(request, self.deps.name_of(request.routed_to))
        return await self._view_for(turn_context, request)

    async def _dispatch(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        if isinstance(parsed, card_actions.SubmitRequestAction):
            return await self.submit(turn_context, parsed)
        if isinstance(parsed, card_actions.DecisionAction):
            return await self.decide(turn_context, parsed)
        if isinstance(parsed, card_actions.AnswerAction):
            return await self.answer(turn_context, parsed)
        if isinstance(parsed, card_actions.AssetQueryAction):
            return await self.who_owns(turn_context, parsed)
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
            reachable = await reachable_for(d, draft.asset_name)  # Graph, before the domain
            request = await services.submit_request(
                d.uow_factory(), reachable.catalog, d.clock, draft, actor_of(activity),
                source_of(activity), d.policy, away=reachable.away,
            )
        except InvalidRequest as error:
            # Hidden characters are refused and taken out, so the person sees what remains.
            visible = {name: without_hidden(value) for name, value in parsed.values.items()}
            return replies.form_card(kind, d.catalog, d.clock.now().date(), d.policy,
                                     values=visible, errors=error.problems)
        shared = bool(activity.conversation is not None and activity.conversation.is_group)
        if activity.from_property.aad_object_id:  # the requester's form became their receipt
            await card_updates.remember_copy(
                d, request.id, Copy.GROUP if shared else Copy.REQUESTER,
                activity.from_property.aad_object_id, activity.conversation.id,
                activity.reply_to_id, activity.service_url)
        # In a group chat the deciders among its members get their buttons on it by refresh.
        return await card_views.with_refresh(
            d, requester.confirmation_card(request, d.catalog), request)

    async def decide(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        request = await services.record_decision(
            d.uow_factory(), d.catalog, d.clock, parsed.request_id, parsed.outcome,
            parsed.comment, actor_of(activity), source_of(activity), d.policy,
        )
        return await self._view_for(turn_context, request)

    async def answer(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        d = self.deps
        activity = turn_context.activity
        request = await services.answer_info(
            d.uow_factory(), d.catalog, d.clock, parsed.request_id, parsed.answer,
            actor_of(activity), source_of(activity), d.policy,
        )
        return replies.answer_sent_card(request, d.name_of(request.routed_to))

    async def who_owns(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        ownership = await services.who_owns(
            self.deps.uow_factory(), self.deps.catalog, parsed.asset_name
        )
        return replies.ownership_card(ownership, self.deps.catalog,
                                      mention=in_shared_chat(turn_context))

    async def refresh(self, turn_context: TurnContext, parsed: Any) -> dict[str, Any]:
        """Teams asks for the card again (refresh, or Open): the caller's view of it now."""
        request = await services.request_status(self.deps.uow_factory(), parsed.request_id)
        return await self._view_for(turn_context, request)

    async def _view_for(self, turn_context: TurnContext, request: Request) -> dict[str, Any]:
        """The card this person should see now: who they are comes from the activity, never
        from the card (a current decider gets the buttons, anyone else the status)."""
        viewer = acting_id(self.deps.catalog, actor_of(turn_context.activity))
        return await card_views.card_for(self.deps, request, viewer)

