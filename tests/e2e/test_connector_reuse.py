"""Connector clients are built once and reused by every turn, and msrest's retries still work.

bot/connectors.py keeps one ConnectorClient per (app id, service URL, audience) instead of the
stock one per turn. These tests drive the real HTTP endpoint against the fake connector.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botframework.connector.aio import ConnectorClient
from urllib3.connection import HTTPConnection

from tests.e2e.conftest import find_data
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, MEGAN, TeamsClient

FORM = {
    "asset_name": "payments-api", "title": "Public network access for the migration",
    "justification": "The vendor migration tool needs it for two weeks.", "risk": "medium",
    "controls": "IP allow-list; alerts on access", "expires_on": "2026-12-11",
}


class Spy:
    """Counts ConnectorClient builds and new TCP connections to the connector."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clients: list[int] = []
        self.connects = 0
        lock = threading.Lock()
        build, connect = ConnectorClient.__init__, HTTPConnection.connect

        def counting_build(client: ConnectorClient, *args: Any, **kwargs: Any) -> None:
            self.clients.append(id(client))
            build(client, *args, **kwargs)

        def counting_connect(connection: HTTPConnection) -> None:
            with lock:  # requests sends from the event loop's thread pool
                self.connects += 1
            connect(connection)

        monkeypatch.setattr(ConnectorClient, "__init__", counting_build)
        monkeypatch.setattr(HTTPConnection, "connect", counting_connect)


async def submit(teams: TeamsClient, connector: FakeConnector) -> str:
    """Alex asks for an exception on payments-api; returns the new request's id."""
    assert await teams.say(ALEX, "request exception for payments-api") == 201
    form = connector.sent_to(ALEX.personal_conversation)[-1]
    data = {**find_data(form.cards[0], "request.submit"), **FORM}
    confirmation = await teams.click(ALEX, "request.submit", data,
                                     reply_to_id=form.body.get("id") or "form")
    text = str(confirmation)
    return "EXC-2" if "EXC-2" in text else "EXC-1"


async def test_every_turn_reuses_one_client_and_one_connection(
    teams: TeamsClient, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    assert await teams.say(MEGAN, "hi") == 201  # a reply in the turn
    assert await teams.say(MEGAN, "who owns payments-api") == 201
    request_id = await submit(teams, connector)  # two turns, and a proactive card to Megan
    decided = await teams.click(MEGAN, "decision.approve", {"requestId": request_id})
    assert "approved" in str(decided).lower()

    # The decision updated Megan's card (PUT) and told Alex (POST), both proactive turns.
    assert any(c.method == "PUT" for c in connector.updates())
    assert "approved" in connector.sent_to(ALEX.personal_conversation)[-1].card_text.lower()
    assert len(connector.calls) >= 6
    assert len(spy.clients) == 1, f"{len(spy.clients)} connector clients for one service URL"
    assert spy.connects == 1, f"{spy.connects} TCP connections for sequential calls"


async def test_a_502_is_still_retried_by_the_reused_client(
    teams: TeamsClient, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """msrest's retry policy (urllib3 Retry, 3 tries) answers a card update's 502 with a
    retry, turn after turn on the same client: the policy is not used up by reuse.

    (Today's policy retries PUT, GET and DELETE, not POST: msrest 0.7.1 sets urllib3's old
    `method_whitelist`, which urllib3 2 ignores. Reuse changes none of that.)"""
    spy = Spy(monkeypatch)
    assert await teams.say(MEGAN, "hi") == 201
    first = await submit(teams, connector)
    second = await submit(teams, connector)
    assert {first, second} == {"EXC-1", "EXC-2"}

    for request_id in (first, second):
        before = len(connector.updates())
        connector.fail(502, times=1, match=lambda call: call.method == "PUT"
                       and call.conversation_id == MEGAN.personal_conversation)
        decided = await teams.click(MEGAN, "decision.approve", {"requestId": request_id})
        assert "approved" in str(decided).lower()
        puts = [c for c in connector.updates()[before:]
                if c.conversation_id == MEGAN.personal_conversation]
        assert len(puts) == 2, "the 502 was not retried"
        assert puts[0].path == puts[1].path
        assert request_id in puts[1].card_text and "approved" in puts[1].card_text.lower()
    assert all(f.times == 0 for f in connector.failures)
    assert len(spy.clients) == 1


async def test_kept_clients_are_bounded_and_released(monkeypatch: pytest.MonkeyPatch) -> None:
    """A service URL comes from the activity: at most `max_clients` are kept, least recently
    used first out, and `close()` (app shutdown) releases them all."""
    from botframework.connector.auth import ClaimsIdentity

    from app import AdapterConfig
    from bot.connectors import ReusingBotFrameworkAuthentication

    spy = Spy(monkeypatch)
    auth = ReusingBotFrameworkAuthentication(AdapterConfig("", "", "MultiTenant", ""),
                                             max_clients=2)
    factory = auth.create_connector_factory(ClaimsIdentity({}, True))
    a = await factory.create("http://127.0.0.1:1/a/", None)
    b = await factory.create("http://127.0.0.1:1/b/", None)
    assert await factory.create("http://127.0.0.1:1/a/", None) is a  # a is now the most recent
    await factory.create("http://127.0.0.1:1/c/", None)  # b goes
    assert auth.connector_clients == 2 and len(spy.clients) == 3
    assert await factory.create("http://127.0.0.1:1/a/", None) is a
    assert await factory.create("http://127.0.0.1:1/b/", None) is not b
    await auth.close()
    assert auth.connector_clients == 0
