"""The scheduler: claims due jobs (reminders, escalations, expiry...) and runs each once.

Claims come from storage.jobs.JobStore, so with several app processes on one database each job
goes to one worker. A job runs at least once: if a worker dies mid-job, the job is claimed
again after the lease; the domain's `run_job` must therefore be idempotent (its state change
compare-and-sets the request version; its messages carry outbox keys).
"""

from __future__ import annotations

import logging
import random as random_module
from collections.abc import Awaitable, Callable
from datetime import timedelta

from approvals import services
from approvals.job_kinds import ESCALATE, REMIND, REVIEW_DUE
from approvals.ports import Clock, Job
from bot.backoff import Random, RetryPolicy
from bot.deps import BotDeps
from bot.directory_routing import refresh_for_request
from bot.polling import drain
from storage.jobs import ClaimedJob, JobStore

log = logging.getLogger(__name__)
RunJob = Callable[[Job], Awaitable[None]]
# The jobs that send a request to people: the directory is asked first (members, managers,
# who is away now). Expiry, lapse and a delegation's end route nobody, so they never wait on it.
ROUTING_JOBS = frozenset({REMIND, ESCALATE, REVIEW_DUE})


def due_jobs(deps: BotDeps) -> RunJob:
    """Run each due job through the domain (reminders, escalations); idempotent there."""

    async def run(job: Job) -> None:
        away = await refresh_for_request(deps, job.request_id) if job.kind in ROUTING_JOBS else {}
        await services.run_due_job(deps.uow_factory(), deps.catalog, deps.policy, deps.clock, job,
                                   away=away)

    return run


class Scheduler:
    def __init__(self, store: JobStore, run_job: RunJob, clock: Clock, *, worker_id: str,
                 batch: int = 20, retry: RetryPolicy | None = None,
                 random: Random = random_module.random) -> None:
        self.store = store
        self.worker_id = worker_id
        self.batch = batch
        self._run_job = run_job
        self._clock = clock
        self._retry = retry or RetryPolicy(base_seconds=30.0, cap_seconds=3600.0)
        self._random = random
        self.stopping = False  # set at shutdown: the rest of a batch goes back unrun

    async def run_once(self) -> int:
        """Claim the due jobs of one batch and run them; how many were claimed."""
        now = self._clock.now()
        claimed = await self.store.claim_due_jobs(now, self.batch, self.worker_id,
                                                  self._retry.max_tries)
        for n, item in enumerate(claimed):
            if self.stopping:
                await self.store.release([c.job.key for c in claimed[n:]], self.worker_id, now)
                break
            await self._run(item)
        return len(claimed)

    async def drain(self) -> int:
        """Rounds until nothing is due at the clock's time (tests, shutdown); jobs run."""
        return await drain(self.run_once)

    async def _run(self, item: ClaimedJob) -> None:
        job = item.job
        try:
            await self._run_job(job)
        except Exception as exc:  # one job's failure must not stop the others or the loop
            log.exception("job %s (%s on %s) failed on attempt %d", job.key, job.kind,
                          job.request_id, item.attempts)
            await self._after_failure(item, f"{type(exc).__name__}: {exc}")
            return
        if not await self.store.mark_done(job.key, self.worker_id, self._clock.now()):
            log.warning("job %s ran after its claim expired (another worker has it now)", job.key)

    async def _after_failure(self, item: ClaimedJob, error: str) -> None:
        key, now = item.job.key, self._clock.now()
        if self._retry.exhausted(item.attempts):
            await self.store.mark_failed(key, self.worker_id, error, now)
            log.error("job %s failed for good after %d attempts: %s", key, item.attempts, error)
            return
        wait = timedelta(seconds=self._retry.delay(item.attempts, self._random))
        await self.store.mark_retry(key, self.worker_id, error, now + wait)
