"""Text commands answered in chat: help, who owns, status, my requests, my approvals."""

from __future__ import annotations

import re

from botbuilder.core import TurnContext

from approvals import services
from approvals.errors import DomainError
from bot import replies
from bot.commands import Command
from bot.deps import BotDeps, actor_of, in_shared_chat, source_of
from bot.messenger import card_activity
from storage.engine import DatabaseUnavailable

REQUEST_ID = re.compile(r"^(exc|rbk)-\d{1,9}$", re.IGNORECASE)


class ChatCommands:
    def __init__(self, deps: BotDeps) -> None:
        self.deps = deps

    async def handle(self, turn_context: TurnContext, command: Command) -> None:
        handler = {
            "help": self.help,
            "who_owns": self.who_owns,
            "status": self.status,
            "my_requests": self.my_requests,
            "my_approvals": self.my_approvals,
            "withdraw": self.withdraw,
            "revoke": self.revoke,
            "what_owns": self.what_owns,
        }.get(command.name, self.unknown)
        try:
            card = await handler(turn_context, command)
        except DomainError as error:
            card = replies.for_error(error, self.deps.catalog)
        except DatabaseUnavailable:
            card = replies.database_unavailable()
        await turn_context.send_activity(card_activity(card))

    async def welcome(self, turn_context: TurnContext) -> None:
        await turn_context.send_activity(card_activity(replies.help_card(welcome=True)))

    async def help(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        return replies.help_card()

    async def unknown(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        return replies.help_card(not_understood=command.text)

    async def who_owns(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        if not command.argument:
            return replies.message("Which asset?", "Try `who owns payments-api`.")
        ownership = await services.who_owns(
            self.deps.uow_factory(), self.deps.catalog, command.argument
        )
        return replies.ownership_card(ownership, self.deps.catalog,
                                      mention=in_shared_chat(turn_context))

    async def status(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        if not REQUEST_ID.match(command.argument):
            return replies.message("Which request?", "Try `status EXC-12` or `status RBK-3`.")
        request = await services.request_status(self.deps.uow_factory(), command.argument)
        return replies.status_card(request, self.deps.catalog)

    async def my_requests(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        found = await services.my_requests(
            self.deps.uow_factory(), self.deps.catalog, actor_of(turn_context.activity)
        )
        return replies.my_requests_card(found)

    async def my_approvals(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        found = await services.my_approvals(
            self.deps.uow_factory(), self.deps.catalog, actor_of(turn_context.activity)
        )
        return replies.my_approvals_card(found)

    async def withdraw(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        if not REQUEST_ID.match(command.argument):
            return replies.message("Which request?", "Try `withdraw EXC-12`.")
        activity = turn_context.activity
        request = await services.withdraw_request(
            self.deps.uow_factory(), self.deps.catalog, self.deps.clock, command.argument,
            actor_of(activity), source_of(activity), self.deps.policy,
        )
        return replies.status_card(request, self.deps.catalog)

    async def revoke(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        request_id, _, reason = command.argument.partition(" ")
        if not REQUEST_ID.match(request_id):
            return replies.message("Which exception?", "Try `revoke EXC-12 <reason>`.")
        activity = turn_context.activity
        request = await services.revoke_exception(
            self.deps.uow_factory(), self.deps.catalog, self.deps.clock, request_id,
            reason.strip(" :-"), actor_of(activity), source_of(activity),
        )
        return replies.status_card(request, self.deps.catalog)

    async def what_owns(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        holdings = services.what_person_owns(self.deps.catalog, command.argument)
        return replies.holdings_card(holdings)
