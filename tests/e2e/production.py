"""Signoff in production mode (an app id, authentication on) against loopback stand-ins for
Microsoft: the channel's signing keys (`ChannelStub`), Entra ID's token endpoint for the bot's
own token (`EntraStub`, used by MSAL inside the SDK) and the Bot Connector (`FakeConnector`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app import create_app
from bot.workers import WorkerOptions
from settings import Settings
from tests.e2e.channel_stub import APP_ID, APP_PASSWORD, ChannelStub
from tests.e2e.conftest import SteppingClock
from tests.e2e.entra_stub import OUTBOUND_TOKEN, EntraStub
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import TENANT, TeamsClient

__all__ = ["OUTBOUND_TOKEN", "ProductionBot", "channel_stub", "entra_stub", "production_settings"]


@pytest.fixture(name="stub")
async def channel_stub() -> AsyncIterator[ChannelStub]:
    channel = await ChannelStub().start()
    yield channel
    await channel.close()


@pytest.fixture(name="entra")
def entra_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EntraStub]:
    entra = EntraStub(APP_ID, APP_PASSWORD).start(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.cert_path))  # MSAL uses requests
    yield entra
    entra.close()


def production_settings(database_url: str, stub: ChannelStub, entra: EntraStub,
                        **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url, "app_id": APP_ID, "app_password": APP_PASSWORD,
        "allowed_tenants": TENANT, "openid_metadata_url": stub.metadata_url,
        "login_url": entra.login_url, "signing_keys_timeout": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


class ProductionBot:
    """The real app in production mode on a loopback port, and Teams sending it signed requests."""

    def __init__(self, settings: Settings, stub: ChannelStub, connector: FakeConnector,
                 clock: SteppingClock) -> None:
        self.settings = settings
        self.stub = stub
        self.connector = connector
        self.clock = clock

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TeamsClient]:
        async def no_wait(seconds: float) -> None:
            return None

        options = WorkerOptions(background=False, sleep=no_wait, random=lambda: 0.5)
        self.app = create_app(self.settings, clock=self.clock, workers=options)
        server = TestServer(self.app, host="127.0.0.1")
        await server.start_server()
        self.base_url = str(server.make_url("")).rstrip("/")
        token = self.stub.token(self.connector.url)
        try:
            async with aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {token}"}
            ) as session:
                self.token = token
                yield TeamsClient(self.base_url + "/api/messages", self.connector.url, session,
                                  settle=self.settle)
        finally:
            await server.close()

    async def settle(self) -> None:
        from app import WORKERS

        workers = self.app[WORKERS]
        while await workers.scheduler.drain() + await workers.relay.drain():
            pass
