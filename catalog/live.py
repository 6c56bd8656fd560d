"""The catalog in use, switched without a restart: a newer snapshot in the database, or (while
there is none) a change to the catalog file. A new catalog that is invalid is refused with a
log line per problem, and the last good one stays."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from approvals.catalog import Catalog, CatalogError
from approvals.policy_file import PolicyError
from catalog.importers import ReadCatalog, catalog_from_data, read_catalog

log = logging.getLogger("signoff.catalog")


class Snapshots(Protocol):
    """What the live catalog needs from storage (storage.catalog_snapshots.CatalogSnapshotStore)."""

    async def newest_id(self) -> int | None: ...
    async def newest(self) -> Any: ...  # StoredCatalog | None: id, data, record


@dataclass(frozen=True)
class Switch:
    """The catalog changed: from, to, and why (for the log and the audit trail)."""

    before: Catalog
    after: Catalog
    reason: str
    from_file: bool  # a file change (re-route here) or a snapshot (its importer re-routed)


Accept = Callable[[Catalog], None]  # raises CatalogError or PolicyError to refuse a catalog
OnSwitch = Callable[[Switch], Awaitable[None]]


class LiveCatalog:
    def __init__(self, catalog: Catalog, file: str | Path | None, snapshots: Snapshots,
                 accept: Accept, on_switch: OnSwitch, by_email: bool = False) -> None:
        self.catalog = catalog
        self.snapshot_id: int | None = None
        self._file = Path(file) if file else None
        self._stamp = self._file_stamp()
        self._snapshots = snapshots
        self._accept = accept
        self._on_switch = on_switch
        self._refused: object = None  # the snapshot id or file stamp last refused: log once
        self._owed: Switch | None = None  # a switch whose follow-up (re-routing) failed
        self._lock = asyncio.Lock()
        self._by_email = by_email  # people may be named by email alone (Graph resolves them)

    async def check(self) -> bool:
        """Switch to a newer valid catalog if there is one; whether it switched. Cheap when
        nothing changed: one `max(id)` query and one stat of the file."""
        async with self._lock:
            if self._owed is not None:  # e.g. the database was down: re-route now
                await self._follow_up(self._owed)
            newest = await self._snapshots.newest_id()
            if newest is not None:
                if newest == self.snapshot_id or newest == self._refused:
                    return False
                return await self._from_snapshot()
            stamp = self._file_stamp()
            if self._file is None or stamp in (self._stamp, self._refused):
                return False
            return await self._from_file(stamp)

    async def run_once(self) -> int:
        """For a Poller: one check, never an error that stops the loop for good."""
        await self.check()
        return 0

    async def _from_snapshot(self) -> bool:
        stored = await self._snapshots.newest()
        if stored is None:
            return False
        where = f"catalog snapshot {stored.id} ({stored.record.source}, imported by " \
                f"{stored.record.imported_by})"
        try:
            # 100,000 assets take a second or more to build: off the event loop, turns go on
            catalog = await asyncio.to_thread(catalog_from_data, stored.data, self._by_email)
            self._accept(catalog)
        except (CatalogError, PolicyError) as error:
            return self._refuse(stored.id, where, error)
        self.snapshot_id = stored.id
        await self._switch(catalog, where, from_file=False)
        return True

    async def _from_file(self, stamp: tuple[int, int, int] | None) -> bool:
        assert self._file is not None
        where = f"catalog file {self._file}"
        try:
            read: ReadCatalog = await asyncio.to_thread(read_catalog, self._file,
                                                        by_email=self._by_email)
            self._accept(read.catalog)
        except (CatalogError, PolicyError) as error:
            return self._refuse(stamp, where, error)
        self._stamp = stamp
        if read.catalog == self.catalog:
            return False
        await self._switch(read.catalog, f"{where} changed (sha256 {read.sha256[:12]})",
                           from_file=True)
        return True

    async def _switch(self, catalog: Catalog, reason: str, from_file: bool) -> None:
        before, self.catalog = self.catalog, catalog
        self._refused = None
        log.info("catalog switched (%s): %d people, %d teams, %d assets", reason,
                 len(catalog.people), len(catalog.teams), len(catalog.assets))
        await self._follow_up(Switch(before, catalog, reason, from_file))

    async def _follow_up(self, change: Switch) -> None:
        self._owed = change
        await self._on_switch(change)  # on failure, tried again at the next check
        self._owed = None

    def _refuse(self, marker: object, where: str, error: CatalogError | PolicyError) -> bool:
        if marker != self._refused:
            problems = error.problems
            for problem in problems:
                log.error("%s refused: %s", where, problem)
            log.error("%s refused (%d problem(s)); still using the last good catalog", where,
                      len(problems))
        self._refused = marker
        return False

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self._file is None:
            return None
        try:
            stat = self._file.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

