"""The app sweeps processed activities past their retention by itself: at start, then hourly
(bot/housekeeping.py through bot/workers.py), while it serves."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from approvals.model import Source
from bot.housekeeping import PROCESSED_ACTIVITY_RETENTION, SWEEP_SECONDS
from storage.engine import create_engine
from storage.migrate import migrate
from storage.uow import uow_factory
from tests.e2e.conftest import SteppingClock
from tests.e2e.workers_support import running_app
from tests.integration.test_housekeeping import keys_left


async def test_the_running_app_sweeps_what_is_past_its_retention_at_start_then_hourly(
    app_database_url: str, clock: SteppingClock,
) -> None:
    await migrate(app_database_url)
    engine = create_engine(app_database_url)
    try:
        async with uow_factory(engine)() as uow:
            for n, age in ((1, PROCESSED_ACTIVITY_RETENTION + timedelta(minutes=1)),
                           (2, PROCESSED_ACTIVITY_RETENTION - timedelta(minutes=1))):
                await uow.activities.record(Source("msteams", "a:owen", f"170000000000{n}"),
                                            f"EXC-{n}", "approve", clock.now() - age)
            await uow.commit()
        naps: list[float] = []
        swept = asyncio.Event()

        async def sleep_forever(seconds: float) -> None:  # the test ends before any nap does
            naps.append(seconds)
            if seconds == SWEEP_SECONDS:
                swept.set()
            await asyncio.Event().wait()

        async with running_app(app_database_url, clock, background=True,
                               sleep=sleep_forever) as running:
            async with asyncio.timeout(10):
                await swept.wait()  # the first sweep is done; the next is an hour away
            assert await keys_left(engine) == ["1700000000002"]
            await running.workers.stop()
    finally:
        await engine.dispose()
