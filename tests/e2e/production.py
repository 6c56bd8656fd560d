"""Signoff in production mode (an app id, authentication on) against loopback stand-ins for
Microsoft: the channel's signing keys (`ChannelStub`) and the Bot Connector (`FakeConnector`).

Outbound calls need an Entra token for the bot. MSAL insists on an https authority and asks
login.microsoftonline.com for instance discovery, so it cannot be pointed at loopback; the tests
keep the SDK's own credential factory (the audience check stays the SDK's) and replace only the
credentials it makes with one that gives a fixed token, which the fake connector records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from botframework.connector.auth import (
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)

from app import create_app
from bot.workers import WorkerOptions
from settings import Settings
from tests.e2e.channel_stub import APP_ID, APP_PASSWORD, ChannelStub
from tests.e2e.conftest import SteppingClock
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import TENANT, TeamsClient

OUTBOUND_TOKEN = "outbound-entra-token-for-the-bot-7d1f"


class FixedTokenCredentials(MicrosoftAppCredentials):  # type: ignore[misc]
    def get_access_token(self, force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN


class FixedTokenCredentialFactory(PasswordServiceClientCredentialFactory):  # type: ignore[misc]
    """The SDK's password factory (app id checks included), minus the call to Entra ID."""

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> Any:
        await super().create_credentials(app_id, oauth_scope, login_endpoint, validate_authority)
        return FixedTokenCredentials(app_id, self.password, None, oauth_scope)


def production_settings(database_url: str, stub: ChannelStub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url, "app_id": APP_ID, "app_password": APP_PASSWORD,
        "allowed_tenants": TENANT, "openid_metadata_url": stub.metadata_url,
        "signing_keys_timeout": 0.5,
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
        self.app = create_app(
            self.settings, clock=self.clock, workers=options,
            outbound_credentials=FixedTokenCredentialFactory(APP_ID, APP_PASSWORD),
        )
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
