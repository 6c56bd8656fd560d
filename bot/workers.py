"""The scheduler, the outbox relay and housekeeping, built, started and stopped together by
app.py."""

from __future__ import annotations

import asyncio
import os
import random as random_module
import socket
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from approvals.ports import Clock
from bot.backoff import Random
from bot.deps import BotDeps
from bot.housekeeping import SWEEP_SECONDS, Housekeeping
from bot.polling import Poller, Sleep, Wakeup
from bot.relay import Deliver, Relay
from bot.scheduler import RunJob, Scheduler
from storage.jobs import JobStore
from storage.outbox import OutboxStore
from storage.processed_activities import ProcessedActivityStore
from storage.uow import Queued


@dataclass
class WorkerOptions:
    """How the workers run. Tests turn `background` off and drive `run_once()` / `drain()`
    themselves, and inject `sleep` and `random` so nothing waits for real time."""

    background: bool = True
    poll_seconds: float = 1.0
    sleep: Sleep = field(default=asyncio.sleep)
    random: Random = field(default=random_module.random)
    lease: timedelta = timedelta(minutes=5)  # a claim older than this was lost
    # Relay rounds start at most this often when commits keep ringing (a batch per round,
    # not a claim and a deferral per commit); the first ring after a quiet spell runs at once.
    relay_min_interval: float = 0.05
    # Housekeeping sweeps at start, then this often (at once again while it finds full batches).
    sweep_seconds: float = SWEEP_SECONDS
    # Builders from the bot's dependencies; None: app.py's defaults.
    deliver: Callable[[BotDeps], Deliver] | None = None
    run_job: Callable[[BotDeps], RunJob] | None = None


def worker_id() -> str:
    """Names this process in claimed rows: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Wakeups:
    """The workers' wake-ups. A commit rings the relay when it queued messages, and the
    scheduler when a job it scheduled is due before the scheduler's next poll (a decision's
    expiry job, weeks away, wakes nobody)."""

    def __init__(self, clock: Clock, poll_seconds: float) -> None:
        self.relay = Wakeup()
        self.scheduler = Wakeup()
        self._clock = clock
        self._soon = timedelta(seconds=poll_seconds)

    def on_queued(self, queued: Queued) -> None:
        if queued.messages:
            self.relay.ring()
        due = queued.first_job_due
        if due is not None and due <= self._clock.now() + self._soon:
            self.scheduler.ring()


class Workers:
    def __init__(self, jobs: JobStore, outbox: OutboxStore, activities: ProcessedActivityStore,
                 clock: Clock, wakeups: Wakeups, deliver: Deliver, run_job: RunJob,
                 options: WorkerOptions) -> None:
        me = worker_id()
        self.scheduler = Scheduler(jobs, run_job, clock, worker_id=me, random=options.random)
        self.relay = Relay(outbox, deliver, clock, worker_id=me, random=options.random)
        self.housekeeping = Housekeeping(activities, clock)
        self._clock = clock
        self._background = options.background
        self._pollers = [
            Poller("scheduler", self.scheduler.run_once, self.scheduler.batch, wakeups.scheduler,
                   options.poll_seconds, options.sleep),
            Poller("relay", self.relay.run_once, self.relay.batch, wakeups.relay,
                   options.poll_seconds, options.sleep, options.relay_min_interval),
            Poller("housekeeping", self.housekeeping.run_once, self.housekeeping.batch,
                   Wakeup(), options.sweep_seconds, options.sleep),
        ]

    def start(self) -> None:
        self.scheduler.stopping = self.relay.stopping = False
        if self._background:
            for poller in self._pollers:
                poller.start()

    async def stop(self) -> None:
        self.scheduler.stopping = self.relay.stopping = True  # no new item after the current one
        for poller in self._pollers:
            await poller.stop()

    async def backlog(self) -> dict[str, Any]:
        """What waits and what failed, for /healthz."""
        now = self._clock.now()
        return {
            "jobs": asdict(await self.scheduler.store.backlog(now)),
            "outbox": asdict(await self.relay.store.backlog(now)),
        }
