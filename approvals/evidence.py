"""Evidence for auditors: each request with its decisions, reminders, escalations and state
changes, as a timeline of UTC times and actors, and the audit chain's verification result.

Standard library only; storage/evidence.py reads the records, cli/ writes the files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from approvals.audit_chain import ChainReport, utc_iso
from approvals.model import AuditEvent, Request

# The messages that belong in evidence (the rest are cards and confirmations).
EVIDENCE_MESSAGES = ("reminder", "expiry_reminder", "escalation")

ACTION_LABELS = {
    "request.submitted": "submitted",
    "request.emergency_approved": "approved as an emergency (review pending)",
    "request.info_answered": "answered the question",
    "request.escalated": "escalated",
    "request.withdrawn": "withdrawn",
    "request.revoked": "revoked",
    "request.lapsed": "lapsed",
    "decision.approve": "approved",
    "decision.reject": "rejected",
    "decision.need_info": "asked for information",
}
MESSAGE_LABELS = {
    "reminder": "reminder to decide",
    "expiry_reminder": "reminder: the exception ends soon",
    "escalation": "overdue notice to a channel",
}


@dataclass(frozen=True)
class RecordedEvent:
    """An audit event as stored: its id and hash place it in the chain."""

    id: int
    hash: str
    event: AuditEvent


@dataclass(frozen=True)
class SentMessage:
    """A reminder or notice the request caused, queued at a time and (maybe) sent later."""

    kind: str
    recipient_id: str
    queued_at: datetime
    state: str  # pending | running | sent | failed
    sent_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class RequestEvidence:
    request: Request  # with its decisions and notes
    events: tuple[RecordedEvent, ...]
    messages: tuple[SentMessage, ...]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    request_id: str
    what: str
    actor_id: str
    actor_name: str
    outcome: str  # ok | refused for actions; the delivery state for messages
    state_from: str
    state_to: str
    comment: str
    detail: str  # the rest, as canonical JSON
    source: str  # "audit event 12" or "message"
    chain: str  # "verified", "after the break", or "" (messages are not chained)


@dataclass(frozen=True)
class ChainResult:
    """The verification result every export states."""

    verified: bool
    count: int
    head_id: int | None
    head_hash: str | None
    head_at: datetime | None
    broken_id: int | None
    broken_kind: str | None
    explanation: str

    @property
    def sentence(self) -> str:
        if self.verified and self.head_id is None:
            return "Audit chain verified: no events yet."
        if self.verified:
            assert self.head_at is not None
            return (f"Audit chain verified: {self.count} events; head event {self.head_id} "
                    f"at {utc_iso(self.head_at)}, hash {self.head_hash}.")
        return (f"Audit chain BROKEN at event {self.broken_id} ({self.broken_kind}): "
                f"{self.explanation}. Events from {self.broken_id} on are not verified.")


def chain_result(report: ChainReport) -> ChainResult:
    """What the export says about the chain: the verified head, or the first broken event."""
    head = report.head
    broken = report.broken
    return ChainResult(
        verified=broken is None, count=report.count,
        head_id=head.id if head else None, head_hash=head.hash if head else None,
        head_at=head.at if head else None,
        broken_id=broken.event_id if broken else None,
        broken_kind=broken.kind.value if broken else None,
        explanation=broken.explanation if broken else "",
    )


def timeline(evidence: RequestEvidence, chain: ChainResult,
             names: dict[str, str] | None = None) -> list[TimelineEntry]:
    """Every recorded action and every reminder or notice of one request, oldest first."""
    entries = [_event_entry(evidence.request, e, chain) for e in evidence.events]
    entries += [_message_entry(evidence.request, m, names or {}) for m in evidence.messages]
    return sorted(entries, key=lambda e: (e.at, e.source != "message", e.source))


def _event_entry(request: Request, recorded: RecordedEvent, chain: ChainResult) -> TimelineEntry:
    event = recorded.event
    detail = dict(event.detail)
    state_from, state_to = detail.pop("from", ""), detail.pop("to", "")
    if event.action == "request.escalated":  # its from/to are people, not states
        detail.update({"from_people": state_from, "to_people": state_to})
        state_from = state_to = ""
    if event.action == "request.submitted" and not state_to:
        state_to = "pending"
    label = ACTION_LABELS.get(event.action, event.action)
    if event.outcome != "ok":
        label = f"tried: {label} ({event.outcome}: {detail.get('reason', '')})"
    after_break = chain.broken_id is not None and recorded.id >= chain.broken_id
    return TimelineEntry(
        at=event.at, request_id=request.id, what=label, actor_id=event.actor_id,
        actor_name=event.actor_name, outcome=event.outcome, state_from=state_from,
        state_to=state_to, comment=_comment_of(request, event),
        detail=json.dumps(detail, sort_keys=True, ensure_ascii=False) if detail else "",
        source=f"audit event {recorded.id}",
        chain="after the break" if after_break else "verified",
    )


def _comment_of(request: Request, event: AuditEvent) -> str:
    """The comment of the decision, or the text of the answer, the event records (same
    person, same time)."""
    if event.outcome != "ok":
        return ""
    if event.action.startswith("decision."):
        return next((d.comment for d in request.decisions
                     if d.decider_id == event.actor_id and d.decided_at == event.at), "")
    if event.action == "request.info_answered":
        return next((n.text for n in request.notes if n.kind == "answer"
                     and n.author_id == event.actor_id and n.at == event.at), "")
    return ""


def _message_entry(request: Request, message: SentMessage,
                   names: dict[str, str]) -> TimelineEntry:
    to = names.get(message.recipient_id, message.recipient_id)
    sent = f", sent {utc_iso(message.sent_at)}" if message.sent_at else ""
    return TimelineEntry(
        at=message.queued_at, request_id=request.id,
        what=f"{MESSAGE_LABELS.get(message.kind, message.kind)} to {to}",
        actor_id="signoff", actor_name="Signoff", outcome=message.state, state_from="",
        state_to="", comment="",
        detail=f"recipient {message.recipient_id}; {message.attempts} attempt(s){sent}",
        source="message", chain="",
    )


def summary(evidence: RequestEvidence) -> dict[str, str]:
    """One row per request: what it asked, who asked, where it stands, who decided and when."""
    r = evidence.request
    final = r.final_decision
    return {
        "request_id": r.id, "kind": r.kind.value, "asset": r.asset_name, "title": r.title,
        "requester_id": r.requester_id, "requester_name": r.requester_name,
        "created_at": utc_iso(r.created_at), "state": r.state.value,
        "decided_by": final.decider_name if final else "",
        "decided_at": utc_iso(final.decided_at) if final else "",
        "outcome": final.outcome.value if final else "",
        "expires_on": r.expires_on.isoformat() if r.expires_on else "",
        "decisions": str(len(r.decisions)),
        "reminders": str(sum(m.kind != "escalation" for m in evidence.messages)),
        "escalations": str(sum(e.event.action == "request.escalated" for e in evidence.events)),
        "updated_at": utc_iso(r.updated_at),
    }


def request_document(evidence: RequestEvidence, chain: ChainResult,
                     names: dict[str, str] | None = None) -> dict[str, object]:
    """The whole record of one request, as the JSON export carries it."""
    r = evidence.request
    return {
        "request": {
            **summary(evidence), "justification": r.justification,
            "risk": r.risk.value if r.risk else None, "controls": r.controls,
            "change_ref": r.change_ref, "rollback_of": r.rollback_of,
            "emergency": r.emergency, "rule": r.rule.value, "version": r.version,
        },
        "decisions": [
            {"outcome": d.outcome.value, "decider_id": d.decider_id,
             "decider_name": d.decider_name, "decided_at": utc_iso(d.decided_at),
             "comment": d.comment}
            for d in r.decisions
        ],
        "notes": [
            {"kind": n.kind, "author_id": n.author_id, "author_name": n.author_name,
             "at": utc_iso(n.at), "text": n.text}
            for n in r.notes
        ],
        "messages": [
            {"kind": m.kind, "recipient_id": m.recipient_id, "queued_at": utc_iso(m.queued_at),
             "state": m.state, "sent_at": utc_iso(m.sent_at) if m.sent_at else None,
             "attempts": m.attempts}
            for m in evidence.messages
        ],
        "audit_events": [
            {"id": e.id, "hash": e.hash, "at": utc_iso(e.event.at), "action": e.event.action,
             "outcome": e.event.outcome, "actor_id": e.event.actor_id,
             "actor_name": e.event.actor_name, "channel": e.event.source.channel,
             "conversation_id": e.event.source.conversation_id,
             "activity_id": e.event.source.activity_id, "detail": dict(e.event.detail)}
            for e in evidence.events
        ],
        "timeline": [timeline_row(t) for t in timeline(evidence, chain, names)],
    }


TIMELINE_COLUMNS = ("at", "request_id", "what", "actor_id", "actor_name", "outcome",
                    "state_from", "state_to", "comment", "detail", "source", "chain")


def timeline_row(entry: TimelineEntry) -> dict[str, str]:
    return {name: utc_iso(entry.at) if name == "at" else str(getattr(entry, name))
            for name in TIMELINE_COLUMNS}
