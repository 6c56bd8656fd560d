"""Requests, with their decisions and notes, in SQL. Never commits: the unit of work does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.model import Decision, Note, Request, RequestKind, State
from storage import prepared
from storage.request_rows import (
    deciders_pattern,
    decision_row,
    decision_values,
    mutable_fields,
    note_row,
    request_row,
    to_request,
)
from storage.tables import RequestRow, table_of
from storage.upsert import upsert

OPEN_STATES = tuple(s.value for s in State if s.is_open)
HYDRATE_BATCH = 64  # request ids per query for their decisions and notes (one statement each)


class SqlRequestRepository:
    """approvals.ports.RequestRepository on SQLite or PostgreSQL."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self._session = session
        self._dialect = dialect

    async def next_id(self, kind: RequestKind) -> str:
        """EXC-1, EXC-2... per kind; the counter row stays locked until the transaction ends."""
        table = table_of("request_counters")
        statement = upsert(
            self._dialect, table, {"kind": kind.value, "last": 1}, key=("kind",),
            update={"last": table.c.last + 1},
        ).returning(table.c.last)
        last = (await self._session.exec(statement)).scalar_one()
        return f"{kind.prefix}-{last}"

    async def add(self, request: Request) -> None:
        """A new request, with any decisions and notes it already carries."""
        self._session.add(request_row(request))
        await self._session.flush()
        for decision in request.decisions:
            self._session.add(decision_row(request.id, decision))
        for note in request.notes:
            self._session.add(note_row(request.id, note))
        await self._session.flush()

    async def get(self, request_id: str) -> Request | None:
        found = await prepared.rows(self._session, prepared.select_where("requests", "id"),
                                    {"w_id": request_id})
        if not found:
            return None
        return (await self._hydrate(found))[0]

    async def compare_and_set(self, request: Request, expected_version: int) -> bool:
        """Write `request` only if the stored version is still `expected_version`."""
        values = mutable_fields(request)
        statement = prepared.update_where("requests", ("id", "version"), tuple(values))
        result = await prepared.run(self._session, statement, {
            **prepared.where({"id": request.id, "version": expected_version}),
            **prepared.setting(values)})
        return bool(result.rowcount == 1)

    async def add_decision(self, request_id: str, decision: Decision) -> None:
        values = decision_values(request_id, decision)
        await prepared.run(self._session, prepared.insert_row("decisions", tuple(values)), values)

    async def add_note(self, request_id: str, note: Note) -> None:
        self._session.add(note_row(request_id, note))
        await self._session.flush()

    async def list_open_for_asset(self, asset_name: str) -> list[Request]:
        return await self._list(
            col(RequestRow.asset_name) == asset_name, col(RequestRow.state).in_(OPEN_STATES)
        )

    async def list_by_requester(self, person_id: str, open_only: bool) -> list[Request]:
        if open_only:
            return await self._list(
                col(RequestRow.requester_id) == person_id, col(RequestRow.state).in_(OPEN_STATES)
            )
        return await self._list(col(RequestRow.requester_id) == person_id)

    async def list_open_for_decider(self, person_id: str) -> list[Request]:
        found = await self._list(
            col(RequestRow.state).in_(OPEN_STATES),
            col(RequestRow.deciders).like(deciders_pattern(person_id), escape="\\"),
        )
        return [r for r in found if person_id in r.deciders]

    async def list_in_states(self, states: tuple[State, ...]) -> list[Request]:
        return await self._list(col(RequestRow.state).in_([s.value for s in states]))

    async def list_linked(self, request_id: str) -> list[Request]:
        """The renewals and reviews of an exception, oldest first."""
        return await self._list(or_(col(RequestRow.renews) == request_id,
                                    col(RequestRow.reviews) == request_id))

    async def _list(self, *criteria: ColumnElement[bool]) -> list[Request]:
        statement = (
            select(RequestRow).where(*criteria)
            .order_by(col(RequestRow.created_at), col(RequestRow.kind), col(RequestRow.number))
            .execution_options(populate_existing=True)
        )
        return await self._hydrate(list((await self._session.exec(statement)).all()))

    async def _hydrate(self, rows: Sequence[Any]) -> list[Request]:
        """Requests with their decisions and notes in time order, in two queries."""
        if not rows:
            return []
        decisions: dict[str, list[Any]] = defaultdict(list)
        notes: dict[str, list[Any]] = defaultdict(list)
        for start in range(0, len(rows), HYDRATE_BATCH):
            ids = [r.id for r in rows[start:start + HYDRATE_BATCH]]
            params = prepared.one_of(ids, "request_id")
            for d in await prepared.rows(self._session, prepared.select_where(
                    "decisions", "request_id", ("decided_at", "id"), len(ids)), params):
                decisions[d.request_id].append(d)
            for n in await prepared.rows(self._session, prepared.select_where(
                    "notes", "request_id", ("at", "id"), len(ids)), params):
                notes[n.request_id].append(n)
        return [to_request(r, decisions[r.id], notes[r.id]) for r in rows]


__all__ = ["OPEN_STATES", "SqlRequestRepository"]
