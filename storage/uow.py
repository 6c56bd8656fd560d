"""The unit of work: one session, one transaction, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.catalog_import import CatalogSnapshots, CatalogUnitOfWork
from approvals.ports import (
    AuditLog,
    Clock,
    DelegationRepository,
    JobQueue,
    Outbox,
    ProcessedActivities,
    RequestRepository,
    SystemClock,
    UnitOfWork,
)
from storage.audit_log import SqlAuditLog
from storage.card_messages import CardMessageRepository
from storage.catalog_snapshots import SqlCatalogSnapshots
from storage.conversations import ConversationRefRepository
from storage.delegations import SqlDelegationRepository
from storage.engine import DatabaseUnavailable, session_factory
from storage.jobs import SqlJobQueue
from storage.lanes import Lane, UnitSession, close_lane, open_lane, used_its_connection
from storage.outbox import SqlOutbox
from storage.processed_activities import SqlProcessedActivities
from storage.request_repository import SqlRequestRepository

# Failures of the database itself (not of a statement): the caller can only say "try later".
UNAVAILABLE = (OperationalError, InterfaceError, OSError, TimeoutError)


@dataclass(frozen=True)
class Queued:
    """What a committed unit of work queued for the workers."""

    messages: bool  # outbox messages: the relay may send them now
    first_job_due: datetime | None  # the earliest due time of the jobs it scheduled


OnQueued = Callable[[Queued], None]


def is_unavailable(exc: BaseException | None) -> bool:
    """The database itself failed (down, unreachable, gone), not one statement."""
    if isinstance(exc, UNAVAILABLE):
        return True
    # Errors while connecting carry no statement; a dropped connection is marked invalidated.
    return isinstance(exc, DBAPIError) and (exc.statement is None or exc.connection_invalidated)


async def _close_quietly(session: AsyncSession) -> None:
    try:
        await session.close()
    except (*UNAVAILABLE, DBAPIError):
        pass


class SqlUnitOfWork:
    """approvals.ports.UnitOfWork over SQL; reusable by a new `async with` once it has exited."""

    # Typed as the ports declare them: a Protocol's settable attributes are invariant.
    requests: RequestRepository
    audit: AuditLog
    outbox: Outbox
    jobs: JobQueue
    delegations: DelegationRepository
    activities: ProcessedActivities
    conversations: ConversationRefRepository
    cards: CardMessageRepository
    catalogs: CatalogSnapshots

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock | None = None,
        on_queued: OnQueued | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock: Clock = clock or SystemClock()
        self._on_queued = on_queued
        self._session: AsyncSession | None = None
        self._lane: Lane | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open; create another one")
        session = self._sessions()
        dialect = session.bind.dialect.name if session.bind is not None else ""
        self._session = session
        self._lane = open_lane(session)
        self.requests = SqlRequestRepository(session, dialect)
        self._audit = SqlAuditLog(session, dialect)
        self.audit = self._audit
        self._outbox = SqlOutbox(session, dialect)
        self.outbox = self._outbox
        self._jobs = SqlJobQueue(session, dialect)
        self.jobs = self._jobs
        self.activities = SqlProcessedActivities(session, dialect)
        self.conversations = ConversationRefRepository(session, dialect, self._clock)
        self.cards = CardMessageRepository(session, self._clock)
        self.delegations = SqlDelegationRepository(session)
        self.catalogs = SqlCatalogSnapshots(session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        lane, self._lane = self._lane, None
        if session is None:
            return
        try:
            if session.in_transaction():  # none after commit(): no second trip to roll back
                await session.rollback()
            if lane is not None:
                await lane.end(keep=False)
        except (*UNAVAILABLE, DBAPIError):
            pass  # the connection is gone; the server rolls the transaction back
        finally:
            if lane is not None:
                close_lane(session, lane)  # first: it never waits, so nothing skips it
            if lane is None or used_its_connection(session):
                await _close_quietly(session)
        if is_unavailable(exc):
            raise DatabaseUnavailable(f"the database failed: {type(exc).__name__}") from exc

    async def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit() outside `async with`")
        if self._lane is None or self._session.in_transaction():
            await self._session.commit()  # with a lane: the ORM's pending rows, if any
        if self._lane is not None:
            await self._lane.end(keep=True)
        if self._on_queued is not None and (self._outbox.queued or self._jobs.queued):
            # the relay and scheduler need not wait for their next poll
            self._on_queued(Queued(self._outbox.queued, self._jobs.first_due))


UnitOfWorkFactory = Callable[[], SqlUnitOfWork]


def uow_factory(
    engine: AsyncEngine, clock: Clock | None = None, on_queued: OnQueued | None = None
) -> UnitOfWorkFactory:
    """A new unit of work per call, all sharing the engine's connection pool. `on_queued` is
    called after a commit that added outbox messages or jobs, with what it added (it wakes
    the workers that have something to do now)."""
    sessions = session_factory(engine, UnitSession)

    def create() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, clock, on_queued)

    return create


if TYPE_CHECKING:
    def _implements_port(uow: SqlUnitOfWork) -> UnitOfWork:
        return uow

    def _implements_catalog_port(uow: SqlUnitOfWork) -> CatalogUnitOfWork:
        return uow
