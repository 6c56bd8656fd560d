"""Jobs and outbox on SQLite and PostgreSQL: idempotent keys, one claim per row across engines,
due times, leases, cancel, backlog; and the scheduler and relay rounds on top of them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals.model import AuditEvent, Source
from approvals.ports import Job, Notification
from bot.backoff import RetryPolicy
from bot.messenger import DeliveryFailed
from bot.relay import Relay, Undeliverable
from bot.scheduler import Scheduler
from storage.engine import create_engine
from storage.jobs import JobStore
from storage.outbox import OutboxStore
from storage.uow import uow_factory
from tests.integration.support import START, FixedClock, exception_request


def job(key: str, due: datetime, request_id: str = "EXC-1", kind: str = "remind") -> Job:
    return Job(key=key, kind=kind, request_id=request_id, due_at=due, detail={"n": key})


def note(key: str, at: datetime = START, to: str = "owen") -> Notification:
    return Notification(key=key, request_id="EXC-1", recipient_id=to, kind="reminder",
                        created_at=at, detail={"text": f"about {key}"})


async def schedule(engine: AsyncEngine, *jobs: Job) -> None:
    async with uow_factory(engine)() as uow:
        for j in jobs:
            await uow.jobs.schedule(j)
        await uow.commit()


async def queue(engine: AsyncEngine, *notes: Notification) -> None:
    async with uow_factory(engine)() as uow:
        for n in notes:
            await uow.outbox.add(n)
        await uow.commit()


@pytest.fixture
async def second_engine(database_url: str, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """Another engine (another pool: another process, as far as the database can tell)."""
    other = create_engine(database_url)
    yield other
    await other.dispose()


async def test_scheduling_and_queueing_twice_keeps_the_first(engine: AsyncEngine) -> None:
    await schedule(engine, job("EXC-1:remind:1", START))
    await schedule(engine, job("EXC-1:remind:1", START + timedelta(days=3)),
                   job("EXC-1:remind:1", START + timedelta(days=9)))
    await queue(engine, note("EXC-1:v2:decided:alice"))
    await queue(engine, note("EXC-1:v2:decided:alice", to="someone-else"))

    jobs = await JobStore(engine).claim_due_jobs(START + timedelta(days=30), 10, "w")
    messages = await OutboxStore(engine).claim_due_messages(START, 10, "w")

    assert [(c.job.key, c.job.due_at, c.job.detail) for c in jobs] == [
        ("EXC-1:remind:1", START, {"n": "EXC-1:remind:1"})]
    assert [(m.notification.recipient_id, m.attempts) for m in messages] == [("owen", 1)]


async def test_outbox_rows_and_jobs_commit_or_roll_back_with_the_state_change(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    rung: list[str] = []
    uows = uow_factory(engine, clock, on_queued=lambda queued: rung.append("ring"))
    event = AuditEvent(action="request.submitted", outcome="ok", actor_id="alice",
                       actor_name="Alice", at=START, request_id="EXC-1",
                       source=Source("msteams", "conv", "act"))
    async with uows() as uow:  # not committed
        await uow.requests.add(exception_request("EXC-1", START))
        await uow.outbox.add(note("EXC-1:v1:approval:owen"))
        await uow.jobs.schedule(job("EXC-1:remind:1", START))
    assert rung == []
    async with uows() as uow:  # the audit append last: it takes the chain lock on PostgreSQL
        await uow.requests.add(exception_request("EXC-1", START))
        await uow.outbox.add(note("EXC-1:v1:approval:owen"))
        await uow.jobs.schedule(job("EXC-1:remind:1", START))
        await uow.audit.append(event)
        await uow.commit()
    assert rung == ["ring"]
    async with uows() as uow:  # a commit that queued nothing does not ring
        await uow.requests.get("EXC-1")
        await uow.commit()

    assert rung == ["ring"]
    assert len(await OutboxStore(engine).claim_due_messages(START, 10, "w")) == 1
    assert len(await JobStore(engine).claim_due_jobs(START, 10, "w")) == 1


async def test_each_due_job_is_claimed_once_across_two_engines_claiming_concurrently(
    engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    await schedule(engine, *(job(f"EXC-{i}:remind:1", START + timedelta(seconds=i), f"EXC-{i}")
                             for i in range(120)))
    await schedule(engine, job("EXC-999:later", START + timedelta(hours=1)))
    stores = [JobStore(engine), JobStore(second_engine)]

    async def worker(n: int) -> list[str]:
        mine: list[str] = []
        while claimed := await stores[n % 2].claim_due_jobs(
            START + timedelta(minutes=10), 7, f"w{n}"
        ):
            mine += [c.job.key for c in claimed]
        return mine

    results = await asyncio.gather(*(worker(n) for n in range(6)))

    counts = Counter(key for keys in results for key in keys)
    assert len(counts) == 120 and set(counts.values()) == {1}
    assert "EXC-999:later" not in counts
    assert sum(1 for keys in results if keys) >= 2  # the work really was shared


async def test_not_yet_due_jobs_wait_for_their_time(engine: AsyncEngine) -> None:
    store = JobStore(engine)
    await schedule(engine, job("EXC-1:remind:1", START + timedelta(minutes=10)))

    assert await store.claim_due_jobs(START + timedelta(minutes=9, seconds=59), 10, "w") == []
    claimed = await store.claim_due_jobs(START + timedelta(minutes=10), 10, "w")
    assert [c.job.key for c in claimed] == ["EXC-1:remind:1"]


async def test_a_lost_workers_job_is_claimed_again_after_the_lease_and_it_is_fenced(
    engine: AsyncEngine, second_engine: AsyncEngine
) -> None:
    first, second = JobStore(engine), JobStore(second_engine)
    await schedule(engine, job("EXC-1:expire", START))
    assert len(await first.claim_due_jobs(START, 10, "dead")) == 1

    assert await second.claim_due_jobs(START + timedelta(minutes=4, seconds=59), 10, "b") == []
    again = await second.claim_due_jobs(START + timedelta(minutes=5), 10, "b")

    assert [(c.job.key, c.attempts) for c in again] == [("EXC-1:expire", 2)]
    assert not await first.mark_done("EXC-1:expire", "dead", START)  # it lost the row
    assert await second.mark_done("EXC-1:expire", "b", START + timedelta(minutes=5))
    row = await first.queue.row("EXC-1:expire")
    assert row is not None and (row["state"], row["claimed_by"]) == ("done", "b")


async def test_a_job_whose_workers_keep_dying_ends_failed(engine: AsyncEngine) -> None:
    store = JobStore(engine)
    await schedule(engine, job("EXC-1:poison", START))
    now = START
    for _ in range(3):
        assert len(await store.claim_due_jobs(now, 10, "w", max_attempts=3)) == 1
        now += timedelta(minutes=6)

    assert await store.claim_due_jobs(now, 10, "w", max_attempts=3) == []
    row = await store.queue.row("EXC-1:poison")
    assert row is not None and row["state"] == "failed" and "lost" in row["last_error"]


async def test_cancel_drops_the_requests_pending_jobs_of_the_kinds_asked(
    engine: AsyncEngine
) -> None:
    later = START + timedelta(minutes=2)  # within the running job's lease
    await schedule(engine, job("EXC-1:remind:1", later), job("EXC-1:remind:2", later),
                   job("EXC-1:escalate", later, kind="escalate"),
                   job("EXC-1:running", START, kind="remind"),
                   job("EXC-2:remind:1", later, request_id="EXC-2"))
    store = JobStore(engine)
    assert [c.job.key for c in await store.claim_due_jobs(START, 10, "w")] == ["EXC-1:running"]

    async with uow_factory(engine)() as uow:  # rolled back: nothing cancelled
        await uow.jobs.cancel("EXC-1")
    async with uow_factory(engine)() as uow:
        await uow.jobs.cancel("EXC-1", kinds=("remind",))
        await uow.commit()
    remaining = [c.job.key for c in await store.claim_due_jobs(later, 10, "w")]
    assert sorted(remaining) == ["EXC-1:escalate", "EXC-2:remind:1"]

    await schedule(engine, job("EXC-1:remind:1", later))  # a cancelled key can come back
    async with uow_factory(engine)() as uow:
        await uow.jobs.cancel("EXC-1")
        await uow.commit()
    assert await store.claim_due_jobs(later, 10, "w") == []
    row = await store.queue.row("EXC-1:running")
    assert row is not None and row["state"] == "running"


async def test_backlog_counts_pending_due_running_failed_and_the_oldest_wait(
    engine: AsyncEngine
) -> None:
    store = OutboxStore(engine)
    await queue(engine, note("a", START), note("b", START + timedelta(seconds=30)),
                note("c", START + timedelta(seconds=40)), note("d", START + timedelta(hours=1)))
    claimed = await store.claim_due_messages(START + timedelta(seconds=30), 2, "w")
    assert [m.notification.key for m in claimed] == ["a", "b"]
    await store.mark_failed("a", "w", "HTTP 403: refused")

    backlog = await store.backlog(START + timedelta(minutes=1))

    assert (backlog.pending, backlog.due, backlog.running, backlog.failed) == (2, 1, 1, 1)
    assert backlog.oldest_pending_seconds == 30.0  # "b", running since START + 30 s
    empty = await JobStore(engine).backlog(START)
    assert (empty.pending, empty.failed, empty.oldest_pending_seconds) == (0, 0, None)


async def test_a_retry_waits_for_its_time_and_a_deferral_is_not_an_attempt(
    engine: AsyncEngine
) -> None:
    store = OutboxStore(engine)
    await queue(engine, note("a"), note("b"))
    await store.claim_due_messages(START, 10, "w")
    await store.mark_retry("a", "w", "HTTP 502: bad gateway", START + timedelta(seconds=5))
    await store.defer(["b"], "w", START + timedelta(seconds=1))

    assert await store.claim_due_messages(START + timedelta(seconds=0.5), 10, "w") == []
    b = await store.claim_due_messages(START + timedelta(seconds=1), 10, "w")
    a = await store.claim_due_messages(START + timedelta(seconds=5), 10, "w")
    assert [(m.notification.key, m.attempts) for m in b + a] == [("b", 1), ("a", 2)]


class Recorder:
    """A `run_job` or `deliver` that records calls and fails as told, per key."""

    def __init__(self, failures: dict[str, list[BaseException]]) -> None:
        self.calls: list[str] = []
        self.failures = failures

    def _call(self, key: str) -> None:
        self.calls.append(key)
        if self.failures.get(key):
            raise self.failures[key].pop(0)

    async def run(self, item: Job) -> None:
        self._call(item.key)

    async def deliver(self, item: Notification) -> str | None:
        self._call(item.key)
        return f"act-{len(self.calls)}"


async def test_the_scheduler_retries_a_failing_job_then_marks_it_failed_and_goes_on(
    engine: AsyncEngine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Recorder({"EXC-1:bad": [RuntimeError("boom")] * 3})
    scheduler = Scheduler(JobStore(engine), handler.run, clock, worker_id="w",
                          retry=RetryPolicy(max_tries=3, base_seconds=10), random=lambda: 0.0)
    await schedule(engine, job("EXC-1:bad", START), job("EXC-2:good", START, "EXC-2"))

    assert await scheduler.run_once() == 2
    clock.advance(seconds=4.9)
    assert await scheduler.run_once() == 0  # 10 s step, half of it fixed: 5 s
    clock.advance(seconds=0.1)
    assert await scheduler.run_once() == 1
    clock.advance(seconds=10)
    assert await scheduler.run_once() == 1
    clock.advance(days=1)
    assert await scheduler.run_once() == 0

    assert handler.calls == ["EXC-1:bad", "EXC-2:good", "EXC-1:bad", "EXC-1:bad"]
    bad = await scheduler.store.queue.row("EXC-1:bad")
    good = await scheduler.store.queue.row("EXC-2:good")
    assert bad is not None and (bad["state"], bad["attempts"]) == ("failed", 3)
    assert bad["last_error"] == "RuntimeError: boom"
    assert good is not None and (good["state"], good["done_at"]) == ("done", START)
    assert "job EXC-1:bad failed for good after 3 attempts" in caplog.text


async def test_the_relay_sorts_failures_into_retry_and_give_up(
    engine: AsyncEngine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    deliver = Recorder({
        "forbidden": [DeliveryFailed("refused", status=403)],
        "nobody": [Undeliverable("no such person")],
        "offline": [DeliveryFailed("unreachable")],
        "buggy": [KeyError("bug in a renderer")],
    })
    relay = Relay(OutboxStore(engine), deliver.deliver, clock, worker_id="w",
                  random=lambda: 0.5)
    await queue(engine, *(note(k, to=k) for k in ("forbidden", "nobody", "offline", "buggy")))

    assert await relay.run_once() == 4

    rows = {k: await relay.store.queue.row(k) for k in ("forbidden", "nobody", "offline", "buggy")}
    states = {k: (r["state"], r["last_error"]) for k, r in rows.items() if r is not None}
    assert states == {
        "forbidden": ("failed", "HTTP 403: refused"),
        "nobody": ("failed", "undeliverable: no such person"),
        "offline": ("pending", "unreachable"),
        "buggy": ("pending", "KeyError: 'bug in a renderer'"),
    }
    assert "outbox message forbidden (reminder for forbidden on EXC-1) failed" in caplog.text
    clock.advance(seconds=1.5)  # first step 2 s: 1 s fixed + 0.5 of the other 1 s
    assert await relay.run_once() == 2
    sent = await relay.store.queue.row("offline")
    assert sent is not None and (sent["state"], sent["activity_id"]) == ("sent", "act-5")
    assert sent["sent_at"] == START + timedelta(seconds=1.5)


async def test_at_shutdown_the_rest_of_a_claimed_batch_goes_back_unrun_and_unsent(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    scheduler: Scheduler
    relay: Relay

    async def run_and_stop(item: Job) -> None:
        scheduler.stopping = True  # shutdown begins while the first job runs

    async def deliver_and_stop(item: Notification) -> str | None:
        relay.stopping = True
        return None

    scheduler = Scheduler(JobStore(engine), run_and_stop, clock, worker_id="w")
    relay = Relay(OutboxStore(engine), deliver_and_stop, clock, worker_id="w")
    await schedule(engine, job("j1", START), job("j2", START), job("j3", START))
    await queue(engine, note("n1"), note("n2", to="bea"))

    assert await scheduler.run_once() == 3 and await relay.run_once() == 2

    jobs = [await scheduler.store.queue.row(k) for k in ("j1", "j2", "j3")]
    notes = [await relay.store.queue.row(k) for k in ("n1", "n2")]
    assert [(r["state"], r["attempts"]) for r in jobs if r is not None] == [
        ("done", 1), ("pending", 0), ("pending", 0)]
    assert [(r["state"], r["attempts"]) for r in notes if r is not None] == [
        ("sent", 1), ("pending", 0)]
