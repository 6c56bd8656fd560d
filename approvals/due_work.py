"""The scheduler's one entry point: a due job goes to the use case that planned it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from approvals.catalog import Catalog
from approvals.deadlines import run_deadline_job
from approvals.delegating import run_delegation_job
from approvals.expiry import run_expiry_job
from approvals.job_kinds import END_DELEGATION, EXPIRY_JOBS, REVIEW_DUE
from approvals.policies import Policy
from approvals.ports import Clock, Job, UnitOfWork
from approvals.reviewing import run_review_job


async def run_due_job(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, clock: Clock, job: Job,
    away: Mapping[str, datetime | None] | None = None,
) -> None:
    """A due job acts once, on the state it was planned for; else it does nothing. Who is
    `away` now (person id -> back at) is passed over by escalations, reminders and reviews."""
    now = clock.now()
    away = away or {}
    async with uow:
        if job.kind == END_DELEGATION:
            done = await run_delegation_job(uow, catalog, policy, job, now)
        else:
            request = await uow.requests.get(job.request_id)
            if request is None:
                return
            if job.kind in EXPIRY_JOBS:
                done = await run_expiry_job(uow, catalog, request, job, now)
            elif job.kind == REVIEW_DUE:
                done = await run_review_job(uow, catalog, policy, request, job, now, away)
            else:
                done = await run_deadline_job(uow, catalog, policy, request, job, now, away)
        if done:
            await uow.commit()
