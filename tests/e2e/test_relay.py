"""The outbox relay through the real app to the fake Bot Connector over HTTP: Retry-After and
backoff honoured, bounded tries with the failure visible, Teams' per-conversation rate limits,
and a commit that wakes the background loop. Time is the injected clock; nothing sleeps."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import aiohttp
import pytest

from bot.housekeeping import SWEEP_SECONDS
from tests.e2e.conftest import SteppingClock
from tests.e2e.fake_connector import Call, FakeConnector
from tests.e2e.teams import ADELE, MEGAN
from tests.e2e.workers_support import RunningApp, message, remember_chats, running_app

pytestmark = pytest.mark.usefixtures("stamped")


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


@pytest.fixture
def stamped(connector: FakeConnector, clock: SteppingClock) -> None:
    connector.clock = clock  # every call carries the (fake) time it reached Teams


def to_megan(call: Call) -> bool:
    return call.conversation_id == MEGAN.personal_conversation


async def run_until(running: RunningApp, done: object, clock: SteppingClock, *,
                    step: float, limit: float) -> None:
    """Relay rounds, moving the clock `step` seconds between them, until `done()` holds."""
    assert callable(done)
    deadline = clock.now() + timedelta(seconds=limit)
    while not done():
        assert clock.now() < deadline, "the relay never got there"
        await running.workers.relay.run_once()
        if not done():
            clock.advance(seconds=step)


def gaps(calls: list[Call]) -> list[float]:
    times = [c.at for c in calls if c.at is not None]
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


async def test_429_with_retry_after_then_502_then_200_is_one_delivery_spaced_as_asked(
    app_database_url: str, connector: FakeConnector, clock: SteppingClock
) -> None:
    connector.fail(429, times=1, retry_after="3", match=to_megan)
    connector.fail(502, times=1, match=to_megan)
    async with running_app(app_database_url, clock, random=lambda: 0.5) as running:
        await remember_chats(running, connector.url, MEGAN)
        await running.queue(message("EXC-1:v1:reminder:megan", MEGAN, clock.now(), "Reminder"))

        await run_until(running, lambda: len(connector.sent_to(MEGAN.personal_conversation)) == 3,
                        clock, step=0.25, limit=60)
        clock.advance(minutes=10)
        await running.workers.relay.drain()
        row = await running.outbox_row("EXC-1:v1:reminder:megan")

    attempts = connector.sent_to(MEGAN.personal_conversation)
    assert len(attempts) == 3 and all(c.body.get("text") == "Reminder" for c in attempts)
    # After the 429: Retry-After (3 s) beats the first backoff step (1 to 2 s).
    # After the 502: the second step, 4 s, half fixed and half jittered (0.5 here): 3 s.
    assert gaps(attempts) == [3.0, 3.0]
    assert (row["state"], row["attempts"], row["activity_id"]) == ("sent", 3, "act-1")
    assert row["sent_at"] == attempts[-1].at


async def test_a_message_teams_keeps_refusing_fails_after_six_tries_and_stays_visible(
    app_database_url: str, connector: FakeConnector, clock: SteppingClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    connector.fail(502, times=100, match=to_megan)
    key = "EXC-1:v2:decided:megan"
    async with running_app(app_database_url, clock, random=lambda: 0.0) as running:
        await remember_chats(running, connector.url, MEGAN)
        await running.queue(message(key, MEGAN, clock.now()))
        with caplog.at_level(logging.INFO, logger="bot.relay"):
            await run_until(running, lambda: len(connector.sent_to(MEGAN.personal_conversation))
                            == 6, clock, step=0.5, limit=600)
            clock.advance(hours=1)
            await running.workers.relay.drain()
        async with aiohttp.ClientSession() as session:
            async with session.get(running.url + "/healthz") as response:
                health = await response.json()
        row = await running.outbox_row(key)

    attempts = connector.sent_to(MEGAN.personal_conversation)
    assert len(attempts) == 6
    assert gaps(attempts) == [1.0, 2.0, 4.0, 8.0, 16.0]  # the fixed halves of 2, 4, 8, 16, 32 s
    assert (row["state"], row["attempts"]) == ("failed", 6)
    assert row["last_error"] == "HTTP 502: Teams answered HTTP 502"
    assert health["status"] == "ok"
    assert (health["outbox"]["failed"], health["outbox"]["pending"]) == (1, 0)
    failed = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert failed == [f"outbox message {key} (reminder for megan on EXC-1) failed after 6 tries: "
                      "HTTP 502: Teams answered HTTP 502"]


def most_within(calls: list[Call], seconds: float) -> int:
    times: list[datetime] = [c.at for c in calls if c.at is not None]
    window = timedelta(seconds=seconds)
    return max(sum(1 for t in times if end - window < t <= end) for end in times)


async def test_twenty_messages_to_one_chat_keep_teams_rate_limits_and_their_order(
    app_database_url: str, connector: FakeConnector, clock: SteppingClock
) -> None:
    start = clock.now()
    async with running_app(app_database_url, clock) as running:
        await remember_chats(running, connector.url, MEGAN, ADELE)
        await running.queue(*(message(f"m{i:02}", MEGAN, start) for i in range(20)),
                            *(message(f"a{i}", ADELE, start) for i in range(3)))

        await run_until(running, lambda: len(connector.sent_to(MEGAN.personal_conversation))
                        == 20, clock, step=0.1, limit=60)
        clock.advance(minutes=10)
        await running.workers.relay.drain()

    to_megan_calls = connector.sent_to(MEGAN.personal_conversation)
    to_adele_calls = connector.sent_to(ADELE.personal_conversation)
    assert [c.body["text"] for c in to_megan_calls] == [f"m{i:02}" for i in range(20)]
    last = to_megan_calls[-1].at
    assert last is not None and last - start > timedelta(seconds=1)
    assert most_within(to_megan_calls, 1) == 7 and most_within(to_megan_calls, 2) == 8
    # Another chat is not held back by the busy one.
    assert [(c.body["text"], c.at) for c in to_adele_calls] == [(f"a{i}", start) for i in range(3)]


async def test_a_commit_that_queues_a_message_wakes_the_background_relay(
    app_database_url: str, connector: FakeConnector, clock: SteppingClock
) -> None:
    naps: list[float] = []

    async def sleep_forever(seconds: float) -> None:  # only a ring can wake the loops
        naps.append(seconds)
        await asyncio.Event().wait()

    async with running_app(app_database_url, clock, background=True,
                           sleep=sleep_forever) as running:
        await remember_chats(running, connector.url, MEGAN)
        await running.queue(message("EXC-1:v1:approval:megan", MEGAN, clock.now(), "Woken"))

        async with asyncio.timeout(10):
            await connector.wait_until(
                lambda: bool(connector.sent_to(MEGAN.personal_conversation)))
        await running.workers.stop()  # lets the round in progress finish: it marks the row
        row = await running.outbox_row("EXC-1:v1:approval:megan")

    assert [c.body["text"] for c in connector.sent_to(MEGAN.personal_conversation)] == ["Woken"]
    assert row["state"] == "sent"
    # Idle at the default poll (that sleep never ends); housekeeping's idea of idle is an hour.
    assert 1.0 in naps and set(naps) <= {1.0, SWEEP_SECONDS}


async def test_a_backlog_for_one_chat_is_not_claimed_again_before_its_slots(
    app_database_url: str, connector: FakeConnector, clock: SteppingClock
) -> None:
    """Messages over a chat's limit get successive slots; the relay does not claim and defer
    the whole backlog again on every round (that churn once cost 280 ms of CPU per turn)."""
    start = clock.now()
    async with running_app(app_database_url, clock) as running:
        await remember_chats(running, connector.url, MEGAN)
        await running.queue(*(message(f"m{i:02}", MEGAN, start) for i in range(30)))
        assert await running.workers.relay.run_once() == 30
        assert len(connector.sent_to(MEGAN.personal_conversation)) == 7
        assert await running.workers.relay.run_once() == 0, "nothing is due before its slot"
        for _ in range(5):
            clock.advance(seconds=1)
            before = len(connector.sent_to(MEGAN.personal_conversation))
            claimed = await running.workers.relay.run_once()
            sent = len(connector.sent_to(MEGAN.personal_conversation)) - before
            assert claimed == sent, "only messages whose slot has come are claimed"
        await run_until(running, lambda: len(connector.sent_to(MEGAN.personal_conversation))
                        == 30, clock, step=1, limit=120)
        calls = connector.sent_to(MEGAN.personal_conversation)
        assert most_within(calls, 1) <= 7 and most_within(calls, 2) <= 8
        assert [c.body["text"] for c in calls] == [f"m{i:02}" for i in range(30)]
