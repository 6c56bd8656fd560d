"""Universal Actions `refresh`: the card asks the bot for the viewer's own view of it.

adaptive-cards-py 0.4.3 types `Refresh.action` as a string, while the schema (1.4+) and Teams
want an Action.Execute there. `ExecuteRefresh` and `RefreshableCard` are the same models with
that one field typed properly, so a card with a refresh is still built and validated as models.
"""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types
from adaptive_cards.card import ActionExecute, AdaptiveCard

from cards import fields as f
from cards.verbs import REQUEST_REFRESH

MAX_REFRESH_USERS = 60  # Teams shows a user-specific view to at most 60 people per card


class ExecuteRefresh(types.Refresh):
    """`refresh` whose action is an Action.Execute (the only kind Teams runs)."""

    action: ActionExecute | None = None  # type: ignore[assignment]


class RefreshableCard(AdaptiveCard):
    """An AdaptiveCard whose `refresh` is an ExecuteRefresh."""

    refresh: ExecuteRefresh | None = None


def refresh_for(request_id: str, user_ids: Sequence[str]) -> ExecuteRefresh | None:
    """Teams asks the bot for the card again (verb `request.refresh`, the request id as data)
    whenever one of `user_ids` (Teams user ids, the first 60) looks at it; None for nobody."""
    ids = list(dict.fromkeys(u for u in user_ids if u))[:MAX_REFRESH_USERS]
    if not ids:
        return None
    action = ActionExecute(title="Refresh", verb=REQUEST_REFRESH, data={f.REQUEST_ID: request_id})
    return ExecuteRefresh(action=action, user_ids=ids)
