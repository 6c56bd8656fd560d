"""Which card a person sees for a request, now: the decider's buttons, the requester's answer
box, or the status; and the `refresh` that lets Teams ask the bot again for each viewer.

Every card about a request is one of these views. A copy in a 1:1 chat shows its reader's
view; a copy in a shared chat or channel shows the status (everyone reads it), and Teams
swaps in the decider's view for the people listed in the card's `refresh.userIds`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from adaptive_cards.card import AdaptiveCard

from approvals.catalog import Catalog
from approvals.deciding import plan_move
from approvals.errors import DomainError
from approvals.model import Outcome, Request, State
from cards.decision import approval_card, decided_card
from cards.layout import heading, note
from cards.queries import status_card
from cards.refresh import RefreshableCard, refresh_for
from cards.requester import info_question_card


class View(enum.StrEnum):
    DECIDE = "decide"  # the whole request and Approve / Reject / Ask for info
    ANSWER = "answer"  # the decider's question and a reply box (the requester's question card)
    STATUS = "status"  # where an open request stands; no buttons
    FINAL = "final"  # how a closed request ended; no buttons


class Copy(enum.StrEnum):
    """What a card sent about a request was for; stored with it, so an update keeps its sense."""

    DECIDER = "decider"  # an approval or review card, 1:1
    REQUESTER = "requester"  # the requester's confirmation (their form, replaced), 1:1
    QUESTION = "question"  # a decider's question to the requester, 1:1
    OUTCOME = "outcome"  # the requester's outcome notice, 1:1
    GROUP = "group"  # the requester's confirmation in a group chat: everyone there reads it
    CHANNEL = "channel"  # an overdue request posted to a leadership channel

    @property
    def shared(self) -> bool:
        return self in (Copy.GROUP, Copy.CHANNEL)


def can_decide(catalog: Catalog, request: Request, person_id: str | None) -> bool:
    """`person_id` may decide now: the same rule a click is checked against (a designated
    decider, never the requester, one step each, their turn, the request open)."""
    if person_id is None or not request.state.is_open:
        return False
    return not isinstance(plan_move(catalog, request, person_id, Outcome.REJECT), DomainError)


def deciders_now(catalog: Catalog, request: Request) -> tuple[str, ...]:
    """Everyone who may decide the request now, in the request's order."""
    return tuple(p for p in request.deciders if can_decide(catalog, request, p))


def view_for(catalog: Catalog, request: Request, viewer: str | None,
             copy: Copy | None = None) -> View:
    """The view `viewer` (a catalog person id; None for a shared chat) gets of `copy`.

    A current decider gets the buttons; the requester keeps the reply box on a question card
    while the question is open; anyone else, and any copy of a closed request, the status."""
    if not request.state.is_open:
        return View.FINAL
    if can_decide(catalog, request, viewer):
        return View.DECIDE
    if (copy is Copy.QUESTION and viewer == request.requester_id
            and request.state is State.INFO_REQUESTED):
        return View.ANSWER
    return View.STATUS


def view_card(catalog: Catalog, request: Request, view: View,
              refresh_ids: Sequence[str] = (), overdue: bool = False) -> AdaptiveCard:
    """The card of `view`, with a refresh for `refresh_ids` (the Teams ids of the current
    deciders) while the request is open; `overdue` heads a status with the channel's alarm."""
    if view is View.DECIDE:
        card = approval_card(request, catalog)
    elif view is View.ANSWER:
        card = info_question_card(request)
    elif view is View.FINAL:
        card = decided_card(request, catalog)
    else:
        card = status_card(request, catalog)
    if overdue and view is View.STATUS:
        card.body = [heading(f"{request.id} is overdue"),
                     note("It was not decided in time by the owners below."),
                     *(card.body or [])[1:]]  # instead of the "Request status" heading
    if isinstance(card, RefreshableCard) and request.state.is_open:
        card.refresh = refresh_for(request.id, refresh_ids)
    return card


def overdue_card(catalog: Catalog, request: Request, refresh_ids: Sequence[str] = ()
                 ) -> AdaptiveCard:
    """A leadership channel's post about an overdue request: the status, under an alarm."""
    return view_card(catalog, request, view_for(catalog, request, None, Copy.CHANNEL),
                     refresh_ids, overdue=True)
