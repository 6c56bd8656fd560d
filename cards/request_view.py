"""How a request reads on every card that shows one: its facts, its texts, its history."""

from __future__ import annotations

from adaptive_cards import types
from adaptive_cards.card import Container

from approvals.away import AWAY
from approvals.catalog import Catalog
from approvals.model import Decision, Note, Outcome, Request, RequestKind, State
from cards.layout import (
    NOTE,
    TITLE,
    Element,
    facts,
    label,
    literal,
    rich,
    run,
    section,
    warning,
)
from cards.text import clean, format_date, format_time, shorten

KIND_LABEL = {RequestKind.EXCEPTION: "Policy exception", RequestKind.ROLLBACK: "Rollback"}
MAX_NOTES = 4  # the latest questions and answers; older ones are in `status <id>`
MAX_DECISIONS = 5
STATE_COLOR = {
    State.APPROVED: types.Colors.GOOD,
    State.ACTIVE: types.Colors.GOOD,
    State.REJECTED: types.Colors.ATTENTION,
    State.REVOKED: types.Colors.ATTENTION,
    State.INFO_REQUESTED: types.Colors.WARNING,
    State.APPROVED_PENDING_REVIEW: types.Colors.WARNING,
}


def tier_of(catalog: Catalog, request: Request) -> str:
    """The asset's tier, or "unknown" when the asset left the catalog since the request."""
    asset = catalog.assets.get(request.asset_name)
    return asset.tier.value if asset else "unknown"


def deciders_of(catalog: Catalog, request: Request) -> list[str]:
    """Display names of everyone who may decide the request, owner first."""
    return [catalog.display(d) for d in request.deciders]


def title_line(request: Request) -> Element:
    """The request id and its title, prominent."""
    return rich(
        run(f"{request.id} ", bold=True, size=types.FontSize.MEDIUM),
        run(literal(request.title, TITLE), size=types.FontSize.MEDIUM),
    )


def request_facts(catalog: Catalog, request: Request) -> Container:
    """Id, kind, asset, tier, requester, state, and the kind's own short fields."""
    pairs = [
        ("Request", request.id),
        ("Kind", KIND_LABEL[request.kind]),
        ("Asset", request.asset_name),
        ("Tier", tier_of(catalog, request)),
        ("Requester", request.requester_name),
        ("State", request.state.label),
    ]
    if request.kind is RequestKind.EXCEPTION:
        pairs.append(("Risk", request.risk.value if request.risk else "not given"))
        pairs.append(
            ("Expires on", format_date(request.expires_on) if request.expires_on else "not given")
        )
    else:
        pairs.append(("Change or incident", request.change_ref))
        pairs.append(("Emergency", "yes" if request.emergency else "no"))
    pairs.append(("Created", format_time(request.created_at)))
    return facts(pairs)


def request_texts(request: Request) -> list[Element]:
    """The long texts: justification, then controls (exception) or what is rolled back."""
    body = section("Justification", request.justification)
    if request.kind is RequestKind.EXCEPTION:
        body += section("Compensating controls", request.controls)
    else:
        body += section("What is rolled back", request.rollback_of)
    return body


def _note_line(item: Note) -> list[Element]:
    if item.kind == AWAY:  # "Megan Bowen is away until ...; sent to Adele Vance"
        return [warning(item.text)]
    verb = {"question": "asked", "answer": "answered", "revocation": "revoked it"}.get(
        item.kind, "wrote")
    return [
        rich(
            run(literal(item.author_name), bold=True),
            run(f" {verb} at {format_time(item.at)}", subtle=True),
            spacing=types.Spacing.SMALL,
        ),
        rich(run(shorten(clean(item.text), NOTE) or "-"), spacing=types.Spacing.NONE),
    ]


def notes_section(request: Request) -> list[Element]:
    """The latest questions and answers, oldest first; nothing when there are none."""
    if not request.notes:
        return []
    shown = request.notes[-MAX_NOTES:]
    body: list[Element] = [label("Notes" if any(n.kind in ("revocation", AWAY) for n in shown)
                                 else "Questions and answers")]
    if len(request.notes) > len(shown):
        body.append(rich(run(f"{len(request.notes) - len(shown)} earlier not shown", subtle=True)))
    for item in shown:
        body += _note_line(item)
    return body


def decision_text(request_id: str, decision: Decision) -> str:
    """ "EXC-1 approved by Megan Bowen at 2026-11-27 10:02 UTC" (or "Megan Bowen asked for info
    on EXC-1 at ...")."""
    who, at = literal(decision.decider_name), format_time(decision.decided_at)
    if decision.outcome is Outcome.NEED_INFO:
        return f"{who} asked for info on {request_id} at {at}"
    return f"{request_id} {decision.outcome.past_tense} by {who} at {at}"


def decision_color(outcome: Outcome) -> types.Colors:
    return {
        Outcome.APPROVE: types.Colors.GOOD,
        Outcome.REJECT: types.Colors.ATTENTION,
        Outcome.NEED_INFO: types.Colors.WARNING,
    }[outcome]


def decisions_section(request: Request) -> list[Element]:
    """Every decision (the latest few) with decider, time and comment (a question shows among
    the notes)."""
    if not request.decisions:
        return [label("Decisions"), rich(run("None yet.", subtle=True))]
    shown = request.decisions[-MAX_DECISIONS:]
    body: list[Element] = [label("Decisions")]
    if len(request.decisions) > len(shown):
        earlier = len(request.decisions) - len(shown)
        body.append(rich(run(f"{earlier} earlier not shown", subtle=True)))
    for decision in shown:
        body.append(rich(
            run(decision_text(request.id, decision), color=decision_color(decision.outcome)),
            spacing=types.Spacing.SMALL,
        ))
        if decision.comment.strip() and decision.outcome is not Outcome.NEED_INFO:
            comment = shorten(clean(decision.comment), NOTE)
            body.append(rich(run(comment), spacing=types.Spacing.NONE))
    return body


def outcome_text(request: Request) -> str:
    """Where the request stands, in one sentence: "EXC-1 approved by Megan Bowen at ..."."""
    final = request.final_decision
    if final is not None:
        return decision_text(request.id, final)
    latest = request.decisions[-1] if request.decisions else None
    if latest is not None and request.state is State.INFO_REQUESTED:
        return f"{decision_text(request.id, latest)}; waiting for {literal(request.requester_name)}"
    return f"{request.id} is {request.state.label} ({format_time(request.updated_at)})"
