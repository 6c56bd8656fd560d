"""Measures the scheduler and the relay (a script, not a test; prints, asserts nothing):

    TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m tests.e2e.measure_workers

1. Due jobs cleared per second by one worker, on SQLite and on PostgreSQL: with a no-op job,
   and with a job that writes an outbox message in its own transaction (what a reminder does).
2. Outbox messages delivered per second by one relay to the fake connector (real HTTP).
3. The delay from a job's due time to its message arriving at the fake connector, with the
   real app, the wall clock and the default 1 s poll.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta

from approvals.ports import Job, Notification, SystemClock
from bot.deps import BotDeps
from bot.scheduler import Scheduler
from storage.engine import create_engine
from storage.jobs import JobStore
from storage.migrate import migrate
from storage.uow import uow_factory
from tests.conftest import fresh_postgres_database
from tests.e2e.chats import chat_fields
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import User
from tests.e2e.workers_support import running_app

JOBS = 2000
MESSAGES = 400
LATENCY_JOBS = 20


@asynccontextmanager
async def databases() -> AsyncIterator[list[tuple[str, Callable[[], Awaitable[str]]]]]:
    """Factories of fresh databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""
    server = os.environ.get("TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncExitStack() as stack:
            count = iter(range(1000))

            async def sqlite() -> str:
                return f"sqlite+aiosqlite:///{tmp}/m{next(count)}.db"

            async def postgres() -> str:
                assert server is not None
                return await stack.enter_async_context(fresh_postgres_database(server))

            yield [("SQLite", sqlite), *([("PostgreSQL", postgres)] if server else [])]


async def jobs_per_second(url: str, writes_outbox: bool) -> float:
    await migrate(url)
    engine = create_engine(url)
    clock = SystemClock()
    uows = uow_factory(engine, clock)
    start = clock.now()
    async with uows() as uow:
        for i in range(JOBS):
            await uow.jobs.schedule(Job(f"EXC-{i}:remind:1", "remind", f"EXC-{i}",
                                        start - timedelta(seconds=JOBS - i)))
        await uow.commit()

    async def reminder(job: Job) -> None:
        if writes_outbox:
            async with uows() as uow:
                await uow.outbox.add(Notification(f"{job.key}:msg", job.request_id, "megan",
                                                  "reminder", clock.now()))
                await uow.commit()

    scheduler = Scheduler(JobStore(engine), reminder, clock, worker_id="bench", batch=50)
    began = time.perf_counter()
    ran = await scheduler.drain()
    elapsed = time.perf_counter() - began
    await engine.dispose()
    assert ran == JOBS, ran
    return JOBS / elapsed


def person(n: int) -> User:
    return User(f"bench{n}", f"Bench {n}", f"00000000-0000-0000-0000-{n:013d}")


async def messages_per_second(url: str, connector: FakeConnector) -> float:
    clock = SystemClock()
    people = [person(n) for n in range(MESSAGES)]  # one message each: no rate limit in play
    async with running_app(url, clock) as running:
        async with running.deps.uow_factory() as uow:
            for p in people:
                await uow.conversations.upsert(**chat_fields(p, connector.url))
            await uow.commit()
        await running.queue(*(Notification(f"m{n}", "EXC-1", f"aad:{p.aad}", "reminder",
                                           clock.now()) for n, p in enumerate(people)))
        began = time.perf_counter()
        await running.workers.relay.drain()
        elapsed = time.perf_counter() - began
    return MESSAGES / elapsed


async def due_to_delivery_delays(url: str, connector: FakeConnector) -> list[float]:
    clock = SystemClock()
    connector.clock = clock
    target = person(9999)

    def run_job(deps: BotDeps) -> Callable[[Job], Awaitable[None]]:
        async def remind(job: Job) -> None:
            async with deps.uow_factory() as uow:
                await uow.outbox.add(Notification(f"{job.key}:msg", job.request_id,
                                                  f"aad:{target.aad}", "reminder", clock.now(),
                                                  {"text": job.key}))
                await uow.commit()
        return remind

    async with running_app(url, clock, background=True, run_job=run_job) as running:
        async with running.deps.uow_factory() as uow:
            await uow.conversations.upsert(**chat_fields(target, connector.url))
            start = clock.now()
            due = {f"d{n}": start + timedelta(seconds=1 + n * 0.37) for n in range(LATENCY_JOBS)}
            for key, at in due.items():
                await uow.jobs.schedule(Job(key, "remind", "EXC-1", at))
            await uow.commit()
        async with asyncio.timeout(60):
            await connector.wait_until(
                lambda: len(connector.sent_to(target.personal_conversation)) == LATENCY_JOBS)
    return [(c.at - due[c.body["text"]]).total_seconds()
            for c in connector.sent_to(target.personal_conversation) if c.at is not None]


async def main() -> None:
    async with databases() as found:
        for name, fresh in found:
            bare = await jobs_per_second(await fresh(), writes_outbox=False)
            real = await jobs_per_second(await fresh(), writes_outbox=True)
            connector = await FakeConnector().start()
            try:
                sent = await messages_per_second(await fresh(), connector)
                connector.calls.clear()
                delays = await due_to_delivery_delays(await fresh(), connector)
            finally:
                await connector.close()
            delays.sort()
            sys.stdout.write(
                f"{name}: {bare:.0f} no-op jobs/s, {real:.0f} jobs/s writing an outbox row, "
                f"{sent:.0f} messages/s delivered; due -> at the connector: "
                f"median {statistics.median(delays):.3f} s, "
                f"p95 {delays[int(len(delays) * 0.95) - 1]:.3f} s, max {delays[-1]:.3f} s "
                f"(n={len(delays)})\n")


if __name__ == "__main__":
    asyncio.run(main())
