"""Answers to questions: status of a request, who owns an asset, my requests, my approvals, help."""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types
from adaptive_cards.card import ActionExecute, ActionSet, AdaptiveCard, Container

from approvals.catalog import Catalog
from approvals.model import Asset, Request
from approvals.services import Holdings, Ownership
from cards.fields import REQUEST_ID
from cards.layout import Element, facts, heading, label, literal, new_card, note, rich, run
from cards.mentions import mention_text, with_mentions
from cards.request_view import (
    STATE_COLOR,
    deciders_of,
    decisions_section,
    link_facts,
    notes_section,
    outcome_text,
    title_line,
)
from cards.text import format_date, format_time, join_names
from cards.verbs import REQUEST_REFRESH, TITLE_OPEN

MAX_ROWS = 20  # requests listed on one card; the rest are counted


def request_row(request: Request) -> Container:
    """One request in a list: id, asset and state on a line, the title under it."""
    return Container(
        items=[
            rich(
                run(request.id, bold=True),
                run(" · "),
                run(literal(request.asset_name)),
                run(" · "),
                run(request.state.label, color=STATE_COLOR.get(request.state)),
            ),
            rich(run(literal(request.title), subtle=True), spacing=types.Spacing.NONE),
        ],
        spacing=types.Spacing.SMALL,
    )


def request_rows(requests: Sequence[Request], empty_text: str) -> list[Element]:
    """Rows for up to MAX_ROWS requests, a count of the rest, or `empty_text`."""
    if not requests:
        return [note(empty_text, subtle=True)]
    rows: list[Element] = [request_row(r) for r in requests[:MAX_ROWS]]
    if len(requests) > MAX_ROWS:
        rows.append(note(f"and {len(requests) - MAX_ROWS} more", subtle=True))
    return rows


def status_card(request: Request, catalog: Catalog) -> AdaptiveCard:
    """A request's state, asset, owners, requester, creation, every decision, and its notes."""
    return new_card([
        heading("Request status"),
        title_line(request),
        rich(run(outcome_text(request), color=STATE_COLOR.get(request.state))),
        facts([
            ("Request", request.id),
            ("State", request.state.label),
            ("Asset", request.asset_name),
            # "Who decides" reads as a question still open once the request is decided.
            ("Who decides" if request.state.is_open else "Deciders",
             join_names(deciders_of(catalog, request), last="and")),
            ("Requester", request.requester_name),
            *expiry_fact(request),
            *link_facts(catalog, request),
            ("Created", format_time(request.created_at)),
            ("Updated", format_time(request.updated_at)),
        ]),
        *decisions_section(request),
        *notes_section(request),
    ])


def expiry_fact(request: Request) -> list[tuple[str, str]]:
    """An exception's expiry date (moved by renewals), nothing for a rollback."""
    if request.expires_on is None:
        return []
    return [("Expires on", format_date(request.expires_on))]


def who_owns_card(ownership: Ownership, mention: bool = False) -> AdaptiveCard:
    """An asset's owner, backup, team, kind, tier, tags and its open requests; with `mention`
    (in a channel or group chat) the owner and backup are @mentioned."""
    asset = ownership.asset
    mentions: list[Element] = []
    if mention and ownership.people:
        mentions = [note(" · ".join(mention_text(p) for p in ownership.people))]
    card = new_card([
        heading("Who owns it"),
        rich(run(literal(asset.name), bold=True, size=types.FontSize.MEDIUM)),
        *mentions,
        facts([
            ("Owner", ownership.owner),
            ("Backup", ownership.backup or "none"),
            ("Team", ownership.team or "none"),
            ("Kind", asset.kind),
            ("Tier", asset.tier.value),
            ("Tags", ", ".join(asset.tags) or "none"),
            ("Also known as", ", ".join(asset.aliases) or "-"),
        ]),
        label("Open requests"),
        *request_rows(ownership.open_requests, "No open requests."),
    ])
    return with_mentions(card, ownership.people) if mentions else card


def holdings_card(holdings: Holdings) -> AdaptiveCard:
    """`what does <person> own`: the assets they own and those they back up."""
    def rows(assets: Sequence[Asset], empty: str) -> list[Element]:
        if not assets:
            return [note(empty, subtle=True)]
        return [rich(run(literal(a.name), bold=True),
                     run(f" · {literal(a.kind)} · tier {a.tier.value}"),
                     spacing=types.Spacing.SMALL) for a in assets[:MAX_ROWS]]

    return new_card([
        heading(f"What {literal(holdings.person.name)} owns"),
        label("Owner"), *rows(holdings.owns, "Owns no asset."),
        label("Backup"), *rows(holdings.backs_up, "Backs up no asset."),
    ])


def my_requests_card(requests: Sequence[Request]) -> AdaptiveCard:
    """`my requests`: the requester's open requests and exceptions in force."""
    return new_card([
        heading("My requests"),
        *request_rows(requests, "You have no open requests. Try: request exception"),
    ])


def my_approvals_card(requests: Sequence[Request]) -> AdaptiveCard:
    """`my approvals`: the open requests waiting for the person's decision, each with an Open
    button that turns this card into that request's approval card."""
    if not requests:
        return new_card([heading("My approvals"),
                         note("Nothing is waiting for your decision.", subtle=True)])
    rows: list[Element] = []
    for request in requests[:MAX_ROWS]:
        open_button = ActionExecute(title=f"{TITLE_OPEN} {request.id}", verb=REQUEST_REFRESH,
                                    data={REQUEST_ID: request.id})
        rows += [request_row(request),
                 ActionSet(actions=[open_button], spacing=types.Spacing.SMALL)]
    if len(requests) > MAX_ROWS:
        rows.append(note(f"and {len(requests) - MAX_ROWS} more", subtle=True))
    return new_card([heading("My approvals"), *rows])


COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "this list"),
    ("who owns <asset>", "the owner, backup, team and open requests of an asset"),
    ("request exception [for <asset>]", "ask for a time-boxed exception to a policy"),
    ("request rollback [for <asset>]", "ask for a change or release to be rolled back"),
    ("status <id>", "where a request stands, e.g. status EXC-12"),
    ("my requests", "your open requests and active exceptions"),
    ("my approvals", "the requests waiting for your decision"),
    ("withdraw <id>", "take back your request before it is decided"),
    ("revoke <id> <reason>", "end an approved exception early (its owner)"),
    ("renew <id> [until <date>]", "ask to extend an active exception, within the policy's cap"),
    ("delegate to <person> until <date>", "your decisions go to them while you are away"),
    ("delegation off", "end your delegation: undecided requests come back to you"),
    ("delegation", "who decides for you, and for whom you decide"),
    ("what does <person> own", "the assets a person owns or backs up"),
)


def help_card(intro: str | None = None) -> AdaptiveCard:
    """The commands Signoff understands, after an optional fixed intro line."""
    rows: list[Element] = [
        rich(run(command, bold=True, monospace=True), run(f" – {what}"),
             spacing=types.Spacing.SMALL)
        for command, what in COMMANDS
    ]
    lead: list[Element] = [note(intro)] if intro else []
    return new_card([
        *lead,
        heading("Signoff"),
        note("Owned, time-boxed, auditable decisions on policy exceptions and rollbacks."),
        label("Commands"),
        *rows,
        note("In a channel or group chat, @mention Signoff first.", subtle=True),
    ])
