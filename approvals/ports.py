"""What the use cases need from the outside world, as protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from approvals.model import (
    AuditEvent,
    Decision,
    Delegation,
    Note,
    Request,
    RequestKind,
    Source,
    State,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC. Only composition roots create one."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class RequestRepository(Protocol):
    async def next_id(self, kind: RequestKind) -> str: ...
    async def add(self, request: Request) -> None: ...
    async def get(self, request_id: str) -> Request | None: ...
    async def compare_and_set(
        self, request: Request, expected_version: int
    ) -> bool: ...
    async def add_decision(self, request_id: str, decision: Decision) -> None: ...
    async def add_note(self, request_id: str, note: Note) -> None: ...
    async def list_open_for_asset(self, asset_name: str) -> list[Request]: ...
    async def list_by_requester(self, person_id: str, open_only: bool) -> list[Request]: ...
    async def list_open_for_decider(self, person_id: str) -> list[Request]: ...
    async def list_in_states(self, states: tuple[State, ...]) -> list[Request]: ...
    async def list_linked(self, request_id: str) -> list[Request]:
        """The renewals and reviews of an exception, oldest first."""
        ...


class DelegationRepository(Protocol):
    async def add(self, delegation: Delegation) -> None: ...
    async def running_for(self, delegator_id: str) -> Delegation | None:
        """The person's delegation that has not ended (at most one)."""
        ...
    async def running(self) -> list[Delegation]:
        """Every delegation not ended yet (some may be past their end, awaiting its job)."""
        ...
    async def get(self, delegation_id: str) -> Delegation | None: ...
    async def end(self, delegation_id: str, ended_at: datetime, ended_by: str) -> bool:
        """Mark it ended, only if it was still running (compare-and-set)."""
        ...


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None: ...
    async def for_request(self, request_id: str) -> list[AuditEvent]: ...


@dataclass(frozen=True)
class Notification:
    """A message to a person (or a card update) owed because of a state change. Written in the
    same transaction as the change; a relay delivers it. `key` makes it unique: one state change
    never produces the same message twice."""

    key: str  # e.g. "EXC-4:v3:decided:alex"
    request_id: str
    recipient_id: str  # a catalog person id, "aad:<object id>", or "channel:<name>" (policy)
    kind: str  # what to render: "approval", "decided", "question", "reminder", "escalation"...
    created_at: datetime
    detail: dict[str, str] = field(default_factory=dict)


class Outbox(Protocol):
    async def add(self, notification: Notification) -> None:
        """Queue a notification; a second one with the same key is ignored."""
        ...


@dataclass(frozen=True)
class Job:
    """Work due at a time (reminder, escalation, expiry...), run once by one worker."""

    key: str  # unique: scheduling the same key twice keeps one job, e.g. "EXC-4:remind:1"
    kind: str
    request_id: str
    due_at: datetime
    detail: dict[str, str] = field(default_factory=dict)


class JobQueue(Protocol):
    async def schedule(self, *jobs: Job) -> None:
        """Add due jobs (in one statement); a second one with the same key is ignored."""
        ...

    async def cancel(self, request_id: str, kinds: tuple[str, ...] | None = None) -> None:
        """Drop the request's pending jobs (of these kinds, or all)."""
        ...


class ProcessedActivities(Protocol):
    async def record(self, source: Source, request_id: str, action: str,
                     at: datetime) -> str | None:
        """Note that the source's activity acted on `request_id`, in this transaction; if that
        activity was noted before, write nothing and return the request id it acted on."""
        ...


class UnitOfWork(Protocol):
    """A transaction: rolls back on exit unless `commit()` was called."""

    requests: RequestRepository
    audit: AuditLog
    outbox: Outbox
    jobs: JobQueue
    delegations: DelegationRepository
    activities: ProcessedActivities

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
