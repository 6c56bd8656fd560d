"""Imported catalogs, kept whole as versioned snapshots; the app uses the newest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from approvals.catalog_import import CatalogRecord
from storage.engine import session_factory
from storage.tables import CatalogSnapshotRow


@dataclass(frozen=True)
class StoredCatalog:
    """A snapshot: its id, the catalog data in the native layout, and its record."""

    id: int
    created_at: datetime
    data: dict[str, Any]
    record: CatalogRecord


class SqlCatalogSnapshots:
    """approvals.catalog_import.CatalogSnapshots inside a unit of work. Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, data: Mapping[str, Any], record: CatalogRecord, at: datetime) -> int:
        row = CatalogSnapshotRow(
            created_at=at, imported_by=record.imported_by, source=record.source,
            format=record.format, sha256=record.sha256,
            counts=json.dumps(dict(record.counts), sort_keys=True),
            content=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        )
        self._session.add(row)
        await self._session.flush()
        assert row.id is not None
        return row.id


class CatalogSnapshotStore:
    """Reads outside a unit of work: the newest snapshot id (cheap, polled) and a snapshot."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = session_factory(engine)

    async def newest_id(self) -> int | None:
        async with self._sessions() as session:
            found = (await session.exec(select(func.max(CatalogSnapshotRow.id)))).first()
            return int(found) if found is not None else None

    async def newest(self) -> StoredCatalog | None:
        async with self._sessions() as session:
            row = (await session.exec(
                select(CatalogSnapshotRow).order_by(col(CatalogSnapshotRow.id).desc()).limit(1)
            )).first()
            if row is None:
                return None
        # Decoding a large catalog takes a while: off the event loop, turns go on meanwhile.
        return _stored(row, await asyncio.to_thread(json.loads, row.content))


def _stored(row: CatalogSnapshotRow, data: dict[str, Any]) -> StoredCatalog:
    assert row.id is not None
    counts = {str(k): int(v) for k, v in json.loads(row.counts).items()}
    return StoredCatalog(
        id=row.id, created_at=row.created_at, data=data,
        record=CatalogRecord(imported_by=row.imported_by, source=row.source, format=row.format,
                             sha256=row.sha256, counts=counts),
    )
