"""Two renewals of one exception asked at the same moment: one is created, the other is told,
on SQLite and PostgreSQL (read committed: both read "no renewal waiting" before either writes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.catalog import Catalog
from approvals.errors import ConcurrentUpdate, NotAllowed
from approvals.model import Outcome, Request, RequestDraft, RequestKind, Risk, Source, State
from storage.engine import session_factory
from storage.uow import SqlUnitOfWork, uow_factory
from tests.integration.support import ALICE, OWEN, FixedClock


class ReadsTogether(SqlUnitOfWork):
    """A unit of work whose use case, once it has listed an exception's renewals, waits until
    the other one has too: the race, made to happen every time."""

    def __init__(self, engine: AsyncEngine, clock: FixedClock, barrier: asyncio.Barrier) -> None:
        super().__init__(session_factory(engine), clock)
        self._barrier = barrier

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        listed = self.requests.list_linked

        async def list_linked_then_wait(request_id: str) -> list[Request]:
            found = await listed(request_id)
            await self._barrier.wait()
            return found

        self.requests.list_linked = list_linked_then_wait  # type: ignore[method-assign]
        return self


async def active_exception(engine: AsyncEngine, catalog: Catalog, clock: FixedClock) -> str:
    uows = uow_factory(engine, clock)
    draft = RequestDraft(RequestKind.EXCEPTION, "payments-api", "Public network access",
                         "Vendor migration", risk=Risk.MEDIUM,
                         expires_on=clock.now().date() + timedelta(days=10))
    request = await services.submit_request(uows(), catalog, clock, draft, ALICE,
                                            Source(activity_id="submit"))
    decided = await services.record_decision(uows(), catalog, clock, request.id,
                                             Outcome.APPROVE, "", OWEN, Source(activity_id="ok"))
    assert decided.state is State.ACTIVE
    return request.id


async def test_of_two_renewals_asked_at_once_one_is_created_and_the_other_is_told(
    engine: AsyncEngine, catalog: Catalog, clock: FixedClock, database_url: str
) -> None:
    exception_id = await active_exception(engine, catalog, clock)
    # SQLite takes the write lock when a transaction begins (BEGIN IMMEDIATE), so there the
    # second simply waits for the first; PostgreSQL lets both read first, on purpose here.
    together = database_url.startswith("postgresql")
    barrier = asyncio.Barrier(2)
    make: Callable[[], SqlUnitOfWork] = (
        (lambda: ReadsTogether(engine, clock, barrier)) if together
        else uow_factory(engine, clock))

    async def renew(n: int, until: date) -> Request:
        renewal, _ = await services.renew_exception(
            make(), catalog, clock, exception_id, until, ALICE if n == 1 else OWEN,
            Source(activity_id=f"renew-{n}"))
        return renewal

    end = clock.now().date() + timedelta(days=20)
    outcomes = await asyncio.gather(renew(1, end), renew(2, end + timedelta(days=1)),
                                    return_exceptions=True)

    created = [o for o in outcomes if isinstance(o, Request)]
    refused = [o for o in outcomes if not isinstance(o, Request)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], ConcurrentUpdate | NotAllowed)
    assert "renew" in str(refused[0])
    async with uow_factory(engine, clock)() as uow:
        linked = await uow.requests.list_linked(exception_id)
    assert [r.id for r in linked if r.renews] == [created[0].id]

