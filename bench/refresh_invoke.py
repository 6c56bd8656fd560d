"""How long the bot takes to answer a Universal Actions refresh invoke (the card Teams asks for
whenever a decider looks at it): the real app on loopback, SQLite, the fake connector.

    .venv/bin/python -m bench.refresh_invoke [n]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time

import aiohttp

from settings import Settings
from tests.e2e.conftest import BotProcess, SteppingClock
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ISAIAH, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import submit_exception


async def main(n: int) -> None:
    folder = tempfile.mkdtemp(prefix="refresh-bench-")
    connector = await FakeConnector().start()
    process = BotProcess(Settings(database_url=f"sqlite+aiosqlite:///{folder}/b.db"),
                         SteppingClock())
    try:
        async with aiohttp.ClientSession() as session:
            teams = TeamsClient(await process.start(), connector.url, session,
                                settle=process.settle)
            await teams.say(MEGAN, "hi")
            await submit_exception(teams, connector)
            for user, role in ((MEGAN, "decider (buttons)"), (ISAIAH, "outsider (status)")):
                body = teams.card_action(user, "request.refresh", {"requestId": "EXC-1"},
                                         trigger="automatic")
                took = []
                for _ in range(n):
                    start = time.perf_counter()
                    async with session.post(teams.bot_url, json=body) as response:
                        assert response.status == 200
                        await response.read()
                    took.append((time.perf_counter() - start) * 1000)
                took.sort()
                print(f"refresh invoke, {role}: p50 {statistics.median(took):.1f} ms, "  # noqa: T201
                      f"p95 {took[int(n * 0.95)]:.1f} ms (n={n}, one at a time)")
    finally:
        await process.stop()
        await connector.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
