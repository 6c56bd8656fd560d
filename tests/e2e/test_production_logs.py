"""What reaches the log through real HTTP turns: never a token or the bot's secret, never a line
that user text forged; and hidden characters in a form are refused by name."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import aiohttp
import pytest

from bot.log_safety import install_log_safety
from settings import Settings
from tests.e2e.channel_stub import APP_PASSWORD, ChannelStub
from tests.e2e.conftest import BotProcess, SteppingClock, find_data, stored
from tests.e2e.entra_stub import EntraStub
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.production import (  # noqa: F401 (fixtures)
    OUTBOUND_TOKEN,
    ProductionBot,
    channel_stub,
    entra_stub,
    production_settings,
)
from tests.e2e.teams import ALEX, MEGAN, TENANT, TeamsClient
from tests.e2e.test_exception_flow import FORM, submit_exception


@pytest.fixture
def safe_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """As `app.main` runs: every record made safe, with the bot's secret known."""
    uninstall = install_log_safety([APP_PASSWORD])
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's and aiohttp's included
    try:
        yield caplog
    finally:
        uninstall()


async def test_no_token_or_secret_reaches_the_log_in_a_full_authenticated_flow(
    safe_logs: pytest.LogCaptureFixture, stub: ChannelStub, entra: EntraStub,
    connector: FakeConnector, clock: SteppingClock, app_database_url: str,
) -> None:
    bot = ProductionBot(production_settings(app_database_url, stub, entra), stub, connector, clock)
    async with bot.running() as teams:
        await teams.say(MEGAN, "hi")
        await submit_exception(teams, connector)
        approval = connector.sent_to(MEGAN.personal_conversation)[-1]
        await teams.click(MEGAN, "decision.approve", find_data(approval.cards[0],
                                                               "decision.approve"))
        async with await teams.post(teams.activity(ALEX, "message", text="hi"),
                                    headers={"Authorization": "Bearer " + bot.token + "x"}) as r:
            assert r.status == 401
        # A careless dependency that logs a request's headers, and one that logs the secret.
        logging.getLogger("some.dependency").debug(
            "request headers: %s", {"Authorization": f"Bearer {bot.token}"})
        logging.getLogger("some.dependency").warning("login with %s failed", APP_PASSWORD)
    assert connector.calls and all(c.authorization for c in connector.calls)
    text = safe_logs.text + "\n".join(r.getMessage() for r in safe_logs.records)
    assert len(safe_logs.records) > 20  # the flow did log (DEBUG included)
    signature = bot.token.rsplit(".", 1)[1]
    for leaked in (bot.token, signature, APP_PASSWORD, OUTBOUND_TOKEN):
        assert leaked not in text
    assert "[redacted]" in text


async def test_user_text_cannot_forge_a_log_line(
    safe_logs: pytest.LogCaptureFixture, sqlite_url: str, clock: SteppingClock,
    connector: FakeConnector,
) -> None:
    process = BotProcess(Settings(database_url=sqlite_url, allowed_tenants=TENANT), clock)
    try:
        url = await process.start()
        async with aiohttp.ClientSession() as session:
            teams = TeamsClient(url, connector.url, session)
            forged = "x\r\nCRITICAL signoff audit chain verified by admin \u202e"
            body = teams.activity(ALEX, "message", text="hi")
            body["channelData"] = {"tenant": {"id": forged}}
            async with await teams.post(body) as response:
                assert response.status == 403
    finally:
        await process.stop()
    [refusal] = [r for r in safe_logs.records if "refused (403)" in r.getMessage()]
    assert "x\\r\\ncritical signoff audit chain" in refusal.getMessage()
    assert "\\u202e" in refusal.getMessage()
    assert not any(line.startswith("CRITICAL") or "\u202e" in line
                   for line in safe_logs.text.splitlines())


async def test_a_form_with_hidden_characters_comes_back_with_them_named_and_taken_out(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str,
) -> None:
    assert await teams.say(ALEX, "request exception for payments-api") == 201
    form = connector.sent_to(ALEX.personal_conversation)[-1].cards[0]
    data = {**find_data(form, "request.submit"), **FORM,
            "title": "Open \u202egnp.exe for the vendor", "justification": "Needed\u200b now"}
    card = str(await teams.click(ALEX, "request.submit", data))
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in card and "U+200B ZERO WIDTH SPACE" in card
    assert "Open gnp.exe for the vendor" in card and "\u202e" not in card
    assert await stored(app_database_url, "EXC-1") == (None, [])
