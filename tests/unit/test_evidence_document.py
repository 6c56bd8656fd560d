"""How the evidence export words the audit trail: every action the code appends has a label;
people are never shown as states; the delegations that affected a request are found."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from approvals.evidence import (
    ChainResult,
    RecordedEvent,
    RequestEvidence,
    delegations_affecting,
    timeline,
)
from approvals.model import AuditEvent, Outcome, Request, RequestKind, State
from cli.evidence_document import ACTION_LABELS, what

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
VERIFIED = ChainResult(True, 9, 9, "a" * 64, T0, None, None, "")


def appended_actions() -> set[str]:
    """Every audit action written in the code: `action="..."`, the delegation events and
    `decision.<outcome>`."""
    found = {f"decision.{o.value}" for o in Outcome}
    for path in [*(ROOT / "approvals").glob("*.py"), *(ROOT / "cli").glob("*.py")]:
        source = path.read_text("utf-8")
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
        found |= set(re.findall(r'_event\(\s*"([a-z_]+\.[a-z_]+)"', source))
    return found


def test_every_audit_action_the_code_appends_has_a_label() -> None:
    actions = appended_actions()

    assert {"request.rerouted", "request.extended", "request.review_kept",
            "request.review_due", "request.renewal_requested", "delegation.started",
            "delegation.ended", "audit.checkpoint_posted"} <= actions
    assert actions - set(ACTION_LABELS) == set()


def request(id_: str = "EXC-1", created_at: datetime = T0,
            stand_ins: tuple[tuple[str, str], ...] = ()) -> Request:
    return Request(
        id=id_, kind=RequestKind.EXCEPTION, asset_name="payments-api", title="t",
        justification="j", requester_id="alice", requester_name="Alice", deciders=("bea",),
        created_at=created_at, updated_at=created_at, state=State.PENDING,
        stand_ins=stand_ins,
    )


def recorded(id_: int, action: str, at: datetime, request_id: str | None = "EXC-1",
             **detail: str) -> RecordedEvent:
    return RecordedEvent(id_, f"{id_:064x}", AuditEvent(
        action, "ok", "owen", "Owen Owner", at, request_id, detail=detail))


def test_a_delegation_moves_people_not_states() -> None:
    events = (
        recorded(1, "request.submitted", T0),
        recorded(2, "request.rerouted", T0 + timedelta(hours=1), **{
            "from": "Owen Owner", "to": "Bea Backup", "reason": "delegation started",
            "delegation": "DLG-owen-1"}),
        recorded(3, "request.extended", T0 + timedelta(hours=2), **{
            "from": "2026-03-20", "to": "2026-04-20"}),
    )

    entries = timeline(RequestEvidence(request(), events, ()), VERIFIED)

    rerouted, extended = entries[1], entries[2]
    assert (rerouted.state_from, rerouted.state_to) == ("", "")
    assert (rerouted.deciders_from, rerouted.deciders_to) == ("Owen Owner", "Bea Backup")
    assert what(rerouted, {}) == "re-routed by a delegation: Owen Owner \u2192 Bea Backup"
    assert rerouted.detail == {"reason": "delegation started", "delegation": "DLG-owen-1"}
    # from/to that are not states (here dates) are not shown as states either
    assert (extended.state_from, extended.state_to) == ("", "")
    assert extended.detail == {"from": "2026-03-20", "to": "2026-04-20"}
    assert what(extended, {}) == "expiry extended by an approved renewal"


def delegation(id_: int, action: str, at: datetime, requests: str = "") -> RecordedEvent:
    return recorded(id_, action, at, None, delegation="DLG-owen-1", delegator="owen",
                    delegator_name="Owen Owner", delegate="bea", delegate_name="Bea Backup",
                    until=date(2026, 3, 5).isoformat(), requests=requests)


def test_the_delegations_that_affected_exported_requests_are_found() -> None:
    started = delegation(10, "delegation.started", T0, requests="EXC-1")
    ended = delegation(20, "delegation.ended", T0 + timedelta(days=1))
    moved = RequestEvidence(request("EXC-1"), (), ())
    routed = RequestEvidence(request("EXC-2", T0 + timedelta(hours=2), (("owen", "bea"),)), (),
                             ())
    after = RequestEvidence(request("EXC-3", T0 + timedelta(days=2), (("owen", "bea"),)), (),
                            ())
    unrelated = RequestEvidence(request("EXC-4", T0 + timedelta(hours=2)), (), ())

    found = delegations_affecting([moved, routed, after, unrelated], [ended, started])
    none = delegations_affecting([after, unrelated], [started, ended])

    assert [(d.delegation_id, d.requests) for d in found] == [
        ("DLG-owen-1", ("EXC-1", "EXC-2"))]
    assert [e.id for e in found[0].events] == [10, 20]
    assert none == []
