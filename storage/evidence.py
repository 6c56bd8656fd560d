"""The evidence repository: requests made in a time range, with everything recorded about
them, and the delegations' audit events (they name no request). Read-only, in one transaction
(one snapshot of the records on PostgreSQL)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.evidence import (
    DELEGATION_ACTIONS,
    EVIDENCE_MESSAGES,
    RecordedEvent,
    RequestEvidence,
    SentMessage,
)
from approvals.model import AuditEvent, Source
from storage.engine import session_factory
from storage.request_rows import to_request
from storage.tables import AuditEventRow, DecisionRow, NoteRow, OutboxRow, RequestRow

CHUNK = 500  # request ids per IN (...) list
Row = TypeVar("Row", DecisionRow, NoteRow, AuditEventRow, OutboxRow)


class SqlEvidenceReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def gather(self, start: datetime, end: datetime, asset: str | None = None
                     ) -> tuple[list[RequestEvidence], list[RecordedEvent]]:
        """Requests created in [start, end), of one asset if named, oldest first; and every
        delegation event (approvals.evidence.delegations_affecting picks those that matter)."""
        async with self._sessions() as session, session.begin():
            query = select(RequestRow).where(col(RequestRow.created_at) >= start,
                                             col(RequestRow.created_at) < end)
            if asset is not None:
                query = query.where(col(RequestRow.asset_name) == asset)
            requests = (await session.exec(
                query.order_by(col(RequestRow.created_at), col(RequestRow.id)))).all()
            ids = [r.id for r in requests]
            decisions = await _by_request(session, DecisionRow, ids,
                                          col(DecisionRow.decided_at), col(DecisionRow.id))
            notes = await _by_request(session, NoteRow, ids, col(NoteRow.at), col(NoteRow.id))
            events = await _by_request(session, AuditEventRow, ids, col(AuditEventRow.id))
            messages = await _by_request(
                session, OutboxRow, ids, col(OutboxRow.created_at), col(OutboxRow.id),
                where=col(OutboxRow.kind).in_(EVIDENCE_MESSAGES))
            delegation_events = (await session.exec(
                select(AuditEventRow).where(col(AuditEventRow.request_id).is_(None),
                                            col(AuditEventRow.action).in_(DELEGATION_ACTIONS))
                .order_by(col(AuditEventRow.id)))).all()
        return [
            RequestEvidence(
                request=to_request(r, decisions[r.id], notes[r.id]),
                events=tuple(_recorded(e) for e in events[r.id]),
                messages=tuple(_message(m) for m in messages[r.id]),
            )
            for r in requests
        ], [_recorded(e) for e in delegation_events]


async def _by_request(
    session: AsyncSession, table: type[Row], ids: Sequence[str], *order: Any,
    where: ColumnElement[bool] | None = None,
) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = defaultdict(list)
    request_id = col(table.request_id)
    for i in range(0, len(ids), CHUNK):
        query = select(table).where(request_id.in_(ids[i:i + CHUNK]))
        if where is not None:
            query = query.where(where)
        for row in (await session.exec(query.order_by(*order))).all():
            assert row.request_id is not None
            found[row.request_id].append(row)
    return found


def _recorded(row: AuditEventRow) -> RecordedEvent:
    assert row.id is not None
    detail: dict[str, Any] = json.loads(row.detail) if _is_json(row.detail) else {
        "unreadable_detail": row.detail}
    return RecordedEvent(row.id, row.hash, AuditEvent(
        action=row.action, outcome=row.outcome, actor_id=row.actor_id,
        actor_name=row.actor_name, at=row.at, request_id=row.request_id,
        source=Source(row.channel, row.conversation_id, row.activity_id),
        detail={str(k): str(v) for k, v in detail.items()},
    ))


def _is_json(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _message(row: OutboxRow) -> SentMessage:
    return SentMessage(kind=row.kind, recipient_id=row.recipient_id, queued_at=row.created_at,
                       state=row.state, sent_at=row.sent_at, attempts=row.attempts)
