"""Conversions between domain requests and their rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from approvals.model import (
    Decision,
    DecisionRule,
    Note,
    Outcome,
    Request,
    RequestKind,
    Risk,
    State,
    Step,
)
from storage.tables import DecisionRow, NoteRow, RequestRow


def request_number(request_id: str) -> int:
    """The n of EXC-n / RBK-n."""
    _, _, number = request_id.rpartition("-")
    if not number.isdigit():
        raise ValueError(f"request id {request_id!r} does not end in -<number>")
    return int(number)


def mutable_fields(request: Request) -> dict[str, Any]:
    """Every column a later change to the request may rewrite (all but identity and origin)."""
    return {
        "asset_name": request.asset_name,
        "title": request.title,
        "justification": request.justification,
        "risk": request.risk.value if request.risk else None,
        "controls": request.controls,
        "expires_on": request.expires_on,
        "change_ref": request.change_ref,
        "rollback_of": request.rollback_of,
        "emergency": request.emergency,
        "deciders": json.dumps(list(request.deciders)),
        "rule": request.rule.value,
        "steps": json.dumps([
            {"role": s.role, "eligible": list(s.eligible), "approved_by": s.approved_by}
            for s in request.steps
        ]),
        "due_at": request.due_at,
        "escalation_level": request.escalation_level,
        "stand_ins": json.dumps([list(pair) for pair in request.stand_ins]),
        "renews": request.renews,
        "reviews": request.reviews,
        "state": request.state.value,
        "version": request.version,
        "updated_at": request.updated_at,
    }


def request_row(request: Request) -> RequestRow:
    return RequestRow(
        id=request.id, kind=request.kind.value, number=request_number(request.id),
        requester_id=request.requester_id, requester_name=request.requester_name,
        created_at=request.created_at, **mutable_fields(request),
    )


def decision_values(request_id: str, decision: Decision) -> dict[str, Any]:
    return {
        "request_id": request_id, "outcome": decision.outcome.value,
        "comment": decision.comment, "decider_id": decision.decider_id,
        "decider_name": decision.decider_name, "decided_at": decision.decided_at,
        "on_behalf_id": decision.on_behalf_id, "on_behalf_name": decision.on_behalf_name,
    }


def decision_row(request_id: str, decision: Decision) -> DecisionRow:
    return DecisionRow(**decision_values(request_id, decision))


def note_row(request_id: str, note: Note) -> NoteRow:
    return NoteRow(
        request_id=request_id, author_id=note.author_id, author_name=note.author_name,
        kind=note.kind, text=note.text, at=note.at,
    )


def to_request(
    row: RequestRow | Any, decisions: Iterable[DecisionRow | Any],
    notes: Iterable[NoteRow | Any],
) -> Request:
    """A domain request from its rows (ORM objects or Core rows: the same attribute names)."""
    return Request(
        id=row.id, kind=RequestKind(row.kind), asset_name=row.asset_name, title=row.title,
        justification=row.justification, requester_id=row.requester_id,
        requester_name=row.requester_name, deciders=_deciders(row.deciders),
        created_at=row.created_at, updated_at=row.updated_at, state=State(row.state),
        version=row.version, risk=Risk(row.risk) if row.risk else None, controls=row.controls,
        expires_on=row.expires_on, change_ref=row.change_ref, rollback_of=row.rollback_of,
        emergency=row.emergency, rule=DecisionRule(row.rule), steps=_steps(row.steps),
        due_at=row.due_at, escalation_level=row.escalation_level,
        stand_ins=_pairs(row.stand_ins), renews=row.renews or "", reviews=row.reviews or "",
        decisions=tuple(
            Decision(Outcome(d.outcome), d.decider_id, d.decider_name, d.decided_at, d.comment,
                     d.on_behalf_id or "", d.on_behalf_name or "")
            for d in decisions
        ),
        notes=tuple(Note(n.author_id, n.author_name, n.text, n.at, n.kind) for n in notes),
    )


def deciders_pattern(person_id: str) -> str:
    """A LIKE pattern (escape char backslash) that finds `person_id` in the JSON list text."""
    quoted = json.dumps(person_id)
    escaped = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _steps(text: str) -> tuple[Step, ...]:
    value: Sequence[Any] = json.loads(text or "[]")
    return tuple(
        Step(role=str(s["role"]), eligible=tuple(str(e) for e in s["eligible"]),
             approved_by=str(s["approved_by"]) if s.get("approved_by") else None)
        for s in value
    )


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    value: Sequence[Any] = json.loads(text or "[]")
    return tuple((str(a), str(b)) for a, b in value)


def _deciders(text: str) -> tuple[str, ...]:
    value: Sequence[Any] = json.loads(text)
    return tuple(str(v) for v in value)
