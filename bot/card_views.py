"""Each person's view of a request's card, with the Teams ids its `refresh` names.

Used for every card about a request the bot sends, updates or answers an invoke with, so a
copy in a 1:1 chat, a copy in a shared chat and a refreshed card never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adaptive_cards.card import AdaptiveCard

from approvals.model import Request
from bot.deps import BotDeps
from cards import views
from cards.refresh import RefreshableCard, refresh_for
from cards.render import card_to_dict

Card = dict[str, Any]


async def teams_ids(deps: BotDeps, person_ids: Iterable[str]) -> list[str]:
    """The Teams user ids (MRIs) `refresh.userIds` needs: the one Teams gave us in a chat or a
    roster when we have it, else the Entra form `8:orgid:<object id>`."""
    aads = [aad for p in person_ids if (aad := (deps.aad_of(p) or "").lower())]
    if not aads:  # a closed request: no unit of work to open
        return []
    async with deps.uow_factory() as uow:
        refs = await uow.conversations.get_many(aads)
    found: list[str] = []
    for aad in aads:
        known = refs[aad].user_id if aad in refs else ""
        found.append(known if known and known.lower() != aad else f"8:orgid:{aad}")
    return found


async def refresh_ids(deps: BotDeps, request: Request) -> list[str]:
    """The Teams ids of everyone who may decide the request now (none once it is closed)."""
    return await teams_ids(deps, views.deciders_now(deps.catalog, request))


async def card_for(deps: BotDeps, request: Request, viewer: str | None,
                   copy: views.Copy | None = None) -> Card:
    """The card `viewer` (catalog id, `aad:<id>`, or None for a shared chat) should see now."""
    view = views.view_for(deps.catalog, request, viewer, copy)
    overdue = copy is views.Copy.CHANNEL
    card = views.view_card(deps.catalog, request, view, await refresh_ids(deps, request),
                           overdue=overdue)
    return card_to_dict(card)


def viewer_of(deps: BotDeps, recipient_aad: str) -> str | None:
    """A stored copy's reader as a catalog id (or `aad:<id>` for someone outside the catalog)."""
    if not recipient_aad:
        return None
    person = deps.catalog.person_by_aad(recipient_aad)
    return person.id if person is not None else f"aad:{recipient_aad.lower()}"


async def with_refresh(deps: BotDeps, card: AdaptiveCard, request: Request) -> Card:
    """A card about the request that is not one of its views (the requester's receipt, a
    decider's card with the reason a click did nothing), with the refresh every card about an
    open request carries."""
    if isinstance(card, RefreshableCard) and request.state.is_open:
        card.refresh = refresh_for(request.id, await refresh_ids(deps, request))
    return card_to_dict(card)
