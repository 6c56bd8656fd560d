"""Text commands answered in chat: help, who owns, status, my requests, my approvals."""

from __future__ import annotations

import re
from datetime import date

from botbuilder.core import TurnContext

from approvals import services
from approvals.errors import DomainError
from bot import replies
from bot.commands import Command
from bot.deps import BotDeps, actor_of, in_shared_chat, source_of
from bot.directory_routing import reachable_for
from bot.messenger import card_activity
from storage.engine import DatabaseUnavailable

REQUEST_ID = re.compile(r"^(exc|rbk)-\d{1,9}$", re.IGNORECASE)
UNTIL = re.compile(r"^(?:to\s+)?(?P<who>.+?)\s+(?:until|till|til|through)\s+(?P<day>\S+)$",
                   re.IGNORECASE)
RENEW = re.compile(r"^(?P<id>\S+)(?:\s+(?:until|till|til|to)\s+(?P<day>\S+))?$", re.IGNORECASE)
DAY_EXAMPLE = "2026-12-24"


def parse_day(text: str) -> date | None:
    """A date written YYYY-MM-DD, else None."""
    try:
        return date.fromisoformat(text.strip(" .!,"))
    except ValueError:
        return None


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
            "renew": self.renew,
            "delegate": self.delegate,
            "delegation_off": self.delegation_off,
            "delegation": self.delegation,
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

    async def renew(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        match = RENEW.match(command.argument)
        if match is None or not REQUEST_ID.match(match["id"]):
            return replies.message("Which exception?",
                                   "Try `renew EXC-12` or `renew EXC-12 until 2027-01-31`.")
        until = parse_day(match["day"]) if match["day"] else None
        if match["day"] and until is None:
            return replies.message("Which date?", f"Write the new expiry as YYYY-MM-DD: "
                                   f"renew {match['id']} until {DAY_EXAMPLE}.")
        activity = turn_context.activity
        exception = await services.request_status(self.deps.uow_factory(), match["id"])
        reachable = await reachable_for(self.deps, exception.asset_name)  # as a submission
        renewal, original = await services.renew_exception(
            self.deps.uow_factory(), reachable.catalog, self.deps.clock, match["id"], until,
            actor_of(activity), source_of(activity), self.deps.policy, away=reachable.away,
        )
        return replies.renewal_requested_card(renewal, original, self.deps.catalog)

    async def delegate(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        match = UNTIL.match(command.argument)
        until = parse_day(match["day"]) if match else None
        if match is None or until is None:
            return replies.message("Delegate to whom, until when?",
                                   f"Try `delegate to adele until {DAY_EXAMPLE}` (the last "
                                   "day you are away, as YYYY-MM-DD).")
        activity = turn_context.activity
        delegation, moved = await services.start_delegation(
            self.deps.uow_factory(), self.deps.catalog, self.deps.clock, actor_of(activity),
            match["who"], until, source_of(activity), self.deps.policy,
        )
        return replies.delegation_started_card(delegation, moved, self.deps.catalog)

    async def delegation_off(self, turn_context: TurnContext, command: Command
                             ) -> dict[str, object]:
        activity = turn_context.activity
        delegation, back = await services.end_delegation(
            self.deps.uow_factory(), self.deps.catalog, self.deps.clock, actor_of(activity),
            source_of(activity), self.deps.policy,
        )
        return replies.delegation_ended_card(delegation, back, self.deps.catalog)

    async def delegation(self, turn_context: TurnContext, command: Command) -> dict[str, object]:
        if command.argument:  # "delegation to adele until ...": a delegation was meant
            return await self.delegate(turn_context, command)
        own, for_others = await services.running_delegations(
            self.deps.uow_factory(), self.deps.catalog, actor_of(turn_context.activity))
        return replies.delegation_status_card(own, for_others, self.deps.catalog)
