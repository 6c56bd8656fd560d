"""The append-only audit log, each event hash-chained to the one before it."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.audit_chain import GENESIS_HASH, ChainRecord, canonical_json, event_hash
from approvals.model import AuditEvent, Source
from storage import prepared
from storage.tables import AuditEventRow

# pg_advisory_xact_lock key ("SIGNOFF" in ASCII): held from reading the last hash to commit,
# so two transactions can never chain onto the same predecessor.
AUDIT_CHAIN_LOCK = 0x5349474E4F4646
_LAST_HASH = select(AuditEventRow.hash).order_by(col(AuditEventRow.id).desc()).limit(1)


def chain_hash(row: AuditEventRow) -> str:
    """The event's hash over its canonical form (approvals/audit_chain.py states the rules)."""
    return event_hash(ChainRecord(
        id=row.id or 0, request_id=row.request_id, action=row.action, outcome=row.outcome,
        actor_id=row.actor_id, actor_name=row.actor_name, at=row.at, channel=row.channel,
        conversation_id=row.conversation_id, activity_id=row.activity_id, detail=row.detail,
        prev_hash=row.prev_hash, hash=row.hash,
    ))


class SqlAuditLog:
    """approvals.ports.AuditLog on SQLite or PostgreSQL. Never commits."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def append(self, event: AuditEvent) -> None:
        if self._dialect == "postgresql":
            await self._session.exec(select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
        # SQLite needs no lock: every transaction there starts with BEGIN IMMEDIATE.
        if event.at.utcoffset() is None:
            raise ValueError(f"audit event {event.action} has a naive time")
        values: dict[str, Any] = {
            "request_id": event.request_id, "action": event.action, "outcome": event.outcome,
            "actor_id": event.actor_id, "actor_name": event.actor_name,
            "at": event.at.astimezone(UTC), "channel": event.source.channel,
            "conversation_id": event.source.conversation_id,
            "activity_id": event.source.activity_id, "detail": canonical_json(dict(event.detail)),
            "prev_hash": await self._last_hash(), "hash": "",
        }
        # The id is not hashed (it is known only after the insert); the hash is over the rest.
        values["hash"] = event_hash(ChainRecord(id=0, **values))
        # A Core insert of the values: the session need not track an append-only row.
        statement = prepared.insert_row("audit_events", tuple(values))
        await prepared.run(self._session, statement, values)

    async def for_request(self, request_id: str) -> list[AuditEvent]:
        rows = (await self._session.exec(
            select(AuditEventRow).where(AuditEventRow.request_id == request_id)
            .order_by(col(AuditEventRow.id))
        )).all()
        return [_to_event(r) for r in rows]

    async def _last_hash(self) -> str:
        last = (await prepared.run(self._session, _LAST_HASH, {})).first()
        return str(last[0]) if last is not None else GENESIS_HASH


def _to_event(row: AuditEventRow) -> AuditEvent:
    detail: dict[str, Any] = json.loads(row.detail)
    return AuditEvent(
        action=row.action, outcome=row.outcome, actor_id=row.actor_id,
        actor_name=row.actor_name, at=row.at, request_id=row.request_id,
        source=Source(row.channel, row.conversation_id, row.activity_id),
        detail={str(k): str(v) for k, v in detail.items()},
    )
