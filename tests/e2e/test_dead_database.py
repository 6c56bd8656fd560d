"""A dead database: every user gets a clear answer, nothing is half-written, /healthz says so."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import FORM


@pytest.fixture
def app_database_url(postgres_url: str) -> str:
    return postgres_url


async def kill_database(url: str) -> None:
    """Drop the database under the running app (its connections are terminated)."""
    parsed = make_url(url)
    admin = await asyncpg.connect(
        parsed.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_every_turn_answers_clearly_when_the_database_dies(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str, bot_process
) -> None:
    assert await teams.say(ALEX, "who owns payments-api") == 201
    await kill_database(app_database_url)

    assert await teams.say(ALEX, "status EXC-1") == 201
    said = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "can't reach its database" in said or "nothing was changed" in said

    answer = await teams.click(ALEX, "request.submit", {"kind": "exception", **FORM})
    assert "can't reach its database" in str(answer) and "Nothing was recorded" in str(answer)
    answer = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "can't reach its database" in str(answer)

    async with teams.session.get(bot_process.url.rstrip("/") + "/healthz") as response:
        assert response.status == 503
