"""Pending requests for the decision scenario, made by the domain's own submit use case.

Each request is what a real `request.submit` click leaves behind: EXC-<n> from Alex on an asset,
routed by policy to its owner, with its `request.submitted` audit event (hash-chained), and a
record of the approval card in the owner's 1:1 chat, so a decision updates that card in place
as it would in Teams.

`approvals.services.submit_request` builds every request and audit event (validation, routing,
ids); they are collected in memory and then written with storage's own row builders over a
plain synchronous SQLite connection, in transactions of CHUNK requests. What else the use
case queues (the approval card's notification, deadline jobs) is left out: the card is
recorded as already delivered, and no deadline falls due during a benchmark. Seeding is not
measured, and the async driver's per-statement thread hops would make a few thousand requests
take tens of seconds.
The bot may be running on the same file meanwhile: each transaction is short, and the seeder
pauses between them, so the bot's workers get the write lock well within their busy timeout
(one transaction for all of them, or transactions back to back, kept them out for over 5 s on a
slow machine, and they logged "database is locked").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from types import TracebackType
from typing import Any, cast

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session, col

from approvals import services
from approvals.audit_chain import GENESIS_HASH, canonical_json
from approvals.catalog import Catalog
from approvals.model import Actor, AuditEvent, Request, RequestDraft, RequestKind, Risk, Source
from approvals.ports import SystemClock, UnitOfWork
from catalog.loader import load_catalog
from storage.audit_log import chain_hash
from storage.request_rows import request_row
from storage.tables import AuditEventRow, CardMessageRow, RequestCounterRow, table_of
from storage.upsert import upsert

CHUNK = 500  # requests per transaction
YIELD_SECONDS = 0.2  # between transactions, for the bot's workers waiting to write
ALEX = Actor(aad_object_id="00000000-0000-0000-0000-0000000000020", name="Alex Wilber")


class _Sink:
    """Any other port of the unit of work (outbox, job queue...): calls are kept, not written."""

    def __init__(self, name: str, calls: list[tuple[str, str]]) -> None:
        self._name = name
        self._calls = calls

    def __getattr__(self, method: str) -> Callable[..., Awaitable[None]]:
        async def record(*args: Any, **kwargs: Any) -> None:
            self._calls.append((self._name, method))

        return record


class _NoDelegations:
    """Nobody has delegated while the bench seeds."""

    async def running(self) -> list[Any]:
        return []


class _Collected:
    """The UnitOfWork port, in memory: what submit_request would have written."""

    def __init__(self, last_number: int) -> None:
        self.last_number = last_number
        self.requests = self
        self.audit = self
        self.delegations = _NoDelegations()
        self.added: list[Request] = []
        self.events: list[AuditEvent] = []
        self.other_calls: list[tuple[str, str]] = []

    def __getattr__(self, port: str) -> _Sink:
        if port.startswith("_"):
            raise AttributeError(port)
        return _Sink(port, self.other_calls)

    async def __aenter__(self) -> _Collected:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    async def commit(self) -> None:
        return None

    async def next_id(self, kind: RequestKind) -> str:
        self.last_number += 1
        return f"{kind.prefix}-{self.last_number}"

    async def add(self, request: Request) -> None:
        self.added.append(request)

    async def append(self, event: AuditEvent) -> None:
        self.events.append(event)


def _sync_url(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise ValueError("the benchmark seeds SQLite only")
    return str(url.set(drivername="sqlite"))


def _pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    try:
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


async def seed_pending(database_url: str, service_url: str, count: int,
                       asset_name: str = "payments-api") -> list[str]:
    """Submit `count` exceptions on `asset_name` as Alex; return their ids in order."""
    catalog = load_catalog(None)
    clock = SystemClock()
    engine = create_engine(_sync_url(database_url))
    event.listen(engine, "connect", _pragmas)
    try:
        with Session(engine) as session:
            with session.begin():
                counter = session.get(RequestCounterRow, RequestKind.EXCEPTION.value)
                collected = _Collected(counter.last if counter else 0)
            for _ in range(count):
                draft = RequestDraft(
                    kind=RequestKind.EXCEPTION, asset_name=asset_name,
                    title="Public network access for the migration",
                    justification="The vendor migration tool needs it for two weeks.",
                    risk=Risk.MEDIUM, controls="IP allow-list; alerts on access",
                    expires_on=clock.now().date() + timedelta(days=14),
                )
                await services.submit_request(
                    cast(UnitOfWork, collected), catalog, clock, draft, ALEX,
                    Source("msteams", "a:personal-alex", "bench-submit"),
                )
            pairs = list(zip(collected.added, collected.events, strict=True))
            for first in range(0, len(pairs), CHUNK):
                if first:
                    # SQLite's lock is not fair: a writer waiting in its busy handler sleeps up to
                    # 100 ms between tries, and a next chunk begun at once would always win.
                    await asyncio.sleep(YIELD_SECONDS)
                with session.begin():
                    _write(session, catalog, service_url, pairs[first:first + CHUNK])
    finally:
        engine.dispose()
    return [r.id for r in collected.added]


def _write(session: Session, catalog: Catalog, service_url: str,
           pairs: list[tuple[Request, AuditEvent]]) -> None:
    """One short transaction: the requests, their audit events (chained onto the last event
    written, whoever wrote it) and their card records; the counter moves past them. The
    counter is written first, so the write lock is held before the last event is read."""
    last = int(pairs[-1][0].id.split("-")[1])
    counters = table_of("request_counters")
    session.execute(upsert(
        "sqlite", counters, {"kind": RequestKind.EXCEPTION.value, "last": last},
        key=("kind",), update={"last": func.max(counters.c.last, last)},
    ))
    prev = session.execute(
        select(col(AuditEventRow.hash)).order_by(col(AuditEventRow.id).desc()).limit(1)
    ).scalar_one_or_none() or GENESIS_HASH
    session.add_all([request_row(request) for request, _ in pairs])
    session.flush()  # requests before the rows that refer to them
    for request, audit in pairs:
        row = AuditEventRow(
            request_id=audit.request_id, action=audit.action, outcome=audit.outcome,
            actor_id=audit.actor_id, actor_name=audit.actor_name,
            at=audit.at.astimezone(UTC), channel=audit.source.channel,
            conversation_id=audit.source.conversation_id,
            activity_id=audit.source.activity_id,
            detail=canonical_json(dict(audit.detail)), prev_hash=prev, hash="",
        )
        row.hash = prev = chain_hash(row)
        session.add(row)
        decider = catalog.person(request.routed_to)
        assert decider is not None and decider.aad_object_id
        session.add(CardMessageRow(
            request_id=request.id, recipient_aad=decider.aad_object_id.lower(),
            role="decider", conversation_id=f"a:personal-{decider.id}",
            activity_id=f"card-{request.id}", service_url=service_url,
            created_at=request.created_at,
        ))
