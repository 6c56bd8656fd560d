"""The cards the bot sends, as plain dicts ready for an attachment or an invoke response."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from approvals.catalog import Catalog
from approvals.errors import DomainError
from approvals.model import Delegation, Request, RequestKind
from approvals.policies import Policy
from approvals.services import Holdings, Ownership
from cards import forms, lifecycle, messages, moved, queries, requester
from cards.render import card_to_dict

Card = dict[str, Any]


def help_card(welcome: bool = False, not_understood: str | None = None) -> Card:
    intro = None
    if welcome:
        intro = ("Hi, I'm Signoff: I route policy exceptions and rollbacks to the owner of an "
                 "asset and record every decision.")
    elif not_understood is not None:
        intro = "I didn't understand that. Here is what I can do:"
    return card_to_dict(queries.help_card(intro))


def message(title: str, text: str, *details: str) -> Card:
    return card_to_dict(messages.message_card(title, text, *details))


def for_error(error: DomainError, catalog: Catalog) -> Card:
    return card_to_dict(messages.card_for_error(error))


def database_unavailable() -> Card:
    return message(
        "Signoff can't reach its database",
        "Nothing was recorded or changed. Try again in a minute; if it keeps failing, tell "
        "the team that runs Signoff.",
    )


def unexpected_error(reference: str | None = None) -> Card:
    return card_to_dict(messages.error_card(reference))


def ownership_card(ownership: Ownership, catalog: Catalog, mention: bool = False) -> Card:
    return card_to_dict(queries.who_owns_card(ownership, mention=mention))


def holdings_card(holdings: Holdings) -> Card:
    return card_to_dict(queries.holdings_card(holdings))


def status_card(request: Request, catalog: Catalog) -> Card:
    return card_to_dict(queries.status_card(request, catalog))


def my_requests_card(found: Sequence[Request]) -> Card:
    return card_to_dict(queries.my_requests_card(found))


def my_approvals_card(found: Sequence[Request]) -> Card:
    return card_to_dict(queries.my_approvals_card(found))


def form_card(kind: RequestKind, catalog: Catalog, today: date, policy: Policy,
              values: Any = None, errors: dict[str, str] | None = None,
              asset_name: str | None = None) -> Card:
    return card_to_dict(forms.request_form(
        kind, catalog, today, policy, asset_name=asset_name, values=values, errors=errors
    ))


def moved_card(request: Request, catalog: Catalog, moved_to: str, reason: str) -> Card:
    return card_to_dict(moved.moved_card(request, catalog, moved_to, reason))


def answer_sent_card(request: Request, back_with: str | None) -> Card:
    return card_to_dict(requester.answer_sent_card(request, back_with))


def delegation_started_card(delegation: Delegation, moved: Sequence[Request],
                            catalog: Catalog) -> Card:
    return card_to_dict(lifecycle.delegation_started_card(delegation, moved, catalog))


def delegation_ended_card(delegation: Delegation, back: Sequence[Request],
                          catalog: Catalog) -> Card:
    return card_to_dict(lifecycle.delegation_ended_card(delegation, back, catalog))


def delegation_status_card(own: Delegation | None, for_others: Sequence[Delegation],
                           catalog: Catalog) -> Card:
    return card_to_dict(lifecycle.delegation_status_card(own, for_others, catalog))


def renewal_requested_card(renewal: Request, original: Request, catalog: Catalog) -> Card:
    return card_to_dict(lifecycle.renewal_requested_card(renewal, original, catalog))
