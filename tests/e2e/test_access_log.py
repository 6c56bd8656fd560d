"""SIGNOFF_ACCESS_LOG on the real app: `problems` logs the 415 and not the 201, `all` both,
`off` neither."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app import create_app
from bot import access_log
from bot.access_log import access_log_options
from settings import Settings
from tests.e2e.conftest import SteppingClock
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, TeamsClient


@pytest.mark.parametrize(("mode", "expected"), [
    ("problems", ["415"]), ("all", ["201", "415"]), ("off", []),
])
async def test_access_log_modes(mode: str, expected: list[str], sqlite_url: str,
                                connector: FakeConnector, clock: SteppingClock,
                                caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url=sqlite_url, access_log=mode)
    server = TestServer(create_app(settings, clock=clock), host="127.0.0.1")
    await server.start_server(**access_log_options(settings.access_log))  # as app.main passes them
    try:
        async with aiohttp.ClientSession() as session:
            teams = TeamsClient(str(server.make_url("/api/messages")), connector.url, session)
            with caplog.at_level(logging.INFO, logger="aiohttp.access"):
                assert await teams.say(ALEX, "help") == 201
                async with session.post(teams.bot_url, data=b"{}",
                                        headers={"Content-Type": "text/plain"}) as response:
                    assert response.status == 415
    finally:
        await server.close()
    lines = [r.getMessage() for r in caplog.records
             if r.name == "aiohttp.access" and "/api/messages" in r.getMessage()]
    assert [status for line in lines for status in ("201", "415") if f'" {status} ' in line] \
        == expected


def test_a_slow_answer_is_logged_as_a_problem(caplog: pytest.LogCaptureFixture) -> None:
    logger = access_log.ProblemAccessLogger(logging.getLogger("aiohttp.access"), "%s %Tf")

    class Answer:
        def __init__(self, status: int) -> None:
            self.status = status
            self.body_length = 0

    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        logger.log(None, Answer(200), 0.01)
        logger.log(None, Answer(200), access_log.SLOW_SECONDS)
        logger.log(None, Answer(503), 0.01)
    assert [r.getMessage().split()[0] for r in caplog.records] == ["200", "503"]
