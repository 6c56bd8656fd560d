"""Short message cards for refusals and errors: a title line and a sentence, one style for all."""

from __future__ import annotations

from adaptive_cards import types
from adaptive_cards.card import ActionExecute, ActionSet, AdaptiveCard

from approvals.errors import (
    AlreadyDecided,
    AmbiguousAsset,
    DomainError,
    InvalidRequest,
    NotADecider,
    SelfDecision,
    UnknownAsset,
    UnknownRequest,
)
from cards.fields import ASSET, label_of
from cards.layout import LONG, SHORT, Element, heading, literal, new_card, note, rich, run
from cards.text import format_time, join_names
from cards.verbs import ASSET_WHO_OWNS

MAX_DETAILS = 12


def message_card(title: str, text: str, *details: str, subtle_note: str = "") -> AdaptiveCard:
    """The one style of every message: a fixed title, a sentence and detail lines, all literal."""
    body: list[Element] = [heading(title), rich(run(literal(text, LONG)))]
    body += [
        rich(run(literal(line, 2 * SHORT)), spacing=types.Spacing.SMALL)
        for line in details[:MAX_DETAILS]
    ]
    if subtle_note:
        body.append(rich(run(literal(subtle_note), subtle=True)))
    return new_card(body)


def not_a_decider_card(error: NotADecider) -> AdaptiveCard:
    """Someone who may not decide pressed a decision button; nothing changed."""
    who = join_names([literal(name) for name in error.who_can])
    if isinstance(error, SelfDecision):
        text = f"You made {error.request_id}, so you cannot decide it. Only {who} can."
    else:
        text = f"Only {who} can decide {error.request_id}."
    return message_card("Not yours to decide", text, subtle_note="Nothing was changed.")


def already_decided_card(error: AlreadyDecided) -> AdaptiveCard:
    """A second decision on a decided request: who decided first, and when."""
    d = error.decision
    if d is None:
        text = f"{error.request_id} is already {error.state.label}."
    else:
        text = (
            f"{error.request_id} was already {d.outcome.past_tense} by "
            f"{literal(d.decider_name)} at {format_time(d.decided_at)}."
        )
    return message_card("Already decided", text, subtle_note="Nothing was changed.")


def unknown_asset_card(error: UnknownAsset) -> AdaptiveCard:
    """No asset by that name: the closest names, if any."""
    text = f"No asset named {literal(error.name, SHORT)}."
    if error.suggestions:
        text += " Did you mean: " + ", ".join(literal(s) for s in error.suggestions) + "?"
    return message_card("Unknown asset", text, subtle_note="Try: who owns <asset>")


def unknown_request_card(error: UnknownRequest) -> AdaptiveCard:
    """No request with that id."""
    return message_card(
        "Unknown request", f"There is no request {literal(error.request_id, SHORT)}.",
        subtle_note="Ids look like EXC-12 or RBK-3. Try: my requests",
    )


def invalid_request_card(error: InvalidRequest) -> AdaptiveCard:
    """A request that breaks a rule: one line per problem, by field."""
    lines = [f"{label_of(field)}: {problem}" for field, problem in error.problems.items()]
    return message_card("The request is not complete", "Please fix this and send it again:",
                        *lines)


def notice_card(title: str, error: DomainError) -> AdaptiveCard:
    """Any other rule the domain enforced, in its own words."""
    return message_card(title, str(error))


def error_card(reference: str | None = None) -> AdaptiveCard:
    """Something unexpected failed; `reference` helps whoever reads the logs."""
    return message_card(
        "Something went wrong",
        "Something went wrong on our side. Please try again in a minute.",
        subtle_note=f"Reference: {reference}" if reference else "",
    )


def asset_choice_card(error: AmbiguousAsset) -> AdaptiveCard:
    """A name several assets answer to: the best few, each a button asking who owns it."""
    shown = len(error.choices)
    more = error.matched - shown
    rows: list[Element] = [
        rich(run(literal(c.name), bold=True), run(f" · {literal(c.kind)} · owner "),
             run(literal(c.owner)), spacing=types.Spacing.SMALL)
        for c in error.choices
    ]
    if more > 0:
        rows.append(note(f"and {more} more: add a word to narrow it down", subtle=True))
    buttons = [
        ActionExecute(title=literal(c.name), verb=ASSET_WHO_OWNS, data={ASSET: c.name})
        for c in error.choices
    ]
    return new_card([
        heading("Which asset do you mean?"),
        rich(run(literal(error.name), monospace=True), run(
            f" matches {error.matched} assets." if error.matched > 1 else " is part of this name:"
        )),
        *rows,
        ActionSet(actions=list(buttons)),
    ])



def card_for_error(error: DomainError) -> AdaptiveCard:
    """The message card for a domain error (the bot's one place to turn errors into cards)."""
    if isinstance(error, NotADecider):
        return not_a_decider_card(error)
    if isinstance(error, AlreadyDecided):
        return already_decided_card(error)
    if isinstance(error, AmbiguousAsset):
        return asset_choice_card(error)
    if isinstance(error, UnknownAsset):
        return unknown_asset_card(error)
    if isinstance(error, UnknownRequest):
        return unknown_request_card(error)
    if isinstance(error, InvalidRequest):
        return invalid_request_card(error)
    return notice_card("Not possible", error)
