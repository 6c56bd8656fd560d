"""Housekeeping on SQLite and PostgreSQL: processed activities past their retention are deleted
a batch at a time; what is newer still stops a redelivery from acting twice, and the evidence
(requests, decisions, the audit chain) is never touched."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.catalog import Catalog
from approvals.errors import AlreadyDone
from approvals.model import Outcome, Source
from bot.housekeeping import PROCESSED_ACTIVITY_RETENTION, Housekeeping
from storage.audit_chain import SqlAuditChain
from storage.engine import create_engine
from storage.processed_activities import ProcessedActivityStore
from storage.tables import table_of
from storage.uow import SqlUnitOfWork
from tests.integration.support import ALICE, OWEN, START, FixedClock
from tests.integration.test_redelivery import draft


def click(n: int) -> Source:
    return Source("msteams", "a:owen", f"17000000000{n:02}")


async def record(uow_factory: Callable[[], SqlUnitOfWork], n: int, at: datetime) -> str | None:
    async with uow_factory() as uow:
        earlier = await uow.activities.record(click(n), f"EXC-{n}", "approve", at)
        await uow.commit()
    return earlier


async def keys_left(engine: AsyncEngine) -> list[str]:
    t = table_of("processed_activities")
    async with engine.connect() as connection:
        rows = await connection.execute(select(t.c.key).order_by(t.c.processed_at))
    return [row.key.rsplit("|", 1)[1] for row in rows]


async def test_rows_before_the_cutoff_go_oldest_first_a_batch_at_a_time(
    uow_factory: Callable[[], SqlUnitOfWork], engine: AsyncEngine,
) -> None:
    cutoff = START - timedelta(days=30)
    tick = timedelta(microseconds=1)
    for n, at in ((1, START - timedelta(days=40)), (2, cutoff - tick), (3, cutoff),
                  (4, cutoff + tick), (5, START)):
        await record(uow_factory, n, at)
    store = ProcessedActivityStore(engine)

    assert await store.forget_before(cutoff, limit=1) == 1
    assert await keys_left(engine) == ["1700000000002", "1700000000003", "1700000000004",
                                       "1700000000005"]
    assert [await store.forget_before(cutoff, limit=1) for _ in range(2)] == [1, 0]
    assert await keys_left(engine) == ["1700000000003", "1700000000004", "1700000000005"]
    # What is left still recognises its activity delivered again.
    assert await record(uow_factory, 3, START) == "EXC-3"


@pytest.mark.parametrize("batch", [1, 500])
async def test_a_sweep_keeps_thirty_days_and_the_evidence_and_a_recent_redelivery_acts_once(
    uow_factory: Callable[[], SqlUnitOfWork], engine: AsyncEngine, catalog: Catalog,
    clock: FixedClock, batch: int,
) -> None:
    old = await services.submit_request(uow_factory(), catalog, clock, draft(clock), ALICE,
                                        Source("msteams", "a:alice", "1700000000001"))
    await services.record_decision(uow_factory(), catalog, clock, old.id, Outcome.APPROVE, "",
                                   OWEN, click(2))
    clock.advance(days=1)
    kept = await services.submit_request(uow_factory(), catalog, clock, draft(clock), ALICE,
                                         Source("msteams", "a:alice", "1700000000003"))
    # Now the first two are a microsecond past their 30 days, the third a day inside them.
    clock.advance(days=PROCESSED_ACTIVITY_RETENTION.days - 1, microseconds=1)
    housekeeping = Housekeeping(ProcessedActivityStore(engine), clock, batch=batch)

    counts = [await housekeeping.run_once() for _ in range(3)]

    assert counts == ([1, 1, 0] if batch == 1 else [2, 0, 0])
    assert await keys_left(engine) == ["1700000000003"]
    with pytest.raises(AlreadyDone):  # the kept submit, delivered again, acts no more
        await services.submit_request(uow_factory(), catalog, clock, draft(clock), ALICE,
                                      Source("msteams", "a:alice", "1700000000003"))
    async with uow_factory() as uow:
        decided = await uow.requests.get(old.id)
        assert decided is not None and decided.final_decision is not None
        assert await uow.requests.get(kept.id) is not None
        assert len(await uow.audit.for_request(old.id)) == 2
    assert (await SqlAuditChain(engine).verify()).intact
    t = table_of("requests")
    async with engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(t))).scalar() == 2


async def test_two_replicas_sweeping_at_once_delete_each_row_once(
    uow_factory: Callable[[], SqlUnitOfWork], engine: AsyncEngine, database_url: str,
) -> None:
    async with uow_factory() as uow:
        for n in range(60):
            await uow.activities.record(click(n), f"EXC-{n}", "approve",
                                        START - timedelta(days=40, minutes=n))
        await uow.commit()
    other = create_engine(database_url)  # another pool: another replica, to the database
    cutoff = START - timedelta(days=30)

    async def sweep(store: ProcessedActivityStore) -> int:
        total = 0
        while went := await store.forget_before(cutoff, limit=7):
            total += went
        return total

    try:
        counts = await asyncio.gather(sweep(ProcessedActivityStore(engine)),
                                      sweep(ProcessedActivityStore(other)))
    finally:
        await other.dispose()

    assert sum(counts) == 60
    assert await keys_left(engine) == []
