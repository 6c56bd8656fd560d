"""The evidence export as one self-contained HTML page: the chain's verification result, a
summary table, each request's timeline, and the delegations that affected them. Every value is
escaped; no scripts, no links out."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from approvals.audit_chain import utc_iso
from approvals.evidence import (
    ChainResult,
    DelegationEvidence,
    RequestEvidence,
    TimelineEntry,
    timeline,
)
from cli.evidence_document import (
    EvidenceExport,
    chain_sentence,
    delegation_rows,
    detail_text,
    summary,
    what,
)

STYLE = """
body{font-family:"Segoe UI",system-ui,sans-serif;margin:24px;color:#242424;font-size:14px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 6px}
.meta{color:#616161;margin-bottom:14px}
.chain{padding:10px 14px;border-radius:6px;margin:12px 0 18px;font-weight:600;
 overflow-wrap:anywhere}
.ok{background:#e7f4e4;border:1px solid #6bb700} .bad{background:#fde7e9;border:1px solid #c50f1f}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}
th,td{border:1px solid #d1d1d1;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f5f5f5} td.t,td.d{font-family:Consolas,monospace;font-size:12px}
td.t{white-space:nowrap}
.facts td:first-child{width:150px;color:#616161}
.refused{color:#c50f1f} .message{color:#616161} .unverified{background:#fde7e9}
"""


def render_report(export: EvidenceExport) -> str:
    """The whole page."""
    scope = f"asset {export.asset}" if export.asset else "every asset"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Signoff evidence {export.start} to {export.end}</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Signoff evidence</h1>",
        f'<div class="meta">Requests made from {export.start} to {export.end} (UTC days, both '
        f"included), {_e(scope)}. Generated {_time(export.generated_at)} UTC. "
        f"{len(export.requests)} request(s). Times are UTC to the second; requests.csv, "
        "timeline.csv and evidence.json carry them to the microsecond.</div>",
        _chain_box(export.chain),
        "<h2>Summary</h2>",
        _summary_table(export.requests),
    ]
    for evidence in export.requests:
        parts.append(_request_section(evidence, export.chain, export.names))
    parts.append(_delegations_section(export.delegations, export.chain))
    parts.append("</body></html>")
    return "\n".join(parts)


def _chain_box(chain: ChainResult) -> str:
    css = "ok" if chain.verified else "bad"
    return f'<div class="chain {css}">{_e(chain_sentence(chain))}</div>'


SUMMARY = (("request_id", "Request"), ("kind", "Kind"), ("asset", "Asset"), ("title", "Title"),
           ("requester_name", "Requester"), ("created_at", "Created (UTC)"),
           ("state", "State"), ("decided_by", "Decided by"), ("decided_at", "Decided (UTC)"),
           ("reminders", "Reminders"), ("escalations", "Escalations"))


def _summary_table(requests: Sequence[RequestEvidence]) -> str:
    if not requests:
        return "<p>No requests in this period.</p>"
    rows = []
    for evidence in requests:
        row = summary(evidence)
        cells = []
        for key, _ in SUMMARY:
            value = row[key]
            if key.endswith("_at") and value:
                value = _time(datetime.fromisoformat(value))
                cells.append(f'<td class="d">{_e(value)}</td>')
            elif key == "request_id":
                cells.append(f'<td><a href="#{_e(value)}">{_e(value)}</a></td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return _table([label for _, label in SUMMARY], rows)


def _request_section(evidence: RequestEvidence, chain: ChainResult,
                     names: dict[str, str]) -> str:
    r = evidence.request
    facts = [("Asset", r.asset_name), ("Kind", r.kind.value),
             ("Requester", f"{r.requester_name} ({r.requester_id})"),
             ("State", r.state.label), ("Justification", r.justification)]
    if r.risk is not None:
        facts.append(("Risk", r.risk.value))
    if r.controls:
        facts.append(("Compensating controls", r.controls))
    if r.expires_on is not None:
        facts.append(("Expires on", r.expires_on.isoformat()))
    if r.change_ref:
        facts += [("Change reference", r.change_ref), ("Rolls back", r.rollback_of)]
    fact_rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in facts)
    entries = [_timeline_row(t, names) for t in timeline(evidence, chain)]
    return (f'<h2 id="{_e(r.id)}">{_e(r.id)}: {_e(r.title)}</h2>'
            f'<table class="facts">{fact_rows}</table>'
            + _table(["Time (UTC)", "What", "Who", "State", "Comment", "Record"], entries))


def _timeline_row(t: TimelineEntry, names: dict[str, str]) -> str:
    css = ("refused" if t.outcome == "refused" else "message" if t.is_message
           else "unverified" if t.chain == "after the break" else "")
    who = t.actor_name if t.actor_id == t.actor_name.lower() else f"{t.actor_name} ({t.actor_id})"
    state = f"{t.state_from} \u2192 {t.state_to}" if t.state_to else ""
    record = t.source + (" (not verified)" if t.chain == "after the break" else "")
    details = detail_text(t)
    detail = f"<br><small>{_e(details)}</small>" if details else ""
    cells = [f'<td class="t">{_e(_time(t.at))}</td>', f"<td>{_e(what(t, names))}{detail}</td>",
             f"<td>{_e(who)}</td>", f"<td>{_e(state)}</td>", f"<td>{_e(t.comment)}</td>",
             f"<td>{_e(record)}</td>"]
    return f'<tr class="{css}">{"".join(cells)}</tr>'


def _delegations_section(delegations: Sequence[DelegationEvidence],
                         chain: ChainResult) -> str:
    heading = "<h2>Delegations in the period</h2>"
    if not delegations:
        return heading + "<p>No delegation moved or routed these requests.</p>"
    rows = []
    for delegation in delegations:
        for row in delegation_rows(delegation, chain):
            css = "unverified" if row["chain"] == "after the break" else ""
            record = row["source"] + (" (not verified)" if css else "")
            cells = [
                f'<td class="t">{_e(_time(datetime.fromisoformat(row["at"])))}</td>',
                f"<td>{_e(row['what'])}<br><small>{_e(row['delegation'])}</small></td>",
                f"<td>{_e(row['actor_name'])} ({_e(row['actor_id'])})</td>",
                f"<td>{_e(row['delegator_name'])} \u2192 {_e(row['delegate_name'])}</td>",
                f"<td>{_e(row['until'])}</td>", f"<td>{_e(row['requests_moved'])}</td>",
                f"<td>{_e(row['requests_in_export'])}</td>", f"<td>{_e(record)}</td>"]
            rows.append(f'<tr class="{css}">{"".join(cells)}</tr>')
    return heading + _table(["Time (UTC)", "What", "Who", "Decisions of \u2192 go to",
                             "Until (UTC day)", "Requests moved", "Requests in this export",
                             "Record"], rows)


def _table(headings: Iterable[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _time(moment: datetime) -> str:
    """To the second, for reading; the CSV and JSON files keep the microseconds."""
    return utc_iso(moment).replace("T", " ")[:19]


def _e(value: object) -> str:
    return escape(str(value), quote=True)
