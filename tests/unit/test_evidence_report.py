"""The evidence report shows whatever people typed as text, never as markup."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from approvals.audit_chain import GENESIS_HASH
from approvals.evidence import (
    ChainResult,
    RecordedEvent,
    RequestEvidence,
    SentMessage,
    timeline,
)
from approvals.model import AuditEvent, Decision, Outcome, Request, RequestKind, State
from cli.evidence_document import EvidenceExport
from cli.evidence_report import render_report

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
VERIFIED = ChainResult(True, 2, 2, "a" * 64, T0, None, None, "")


def evidence(text: str) -> RequestEvidence:
    request = Request(
        id="EXC-1", kind=RequestKind.EXCEPTION, asset_name=text, title=text,
        justification=text, requester_id="alice", requester_name=text, deciders=("owen",),
        created_at=T0, updated_at=T0, state=State.APPROVED, controls=text,
        decisions=(Decision(Outcome.APPROVE, "owen", text, T0 + timedelta(hours=1), text),),
    )
    events = (
        RecordedEvent(1, GENESIS_HASH, AuditEvent(
            "request.submitted", "ok", "alice", text, T0, "EXC-1", detail={"asset": text})),
        RecordedEvent(2, "b" * 64, AuditEvent(
            "decision.approve", "ok", "owen", text, T0 + timedelta(hours=1), "EXC-1",
            detail={"from": "pending", "to": "approved"})),
    )
    messages = (SentMessage("reminder", text, T0 + timedelta(minutes=30), "sent",
                            T0 + timedelta(minutes=31), 1),)
    return RequestEvidence(request, events, messages)


def page(text: str, chain: ChainResult = VERIFIED) -> str:
    return render_report(EvidenceExport(
        date(2026, 3, 1), date(2026, 3, 31), text, T0, chain, [evidence(text)], {}))


HOSTILE = "<img src=x onerror=alert(1)> \"quoted\" & 'single' </td></table><script>x</script>"


def test_hostile_text_is_shown_escaped_everywhere() -> None:
    html = page(HOSTILE)

    assert "<img" not in html and "<script" not in html and "</table><script" not in html
    escaped = ("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#x27;single&#x27; "
               "&lt;/td&gt;&lt;/table&gt;&lt;script&gt;x&lt;/script&gt;")
    assert html.count(escaped) >= 8  # scope, summary, facts, names, comment


@given(st.text(max_size=40))
def test_no_typed_text_opens_a_tag(text: str) -> None:
    html = page(text)

    tags = {part.split(">", 1)[0].split()[0].strip("/") for part in html.split("<")[1:]}
    assert tags <= {"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "h1", "h2",
                    "div", "table", "thead", "tbody", "tr", "th", "td", "a", "br", "small",
                    "p"}


def test_a_broken_chain_is_stated_and_later_events_are_marked() -> None:
    broken = ChainResult(False, 1, 1, GENESIS_HASH, T0, 2, "edited",
                         "event 2 (decision.approve) was edited")

    html = page("x", broken)
    entries = timeline(evidence("x"), broken)

    assert 'class="chain bad"' in html and "Audit chain BROKEN at event 2 (edited)" in html
    assert [(e.source, e.chain) for e in entries] == [
        ("audit event 1", "verified"), ("message", ""), ("audit event 2", "after the break")]
    assert entries[2].comment == "x" and (entries[2].state_from, entries[2].state_to) == (
        "pending", "approved")
