"""The audit trail cannot be changed unseen: triggers refuse changes, and where someone with
the power to drop them (a superuser, the table's owner) does so anyway, the hash chain names
the first event that does not fit. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from approvals.audit_chain import BreakKind, ChainReport, checkpoint_of, event_hash
from storage.audit_chain import SqlAuditChain
from storage.uow import uow_factory
from tests.integration.audit_history import history_catalog, seed_history
from tests.integration.support import FixedClock
from tests.integration.tampering import tamper

EVENTS_IN_HISTORY = 11


@pytest.fixture
async def chain(engine: AsyncEngine, clock: FixedClock) -> AsyncIterator[SqlAuditChain]:
    await seed_history(engine, uow_factory(engine, clock), history_catalog(), clock)
    yield SqlAuditChain(engine, batch=4)  # small batches: the walk crosses batch borders


async def refused(connection: AsyncConnection, statement: str) -> str:
    with pytest.raises(DBAPIError) as raised:
        async with connection.begin_nested():
            await connection.execute(text(statement))
    return str(raised.value.orig)


async def test_an_untouched_history_verifies_to_its_newest_event(chain: SqlAuditChain) -> None:
    report = await chain.verify()

    assert report.intact and report.count == EVENTS_IN_HISTORY
    assert report.head is not None and report.head.id == await chain.newest_id()
    assert report.head.action == "decision.approve" and report.head.request_id == "RBK-1"


async def test_the_table_refuses_update_and_delete(engine: AsyncEngine,
                                                   chain: SqlAuditChain) -> None:
    async with engine.connect() as connection:
        await connection.begin()
        update = await refused(connection, "UPDATE audit_events SET actor_name = 'x'")
        delete = await refused(connection, "DELETE FROM audit_events WHERE id = 3")
        if connection.dialect.name == "postgresql":
            truncate = await refused(connection, "TRUNCATE audit_events")
            assert "append-only: TRUNCATE refused" in truncate
        await connection.rollback()

    assert "append-only: UPDATE refused" in update
    assert "append-only: DELETE refused" in delete
    assert (await chain.verify()).count == EVENTS_IN_HISTORY


async def test_an_edited_event_is_named(engine: AsyncEngine, chain: SqlAuditChain) -> None:
    await tamper(engine, "UPDATE audit_events SET actor_id = 'bea' WHERE id = 4")

    report = await chain.verify()

    assert_break(report, BreakKind.EDITED, event_id=4, good_before=3)
    assert report.broken is not None and "event 4 (decision.approve) was edited" in (
        report.broken.explanation)


async def test_a_detail_that_is_no_longer_json_is_an_edit(engine: AsyncEngine,
                                                          chain: SqlAuditChain) -> None:
    await tamper(engine, "UPDATE audit_events SET detail = 'not json' WHERE id = 6")

    assert_break(await chain.verify(), BreakKind.EDITED, event_id=6, good_before=5)


async def test_a_deleted_event_in_the_middle_is_named_by_the_next(
    engine: AsyncEngine, chain: SqlAuditChain
) -> None:
    await tamper(engine, "DELETE FROM audit_events WHERE id = 7")

    report = await chain.verify()

    assert_break(report, BreakKind.MISSING, event_id=8, good_before=6)
    assert report.broken is not None and "between event 6 and it were deleted" in (
        report.broken.explanation)


async def test_a_deleted_first_event_is_caught(engine: AsyncEngine,
                                               chain: SqlAuditChain) -> None:
    await tamper(engine, "DELETE FROM audit_events WHERE id = 1")

    report = await chain.verify()

    assert_break(report, BreakKind.MISSING, event_id=2, good_before=0)
    assert report.broken is not None and "the start of the chain" in report.broken.explanation


async def test_swapped_events_are_named_as_reordered(engine: AsyncEngine,
                                                     chain: SqlAuditChain) -> None:
    await tamper(engine,
                 "UPDATE audit_events SET id = 1000 WHERE id = 5",
                 "UPDATE audit_events SET id = 5 WHERE id = 6",
                 "UPDATE audit_events SET id = 6 WHERE id = 1000")

    report = await chain.verify()

    assert_break(report, BreakKind.REORDERED, event_id=5, good_before=4)
    assert report.broken is not None and "chained after event 6" in report.broken.explanation


async def test_deleting_the_newest_events_is_caught_by_a_published_checkpoint(
    engine: AsyncEngine, chain: SqlAuditChain
) -> None:
    checkpoint = checkpoint_of(await chain.verify())
    assert checkpoint is not None and checkpoint.event_id == EVENTS_IN_HISTORY
    _, before = await chain.verify_against(checkpoint)
    await tamper(engine, "DELETE FROM audit_events WHERE id >= 10")

    report, late = await chain.verify_against(checkpoint)

    assert before is None
    assert report.intact and report.count == 9  # what is left still chains: only a checkpoint
    assert late is not None and late.kind is BreakKind.CHECKPOINT_MISSING
    assert late.event_id == EVENTS_IN_HISTORY
    assert "the newest stored event is 9" in late.explanation


async def test_a_rewritten_chain_does_not_contain_the_checkpoint(
    engine: AsyncEngine, chain: SqlAuditChain
) -> None:
    """Whoever edits an event and recomputes every hash after it gets a chain that verifies,
    but whose head is no longer the checkpointed one."""
    checkpoint = checkpoint_of(await chain.verify())
    assert checkpoint is not None
    await tamper(engine, "UPDATE audit_events SET actor_id = 'bea' WHERE id = 4")
    await rehash_from(engine, 4)

    report, late = await chain.verify_against(checkpoint)

    assert report.intact and report.count == EVENTS_IN_HISTORY
    assert late is not None and late.kind is BreakKind.CHECKPOINT_MISSING


async def test_a_checkpoint_moved_to_another_place_differs(
    engine: AsyncEngine, chain: SqlAuditChain
) -> None:
    old = checkpoint_of(await chain.verify())
    assert old is not None
    await tamper(engine, f"UPDATE audit_events SET id = 50 WHERE id = {old.event_id}")

    report, late = await chain.verify_against(old)

    assert report.intact
    assert late is not None and late.kind is BreakKind.CHECKPOINT_DIFFERS
    assert late.event_id == 50 and "is now stored as event 50" in late.explanation


async def rehash_from(engine: AsyncEngine, first_id: int) -> None:
    records = [r async for r in SqlAuditChain(engine).records()]
    prev = next(r.hash for r in records if r.id == first_id - 1)
    statements = [f"UPDATE audit_events SET hash = 'x{r.id}' WHERE id = {r.id}"
                  for r in records if r.id >= first_id]  # out of the unique index's way
    for record in (r for r in records if r.id >= first_id):
        fixed = replace(record, prev_hash=prev)
        prev = event_hash(fixed)
        statements.append(f"UPDATE audit_events SET prev_hash = '{fixed.prev_hash}', "
                          f"hash = '{prev}' WHERE id = {record.id}")
    await tamper(engine, *statements)


def assert_break(report: ChainReport, kind: BreakKind, *, event_id: int,
                 good_before: int) -> None:
    assert report.broken is not None, "the tampering went unseen"
    assert (report.broken.kind, report.broken.event_id) == (kind, event_id)
    assert report.count == good_before
    assert (report.head.id if report.head else 0) == good_before
