"""Delegations in SQL. Never commits: the unit of work does."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.model import Delegation
from storage.tables import DelegationRow


class SqlDelegationRepository:
    """approvals.ports.DelegationRepository on SQLite or PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, delegation: Delegation) -> None:
        self._session.add(DelegationRow(
            id=delegation.id, delegator_id=delegation.delegator_id,
            delegate_id=delegation.delegate_id, starts_at=delegation.starts_at,
            until=delegation.until, ends_at=delegation.ends_at,
            created_by=delegation.created_by, ended_at=delegation.ended_at,
            ended_by=delegation.ended_by,
        ))
        await self._session.flush()

    async def running_for(self, delegator_id: str) -> Delegation | None:
        found = await self._select(col(DelegationRow.delegator_id) == delegator_id,
                                   col(DelegationRow.ended_at).is_(None))
        return found[0] if found else None

    async def running(self) -> list[Delegation]:
        return await self._select(col(DelegationRow.ended_at).is_(None))

    async def get(self, delegation_id: str) -> Delegation | None:
        found = await self._select(col(DelegationRow.id) == delegation_id)
        return found[0] if found else None

    async def end(self, delegation_id: str, ended_at: datetime, ended_by: str) -> bool:
        statement = (
            update(DelegationRow)
            .where(col(DelegationRow.id) == delegation_id, col(DelegationRow.ended_at).is_(None))
            .values(ended_at=ended_at, ended_by=ended_by)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.exec(statement)
        return result.rowcount == 1

    async def _select(self, *criteria: object) -> list[Delegation]:
        rows = (await self._session.exec(
            select(DelegationRow).where(*criteria)  # type: ignore[arg-type]
            .order_by(col(DelegationRow.starts_at))
            .execution_options(populate_existing=True)
        )).all()
        return [_to_delegation(r) for r in rows]


def _to_delegation(row: DelegationRow) -> Delegation:
    return Delegation(
        id=row.id, delegator_id=row.delegator_id, delegate_id=row.delegate_id,
        starts_at=row.starts_at, until=row.until, ends_at=row.ends_at,
        created_by=row.created_by, ended_at=row.ended_at, ended_by=row.ended_by,
    )
