"""Claiming due rows of a work table (jobs, outbox) so that each row is handled by one worker.

A claim is one short transaction: select due rows, mark them `running` by this worker, commit.
On PostgreSQL the select takes row locks with SKIP LOCKED, so concurrent claimers (other
processes) pass over each other's rows instead of waiting or taking them twice. On SQLite every
transaction starts with BEGIN IMMEDIATE (storage.engine), so claims are serialised by the
database's write lock, across processes too. A `running` row whose claim is older than the
lease belongs to a worker that died: it is claimed again. Every later mark is fenced on
(`running`, this worker), so a worker that lost its lease cannot overwrite the new owner's row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import prepared
from storage.engine import DatabaseUnavailable

log = logging.getLogger(__name__)

PENDING, RUNNING, FAILED = "pending", "running", "failed"
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Backlog:
    """What waits in one queue, for /healthz."""

    pending: int  # waiting, due or not
    due: int  # pending and due now
    running: int
    failed: int
    oldest_pending_seconds: float | None  # age of the oldest due, unfinished row


class WorkQueue:
    """The claim/mark statements of one work table. Each method is its own transaction."""

    def __init__(self, engine: AsyncEngine, table: Table, age_column: str,
                 lease: timedelta = LEASE) -> None:
        self._engine = engine
        self._table = table
        self._age: Column[Any] = table.c[age_column]
        self.lease = lease
        self._statements: dict[tuple[Any, ...], Any] = {}

    async def claim(self, now: datetime, limit: int, worker_id: str,
                    max_attempts: int) -> list[RowMapping]:
        """Up to `limit` due rows, now `running` by `worker_id`, oldest first; attempts counted.

        A lost worker's row that has used up `max_attempts` is marked failed, not handed out.
        """
        t = self._table
        async with self._engine.begin() as connection:
            rows = (await connection.execute(self._candidates(limit), {
                "now": now, "lost_before": now - self.lease})).all()
            spent = [r for r in rows if r.state == RUNNING and r.attempts >= max_attempts]
            spent_ids = {r.id for r in spent}
            take = [r.id for r in rows if r.id not in spent_ids]
            if spent:
                await connection.execute(
                    update(t).where(t.c.id.in_(spent_ids))
                    .values(state=FAILED, last_error="its worker was lost on every attempt")
                )
            claimed: Sequence[RowMapping] = []
            if take:
                claimed = (await connection.execute(self._take(len(take)), {
                    "v_claimed_by": worker_id, "v_now": now, **prepared.one_of(take, "id")},
                )).mappings().all()
        for row in spent:
            log.error("%s %s failed: its worker was lost %d times", t.name, row.key, row.attempts)
        return sorted(claimed, key=lambda r: (r["next_attempt_at"], r["id"]))

    async def finish(self, key: str, worker_id: str, values: Mapping[str, Any]) -> bool:
        """Set `values` on a row this worker still holds; False if it lost the row."""
        statement = prepared.update_where(
            self._table.name, ("key", "state", "claimed_by"), tuple(values))
        params = {**prepared.where({"key": key, "state": RUNNING, "claimed_by": worker_id}),
                  **prepared.setting(values)}
        async with self._engine.begin() as connection:
            result = await connection.execute(statement, params)
        return result.rowcount == 1

    async def retry(self, key: str, worker_id: str, error: str, at: datetime) -> bool:
        return await self.finish(key, worker_id, {
            "state": PENDING, "next_attempt_at": at, "last_error": error[:2000]})

    async def fail(self, key: str, worker_id: str, error: str) -> bool:
        return await self.finish(key, worker_id, {"state": FAILED, "last_error": error[:2000]})

    async def defer(self, keys: Sequence[str], worker_id: str, at: datetime) -> None:
        """Give rows back untried until `at` (their claim does not count as an attempt)."""
        await self.defer_each({at: keys}, worker_id)

    async def defer_each(self, keys_by_time: Mapping[datetime, Sequence[str]],
                         worker_id: str) -> None:
        """`defer` for several times at once, in one transaction (a rate-limited relay hands
        back a batch with a different send slot for each message)."""
        params = [{"w_key": key, "w_claimed_by": worker_id, "v_at": at}
                  for at, keys in keys_by_time.items() for key in keys]
        if not params:
            return
        async with self._engine.begin() as connection:  # one statement, run for each row
            await connection.execute(self._give_back(), params)

    # The statements of a claim round, built once per queue (and per batch size): they run on
    # every commit that queued work, so building them anew each time cost more than running.
    def _candidates(self, limit: int) -> Select[Any]:
        statement: Select[Any] = self._built(("candidates", limit),
                                             lambda: self._build_candidates(limit))
        return statement

    def _take(self, count: int) -> Update:
        statement: Update = self._built(("take", count), lambda: self._build_take(count))
        return statement

    def _give_back(self) -> Update:
        statement: Update = self._built(("give back",), self._build_give_back)
        return statement

    def _built(self, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def _build_candidates(self, limit: int) -> Select[Any]:
        t = self._table
        return (
            select(t.c.id, t.c.key, t.c.state, t.c.attempts)
            .where(or_(
                and_(t.c.state == PENDING, t.c.next_attempt_at <= self._bind("now")),
                and_(t.c.state == RUNNING, t.c.claimed_at <= self._bind("lost_before")),
            ))
            .order_by(t.c.next_attempt_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )

    def _build_take(self, count: int) -> Update:
        t = self._table
        return (
            update(t).where(t.c.id.in_([
                bindparam(f"in_{i}_id", type_=t.c.id.type) for i in range(count)]))
            .values(state=RUNNING, claimed_by=bindparam("v_claimed_by"),
                    claimed_at=self._bind("v_now"), attempts=t.c.attempts + 1)
            .returning(*t.c)
        )

    def _build_give_back(self) -> Update:
        t = self._table
        return (
            update(t).where(t.c.key == bindparam("w_key"), t.c.state == RUNNING,
                            t.c.claimed_by == bindparam("w_claimed_by"))
            .values(state=PENDING, next_attempt_at=self._bind("v_at"),
                    attempts=t.c.attempts - 1)
        )

    def _bind(self, name: str) -> Any:
        return bindparam(name, type_=self._table.c.next_attempt_at.type)  # a UTC time

    async def row(self, key: str) -> RowMapping | None:
        """The row as stored (diagnostics and tests)."""
        t = self._table
        async with self._engine.connect() as connection:
            return (await connection.execute(select(t).where(t.c.key == key))).mappings().first()

    async def backlog(self, now: datetime) -> Backlog:
        t = self._table
        waiting = t.c.state.in_((PENDING, RUNNING))
        statement = select(
            func.count().filter(t.c.state == PENDING),
            func.count().filter(and_(t.c.state == PENDING, t.c.next_attempt_at <= now)),
            func.count().filter(t.c.state == RUNNING),
            func.count().filter(t.c.state == FAILED),
            func.min(case((and_(waiting, self._age <= now), self._age))),
        ).where(t.c.state.in_((PENDING, RUNNING, FAILED)))
        try:
            async with self._engine.connect() as connection:
                pending, due, running, failed, oldest = (await connection.execute(statement)).one()
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(f"backlog unknown: {type(exc).__name__}") from exc
        return Backlog(
            pending=pending, due=due, running=running, failed=failed,
            oldest_pending_seconds=(now - oldest).total_seconds() if oldest else None,
        )
