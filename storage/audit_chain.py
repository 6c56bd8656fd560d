"""Reading the audit chain to verify it and to checkpoint its head. Read-only.

Each batch is its own short transaction: a long walk never holds SQLite's write lock (every
transaction there begins IMMEDIATE) for more than one batch. Events appended meanwhile only
extend the chain past where the walk is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals.audit_chain import (
    ChainBreak,
    ChainRecord,
    ChainReport,
    Checkpoint,
    check_checkpoint,
    walk_chain,
)
from storage.tables import table_of

BATCH = 1000
EVENTS = table_of("audit_events")


class SqlAuditChain:
    """The audit_events table as a chain of records, for `signoff audit` and evidence."""

    def __init__(self, engine: AsyncEngine, batch: int = BATCH) -> None:
        self._engine = engine
        self._batch = batch

    async def records(self, after: int = 0) -> AsyncIterator[ChainRecord]:
        """Every event with an id above `after`, in id order."""
        while True:
            async with self._engine.begin() as connection:
                rows = (await connection.execute(
                    select(EVENTS).where(EVENTS.c.id > after)
                    .order_by(EVENTS.c.id).limit(self._batch)
                )).all()
            for row in rows:
                yield _record(row)
            if len(rows) < self._batch:
                return
            after = rows[-1].id

    async def find_by_hash(self, hash_: str) -> ChainRecord | None:
        async with self._engine.begin() as connection:
            row = (await connection.execute(
                select(EVENTS).where(EVENTS.c.hash == hash_))).first()
        return _record(row) if row is not None else None

    async def newest_id(self) -> int | None:
        async with self._engine.begin() as connection:
            newest: int | None = (await connection.execute(
                select(func.max(EVENTS.c.id)))).scalar_one()
        return newest

    async def position_of(self, event_id: int) -> int:
        """How many events there are up to and including `event_id`."""
        async with self._engine.begin() as connection:
            count: int = (await connection.execute(
                select(func.count()).select_from(EVENTS).where(EVENTS.c.id <= event_id)
            )).scalar_one()
        return count

    async def verify(self) -> ChainReport:
        """Walk the whole chain; the report names the first event that does not fit."""
        return await walk_chain(self.records(), self.find_by_hash)

    async def verify_against(self, checkpoint: Checkpoint) -> tuple[ChainReport, ChainBreak | None]:
        """Walk the chain, then check a published checkpoint is still in it where it was."""
        report = await self.verify()
        if report.broken is not None:
            return report, None
        found = await self.find_by_hash(checkpoint.hash)
        position = await self.position_of(found.id) if found is not None else None
        return report, check_checkpoint(checkpoint, found, position, await self.newest_id())


def _record(row: Row[tuple[object, ...]]) -> ChainRecord:
    m = row._mapping
    return ChainRecord(
        id=m["id"], request_id=m["request_id"], action=m["action"], outcome=m["outcome"],
        actor_id=m["actor_id"], actor_name=m["actor_name"], at=m["at"], channel=m["channel"],
        conversation_id=m["conversation_id"], activity_id=m["activity_id"],
        detail=m["detail"], prev_hash=m["prev_hash"], hash=m["hash"],
    )
