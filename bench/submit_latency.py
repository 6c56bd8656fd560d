"""Submit-to-owner-card latency: the time from a requester's Submit (the invoke POSTed to the
bot's HTTP endpoint) to the owner's approval card arriving at the Bot Connector (through the
outbox: committed with the request, delivered by the relay woken by that commit).

The bot runs as its own process (`python app.py`, local mode, a fresh SQLite file); the fake
connector runs here and stamps each arrival. Requests are sent one after another.
Usage: python -m bench.submit_latency [--requests 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.run import _free_port
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, ISAIAH, MEGAN, TeamsClient, User

ROOT = Path(__file__).resolve().parents[1]


async def _wait_ready(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the bot did not start")


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


# Assets of five different owners: Teams allows a bot 60 messages per 30 s in one chat, so the
# requests rotate over owners and are spaced to stay inside that limit (else the relay, rightly,
# holds messages back and the figure measures Teams' rate limit, not Signoff).
OWNERS = [
    ("payments-api", MEGAN),
    ("stpaymentsexports", ADELE),
    ("sub-platform-shared", ISAIAH),
    ("stplatformlogs", User("patti", "Patti Fernandez", "00000000-0000-0000-0000-0000000000024")),
    ("exo-external-forwarding-block",
     User("lynne", "Lynne Robbins", "00000000-0000-0000-0000-0000000000025")),
]
SPACING_SECONDS = 0.15


def _owner_card_at(connector: FakeConnector, owner: User, request_id: str) -> datetime | None:
    for call in connector.sent_to(owner.personal_conversation):
        if call.at is not None and request_id in call.card_text.split():
            return call.at
    return None


async def measure(requests: int) -> list[float]:
    connector = await FakeConnector(clock=WallClock()).start()
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PORT": str(port), "MicrosoftAppId": "",
               "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/latency.db"}
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "app.py", cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            async with aiohttp.ClientSession() as session:
                await _wait_ready(session, f"http://127.0.0.1:{port}/healthz")
                teams = TeamsClient(f"http://127.0.0.1:{port}/api/messages", connector.url,
                                    session)
                for _, owner in OWNERS:
                    await teams.say(owner, "hi")
                expires = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
                latencies: list[float] = []
                for n in range(1, requests + 1):
                    asset, owner = OWNERS[n % len(OWNERS)]
                    form = {"kind": "exception", "asset_name": asset, "title": "t",
                            "justification": "j", "risk": "low", "controls": "",
                            "expires_on": expires}
                    await asyncio.sleep(SPACING_SECONDS)
                    started = datetime.now(UTC)
                    await teams.click(ALEX, "request.submit", form)
                    arrived = None
                    for _ in range(5000):  # at most 10 s
                        arrived = _owner_card_at(connector, owner, f"EXC-{n}")
                        if arrived is not None:
                            break
                        await asyncio.sleep(0.002)
                    assert arrived is not None, f"no owner card for EXC-{n}"
                    latencies.append((arrived - started).total_seconds() * 1000)
                return latencies
        finally:
            bot.terminate()
            await bot.wait()
            await connector.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    latencies = sorted(asyncio.run(measure(args.requests)))
    p99 = latencies[min(len(latencies) - 1, int(round(0.99 * len(latencies))) - 1)]
    print(f"submit -> owner card over {len(latencies)} requests: "  # noqa: T201 - CLI output
          f"p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, "
          f"max {latencies[-1]:.1f} ms")


if __name__ == "__main__":
    main()
