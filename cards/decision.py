"""The decider's approval card, and the decided card that replaces it and tells the requester."""

from __future__ import annotations

from adaptive_cards import types
from adaptive_cards.card import ActionExecute, AdaptiveCard, InputText

from approvals.catalog import Catalog
from approvals.model import Outcome, Request, RequestKind, State
from approvals.policies import MAX_TEXT
from cards import fields as f
from cards.layout import Element, heading, literal, new_card, rich, run, section, warning
from cards.request_view import (
    STATE_COLOR,
    decision_color,
    decision_text,
    ended_text,
    notes_section,
    outcome_text,
    request_facts,
    request_texts,
    title_line,
)
from cards.text import format_time
from cards.verbs import TITLE_FOR_OUTCOME, TITLE_FOR_REVIEW, VERB_FOR_OUTCOME

BUTTON_STYLE = {
    Outcome.APPROVE: types.ActionStyle.POSITIVE,
    Outcome.REJECT: types.ActionStyle.DESTRUCTIVE,
    Outcome.NEED_INFO: None,
}
WHAT = {RequestKind.EXCEPTION: "a policy exception", RequestKind.ROLLBACK: "a rollback"}


def decision_buttons(request_id: str, review: bool = False) -> list[ActionExecute]:
    """Approve, Reject, Ask for info (a review: Keep, Revoke, Ask for info): their data carries
    the request id and nothing else."""
    titles = {**TITLE_FOR_OUTCOME, **(TITLE_FOR_REVIEW if review else {})}
    return [
        ActionExecute(
            title=titles[outcome], verb=VERB_FOR_OUTCOME[outcome],
            data={f.REQUEST_ID: request_id}, style=BUTTON_STYLE[outcome],
        )
        for outcome in (Outcome.APPROVE, Outcome.REJECT, Outcome.NEED_INFO)
    ]


def _heading(request: Request) -> str:
    if request.reviews:
        return "Review: keep or revoke this exception?"
    if request.renews:
        return "Renewal: decision needed"
    if request.state is State.APPROVED_PENDING_REVIEW:
        return "Emergency rollback: review needed"
    if request.kind is RequestKind.ROLLBACK and request.emergency:
        return "Emergency rollback: decision needed"
    return "Decision needed"


def _ask_line(request: Request) -> Element:
    who = run(literal(request.requester_name), bold=True)
    asset = run(literal(request.asset_name), bold=True)
    if request.reviews:
        until = f" until {request.expires_on.isoformat()}" if request.expires_on else ""
        return rich(run(f"{request.reviews}, "), who, run("'s exception on "), asset,
                    run(f", is active{until}. Is it still needed? Keep it, or revoke it now."))
    if request.renews:
        until = request.expires_on.isoformat() if request.expires_on else "a later date"
        return rich(who, run(f" asks to extend {request.renews} on "), asset,
                    run(f" until {until}."))
    if request.state is State.APPROVED_PENDING_REVIEW:
        due = f" by {format_time(request.due_at)}" if request.due_at else ""
        return rich(who, run(" rolled back "), asset, run(
            " as an emergency: it was approved at once so they could act. Confirm it with "
            f"Approve, or Reject it{due}."))
    return rich(who, run(f" asks for {WHAT[request.kind]} on "), asset, run("."))


def approval_card(
    request: Request, catalog: Catalog, problem: str | None = None
) -> AdaptiveCard:
    """What a decider gets: the whole request, its questions and answers, a comment box and
    Approve / Reject / Ask for info; `problem` says why the last click did nothing."""
    body: list[Element] = [
        heading(_heading(request)),
        *([warning(problem)] if problem else []),
        _ask_line(request),
        title_line(request),
        request_facts(catalog, request),
        *request_texts(request),
        *notes_section(request),
        *_waiting_line(request),
        InputText(
            id=f.COMMENT, label="Comment", is_multiline=True, max_length=MAX_TEXT,
            placeholder="Optional. With Ask for info, this is your question.",
            spacing=types.Spacing.MEDIUM,
        ),
    ]
    return new_card(body, decision_buttons(request.id, review=bool(request.reviews)))


def _waiting_line(request: Request) -> list[Element]:
    if request.state is not State.INFO_REQUESTED:
        return []
    return [rich(
        run(f"Waiting for {literal(request.requester_name)} to answer; you can still decide.",
            color=types.Colors.WARNING),
        spacing=types.Spacing.MEDIUM,
    )]


def decided_card(request: Request, catalog: Catalog) -> AdaptiveCard:
    """The request after a decision: outcome, decider, time, comment and the facts; no buttons.

    It replaces the decider's approval card and is the requester's outcome notice."""
    final = request.final_decision
    color = STATE_COLOR.get(request.state) or (
        decision_color(final.outcome) if final else types.Colors.WARNING)
    body: list[Element] = [
        rich(run(outcome_text(request), bold=True, color=color, size=types.FontSize.MEDIUM)),
    ]
    if final is not None and ended_text(request) is not None:
        # Revoked or lapsed since: the decision it ended stays in view, with its comment.
        body.append(rich(run(decision_text(request.id, final),
                             color=decision_color(final.outcome))))
    if final is not None and final.comment.strip():
        body += section("Comment", final.comment)  # a question shows among the notes
    body += [
        title_line(request),
        request_facts(catalog, request),
        *request_texts(request),
        *notes_section(request),
    ]
    return new_card(body)
