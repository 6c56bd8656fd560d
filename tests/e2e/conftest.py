"""The real aiohttp app on a loopback port, a fake Bot Connector, and Teams-shaped users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.exc import DBAPIError

from app import WORKERS, create_app
from bot.workers import WorkerOptions
from settings import Settings
from storage.engine import DatabaseUnavailable
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.playground import find_actions
from tests.e2e.teams import TeamsClient


class SteppingClock:
    """Server time under the test's control: starts at a fixed instant, moves only when told."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = await FakeConnector().start()
    yield fake
    await fake.close()


class BotProcess:
    """Starts and restarts the real app (same database) on a loopback port."""

    def __init__(self, settings: Settings, clock: SteppingClock) -> None:
        self.settings = settings
        self.clock = clock
        self.server: TestServer | None = None

    async def start(self) -> str:
        async def no_wait(seconds: float) -> None:
            return None

        # The workers do not run in the background: `settle()` delivers what a turn queued,
        # so a test sees Teams' side of a turn as soon as the turn is over.
        options = WorkerOptions(background=False, sleep=no_wait, random=lambda: 0.5)
        self.app = create_app(self.settings, clock=self.clock, workers=options)
        self.server = TestServer(self.app, host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("/api/messages"))

    async def settle(self) -> None:
        """Deliver everything queued and run every job that is due by the test's clock."""
        workers = self.app[WORKERS]
        try:
            while await workers.scheduler.drain() + await workers.relay.drain():
                pass
        except (DatabaseUnavailable, DBAPIError, OSError):
            pass  # a test that kills the database: the background loops would log and retry

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url(""))


@pytest.fixture
def app_database_url(sqlite_url: str) -> str:
    """Most end-to-end tests run on SQLite; a test overrides this to run on both databases."""
    return sqlite_url


@pytest.fixture
async def bot_process(app_database_url: str, clock: SteppingClock,
                      connector: FakeConnector) -> AsyncIterator[BotProcess]:
    process = BotProcess(Settings(database_url=app_database_url), clock)
    yield process
    await process.stop()


@pytest.fixture
async def teams(bot_process: BotProcess, connector: FakeConnector) -> AsyncIterator[TeamsClient]:
    url = await bot_process.start()
    async with aiohttp.ClientSession() as session:
        yield TeamsClient(url, connector.url, session, settle=bot_process.settle)


def find_data(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the Action.Execute with `verb` in a card (searching nested action sets)."""
    found = find_actions(card, verb)
    assert found, f"no {verb} action in card"
    return dict(found[0].get("data") or {})


def verbs(card: dict[str, Any]) -> list[str]:
    return [str(action.get("verb")) for action in find_actions(card)]


async def stored(database_url: str, request_id: str) -> tuple[Any, list[Any]]:
    """The request and its audit events as the database holds them now."""
    from storage.engine import create_engine
    from storage.uow import uow_factory

    engine = create_engine(database_url)
    try:
        async with uow_factory(engine)() as uow:
            return await uow.requests.get(request_id), await uow.audit.for_request(request_id)
    finally:
        await engine.dispose()
