"""Who acts is the activity's aadObjectId, never card data; an activity the channel delivers
twice acts once. Through the real HTTP endpoint, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import stored
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, ISAIAH, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import FORM, submit_exception


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


def forged(data: dict[str, Any]) -> dict[str, Any]:
    """Card data edited to claim to be Megan, the owner, in every way a forger might try."""
    return {**data, "aadObjectId": MEGAN.aad, "decider": "megan", "userId": MEGAN.user_id,
            "from": MEGAN.account(), "actor": {"aadObjectId": MEGAN.aad}, "requester": "megan"}


async def refusals(database_url: str, request_id: str) -> list[tuple[str, str]]:
    _, events = await stored(database_url, request_id)
    return [(e.action, e.actor_name) for e in events if e.outcome == "refused"]


async def test_forged_invokes_change_nothing_and_are_audited_as_denied(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    before, _ = await stored(app_database_url, "EXC-1")

    # Isaiah, an outsider: right request id, edited data naming Megan.
    for verb in ("decision.approve", "decision.reject"):
        card = await teams.click(ISAIAH, verb, forged({"requestId": "EXC-1"}))
        assert "Only Megan Bowen or Adele Vance can decide EXC-1" in str(card)
    # Alex, the requester, types the owner's id into the data of his own request.
    card = await teams.click(ALEX, "decision.approve", forged({"requestId": "EXC-1"}))
    assert "You made EXC-1, so you cannot decide it" in str(card)
    # An edited verb inside the data, and an outcome field, do not count either.
    card = await teams.click(ISAIAH, "decision.approve",
                             forged({"requestId": "EXC-1", "verb": "decision.approve",
                                     "outcome": "approve"}))
    assert "Only Megan Bowen or Adele Vance" in str(card)

    after, events = await stored(app_database_url, "EXC-1")
    assert (after.state, after.version, after.decisions) == (
        before.state, before.version, before.decisions)
    assert await refusals(app_database_url, "EXC-1") == [
        ("decision.approve", "Isaiah Langer"), ("decision.reject", "Isaiah Langer"),
        ("decision.approve", "Alex Wilber"), ("decision.approve", "Isaiah Langer")]
    assert all(e.actor_id != "megan" for e in events if e.outcome == "refused")


async def test_a_forged_answer_is_refused_and_audited(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.need_info", {"requestId": "EXC-1",
                                                    "comment": "Which vendor?"})
    card = await teams.click(ISAIAH, "info.answer",
                             {"requestId": "EXC-1", "answer": "Contoso", "aadObjectId": ALEX.aad,
                              "from": ALEX.account()})
    assert "only Alex Wilber can answer" in str(card)
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.state.value == "info_requested"
    assert [n.kind for n in request.notes] == ["question"]
    assert ("request.info_answered", "Isaiah Langer") in await refusals(app_database_url, "EXC-1")


async def post_twice(teams: TeamsClient, body: dict[str, Any]) -> list[dict[str, Any]]:
    answers = []
    for _ in range(2):
        async with await teams.post(body) as response:
            assert response.status == 200
            answers.append(await response.json())
        await teams.delivered()
    return answers


async def test_a_submit_and_an_approve_delivered_twice_act_once(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    assert await teams.say(ALEX, "request exception for payments-api") == 201
    submit = teams.card_action(ALEX, "request.submit", {"kind": "exception", **FORM}, "form-1")
    first, second = await post_twice(teams, submit)
    assert first == second and "EXC-1" in str(first)
    assert await stored(app_database_url, "EXC-2") == (None, [])
    assert len(connector.sent_to(MEGAN.personal_conversation)) == 2  # welcome-free: hi + card

    approve = teams.card_action(MEGAN, "decision.approve", {"requestId": "EXC-1", "comment": "ok"})
    first, second = await post_twice(teams, approve)
    assert first == second and "approved" in str(first).lower()
    request, events = await stored(app_database_url, "EXC-1")
    assert len(request.decisions) == 1
    assert [e.action for e in events] == ["request.submitted", "decision.approve"]
    outcomes = [c for c in connector.sent_to(ALEX.personal_conversation)
                if "approved" in c.card_text.lower()]
    assert len(outcomes) == 1
