"""Every card about a request shows its current state, and each reader their own view of it.

Through the real HTTP endpoint, the fake Bot Connector and the injected clock: each kind of
state change updates every stored copy (requester's confirmation, owner's, backup's and
escalation's cards, the leadership channel's post, the outcome notice) once, through the
outbox; the Universal Actions refresh invoke answers a decider with the buttons and anyone
else with the status, whoever the card data names.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import aiohttp

from settings import Settings
from storage.card_messages import CardMessage
from storage.engine import create_engine
from storage.uow import uow_factory
from tests.e2e.conftest import BotProcess, SteppingClock, verbs
from tests.e2e.fake_connector import Call, FakeConnector
from tests.e2e.teams import ADELE, ALEX, GROUP_CHAT, ISAIAH, MEGAN, TeamsClient, User
from tests.e2e.test_escalation import LEADERS, LYNNE
from tests.e2e.test_exception_flow import FORM, submit_exception

DECISION_VERBS = {"decision.approve", "decision.reject", "decision.need_info"}


async def copies(database_url: str, request_id: str = "EXC-1") -> list[CardMessage]:
    """The cards the bot keeps for updating, as the database holds them now."""
    engine = create_engine(database_url)
    try:
        async with uow_factory(engine)() as uow:
            return await uow.cards.for_request(request_id)
    finally:
        await engine.dispose()


def puts_to(connector: FakeConnector, copy: CardMessage, since: int = 0) -> list[Call]:
    return [c for c in connector.calls[since:] if c.method == "PUT"
            and (c.conversation_id, c.activity_id) == (copy.conversation_id, copy.activity_id)]


async def refresh(teams: TeamsClient, user: User, request_id: str = "EXC-1",
                  conversation: str | None = None) -> dict[str, Any]:
    """What Teams does when a card with `refresh` comes into view: an automatic
    adaptiveCard/action with the refresh verb. Returns the card the bot answers with."""
    body = teams.card_action(user, "request.refresh", {"requestId": request_id},
                             conversation=conversation, trigger="automatic")
    async with await teams.post(body) as response:
        assert response.status == 200, await response.text()
        answer: dict[str, Any] = await response.json()
    assert answer["statusCode"] == 200
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    card: dict[str, Any] = answer["value"]
    return card


def buttons(card: dict[str, Any]) -> set[str]:
    return set(verbs(card)) & DECISION_VERBS


def text_of(card: dict[str, Any]) -> str:
    return Call("PUT", "", "", None, {"attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}).card_text


async def test_refresh_gives_the_decider_buttons_and_everyone_else_the_status_in_each_state(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)

    megan, adele, alex, isaiah = [await refresh(teams, u) for u in (MEGAN, ADELE, ALEX, ISAIAH)]
    assert buttons(megan) == DECISION_VERBS
    assert buttons(adele) == DECISION_VERBS, "the backup may decide too (any-of)"
    for card in (alex, isaiah):
        assert buttons(card) == set() and "EXC-1 is pending" in text_of(card)

    await teams.click(MEGAN, "decision.need_info", {"requestId": "EXC-1",
                                                    "comment": "Which IP ranges?"})
    assert buttons(await refresh(teams, MEGAN)) == DECISION_VERBS, "she can still decide"
    waiting = await refresh(teams, ALEX)
    assert buttons(waiting) == set() and "waiting for Alex Wilber" in text_of(waiting)
    assert buttons(await refresh(teams, ISAIAH)) == set()

    await teams.click(ALEX, "info.answer", {"requestId": "EXC-1", "answer": "10.0.0.0/24"})
    assert buttons(await refresh(teams, ADELE)) == DECISION_VERBS
    assert buttons(await refresh(teams, ALEX)) == set()

    await teams.click(ADELE, "decision.approve", {"requestId": "EXC-1"})
    for user in (MEGAN, ADELE, ALEX, ISAIAH):  # a stale card: the final view, no buttons
        final = await refresh(teams, user)
        assert buttons(final) == set() and "refresh" not in final
        assert "EXC-1 approved by Adele Vance" in text_of(final)


async def test_the_card_data_cannot_make_an_outsider_a_decider(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await submit_exception(teams, connector)
    forged = teams.card_action(
        ISAIAH, "request.refresh",
        {"requestId": "EXC-1", "aadObjectId": MEGAN.aad, "userId": MEGAN.user_id},
        trigger="automatic")
    async with await teams.post(forged) as response:
        card = (await response.json())["value"]
    assert buttons(card) == set()
    unknown = await refresh(teams, MEGAN, "EXC-404")
    assert "EXC-404" in text_of(unknown) and buttons(unknown) == set()


async def test_withdrawal_ends_everyones_buttons_and_updates_every_copy(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    before = await copies(app_database_url)
    assert sorted(c.role for c in before) == ["decider", "requester"]
    mark = len(connector.calls)
    await teams.say(ALEX, "withdraw EXC-1")
    for copy in before:
        [put] = puts_to(connector, copy, mark)
        assert "EXC-1 was withdrawn by Alex Wilber" in put.card_text
        assert buttons(put.cards[0]) == set() and "refresh" not in put.cards[0]
    assert buttons(await refresh(teams, MEGAN)) == set()


async def test_every_copy_follows_reminder_escalation_and_decision_once_each(
    sqlite_url: str, clock: SteppingClock, connector: FakeConnector
) -> None:
    process = BotProcess(Settings(database_url=sqlite_url, channels=f"leadership={LEADERS}"),
                         clock)
    try:
        async with aiohttp.ClientSession() as session:
            teams = TeamsClient(await process.start(), connector.url, session,
                                settle=process.settle)
            for user in (MEGAN, LYNNE):
                await teams.say(user, "hi")  # Adele has never written: she is reached by id
            await submit_exception(teams, connector)
            [confirmation, owners] = await copies(sqlite_url)
            assert (confirmation.role, owners.role) == ("requester", "decider")
            card = connector.sent_to(MEGAN.personal_conversation)[-1].cards[0]
            assert card["refresh"] == {
                "action": {"type": "Action.Execute", "title": "Refresh",
                           "verb": "request.refresh", "data": {"requestId": "EXC-1"},
                           "mode": "primary"},
                "userIds": [MEGAN.user_id, f"8:orgid:{ADELE.aad}"]}
            assert buttons(card) == DECISION_VERBS, "1:1, the base card is Megan's own view"

            clock.advance(days=1, minutes=1)  # a reminder: a new card, nothing else changes
            mark = len(connector.calls)
            await process.settle()
            assert len(await copies(sqlite_url)) == 3
            assert [c for c in connector.calls[mark:] if c.method == "PUT"] == []

            clock.advance(days=2)  # another reminder, then the deadline: Adele gets the card
            mark = len(connector.calls)
            await process.settle()
            reached = await copies(sqlite_url)
            assert [c.role for c in reached] == ["requester"] + ["decider"] * 4
            assert reached[-1].recipient_aad == ADELE.aad
            for copy in reached[:-1]:  # every copy but Adele's new one shows the escalation
                [put] = puts_to(connector, copy, mark)
                wanted = set() if copy.role == "requester" else DECISION_VERBS
                assert buttons(put.cards[0]) == wanted, copy

            clock.advance(days=1)  # Megan's manager
            await process.settle()
            clock.advance(days=1)  # the leadership channel
            await process.settle()
            everything = await copies(sqlite_url)
            assert [c.role for c in everything][-2:] == ["decider", "channel"]
            [post] = connector.sent_to(LEADERS)
            assert "EXC-1 is overdue" in post.card_text and buttons(post.cards[0]) == set()
            assert LYNNE.user_id in post.cards[0]["refresh"]["userIds"]
            lynne_in_channel = await refresh(teams, LYNNE, conversation=LEADERS)
            assert buttons(lynne_in_channel) == DECISION_VERBS

            mark = len(connector.calls)
            await teams.click(LYNNE, "decision.approve", {"requestId": "EXC-1"})
            after = Counter((c.conversation_id, c.activity_id)
                            for c in connector.calls[mark:] if c.method == "PUT")
            now_kept = await copies(sqlite_url)
            assert [c.role for c in now_kept] == [c.role for c in everything] + ["outcome"]
            # Every copy, the outcome notice sent a moment before included (its update is
            # the same card again: the fan-out runs after it was kept).
            assert sorted(after) == sorted((c.conversation_id, c.activity_id) for c in now_kept)
            assert set(after.values()) == {1}, "one update per copy for one state change"
            for copy in everything:
                [put] = puts_to(connector, copy, mark)
                assert "EXC-1 approved by Lynne Robbins" in put.card_text, copy
                assert buttons(put.cards[0]) == set() and "refresh" not in put.cards[0]

            clock.advance(days=30)  # the exception lapses: every copy again, once
            mark = len(connector.calls)
            await process.settle()
            lapsed = Counter((c.conversation_id, c.activity_id)
                             for c in connector.calls[mark:] if c.method == "PUT")
            assert sorted(lapsed) == sorted(
                (c.conversation_id, c.activity_id) for c in await copies(sqlite_url))
            assert set(lapsed.values()) == {1}
    finally:
        await process.stop()


async def test_a_refused_copy_is_retried_alone_and_the_others_are_not_sent_twice(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    """Teams answers 412 to one copy's update: the relay retries that copy later, by its own
    backoff; the other copy of the same state change is not sent again.

    (412, not 429 with Retry-After: for a PUT the SDK's own urllib3 retry honours Retry-After
    itself, with a real sleep, before the relay sees anything; see the report.)"""
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    [alexs, megans] = await copies(app_database_url)
    connector.fail(412, times=1,
                   match=lambda c: c.method == "PUT" and c.activity_id == megans.activity_id)
    mark = len(connector.calls)
    await teams.click(MEGAN, "decision.reject", {"requestId": "EXC-1", "comment": "no"})
    assert len(puts_to(connector, alexs, mark)) == 1
    assert len(puts_to(connector, megans, mark)) == 1, "refused once; waits for its retry"
    clock.advance(seconds=60)
    await bot_process.settle()
    assert len(puts_to(connector, alexs, mark)) == 1, "never twice for one state change"
    [_, retried] = puts_to(connector, megans, mark)
    assert "EXC-1 rejected by Megan Bowen" in retried.card_text


async def test_a_confirmation_in_a_group_chat_shows_the_status_and_refreshes_for_the_owner(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    connector.rosters[GROUP_CHAT] = [
        {"id": u.user_id, "name": u.name, "aadObjectId": u.aad} for u in (ALEX, MEGAN, ISAIAH)]
    await teams.say(ALEX, "request exception for payments-api", conversation=GROUP_CHAT)
    form = connector.sent_to(GROUP_CHAT)[-1]
    data = {**next(a.get("data") or {} for a in [form.cards[0]["actions"][0]]), **FORM}
    confirmation = (await teams.click(ALEX, "request.submit", data, reply_to_id="group-form",
                                      conversation=GROUP_CHAT))["value"]
    assert buttons(confirmation) == set(), "everyone in the chat reads the base card"
    assert MEGAN.user_id in confirmation["refresh"]["userIds"]
    assert buttons(await refresh(teams, MEGAN, conversation=GROUP_CHAT)) == DECISION_VERBS
    assert buttons(await refresh(teams, ISAIAH, conversation=GROUP_CHAT)) == set()

    [group] = [c for c in await copies(app_database_url) if c.role == "group"]
    mark = len(connector.calls)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    [put] = puts_to(connector, group, mark)
    assert "EXC-1 approved by Megan Bowen" in put.card_text and buttons(put.cards[0]) == set()


async def test_a_fan_out_run_again_after_a_crash_updates_nothing_twice(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
) -> None:
    """A worker killed after it queued the copies' updates but before it marked the state
    change's refresh as sent runs it again after its lease: the copies' keys are already
    queued (and sent), so no copy gets a second update."""
    from app import WORKERS
    from approvals.ports import Notification

    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    mark = len(connector.calls)
    relay = bot_process.app[WORKERS].relay
    again = Notification(key="EXC-1:v2:refresh_cards:*", request_id="EXC-1", recipient_id="*",
                         kind="refresh_cards", created_at=clock.now(),
                         detail={"state": "approved", "version": "2"})
    await relay._deliver(again)  # the relay's own delivery function, as after a restart
    await bot_process.settle()
    assert [c for c in connector.calls[mark:] if c.method == "PUT"] == []


async def test_a_revocation_reaches_every_copy_with_the_decision_it_ended(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    kept = await copies(app_database_url)
    assert sorted(c.role for c in kept) == ["decider", "outcome", "requester"]
    mark = len(connector.calls)
    await teams.say(MEGAN, "revoke EXC-1 the private endpoint is live")
    for copy in kept:
        [put] = puts_to(connector, copy, mark)
        assert "EXC-1 was revoked by Megan Bowen" in put.card_text
        assert "EXC-1 approved by Megan Bowen" in put.card_text
        assert "the private endpoint is live" in put.card_text
        assert buttons(put.cards[0]) == set() and "refresh" not in put.cards[0]
