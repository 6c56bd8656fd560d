"""The evidence export's words and shapes: what each audit action and message is called, the
rows of requests.csv, timeline.csv and delegations.csv, and evidence.json. The HTML page
(cli/evidence_report.py) reads the same words from here."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from approvals.audit_chain import utc_iso
from approvals.evidence import (
    ChainResult,
    DelegationEvidence,
    RecordedEvent,
    RequestEvidence,
    TimelineEntry,
    timeline,
)

# Every action the code appends to the audit trail (tests/unit/test_evidence_document.py
# finds them in the source and checks each has a label here).
ACTION_LABELS = {
    "request.submitted": "submitted",
    "request.emergency_approved": "approved as an emergency (review pending)",
    "request.info_answered": "answered the question",
    "request.escalated": "escalated",
    "request.rerouted": "re-routed by a delegation",
    "request.withdrawn": "withdrawn",
    "request.revoked": "revoked",
    "request.lapsed": "lapsed",
    "request.expired": "closed: the exception it renews or reviews ended",
    "request.renewal_requested": "renewal requested",
    "request.extended": "expiry extended by an approved renewal",
    "request.review_due": "periodic review opened",
    "request.review_kept": "kept at its periodic review",
    "decision.approve": "approved",
    "decision.reject": "rejected",
    "decision.need_info": "asked for information",
    "delegation.started": "delegation started",
    "catalog.imported": "ownership catalog imported",
    "delegation.ended": "delegation ended",
    "audit.checkpoint_posted": "audit checkpoint posted",
}
MESSAGE_LABELS = {
    "reminder": "reminder to decide",
    "expiry_reminder": "reminder: the exception ends soon",
    "escalation": "overdue notice to a channel",
}
TIMELINE_COLUMNS = ("at", "request_id", "what", "actor_id", "actor_name", "outcome",
                    "state_from", "state_to", "deciders_from", "deciders_to", "comment",
                    "detail", "source", "chain")
DELEGATION_COLUMNS = ("at", "delegation", "what", "actor_id", "actor_name", "delegator_id",
                      "delegator_name", "delegate_id", "delegate_name", "until",
                      "requests_moved", "requests_in_export", "source", "chain")


@dataclass(frozen=True)
class EvidenceExport:
    start: date
    end: date  # inclusive
    asset: str | None
    generated_at: datetime
    chain: ChainResult
    requests: list[RequestEvidence]
    names: dict[str, str]  # person id -> display name, where the catalog knows them
    delegations: list[DelegationEvidence] = field(default_factory=list)


def chain_sentence(chain: ChainResult) -> str:
    """The verification result in one sentence, as every file states it."""
    if chain.verified and chain.head_id is None:
        return "Audit chain verified: no events yet."
    if chain.verified:
        assert chain.head_at is not None
        return (f"Audit chain verified: {chain.count} events; head event {chain.head_id} "
                f"at {utc_iso(chain.head_at)}, hash {chain.head_hash}.")
    return (f"Audit chain BROKEN at event {chain.broken_id} ({chain.broken_kind}): "
            f"{chain.explanation}. Events from {chain.broken_id} on are not verified.")


def what(entry: TimelineEntry, names: dict[str, str]) -> str:
    """A timeline entry in words: the action, who the deciders moved between, a refusal."""
    if entry.is_message:
        to = names.get(entry.recipient_id, entry.recipient_id)
        return f"{MESSAGE_LABELS.get(entry.action, entry.action)} to {to}"
    label = ACTION_LABELS.get(entry.action, entry.action)
    if entry.action == "request.rerouted" and "catalog" in entry.detail.get("reason", ""):
        label = "re-routed by a catalog change"
    if entry.deciders_from or entry.deciders_to:
        label += f": {entry.deciders_from or '?'} \u2192 {entry.deciders_to or '?'}"
    if entry.outcome != "ok":
        label = f"tried: {label} ({entry.outcome}: {entry.detail.get('reason', '')})"
    return label


def detail_text(entry: TimelineEntry) -> str:
    """The rest of an event's detail as canonical JSON; for a message, its delivery."""
    if entry.is_message:
        sent = f", sent {utc_iso(entry.sent_at)}" if entry.sent_at else ""
        return f"recipient {entry.recipient_id}; {entry.attempts} attempt(s){sent}"
    return json.dumps(entry.detail, sort_keys=True, ensure_ascii=False) if entry.detail else ""


def timeline_row(entry: TimelineEntry, names: dict[str, str]) -> dict[str, str]:
    values = {"at": utc_iso(entry.at), "what": what(entry, names), "detail": detail_text(entry)}
    return {name: values.get(name, str(getattr(entry, name, ""))) for name in TIMELINE_COLUMNS}


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


def delegation_rows(delegation: DelegationEvidence, chain: ChainResult) -> list[dict[str, str]]:
    """One row per audit event of the delegation (its start, and its end once it ended)."""
    rows = []
    for recorded in delegation.events:
        event, detail = recorded.event, recorded.event.detail
        values = {
            "at": utc_iso(event.at), "delegation": delegation.delegation_id,
            "what": ACTION_LABELS.get(event.action, event.action),
            "actor_id": event.actor_id, "actor_name": event.actor_name,
            "delegator_id": detail.get("delegator", ""),
            "delegate_id": detail.get("delegate", ""),
            "requests_moved": detail.get("requests", ""),
            "requests_in_export": ", ".join(delegation.requests),
            "source": f"audit event {recorded.id}", "chain": _mark(recorded, chain),
        }
        rows.append({name: values.get(name, detail.get(name, ""))
                     for name in DELEGATION_COLUMNS})
    return rows


def request_document(evidence: RequestEvidence, chain: ChainResult,
                     names: dict[str, str]) -> dict[str, object]:
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
        "audit_events": [_event_document(e) for e in evidence.events],
        "timeline": [timeline_row(t, names) for t in timeline(evidence, chain)],
    }


def delegation_document(delegation: DelegationEvidence,
                        chain: ChainResult) -> dict[str, object]:
    first = delegation.events[0].event.detail
    return {
        "delegation": delegation.delegation_id,
        "delegator_id": first.get("delegator", ""),
        "delegator_name": first.get("delegator_name", ""),
        "delegate_id": first.get("delegate", ""),
        "delegate_name": first.get("delegate_name", ""),
        "until": first.get("until", ""),
        "requests_in_export": list(delegation.requests),
        "audit_events": [{**_event_document(e), "what": ACTION_LABELS.get(e.event.action, ""),
                          "chain": _mark(e, chain)} for e in delegation.events],
    }


def document(export: EvidenceExport) -> dict[str, object]:
    """evidence.json."""
    chain = export.chain
    return {
        "period": {"from": export.start.isoformat(), "to": export.end.isoformat(),
                   "asset": export.asset, "time_zone": "UTC"},
        "generated_at": utc_iso(export.generated_at),
        "chain": {
            "verified": chain.verified, "events": chain.count, "head_event_id": chain.head_id,
            "head_hash": chain.head_hash,
            "head_at": utc_iso(chain.head_at) if chain.head_at else None,
            "broken_event_id": chain.broken_id, "broken_kind": chain.broken_kind,
            "explanation": chain.explanation, "statement": chain_sentence(chain),
        },
        "requests": [request_document(e, chain, export.names) for e in export.requests],
        "delegations": [delegation_document(d, chain) for d in export.delegations],
    }


def _event_document(recorded: RecordedEvent) -> dict[str, object]:
    e = recorded.event
    return {"id": recorded.id, "hash": recorded.hash, "at": utc_iso(e.at), "action": e.action,
            "outcome": e.outcome, "actor_id": e.actor_id, "actor_name": e.actor_name,
            "channel": e.source.channel, "conversation_id": e.source.conversation_id,
            "activity_id": e.source.activity_id, "detail": dict(e.detail)}


def _mark(recorded: RecordedEvent, chain: ChainResult) -> str:
    return "verified" if chain.holds(recorded.id) else "after the break"
