"""What the use cases need from the outside world, as protocols."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

from approvals.model import AuditEvent, Decision, Note, Request, RequestKind, State


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


class AuditLog(Protocol):
    async def append(self, event: AuditEvent) -> None: ...
    async def for_request(self, request_id: str) -> list[AuditEvent]: ...


class UnitOfWork(Protocol):
    """A transaction: rolls back on exit unless `commit()` was called."""

    requests: RequestRepository
    audit: AuditLog

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
