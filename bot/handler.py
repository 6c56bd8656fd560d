"""The Teams activity handler: each handler parses, calls a service, renders, sends."""

from __future__ import annotations

import logging

from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.dialogs import DialogSet, DialogTurnStatus
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    DeliveryModes,
    InvokeResponse,
)

from approvals.catalog import Catalog
from approvals.policies import Policy
from bot.card_actions import CardActions
from bot.chat import ChatCommands
from bot.commands import parse_command
from bot.deps import BotDeps
from bot.references import References
from dialogs.request_dialog import RequestDialog

log = logging.getLogger(__name__)

__all__ = ["BotDeps", "SignoffBot"]


class SignoffBot(TeamsActivityHandler):
    def __init__(self, deps: BotDeps, conversation_state: ConversationState) -> None:
        self.deps = deps
        self.conversation_state = conversation_state
        self.dialogs = DialogSet(conversation_state.create_property("DialogState"))
        self.request_dialog = RequestDialog(deps.catalog, deps.clock, deps.policy)
        self.dialogs.add(self.request_dialog)
        self.chat = ChatCommands(deps)
        self.references = References(deps)
        self.card_actions = CardActions(deps, self.references)

    def use_catalog(self, catalog: Catalog, policy: Policy) -> None:
        """From the next turn on, every answer and card uses this catalog (reload)."""
        self.deps.catalog = self.request_dialog.catalog = catalog
        self.deps.policy = self.request_dialog.policy = policy

    async def on_turn(self, turn_context: TurnContext) -> None:
        await self.references.remember(turn_context)
        await super().on_turn(turn_context)
        await self.conversation_state.save_changes(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = TurnContext.remove_recipient_mention(activity) if activity.entities else None
        command = parse_command(text if text is not None else activity.text or "")
        dialog_context = await self.dialogs.create_context(turn_context)
        if command.name == "unknown" and dialog_context.active_dialog is not None:
            result = await dialog_context.continue_dialog()
            if result.status != DialogTurnStatus.Empty:
                return
        elif dialog_context.active_dialog is not None:
            await dialog_context.cancel_all_dialogs()
        if command.name in ("request_exception", "request_rollback"):
            kind = "exception" if command.name == "request_exception" else "rollback"
            await dialog_context.begin_dialog(
                RequestDialog.__name__, {"kind": kind, "asset": command.argument}
            )
            return
        await self.chat.handle(turn_context, command)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # Answering here, not in on_adaptive_card_invoke, avoids the 4.17 double-serialisation
        # bug that turns card actions into HTTP 500 (TEAMS-NOTES.md).
        if turn_context.activity.name == "adaptiveCard/action":
            response = await self.card_actions.handle(turn_context)
            if turn_context.activity.delivery_mode != DeliveryModes.expect_replies:
                # Kept where the adapter reads it, as `send_activity` keeps it, without the send
                # pipeline's deep copy of the activity (no send handler is registered here).
                turn_context.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = Activity(
                    type=ActivityTypes.invoke_response, value=response)
                turn_context.responded = True
            return response
        return await super().on_invoke_activity(turn_context)

    async def on_teams_members_added(
        self, teams_members_added: list[ChannelAccount], team_info: object,
        turn_context: TurnContext,
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(m.id == bot_id for m in teams_members_added):
            await self.chat.welcome(turn_context)
            await self.references.remember_roster(turn_context)
