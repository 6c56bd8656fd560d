"""Processed activities on SQLite and PostgreSQL: an activity delivered twice, even at the same
moment through several connections, acts once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.catalog import Catalog
from approvals.errors import AlreadyDone
from approvals.model import Outcome, RequestDraft, RequestKind, Risk, Source
from storage.audit_chain import SqlAuditChain
from storage.uow import SqlUnitOfWork
from tests.integration.support import ALICE, OWEN, FixedClock

SUBMIT = Source("msteams", "a:alice", "1700000000001")


def draft(clock: FixedClock, asset: str = "payments-api") -> RequestDraft:
    return RequestDraft(kind=RequestKind.EXCEPTION, asset_name=asset, title="Open the firewall",
                        justification="Vendor callback", risk=Risk.LOW,
                        expires_on=clock.now().date().replace(day=20))


async def test_concurrent_copies_of_one_submit_create_one_request(
    uow_factory: Callable[[], SqlUnitOfWork], engine: AsyncEngine, catalog: Catalog,
    clock: FixedClock,
) -> None:
    results = await asyncio.gather(*(
        services.submit_request(uow_factory(), catalog, clock, draft(clock), ALICE, SUBMIT)
        for _ in range(6)
    ), return_exceptions=True)
    created = [r for r in results if not isinstance(r, BaseException)]
    assert len(created) == 1
    assert all(isinstance(r, AlreadyDone) and r.request_id == created[0].id
               for r in results if isinstance(r, BaseException))
    async with uow_factory() as uow:
        assert await uow.requests.get("EXC-1") is not None
        assert await uow.requests.get("EXC-2") is None
        assert len(await uow.audit.for_request("EXC-1")) == 1
    assert (await SqlAuditChain(engine).verify()).intact


async def test_a_retried_approve_decides_once(
    uow_factory: Callable[[], SqlUnitOfWork], catalog: Catalog, clock: FixedClock,
) -> None:
    request = await services.submit_request(uow_factory(), catalog, clock, draft(clock), ALICE,
                                            SUBMIT)
    approve = Source("msteams", "a:owen", "1700000000002")
    results = await asyncio.gather(*(
        services.record_decision(uow_factory(), catalog, clock, request.id, Outcome.APPROVE, "",
                                 OWEN, approve)
        for _ in range(4)
    ), return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, AlreadyDone) for r in results if isinstance(r, BaseException))
    async with uow_factory() as uow:
        stored = await uow.requests.get(request.id)
        events = await uow.audit.for_request(request.id)
    assert stored is not None and len(stored.decisions) == 1
    assert [e.action for e in events] == ["request.submitted", "decision.approve"]
