"""Deadlines as due jobs: reminders before a decision's deadline, escalation after it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from approvals.catalog import Catalog
from approvals.escalation import escalate, reached_people
from approvals.expiry import plan_expiry, plan_review
from approvals.job_kinds import DEADLINE_JOBS, ESCALATE, REMIND
from approvals.model import Request, State, Tier
from approvals.notifications import REMINDER, notify
from approvals.policies import Policy, Rules
from approvals.ports import Job, UnitOfWork

log = logging.getLogger(__name__)

MAX_REMINDERS = 12  # the last ones before the deadline; a tighter cadence is noise
WAITING_FOR_DECIDERS = (State.PENDING, State.APPROVED_PENDING_REVIEW)


def rules_of(catalog: Catalog, policy: Policy, request: Request) -> Rules:
    """The policy for the request's asset tier and kind (medium if the asset left the catalog)."""
    asset = catalog.assets.get(request.asset_name)
    return policy.rules_for(asset.tier if asset else Tier.MEDIUM, request.kind)


def plan_jobs(request: Request, rules: Rules, now: datetime) -> list[Job]:
    """Reminders before the deadline (until a first escalation), the next escalation at due_at."""
    if request.due_at is None or request.state not in WAITING_FOR_DECIDERS:
        return []
    version = str(request.version)
    jobs: list[Job] = []
    window, every = rules.window(request.state is State.APPROVED_PENDING_REVIEW)
    if request.escalation_level == 0 and every is not None:
        n = 1
        while n * every < window and n <= MAX_REMINDERS:
            at = request.due_at - n * every
            if at > now:
                jobs.append(Job(
                    key=f"{request.id}:v{version}:{REMIND}:{n}", kind=REMIND,
                    request_id=request.id, due_at=at, detail={"version": version, "n": str(n)},
                ))
            n += 1
    level = request.escalation_level + 1
    if level <= len(rules.escalation):
        jobs.append(Job(
            key=f"{request.id}:v{version}:{ESCALATE}:{level}", kind=ESCALATE,
            request_id=request.id, due_at=request.due_at,
            detail={"version": version, "level": str(level)},
        ))
    return sorted(jobs, key=lambda j: j.due_at)


async def replan(uow: UnitOfWork, request: Request, rules: Rules, now: datetime) -> None:
    """Drop the request's deadline jobs and schedule the ones that still apply."""
    await uow.jobs.cancel(request.id, DEADLINE_JOBS)
    jobs = plan_jobs(request, rules, now) + plan_expiry(request, rules, now)
    jobs += plan_review(request, rules, now)
    if jobs:
        await uow.jobs.schedule(*jobs)


async def run_deadline_job(
    uow: UnitOfWork, catalog: Catalog, policy: Policy, request: Request, job: Job,
    now: datetime, away: Mapping[str, datetime | None] | None = None,
) -> bool:
    """Remind or escalate, once, on the version the job was planned for, passing over who is
    `away` now where someone else is left; False: nothing to do."""
    away = away or {}
    if request.state not in WAITING_FOR_DECIDERS or job.detail.get("version") != str(
            request.version):
        return False
    rules = rules_of(catalog, policy, request)
    if job.kind == REMIND:
        n = job.detail.get("n", "1")
        detail = {"due_at": request.due_at.isoformat() if request.due_at else ""}
        await notify(uow, request, REMINDER,
                     reached_people(catalog, rules, request, unavailable=away), now,
                     detail, tag=f"{REMINDER}-{n}")
        return True
    if job.kind == ESCALATE:
        escalation = await escalate(uow, catalog, rules, request, now, job.key, away)
        if escalation is None:
            return False
        escalated, event = escalation
        await replan(uow, escalated, rules, now)
        await uow.audit.append(event)
        return True
    log.warning("job %s: unknown kind %r, skipped", job.key, job.kind)
    return False
