"""Cards of the lifecycle commands: delegation on, off and its status; a renewal asked for."""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types
from adaptive_cards.card import AdaptiveCard

from approvals.catalog import Catalog
from approvals.model import Delegation, Request
from cards.layout import Element, facts, heading, label, literal, new_card, note, rich, run
from cards.queries import request_rows
from cards.request_view import title_line
from cards.text import format_date, format_time, join_names


def _moved(requests: Sequence[Request], empty: str) -> list[Element]:
    return [label("Requests"), *request_rows(requests, empty)]


def delegation_started_card(delegation: Delegation, moved: Sequence[Request],
                            catalog: Catalog) -> AdaptiveCard:
    """`delegate to adele until ...`: who decides for you, until when, and what moved now."""
    delegate = catalog.display(delegation.delegate_id)
    return new_card([
        heading("Delegation on"),
        rich(run(literal(delegate), bold=True),
             run(" decides for you until the end of "),
             run(format_date(delegation.until), bold=True), run(" (UTC).")),
        facts([("Delegate", delegate), ("From", format_time(delegation.starts_at)),
               ("Until", f"{format_date(delegation.until)}, end of day UTC")]),
        rich(run("New requests you would decide go to "), run(literal(delegate)),
             run(", and so do those waiting for you now; the cards say on your behalf. When it "
                 "ends, what is still undecided comes back to you.")),
        *_moved(moved, "Nothing was waiting for you."),
        rich(run("To end it early, type: ", subtle=True),
             run("delegation off", monospace=True, subtle=True)),
    ])


def delegation_ended_card(delegation: Delegation, back: Sequence[Request],
                          catalog: Catalog) -> AdaptiveCard:
    """`delegation off`: it ended; the undecided requests are yours again."""
    delegate = catalog.display(delegation.delegate_id)
    return new_card([
        heading("Delegation off"),
        rich(run("You decide again: "), run(literal(delegate), bold=True),
             run(" no longer decides for you.")),
        *_moved(back, "Nothing undecided came back to you."),
    ])


def delegation_status_card(own: Delegation | None, for_others: Sequence[Delegation],
                           catalog: Catalog) -> AdaptiveCard:
    """`delegation`: the person's own delegation, and the people they decide for."""
    body: list[Element] = [heading("Delegation")]
    if own is None:
        body.append(rich(run("You decide your requests yourself. To hand them over while you "
                             "are away, type: "),
                         run("delegate to <person> until <YYYY-MM-DD>", monospace=True)))
    else:
        body.append(rich(run(literal(catalog.display(own.delegate_id)), bold=True),
                         run(" decides for you until the end of "),
                         run(format_date(own.until), bold=True), run(" (UTC).")))
    if for_others:
        names = [literal(catalog.display(d.delegator_id)) for d in for_others]
        body.append(rich(run("You decide on behalf of "), run(join_names(names, "and"),
                                                                bold=True), run("."),
                         spacing=types.Spacing.MEDIUM))
    return new_card(body)


def renewal_requested_card(renewal: Request, original: Request,
                           catalog: Catalog) -> AdaptiveCard:
    """`renew EXC-4`: the renewal request, whom it went to, the expiry it asks for."""
    before = format_date(original.expires_on) if original.expires_on else "-"
    after = format_date(renewal.expires_on) if renewal.expires_on else "-"
    return new_card([
        heading("Renewal asked"),
        rich(run(f"{renewal.id} asks to extend {original.id} from {before} to "),
             run(after, bold=True), run(".")),
        title_line(renewal),
        facts([("Renewal", renewal.id), ("Exception", original.id),
               ("Asset", renewal.asset_name),
               ("Routed to", join_names([catalog.display(d) for d in renewal.deciders])),
               ("State", renewal.state.label)]),
        note(f"It is decided like a new request. Until then {original.id} runs to {before}."),
    ])
