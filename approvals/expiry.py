"""An exception in force is time-boxed: reminders before its expiry, reviews while it runs, and
it lapses on time."""

from __future__ import annotations

from datetime import UTC, datetime, time

from approvals.catalog import Catalog
from approvals.job_kinds import LAPSE, REMIND_EXPIRY, REVIEW_DUE
from approvals.linked import close_linked
from approvals.model import SIGNOFF, AuditEvent, Request, RequestKind, Source, State
from approvals.notifications import EXPIRY_REMINDER, LAPSED, notify, refresh_cards
from approvals.policies import Rules
from approvals.ports import Job, UnitOfWork
from approvals.staffing import people_in_role
from approvals.transitions import Action, next_state

__all__ = ["IN_FORCE", "lapses_at", "plan_expiry", "plan_review",
           "run_expiry_job", "told_of_expiry"]
IN_FORCE = (State.APPROVED, State.ACTIVE)


def lapses_at(request: Request) -> datetime | None:
    """An exception holds until the start (00:00 UTC) of its expiry date; a renewal or review
    has no expiry of its own (it acts on its exception's)."""
    if (request.kind is not RequestKind.EXCEPTION or request.expires_on is None
            or request.linked_to):
        return None
    return datetime.combine(request.expires_on, time(0), UTC)


def plan_expiry(request: Request, rules: Rules, now: datetime) -> list[Job]:
    """For an exception in force: a reminder at each `expiry_reminders` before it lapses, and
    the lapse itself. Keys name the expiry date, so planning twice keeps one of each and a
    renewal (a new date) plans its own."""
    end = lapses_at(request)
    if end is None or request.state not in IN_FORCE:
        return []
    day = end.date().isoformat()
    jobs = [Job(key=f"{request.id}:{REMIND_EXPIRY}:{day}:{int(before.total_seconds())}",
                kind=REMIND_EXPIRY, request_id=request.id, due_at=end - before,
                detail={"days": str(before.days)})
            for before in rules.expiry_reminders if end - before > now]
    jobs.append(Job(key=f"{request.id}:{LAPSE}:{day}", kind=LAPSE, request_id=request.id,
                    due_at=end))
    return jobs


def plan_review(request: Request, rules: Rules, now: datetime) -> list[Job]:
    """An active exception is reviewed `review_every` from now, if that falls before it lapses."""
    end = lapses_at(request)
    if end is None or request.state is not State.ACTIVE or rules.review_every is None:
        return []
    due = now + rules.review_every
    if due >= end:
        return []
    return [Job(key=f"{request.id}:{REVIEW_DUE}:{due.isoformat()}", kind=REVIEW_DUE,
                request_id=request.id, due_at=due, detail={"version": str(request.version)})]


def told_of_expiry(catalog: Catalog, request: Request) -> list[str]:
    """The requester and the asset's owner hear of an exception's end."""
    asset = catalog.assets.get(request.asset_name)
    owners = people_in_role(catalog, asset, "owner") if asset else ()
    return [request.requester_id, *owners]


async def run_expiry_job(
    uow: UnitOfWork, catalog: Catalog, request: Request, job: Job, now: datetime
) -> bool:
    """Remind or lapse an exception still in force; False (nothing to commit) otherwise."""
    if request.state not in IN_FORCE:
        return False
    end = lapses_at(request)
    if end is None or job.due_at > end:
        return False  # planned for an expiry a renewal has since moved
    if job.kind == REMIND_EXPIRY:
        await notify(uow, request, EXPIRY_REMINDER, told_of_expiry(catalog, request), now,
                     {"days": job.detail.get("days", "")},
                     tag=f"{EXPIRY_REMINDER}-{job.key.rsplit(':', 1)[-1]}")
        return True
    if job.due_at != end:
        return False
    state = next_state(request.state, Action.LAPSE)
    assert state is not None
    lapsed = request.evolve(state=state, version=request.version + 1, updated_at=now)
    if not await uow.requests.compare_and_set(lapsed, request.version):
        return False  # revoked or renewed meanwhile
    source = Source(channel="scheduler", activity_id=job.key)
    await uow.jobs.cancel(request.id, (REVIEW_DUE,))
    await notify(uow, lapsed, LAPSED, told_of_expiry(catalog, lapsed), now)
    await refresh_cards(uow, lapsed, now)
    events = await close_linked(uow, lapsed, now, source)
    await uow.audit.append(AuditEvent(
        action="request.lapsed", outcome="ok", actor_id=SIGNOFF[0], actor_name=SIGNOFF[1],
        at=now, request_id=request.id, source=source,
        detail={"from": request.state.value, "to": state.value,
                "expires_on": request.expires_on.isoformat() if request.expires_on else ""},
    ))
    for event in events:
        await uow.audit.append(event)
    return True
