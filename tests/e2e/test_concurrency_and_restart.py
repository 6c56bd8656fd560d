"""Concurrent clicks leave one decision; a restart loses nothing: not the request, not the card,
not a half-finished request dialog."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from approvals.model import State
from tests.e2e.conftest import BotProcess, find_data, stored
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import submit_exception


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def test_twenty_concurrent_clicks_leave_exactly_one_decision(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    clicks = [
        teams.click(MEGAN if i % 2 else ADELE,
                    "decision.approve" if i % 4 < 2 else "decision.reject",
                    {"requestId": "EXC-1", "comment": f"click {i}"})
        for i in range(20)
    ]
    answers = await asyncio.gather(*clicks)
    request, events = await stored(app_database_url, "EXC-1")
    assert request.state in (State.ACTIVE, State.REJECTED)
    assert len(request.decisions) == 1
    decided = [e for e in events if e.action.startswith("decision.") and e.outcome == "ok"]
    assert len(decided) == 1
    assert len([e for e in events if e.outcome == "refused"]) == 19
    winner = request.decisions[0]
    already = [a for a in answers if "already" in str(a)]
    assert len(already) == 19
    assert all(winner.decider_name in str(a) for a in already)


async def test_restart_between_request_and_decision_and_the_old_card_still_works(
    bot_process: BotProcess, connector: FakeConnector, app_database_url: str
) -> None:
    async with aiohttp.ClientSession() as session:
        teams = TeamsClient(await bot_process.start(), connector.url, session,
                            settle=bot_process.settle)
        await teams.say(MEGAN, "hi")
        await submit_exception(teams, connector)
        owner_card = connector.sent_to(MEGAN.personal_conversation)[-1]
        await bot_process.stop()

        teams = TeamsClient(await bot_process.start(), connector.url, session,
                            settle=bot_process.settle)
        data = find_data(owner_card.cards[0], "decision.approve")
        decided = await teams.click(MEGAN, "decision.approve", data,
                                    reply_to_id=owner_card.body.get("id") or "card")
        assert "approved" in str(decided).lower()
        request, _ = await stored(app_database_url, "EXC-1")
        assert request.state is State.ACTIVE
        assert "approved" in connector.sent_to(ALEX.personal_conversation)[-1].card_text.lower()


async def test_request_dialog_survives_a_restart(
    bot_process: BotProcess, connector: FakeConnector
) -> None:
    async with aiohttp.ClientSession() as session:
        teams = TeamsClient(await bot_process.start(), connector.url, session,
                            settle=bot_process.settle)
        await teams.say(ALEX, "request exception")
        prompt = connector.sent_to(ALEX.personal_conversation)[-1]
        assert "Which asset" in (prompt.body.get("text") or "")
        await bot_process.stop()

        teams = TeamsClient(await bot_process.start(), connector.url, session,
                            settle=bot_process.settle)
        await teams.say(ALEX, "kv-payments")  # a typo: the dialog suggests, still waiting
        retry = connector.sent_to(ALEX.personal_conversation)[-1]
        assert "kv-payments-prod" in str(retry.body)
        await teams.say(ALEX, "kv-payments-prod")
        form = connector.sent_to(ALEX.personal_conversation)[-1]
        assert "request.submit" in str(form.cards)
        assert find_data(form.cards[0], "request.submit")["kind"] == "exception"
        assert "kv-payments-prod" in str(form.cards)
