"""Importing a catalog: the new snapshot, the requests it re-routes, and who did it, at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from approvals.catalog import Catalog, catalog_to_data
from approvals.model import AuditEvent, Source
from approvals.policies import Policy
from approvals.ports import Clock, UnitOfWork
from approvals.rerouting import Kept, Reroute, reroute_open_requests


@dataclass(frozen=True)
class CatalogRecord:
    """Where an imported catalog came from and who imported it."""

    imported_by: str
    source: str  # the main file
    format: str  # yaml | csv | backstage
    sha256: str  # of the main file's bytes
    counts: Mapping[str, int] = field(default_factory=dict)  # people, teams, assets
    files: Mapping[str, str] = field(default_factory=dict)  # every file read -> its sha256


class CatalogSnapshots(Protocol):
    async def add(self, data: Mapping[str, Any], record: CatalogRecord, at: datetime) -> int:
        """Store a catalog (in the native layout) as the newest snapshot; its id."""
        ...


class CatalogUnitOfWork(UnitOfWork, Protocol):
    catalogs: CatalogSnapshots


@dataclass(frozen=True)
class Imported:
    snapshot_id: int
    rerouted: list[Reroute]
    kept: list[Kept]


async def import_catalog(uow: CatalogUnitOfWork, before: Catalog, after: Catalog,
                         policy: Policy, clock: Clock, record: CatalogRecord) -> Imported:
    """All or nothing: the snapshot, every re-routed request with its messages, and the audit
    events (who imported which file, its sha256 and counts) commit in one transaction."""
    now = clock.now()
    by = record.imported_by
    source = Source(channel="cli")
    async with uow:
        snapshot_id = await uow.catalogs.add(catalog_to_data(after), record, now)
        rerouted, kept, events = await reroute_open_requests(
            uow, before, after, policy, now, (by, by), f"catalog import by {by}", source,
            {"snapshot": str(snapshot_id)})
        for event in events:
            await uow.audit.append(event)
        await uow.audit.append(AuditEvent(
            action="catalog.imported", outcome="ok", actor_id=by, actor_name=by, at=now,
            source=source, detail={
                "snapshot": str(snapshot_id), "file": record.source, "sha256": record.sha256,
                "format": record.format,
                **{k: str(v) for k, v in record.counts.items()},
                **{f"file:{f}": h for f, h in record.files.items() if f != record.source},
                "rerouted": ", ".join(r.after.id for r in rerouted),
                "kept": "; ".join(f"{k.request_id}: {k.reason}" for k in kept),
            }))
        await uow.commit()
    return Imported(snapshot_id, rerouted, kept)


async def reroute_after_reload(uow: UnitOfWork, before: Catalog, after: Catalog,
                               policy: Policy, clock: Clock, what: str) -> list[Reroute]:
    """A running app took a new catalog (its file changed): re-route what it changes, and
    record why; a no-op when another process already did."""
    now = clock.now()
    actor = ("signoff", "Signoff")
    async with uow:
        rerouted, kept, events = await reroute_open_requests(
            uow, before, after, policy, now, actor, what, Source(channel="catalog"), {})
        if not rerouted:
            return []
        for event in events:
            await uow.audit.append(event)
        await uow.commit()
    return rerouted
