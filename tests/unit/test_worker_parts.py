"""The relay's and scheduler's parts without I/O: backoff, the Teams rate limits, the poll loop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.backoff import RetryPolicy
from bot.polling import Poller, Wakeup
from bot.rate_limit import ConversationLimiter
from bot.workers import Wakeups
from storage.uow import Queued

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_backoff_doubles_keeps_half_fixed_and_stops_at_the_cap() -> None:
    policy = RetryPolicy(max_tries=6, base_seconds=2, cap_seconds=20)

    assert [policy.delay(n, lambda: 0.0) for n in range(1, 6)] == [1, 2, 4, 8, 10]
    assert [round(policy.delay(n, lambda: 0.999), 6) for n in (1, 5)] == [1.999, 19.99]
    assert not policy.exhausted(5) and policy.exhausted(6)


def send_all(limiter: ConversationLimiter, count: int, conversation: str = "c") -> list[datetime]:
    """Send `count` messages as fast as the limiter allows; their times."""
    times: list[datetime] = []
    now = T0
    for _ in range(count):
        now = limiter.next_slot(conversation, now)
        limiter.record(conversation, now)
        times.append(now)
    return times


def most_in_any_window(times: list[datetime], window: timedelta) -> int:
    return max(sum(1 for t in times if start - window < t <= start) for start in times)


def test_a_burst_to_one_conversation_keeps_every_teams_limit() -> None:
    times = send_all(ConversationLimiter(), 130)

    assert most_in_any_window(times, timedelta(seconds=1)) == 7
    assert most_in_any_window(times, timedelta(seconds=2)) == 8
    assert most_in_any_window(times, timedelta(seconds=30)) == 60
    assert times[6] == T0 and times[7] == T0 + timedelta(seconds=1)
    assert times[-1] - T0 > timedelta(seconds=60)


def test_conversations_are_limited_apart_and_a_pause_holds_one_back() -> None:
    limiter = ConversationLimiter()
    for _ in range(7):
        limiter.record("busy", T0)
    limiter.pause("throttled", T0 + timedelta(seconds=3))

    assert limiter.next_slot("busy", T0) == T0 + timedelta(seconds=1)
    assert limiter.next_slot("quiet", T0) == T0
    assert limiter.next_slot("throttled", T0) == T0 + timedelta(seconds=3)
    assert limiter.next_slot("throttled", T0 + timedelta(seconds=4)) == T0 + timedelta(seconds=4)


class Rounds:
    """A run_once that counts rounds and can fail or claim a full batch."""

    def __init__(self, results: list[int | Exception]) -> None:
        self.results = results
        self.count = 0

    async def __call__(self) -> int:
        self.count += 1
        result = self.results.pop(0) if self.results else 0
        if isinstance(result, Exception):
            raise result
        return result


async def settle() -> None:
    """Let every ready task run until it waits (no real time passes)."""
    for _ in range(50):
        await asyncio.sleep(0)


async def test_the_loop_runs_on_wake_up_again_at_once_after_a_full_batch_and_outlives_errors(
) -> None:
    naps: list[float] = []

    async def sleep_forever(seconds: float) -> None:
        naps.append(seconds)
        await asyncio.Event().wait()

    wakeup = Wakeup()
    rounds = Rounds([RuntimeError("database down"), 5, 5, 1])
    poller = Poller("test", rounds, batch=5, wakeup=wakeup, poll_seconds=2.5,
                    sleep=sleep_forever)
    poller.start()
    try:
        await settle()  # the first round fails: the loop waits for a poll or a ring
        assert (rounds.count, naps) == (1, [2.5])
        wakeup.ring()
        await settle()  # two full batches, then one that is not: three rounds, one nap
        assert (rounds.count, naps) == (4, [2.5, 2.5])
        wakeup.ring()
        await settle()
        assert (rounds.count, naps) == (5, [2.5, 2.5, 2.5])
    finally:
        await poller.stop()


async def test_rings_in_quick_succession_wait_out_the_minimum_interval_a_lone_ring_does_not(
) -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    async def sleep_forever(seconds: float) -> None:
        await asyncio.Event().wait()

    wakeup = Wakeup()
    rounds = Rounds([])
    poller = Poller("relay", rounds, batch=5, wakeup=wakeup, poll_seconds=2.5,
                    sleep=sleep_forever, min_interval=30.0, pause=pause)
    poller.start()
    try:
        await settle()
        wakeup.ring()  # just after the first round: waits for the rest of the interval
        await settle()
        assert rounds.count == 2 and len(pauses) == 1 and 29.0 < pauses[0] <= 30.0
    finally:
        await poller.stop()

    quick = Poller("scheduler", Rounds([]), batch=5, wakeup=Wakeup(), poll_seconds=2.5,
                   sleep=sleep_forever, pause=pause)  # no minimum interval: never pauses
    quick.start()
    try:
        await settle()
    finally:
        await quick.stop()
    assert len(pauses) == 1


def test_commits_wake_the_relay_for_messages_and_the_scheduler_for_jobs_due_soon() -> None:
    class Clock:
        def now(self) -> datetime:
            return T0

    wakeups = Wakeups(Clock(), poll_seconds=1.0)
    relay, scheduler = wakeups.relay.listen(), wakeups.scheduler.listen()

    wakeups.on_queued(Queued(messages=True, first_job_due=T0 + timedelta(days=30)))
    assert (relay.is_set(), scheduler.is_set()) == (True, False)  # an expiry, weeks away
    relay.clear()
    wakeups.on_queued(Queued(messages=False, first_job_due=T0 + timedelta(milliseconds=500)))
    assert (relay.is_set(), scheduler.is_set()) == (False, True)
