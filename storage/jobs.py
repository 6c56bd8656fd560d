"""Due jobs: scheduled inside a unit of work (the port), claimed and marked by the scheduler."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.ports import Job
from storage import prepared
from storage.tables import table_of
from storage.work_queue import LEASE, PENDING, Backlog, WorkQueue

# json.dumps with these options, without building an encoder per call.
_DETAIL_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_detail(detail: dict[str, str]) -> str:
    return _DETAIL_ENCODER.encode(detail)


def decode_detail(text: str) -> dict[str, str]:
    value = json.loads(text or "{}")
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


class SqlJobQueue:
    """approvals.ports.JobQueue inside a unit of work. Never commits."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect
        self.first_due: datetime | None = None  # the earliest due time scheduled here

    @property
    def queued(self) -> bool:
        """Something was scheduled: wake the scheduler after commit."""
        return self.first_due is not None

    async def schedule(self, *jobs: Job) -> None:
        """Add due jobs, in one statement; a second one with the same key is ignored."""
        if not jobs:
            return
        rows = [{
            "key": job.key, "kind": job.kind, "request_id": job.request_id,
            "due_at": job.due_at, "detail": encode_detail(job.detail), "state": PENDING,
            "attempts": 0, "next_attempt_at": job.due_at,
        } for job in jobs]
        statement = prepared.insert_row_once(self._dialect, "jobs", tuple(rows[0]), ("key",))
        await prepared.run_many(self._session, statement, rows)
        first = min(job.due_at for job in jobs)
        if self.first_due is None or first < self.first_due:
            self.first_due = first

    async def cancel(self, request_id: str, kinds: tuple[str, ...] | None = None) -> None:
        """Drop the request's pending jobs (of these kinds, or all); running ones finish."""
        params: dict[str, Any] = prepared.where({"request_id": request_id, "state": PENDING})
        if kinds is not None:
            params.update(prepared.one_of(kinds, "kind"))
        statement = prepared.delete_where(
            "jobs", ("request_id", "state"), "kind" if kinds is not None else None,
            len(kinds or ()))
        await prepared.run(self._session, statement, params)


@dataclass(frozen=True)
class ClaimedJob:
    job: Job
    attempts: int  # including this one


class JobStore:
    """The scheduler's side of the jobs table: claim due jobs, mark them done or failed."""

    def __init__(self, engine: AsyncEngine, lease: timedelta = LEASE) -> None:
        self.queue = WorkQueue(engine, table_of("jobs"), age_column="due_at", lease=lease)

    async def claim_due_jobs(self, now: datetime, limit: int, worker_id: str,
                             max_attempts: int = 6) -> list[ClaimedJob]:
        """Due jobs (and jobs of lost workers), now running by `worker_id`; each to one worker."""
        rows = await self.queue.claim(now, limit, worker_id, max_attempts)
        return [ClaimedJob(_to_job(r), r["attempts"]) for r in rows]

    async def mark_done(self, key: str, worker_id: str, now: datetime) -> bool:
        return await self.queue.finish(key, worker_id, {"state": "done", "done_at": now})

    async def mark_retry(self, key: str, worker_id: str, error: str, at: datetime) -> bool:
        return await self.queue.retry(key, worker_id, error, at)

    async def mark_failed(self, key: str, worker_id: str, error: str, now: datetime) -> bool:
        return await self.queue.finish(key, worker_id, {
            "state": "failed", "done_at": now, "last_error": error[:2000]})

    async def release(self, keys: list[str], worker_id: str, at: datetime) -> None:
        """Hand claimed jobs back unrun (shutdown): not counted as an attempt."""
        await self.queue.defer(keys, worker_id, at)

    async def backlog(self, now: datetime) -> Backlog:
        return await self.queue.backlog(now)


def _to_job(row: RowMapping) -> Job:
    return Job(key=row["key"], kind=row["kind"], request_id=row["request_id"],
               due_at=row["due_at"], detail=decode_detail(row["detail"]))
