"""Cards for the requester: the confirmation after a submit, a decider's question, the reply."""

from __future__ import annotations

from adaptive_cards import types
from adaptive_cards.card import ActionExecute, AdaptiveCard, InputText

from approvals.away import AWAY
from approvals.catalog import Catalog
from approvals.model import Note, Outcome, Request
from approvals.policies import MAX_TEXT
from cards import fields as f
from cards.layout import (
    Element,
    facts,
    heading,
    literal,
    new_card,
    note,
    rich,
    run,
    section,
    warning,
)
from cards.request_view import title_line
from cards.text import format_time
from cards.verbs import INFO_ANSWER, TITLE_SEND_ANSWER


def confirmation_card(
    request: Request, catalog: Catalog, delivery_problem: str | None = None
) -> AdaptiveCard:
    """The requester's receipt: id, asset, who it went to, state; and a warning line when the
    card could not be delivered to the owner."""
    owner = catalog.display(request.routed_to)
    body: list[Element] = [
        heading("Request sent"),
        title_line(request),
        facts([
            ("Request", request.id),
            ("Asset", request.asset_name),
            ("Routed to", owner),
            ("State", request.state.label),
            ("Created", format_time(request.created_at)),
        ]),
        note("You get a message here when it is decided, or when the owner has a question."),
    ]
    body += [warning(n.text) for n in request.notes if n.kind == AWAY]
    if delivery_problem:
        body.append(warning(f"The card could not be delivered to {owner}: {delivery_problem}"))
    return new_card(body)


def latest_question(request: Request) -> Note | None:
    """The decider's latest question: a question note, else a need-info decision's comment."""
    for item in reversed(request.notes):
        if item.kind == "question":
            return item
    for d in reversed(request.decisions):
        if d.outcome is Outcome.NEED_INFO:
            return Note(d.decider_id, d.decider_name, d.comment, d.decided_at, "question")
    return None


def info_question_card(request: Request) -> AdaptiveCard:
    """A decider's question to the requester, a reply box and `Send answer`."""
    question = latest_question(request)
    asker = literal(question.author_name) if question else "The decider"
    body: list[Element] = [
        heading("A question about your request"),
        rich(run(asker, bold=True), run(" needs more information before deciding.")),
        title_line(request),
    ]
    if question is not None:
        body.append(rich(run(f"Asked at {format_time(question.at)}", subtle=True)))
    body += section("Question", question.text if question else "")
    body.append(InputText(
        id=f.ANSWER, label="Your answer", is_multiline=True, max_length=MAX_TEXT,
        is_required=True, error_message="Write an answer first", spacing=types.Spacing.MEDIUM,
    ))
    send = ActionExecute(
        title=TITLE_SEND_ANSWER, verb=INFO_ANSWER, data={f.REQUEST_ID: request.id},
        style=types.ActionStyle.POSITIVE,
    )
    return new_card(body, [send])


def answer_sent_card(request: Request, back_with: str | None = None) -> AdaptiveCard:
    """After the requester answered: the request is back with the decider who asked."""
    question = latest_question(request)
    owner = back_with or (question.author_name if question else "the owner")
    return new_card([
        heading("Answer sent"),
        rich(run(f"{request.id} is back with "), run(literal(owner), bold=True), run(".")),
        title_line(request),
    ])
