"""Evidence for auditors: each request with its decisions, reminders, escalations and state
changes as a timeline, the delegations that moved its decisions, and the audit chain's
verification result.

Standard library only; storage/evidence.py reads the records, cli/evidence_document.py words
and shapes them, cli/ writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from approvals.audit_chain import ChainReport
from approvals.delegating import ends_at
from approvals.model import AuditEvent, Request, State

# The messages that belong in evidence (the rest are cards and confirmations).
EVIDENCE_MESSAGES = ("reminder", "expiry_reminder", "escalation")
# Actions whose `from` and `to` are the people deciding (display names), not states.
DECIDERS_MOVED = frozenset({"request.escalated", "request.rerouted"})
STATES = frozenset(s.value for s in State)
DELEGATION_ACTIONS = ("delegation.started", "delegation.ended")


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
class DelegationEvidence:
    """A delegation that moved (or routed) decisions of exported requests: its own audit
    events (they carry no request id) and which of those requests it affected."""

    delegation_id: str
    events: tuple[RecordedEvent, ...]  # delegation.started, then delegation.ended if it ended
    requests: tuple[str, ...]  # the exported requests it affected, in export order


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    request_id: str
    action: str  # the audit action, or the message kind for a message
    actor_id: str
    actor_name: str
    outcome: str  # ok | refused for actions; the delivery state for messages
    state_from: str
    state_to: str
    deciders_from: str  # who decided before an escalation or a delegation's re-routing
    deciders_to: str  # ... and after it
    comment: str
    detail: dict[str, str]  # the rest of the event's detail
    source: str  # "audit event 12" or "message"
    chain: str  # "verified", "after the break", or "" (messages are not chained)
    recipient_id: str = ""  # messages only
    sent_at: datetime | None = None  # messages only
    attempts: int = 0  # messages only

    @property
    def is_message(self) -> bool:
        return self.source == "message"


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

    def holds(self, event_id: int) -> bool:
        """Whether the event is in the verified part of the chain."""
        return self.broken_id is None or event_id < self.broken_id


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


def timeline(evidence: RequestEvidence, chain: ChainResult) -> list[TimelineEntry]:
    """Every recorded action and every reminder or notice of one request, oldest first."""
    entries = [_event_entry(evidence.request, e, chain) for e in evidence.events]
    entries += [_message_entry(evidence.request, m) for m in evidence.messages]
    return sorted(entries, key=lambda e: (e.at, not e.is_message, e.source))


def _event_entry(request: Request, recorded: RecordedEvent, chain: ChainResult) -> TimelineEntry:
    event = recorded.event
    detail = dict(event.detail)
    moved_from = moved_to = state_from = state_to = ""
    if event.action in DECIDERS_MOVED:
        moved_from, moved_to = detail.pop("from", ""), detail.pop("to", "")
    elif {detail.get("from", ""), detail.get("to", "")} <= STATES | {""}:
        state_from, state_to = detail.pop("from", ""), detail.pop("to", "")
    # otherwise from/to are something else (not a state): they stay in the detail
    if event.action == "request.submitted" and not state_to:
        state_to = State.PENDING.value
    return TimelineEntry(
        at=event.at, request_id=request.id, action=event.action, actor_id=event.actor_id,
        actor_name=event.actor_name, outcome=event.outcome, state_from=state_from,
        state_to=state_to, deciders_from=moved_from, deciders_to=moved_to,
        comment=_comment_of(request, event), detail=detail,
        source=f"audit event {recorded.id}",
        chain="verified" if chain.holds(recorded.id) else "after the break",
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


def _message_entry(request: Request, message: SentMessage) -> TimelineEntry:
    return TimelineEntry(
        at=message.queued_at, request_id=request.id, action=message.kind,
        actor_id="signoff", actor_name="Signoff", outcome=message.state, state_from="",
        state_to="", deciders_from="", deciders_to="", comment="", detail={},
        source="message", chain="", recipient_id=message.recipient_id,
        sent_at=message.sent_at, attempts=message.attempts,
    )


def delegations_affecting(
    requests: Sequence[RequestEvidence], delegation_events: Sequence[RecordedEvent]
) -> list[DelegationEvidence]:
    """The delegations that affected the exported requests, oldest first: one that re-routed
    a request (its start or end names it), or that ran when a request was submitted and so
    routed it to the delegate from the start (the pair is among the request's stand-ins)."""
    by_id: dict[str, list[RecordedEvent]] = {}
    for recorded in sorted(delegation_events, key=lambda r: r.id):
        if recorded.event.action in DELEGATION_ACTIONS:
            by_id.setdefault(recorded.event.detail.get("delegation", ""), []).append(recorded)
    found = []
    for delegation_id, events in by_id.items():
        affected = [e.request.id for e in requests if _affected(e, delegation_id, events)]
        if delegation_id and affected:
            found.append(DelegationEvidence(delegation_id, tuple(events), tuple(affected)))
    return found


def _affected(evidence: RequestEvidence, delegation_id: str,
              events: Sequence[RecordedEvent]) -> bool:
    request = evidence.request
    if any(request.id in _named(e) for e in events):
        return True
    if any(e.event.action == "request.rerouted"
           and e.event.detail.get("delegation") == delegation_id for e in evidence.events):
        return True
    started = next((e.event for e in events if e.event.action == "delegation.started"), None)
    if started is None:
        return False
    pair = (started.detail.get("delegator", ""), started.detail.get("delegate", ""))
    ended = next((e.event.at for e in events if e.event.action == "delegation.ended"), None)
    until = started.detail.get("until", "")
    end = ended or (ends_at(datetime.fromisoformat(until).date()) if until else None)
    return (pair in request.stand_ins and started.at <= request.created_at
            and (end is None or request.created_at < end))


def _named(recorded: RecordedEvent) -> set[str]:
    """The requests a delegation event says it moved."""
    return {r.strip() for r in recorded.event.detail.get("requests", "").split(",") if r.strip()}

