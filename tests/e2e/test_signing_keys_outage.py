"""The channel's signing-key endpoint hangs or fails: requests get 503 after a short timeout,
never 500, nothing is written, and the server keeps answering /healthz meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from bot.signing_keys import (
    FAILURE_BACKOFF_SECONDS,
    SigningKeys,
    SigningKeysUnavailable,
    UnknownSigningKey,
)
from tests.e2e.channel_stub import KEY_ID, ChannelStub
from tests.e2e.conftest import SteppingClock
from tests.e2e.entra_stub import EntraStub
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.production import (  # noqa: F401 (fixtures)
    ProductionBot,
    channel_stub,
    entra_stub,
    production_settings,
)
from tests.e2e.teams import ALEX
from tests.e2e.test_http_edge import count_rows


async def test_a_hanging_key_endpoint_gives_503_and_healthz_still_answers(
    stub: ChannelStub, entra: EntraStub, connector: FakeConnector, clock: SteppingClock,
    app_database_url: str,
) -> None:
    stub.mode = "hang"
    bot = ProductionBot(production_settings(app_database_url, stub, entra), stub, connector, clock)
    async with bot.running() as teams:
        before = await count_rows(app_database_url)
        body = teams.activity(ALEX, "message", text="who owns payments-api")
        waiting = asyncio.create_task(teams.session.post(teams.bot_url, json=body))
        await stub.asked.wait()  # the bot is now waiting on the hung endpoint
        async with teams.session.get(bot.base_url + "/healthz") as health:
            assert health.status == 200
        assert not waiting.done()
        async with await waiting as response:
            assert response.status == 503
            assert "signing keys" in (await response.json())["error"]
        # Within the back-off, the next request does not wait on the endpoint again.
        async with await teams.post(body) as response:
            assert response.status == 503
        assert stub.metadata_requests == 1
        assert await count_rows(app_database_url) == before
        assert connector.calls == []


async def test_a_failing_key_endpoint_gives_503_not_500(
    stub: ChannelStub, entra: EntraStub, connector: FakeConnector, clock: SteppingClock,
    app_database_url: str,
) -> None:
    stub.mode = "fail"
    bot = ProductionBot(production_settings(app_database_url, stub, entra), stub, connector, clock)
    async with bot.running() as teams:
        before = await count_rows(app_database_url)
        async with await teams.post(teams.activity(ALEX, "message", text="help")) as response:
            assert response.status == 503
        async with teams.session.get(bot.base_url + "/healthz") as health:
            assert health.status == 200
        assert await count_rows(app_database_url) == before
        assert connector.calls == []


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_keys_recover_after_the_back_off_and_survive_a_failed_refresh(
    stub: ChannelStub,
) -> None:
    monotonic = Monotonic()
    keys = SigningKeys(stub.metadata_url, timeout=0.5, monotonic=monotonic)
    try:
        stub.mode = "fail"
        with pytest.raises(SigningKeysUnavailable):
            await keys.key(KEY_ID)
        with pytest.raises(SigningKeysUnavailable):  # within the back-off: no new fetch
            await keys.key(KEY_ID)
        assert stub.metadata_requests == 1

        stub.mode = "ok"
        monotonic.now += FAILURE_BACKOFF_SECONDS + 1
        assert (await keys.key(KEY_ID)).endorsements == ["msteams", "webchat", "emulator"]
        with pytest.raises(UnknownSigningKey):  # a new key id does not refetch at once
            await keys.key("rotated-in")
        assert stub.metadata_requests == 2

        stub.mode = "fail"
        monotonic.now += 2 * 24 * 3600  # stale: refreshed, the refresh fails, old keys serve
        assert await keys.key(KEY_ID) is not None
        assert stub.metadata_requests == 3
    finally:
        await keys.close()


async def test_concurrent_requests_share_one_fetch(stub: ChannelStub) -> None:
    keys = SigningKeys(stub.metadata_url, timeout=5)
    try:
        found = await asyncio.gather(*(keys.key(KEY_ID) for _ in range(20)))
        assert len({id(k) for k in found}) == 1
        assert stub.metadata_requests == 1
    finally:
        await keys.close()


async def test_the_sdk_reads_these_keys_until_the_app_closes(stub: ChannelStub) -> None:
    from botframework.connector.auth import JwtTokenExtractor

    keys = SigningKeys(stub.metadata_url, timeout=5).install()
    assert JwtTokenExtractor.get_open_id_metadata(stub.metadata_url) is keys
    await keys.close()
    assert stub.metadata_url not in JwtTokenExtractor.metadataCache
