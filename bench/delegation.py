"""How long `delegate to` and `delegation off` take with N undecided requests on SQLite (each
moves every one of them: a compare-and-set, two messages and a card refresh each), and a submit
with N open. Run: .venv/bin/python -m bench.delegation 10 200"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime

from approvals import services
from approvals.model import Actor, RequestDraft, RequestKind, Risk, Source
from catalog.loader import load_catalog
from catalog.policy_loader import load_policies
from storage.engine import create_engine
from storage.migrate import migrate
from storage.uow import uow_factory
from tests.unit.fakes import FakeClock


async def main(n: int) -> None:
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/m.db"
    await migrate(url)
    engine = create_engine(url)
    catalog = load_catalog(None)
    policy = load_policies(None, catalog)
    clock = FakeClock(datetime(2026, 11, 27, 10, tzinfo=UTC))
    uows = uow_factory(engine, clock)
    alex = Actor(catalog.people["alex"].aad_object_id, "Alex Wilber")
    megan = Actor(catalog.people["megan"].aad_object_id, "Megan Bowen")
    draft = RequestDraft(RequestKind.EXCEPTION, "payments-api", "t", "j", Risk.LOW,
                         expires_on=date(2026, 12, 20))
    for _ in range(n):
        await services.submit_request(uows(), catalog, clock, draft, alex, Source(), policy)
    t = time.perf_counter()
    _, moved = await services.start_delegation(uows(), catalog, clock, megan, "adele",
                                               date(2026, 12, 24), Source(), policy)
    on = time.perf_counter() - t
    t = time.perf_counter()
    _, back = await services.end_delegation(uows(), catalog, clock, megan, Source(), policy)
    off = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(20):
        await services.submit_request(uows(), catalog, clock, draft, alex, Source(), policy)
    sub = (time.perf_counter() - t) / 20
    line = (f"n={n}: delegate moved {len(moved)} in {on*1000:.0f} ms; off moved {len(back)} "
            f"back in {off*1000:.0f} ms; submit with {n} open: {sub*1000:.1f} ms each")
    print(line)  # noqa: T201 - CLI output
    await engine.dispose()

if __name__ == "__main__":
    for count in map(int, sys.argv[1:] or ["10", "200"]):
        asyncio.run(main(count))
