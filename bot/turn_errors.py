"""The one handler for the unexpected: log it with its type, tell the user nothing was lost."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import ActivityTypes

from bot.messenger import DELIVERY_ERRORS

log = logging.getLogger(__name__)


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    activity = turn_context.activity
    log.exception(
        "turn failed: %s (activity type=%s name=%s conversation=%s)", type(error).__name__,
        activity.type, activity.name, activity.conversation.id if activity.conversation else None,
        exc_info=error,
    )
    if activity.type != ActivityTypes.message:
        return
    try:
        await turn_context.send_activity(
            "Signoff could not finish that: nothing was changed. If it happens again, the "
            "database or Teams may be unavailable; try again in a minute."
        )
    except DELIVERY_ERRORS as failure:  # Teams is unreachable: the turn's HTTP answer stays 201
        log.warning("could not tell the user the turn failed: %s", type(failure).__name__)
