"""Production mode: every request's Bot Framework token is validated, offline, against signing
keys a loopback stub publishes. Each attack gets 401 or 403, writes nothing and calls nothing
outbound; a valid token goes through, and a full request-and-decision flow works."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.e2e.channel_stub import ChannelStub
from tests.e2e.conftest import SteppingClock, find_data
from tests.e2e.entra_stub import EntraStub
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.production import (  # noqa: F401 (fixtures)
    OUTBOUND_TOKEN,
    ProductionBot,
    channel_stub,
    entra_stub,
    production_settings,
)
from tests.e2e.teams import ALEX, MEGAN
from tests.e2e.test_exception_flow import submit_exception
from tests.e2e.test_http_edge import count_rows

EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"
OTHER_TENANT = "11111111-2222-3333-4444-555555555555"



@pytest.fixture
def production(app_database_url: str, stub: ChannelStub, entra: EntraStub,
               connector: FakeConnector, clock: SteppingClock) -> ProductionBot:
    return ProductionBot(production_settings(app_database_url, stub, entra), stub, connector, clock)


def other_tenant(activity: dict[str, Any]) -> None:
    activity["channelData"] = {"tenant": {"id": OTHER_TENANT}}
    activity["conversation"]["tenantId"] = OTHER_TENANT


def mixed_tenant(activity: dict[str, Any]) -> None:
    activity["conversation"]["tenantId"] = OTHER_TENANT  # channelData still names ours


def no_tenant(activity: dict[str, Any]) -> None:
    activity.pop("channelData")
    activity["conversation"].pop("tenantId")


def no_service_url(activity: dict[str, Any]) -> None:
    activity.pop("serviceUrl")  # the SDK compares the claim only with a serviceUrl present


def webchat(activity: dict[str, Any]) -> None:
    activity["channelId"] = "webchat"


Header = Callable[[ChannelStub, str], str | None]
MINUTE = 60
# (case, Authorization header from (stub, service url), change to the activity, status); 400 is
# the HTTP edge refusing before authentication.
MATRIX: list[tuple[str, Header, Callable[[dict[str, Any]], None] | None, int]] = [
    ("no token", lambda s, u: None, None, 401),
    ("empty bearer", lambda s, u: "Bearer ", None, 401),
    ("not bearer", lambda s, u: "Basic " + s.token(u), None, 401),
    ("garbage", lambda s, u: "Bearer garbage.not.jwt", None, 401),
    ("unknown key id", lambda s, u: "Bearer " + s.token(u, kid="rotated-away"), None, 401),
    ("signed by another key", lambda s, u: "Bearer " + s.foreign_token(u), None, 401),
    ("alg none", lambda s, u: "Bearer " + s.unsigned_token(u), None, 401),
    ("HS256 with the public key", lambda s, u: "Bearer " + s.hs256_token(u), None, 401),
    ("wrong audience", lambda s, u: "Bearer " + s.token(u, aud="another-bot"), None, 401),
    ("no audience", lambda s, u: "Bearer " + s.token(u, aud=None), None, 401),
    ("wrong issuer", lambda s, u: "Bearer " + s.token(u, iss="https://evil.example"), None, 401),
    ("emulator issuer", lambda s, u: "Bearer " + s.token(u, iss=EMULATOR_ISSUER), None, 401),
    ("expired beyond the skew",
     lambda s, u: "Bearer " + s.token(u, exp=int(time.time()) - 6 * MINUTE), None, 401),
    ("not valid yet",
     lambda s, u: "Bearer " + s.token(u, nbf=int(time.time()) + 10 * MINUTE), None, 401),
    ("serviceUrl claim differs",
     lambda s, u: "Bearer " + s.token("https://smba.trafficmanager.net/evil/"), None, 401),
    ("no serviceUrl claim", lambda s, u: "Bearer " + s.token(u, serviceurl=None), None, 401),
    ("activity without serviceUrl", lambda s, u: "Bearer " + s.token(u), no_service_url, 400),
    ("channel other than msteams", lambda s, u: "Bearer " + s.token(u), webchat, 403),
    ("tenant not allowed", lambda s, u: "Bearer " + s.token(u), other_tenant, 403),
    ("tenant allowed in one place only", lambda s, u: "Bearer " + s.token(u), mixed_tenant, 403),
    ("no tenant", lambda s, u: "Bearer " + s.token(u), no_tenant, 403),
]


@pytest.mark.parametrize(("case", "header", "change", "status"), MATRIX,
                         ids=[case for case, *_ in MATRIX])
async def test_attack_is_refused_and_changes_nothing(
    production: ProductionBot, stub: ChannelStub, connector: FakeConnector,
    app_database_url: str, case: str, header: Header,
    change: Callable[[dict[str, Any]], None] | None, status: int,
) -> None:
    async with production.running() as teams:
        activity = teams.activity(ALEX, "message", text="who owns payments-api")
        if change is not None:
            change(activity)
        before = await count_rows(app_database_url)
        value = header(stub, connector.url)
        headers = {"Authorization": value} if value is not None else {}
        async with aiohttp.ClientSession() as bare:  # no default Authorization header
            async with bare.post(teams.bot_url, json=activity, headers=headers) as response:
                assert response.status == status, f"{case}: {await response.text()}"
                assert "error" in await response.json()
        await teams.delivered()
        assert await count_rows(app_database_url) == before
        assert connector.calls == []


async def test_a_valid_token_goes_through_and_replies_carry_the_bots_token(
    production: ProductionBot, connector: FakeConnector, entra: EntraStub, app_database_url: str,
) -> None:
    async with production.running() as teams:
        before = await count_rows(app_database_url)
        assert await teams.say(ALEX, "who owns payments-api") == 201
        reply = connector.sent_to(ALEX.personal_conversation)[-1]
        assert "Megan Bowen" in reply.card_text
        assert reply.authorization == f"Bearer {OUTBOUND_TOKEN}"
        [token_request] = entra.token_requests  # MSAL, in the SDK, asked Entra ID (the stub)
        assert token_request["grant_type"] == ["client_credentials"]
        assert token_request["scope"] == ["https://api.botframework.com/.default"]
        assert (await count_rows(app_database_url))["conversation_refs"] == \
            before["conversation_refs"] + 1


async def test_the_bot_answers_others_while_entra_id_is_slow_to_give_its_token(
    production: ProductionBot, connector: FakeConnector, entra: EntraStub,
) -> None:
    # MSAL asks Entra ID with blocking HTTP; on the event loop, that stops every turn.
    entra.hold = threading.Event()
    loop, asked = asyncio.get_running_loop(), asyncio.Event()
    entra.requested = lambda: loop.call_soon_threadsafe(asked.set)
    async with production.running() as teams:
        asking = asyncio.create_task(teams.say(ALEX, "who owns payments-api"))
        try:
            await asyncio.wait_for(asked.wait(), 60)  # bounded: a failure, never a hang
            async with aiohttp.ClientSession() as other:
                health_url = teams.bot_url.replace("/api/messages", "/healthz")
                async with other.get(health_url) as health:
                    assert health.status == 200  # answered while the token request waits
        finally:
            entra.hold.set()
        assert await asking == 201
        assert entra.held_past_patience == 0
        assert connector.sent_to(ALEX.personal_conversation)[-1].authorization == \
            f"Bearer {OUTBOUND_TOKEN}"
        assert await teams.say(ALEX, "help") == 201
        assert len(entra.token_requests) == 1  # later turns sign from MSAL's cache


async def test_a_token_expired_within_the_skew_is_accepted(
    production: ProductionBot, stub: ChannelStub, connector: FakeConnector,
) -> None:
    async with production.running() as teams:
        token = stub.token(connector.url, exp=int(time.time()) - 2 * MINUTE)
        body = teams.activity(ALEX, "message", text="help")
        async with aiohttp.ClientSession() as bare:
            async with bare.post(teams.bot_url, json=body,
                                 headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status == 201


async def test_request_and_decision_flow_in_production_mode(
    production: ProductionBot, connector: FakeConnector, app_database_url: str,
) -> None:
    async with production.running() as teams:
        assert await teams.say(MEGAN, "hello") == 201  # Megan's chat is known
        receipt = await submit_exception(teams, connector)
        assert "EXC-1" in str(receipt) and "pending" in str(receipt)
        approval = connector.sent_to(MEGAN.personal_conversation)[-1]
        assert "EXC-1" in approval.card_text
        decided = await teams.click(MEGAN, "decision.approve",
                                    find_data(approval.cards[0], "decision.approve"))
        assert "approved" in str(decided).lower() and "Megan Bowen" in str(decided)
        assert "approved" in connector.sent_to(ALEX.personal_conversation)[-1].card_text.lower()
        assert {c.authorization for c in connector.calls} == {f"Bearer {OUTBOUND_TOKEN}"}
