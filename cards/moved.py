"""The card a former decider keeps when a catalog change sends the request to someone else."""

from __future__ import annotations

from adaptive_cards import types
from adaptive_cards.card import AdaptiveCard

from approvals.catalog import Catalog
from approvals.model import Request
from cards.layout import SHORT, facts, heading, literal, new_card, note, rich, run
from cards.request_view import deciders_of, title_line
from cards.text import format_time, join_names


def moved_card(request: Request, catalog: Catalog, moved_to: str, reason: str) -> AdaptiveCard:
    """The request went to `moved_to` because of `reason`: no buttons, nothing to decide."""
    return new_card([
        heading("Moved to someone else"),
        title_line(request),
        rich(run(f"{request.id} now goes to "), run(literal(moved_to, SHORT), bold=True),
             run(": the ownership catalog changed ("), run(literal(reason, SHORT)), run(").")),
        facts([
            ("Request", request.id),
            ("Asset", request.asset_name),
            ("Deciders now", join_names(deciders_of(catalog, request), last="and")),
            ("Requester", request.requester_name),
            ("Moved", format_time(request.updated_at)),
        ]),
        note("You no longer need to decide it.", color=types.Colors.ACCENT, subtle=True),
    ])
