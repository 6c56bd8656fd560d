"""Find a person's Teams user id in the roster of the conversation a turn came from.

A 1:1 chat can be opened with a person's Entra object id in Teams, but some clients (the Agents
Playground among them) only accept the Teams user id, which a group chat or team roster gives.
"""

from __future__ import annotations

import logging

from aiohttp import ClientError
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema.teams import TeamsChannelAccount
from msrest.exceptions import ClientException

log = logging.getLogger(__name__)
MAX_PAGES = 5  # rosters larger than this are not searched; the Entra object id is used instead
PAGE_SIZE = 200


async def roster(turn_context: TurnContext) -> list[TeamsChannelAccount]:
    """The members of this turn's group chat or team (none for a personal chat), bounded."""
    conversation = turn_context.activity.conversation
    if conversation is None or (conversation.conversation_type or "personal") == "personal":
        return []
    members: list[TeamsChannelAccount] = []
    token: str | None = None
    try:
        for _ in range(MAX_PAGES):
            page = await TeamsInfo.get_paged_members(turn_context, token, PAGE_SIZE)
            members += page.members or []
            token = page.continuation_token
            if not token:
                break
    except (ClientException, ClientError, OSError, TypeError) as exc:
        log.info("roster lookup failed (%s)", type(exc).__name__)
    return members
