"""Routing with Microsoft Graph as the directory: the real app, the real msgraph-sdk client and
azure-identity credential, a fake Graph and token endpoint, and the fake Bot Connector."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.e2e.conftest import BotProcess, SteppingClock, find_data, stored, verbs
from tests.e2e.fake_connector import Call, FakeConnector
from tests.e2e.fake_graph import FakeGraph, chat_of
from tests.e2e.graph_support import (
    AWAY_UNTIL_DAYS,
    LYNNE,
    NESTOR,
    TEAMS_APP,
    fake_directory,
    graph_settings,
)
from tests.e2e.teams import ADELE, ALEX, MEGAN, TeamsClient

FORM = {"title": "Public network access for the migration",
        "justification": "The vendor migration tool needs it for two weeks.", "risk": "medium",
        "controls": "IP allow-list; alerts on access", "expires_on": "2026-12-11"}


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[FakeGraph]:
    fake = await FakeGraph().start(tmp_path)
    fake_directory(fake)
    yield fake
    await fake.close()


@pytest.fixture
async def bot(sqlite_url: str, tmp_path: Path, clock: SteppingClock,
              graph: FakeGraph) -> AsyncIterator[BotProcess]:
    process = BotProcess(graph_settings(sqlite_url, tmp_path, graph), clock)
    yield process
    await process.stop()


@pytest.fixture
async def teams(bot: BotProcess, connector: FakeConnector) -> AsyncIterator[TeamsClient]:
    url = await bot.start()
    async with aiohttp.ClientSession() as session:
        yield TeamsClient(url, connector.url, session, settle=bot.settle)


async def submit(teams: TeamsClient, connector: FakeConnector, asset: str) -> dict[str, Any]:
    assert await teams.say(ALEX, f"request exception for {asset}") == 201
    form = connector.sent_to(ALEX.personal_conversation)[-1]
    data = {**find_data(form.cards[0], "request.submit"), **FORM, "asset_name": asset}
    return await teams.click(ALEX, "request.submit", data)


def shown(invoke_response: dict[str, Any]) -> str:
    """What a person reads on the card of an invoke response, one run per line."""
    card = {"contentType": "application/vnd.microsoft.card.adaptive",
            "content": invoke_response["value"]}
    return Call("", "", "", None, {"attachments": [card]}).card_text


def approval_cards(connector: FakeConnector, conversation: str) -> list[str]:
    return [c.card_text for c in connector.sent_to(conversation)
            if c.cards and "decision.approve" in verbs(c.cards[0])]


async def test_a_group_member_only_graph_knows_gets_the_card_and_decides(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph, sqlite_url: str
) -> None:
    await teams.say(NESTOR, "hi")
    confirmation = await submit(teams, connector, "ledger-db")
    assert "Nestor Wilke" in str(confirmation)  # the Entra group's member, not the file's Adele
    assert graph.called(r"/groups/[^/]+/members")
    [card] = approval_cards(connector, NESTOR.personal_conversation)
    assert "EXC-1" in card
    assert approval_cards(connector, ADELE.personal_conversation) == []

    decided = await teams.click(NESTOR, "decision.approve", {"requestId": "EXC-1"})
    assert "approved" in str(decided).lower() and "Nestor Wilke" in str(decided)
    request, _ = await stored(sqlite_url, "EXC-1")
    assert request.decisions[-1].decider_id == f"aad:{NESTOR.aad}"


async def test_people_named_by_email_are_resolved_and_pages_of_members_followed(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph
) -> None:
    await teams.say(MEGAN, "hi")
    confirmation = await submit(teams, connector, "payments-api")
    assert "Megan Bowen" in str(confirmation)  # the file gives only meganb@contoso.com
    assert len(approval_cards(connector, MEGAN.personal_conversation)) == 1
    members = graph.called(r"/groups/[^/]+/members")
    assert [c.query.get("$skiptoken") for c in members] == [None, "2"]  # 3 members, pages of 2


async def test_an_owner_away_has_new_requests_sent_to_the_backup_and_the_card_says_so(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph, clock: SteppingClock,
    sqlite_url: str,
) -> None:
    graph.away(MEGAN.aad, until=clock.now() + AWAY_UNTIL_DAYS)
    for user in (MEGAN, ADELE):
        await teams.say(user, "hi")
    confirmation = await submit(teams, connector, "payments-api")
    away = "Megan Bowen is away until Tue 01 Dec 2026 17:00 UTC; sent to Adele Vance"
    assert away in shown(confirmation)
    assert "Routed to: \nAdele Vance" in shown(confirmation)
    [card] = approval_cards(connector, ADELE.personal_conversation)
    assert away in card
    assert approval_cards(connector, MEGAN.personal_conversation) == []
    _, events = await stored(sqlite_url, "EXC-1")
    assert events[0].detail["away"] == away

    clock.advance(days=1, minutes=1)  # the daily reminder goes to who has the card
    await teams.delivered()
    assert len(approval_cards(connector, ADELE.personal_conversation)) == 2
    assert approval_cards(connector, MEGAN.personal_conversation) == []

    decided = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "approved" in str(decided).lower()  # away, yet still one who may decide


async def test_always_on_automatic_replies_send_the_request_around_her_too(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph
) -> None:
    graph.away(MEGAN.aad)
    await teams.say(ADELE, "hi")
    confirmation = await submit(teams, connector, "payments-api")
    assert "Megan Bowen is away (automatic replies are on); sent to Adele Vance" in str(
        confirmation)


async def test_the_manager_graph_names_is_the_escalation_target(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph, clock: SteppingClock,
    bot: BotProcess,
) -> None:
    for user in (MEGAN, ADELE, LYNNE):
        await teams.say(user, "hi")
    await submit(teams, connector, "payments-api")
    clock.advance(days=3, minutes=1)  # the deadline: the backup
    await bot.settle()
    assert len(approval_cards(connector, ADELE.personal_conversation)) == 1
    clock.advance(days=1)  # then Megan's manager, as Graph has it (the file names none)
    await bot.settle()
    [card] = approval_cards(connector, LYNNE.personal_conversation)
    assert "EXC-1" in card
    assert graph.called(rf"/users/{MEGAN.aad}/manager")
    decided = await teams.click(LYNNE, "decision.approve", {"requestId": "EXC-1"})
    assert "approved" in str(decided).lower() and "Lynne Robbins" in str(decided)


async def test_an_escalation_passes_over_the_backup_who_went_away_since_the_submission(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph, clock: SteppingClock,
    bot: BotProcess, sqlite_url: str,
) -> None:
    for user in (MEGAN, ADELE, LYNNE):
        await teams.say(user, "hi")
    await submit(teams, connector, "payments-api")
    graph.away(ADELE.aad, until=clock.now() + AWAY_UNTIL_DAYS)  # after the submission
    clock.advance(days=3, minutes=1)  # the deadline: the backup is away now, so the manager
    await bot.settle()
    assert approval_cards(connector, ADELE.personal_conversation) == []
    [card] = approval_cards(connector, LYNNE.personal_conversation)
    assert "EXC-1" in card
    _, events = await stored(sqlite_url, "EXC-1")
    assert events[-1].detail["skipped"] == "backup (Adele Vance is away)"


async def test_a_renewal_asks_graph_first_and_goes_around_the_owner_who_is_away(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph, clock: SteppingClock,
    sqlite_url: str,
) -> None:
    for user in (MEGAN, ADELE):
        await teams.say(user, "hi")
    await submit(teams, connector, "payments-api")
    decided = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "approved" in str(decided).lower()
    graph.away(MEGAN.aad, until=clock.now() + AWAY_UNTIL_DAYS)
    clock.advance(minutes=6)  # her automatic replies, as read at the submission, are stale

    assert await teams.say(ALEX, "renew EXC-1 until 2026-12-20") == 201
    await teams.delivered()
    [card] = [c for c in approval_cards(connector, ADELE.personal_conversation) if "EXC-2" in c]
    assert "Megan Bowen is away" in card
    assert not [c for c in approval_cards(connector, MEGAN.personal_conversation)
                if "EXC-2" in c]
    renewal, _ = await stored(sqlite_url, "EXC-2")
    assert renewal.renews == "EXC-1" and renewal.routed_to == "adele"


async def test_an_owner_who_never_talked_to_the_bot_gets_the_app_and_the_card_in_its_chat(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph
) -> None:
    await submit(teams, connector, "ledger-db")
    [install] = graph.called(rf"/users/{NESTOR.aad}/teamwork/installedApps", method="POST")
    assert install.body["teamsApp@odata.bind"].endswith(f"/appCatalogs/teamsApps/{TEAMS_APP}")
    assert graph.called(rf"/users/{NESTOR.aad}/teamwork/installedApps/[^/]+/chat")
    chat = chat_of(NESTOR.aad)
    [card] = approval_cards(connector, chat)
    assert "EXC-1" in card
    assert connector.created() == []  # no conversation had to be created blind

    await submit(teams, connector, "ledger-db")  # the chat is remembered: no second install
    assert len(approval_cards(connector, chat)) == 2
    assert len(graph.called(r"/users/[^/]+/teamwork/installedApps", method="POST")) == 1
    decided = await teams.click(NESTOR, "decision.approve", {"requestId": "EXC-2"},
                                conversation=None)
    assert "approved" in str(decided).lower()


async def test_graph_down_routes_from_the_catalog_and_says_so_in_the_log(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await teams.say(ADELE, "hi")
    await graph.close()  # Graph unreachable from here on
    with caplog.at_level(logging.WARNING):
        confirmation = await submit(teams, connector, "ledger-db")
    assert "Adele Vance" in str(confirmation)  # the team's members as the file lists them
    assert len(approval_cards(connector, ADELE.personal_conversation)) == 1
    assert any("Graph unreachable" in r.getMessage() and "from the catalog alone"
               in r.getMessage() for r in caplog.records)


async def test_throttled_graph_is_left_alone_until_retry_after_and_routing_goes_on(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph, clock: SteppingClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await teams.say(MEGAN, "hi")
    graph.fail(429, times=1, retry_after="120", match=lambda c: "mailboxSettings" in c.path)
    with caplog.at_level(logging.WARNING):
        confirmation = await submit(teams, connector, "payments-api")
    assert "Megan Bowen" in str(confirmation)
    assert any("throttling" in r.getMessage() for r in caplog.records)
    asked = len(graph.calls)

    await submit(teams, connector, "payments-api")  # within Retry-After: Graph is not asked
    assert len(graph.calls) == asked
    assert len(approval_cards(connector, MEGAN.personal_conversation)) == 2

    clock.advance(seconds=121)
    await submit(teams, connector, "payments-api")
    assert any("mailboxSettings" in c.path for c in graph.calls[asked:])


async def test_a_person_missing_from_entra_id_is_a_clear_message_not_a_crash(
    teams: TeamsClient, connector: FakeConnector, graph: FakeGraph,
) -> None:
    confirmation = await submit(teams, connector, "ghost-app")
    assert "EXC-1" in str(confirmation)
    told = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "EXC-1 could not be delivered" in told and "It did not reach ghost@contoso.com" in told
    assert graph.called(r"/users/ghost@contoso.com")

