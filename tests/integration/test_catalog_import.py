"""Importing a catalog on SQLite and PostgreSQL: one transaction for the snapshot, the
re-routed requests, their messages and the audit events; a failure leaves nothing behind."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from approvals import services
from approvals.catalog import Catalog, build_catalog, catalog_to_data
from approvals.catalog_import import CatalogRecord, import_catalog
from approvals.model import AuditEvent, RequestDraft, RequestKind, Risk, Source
from approvals.policies import DEFAULT_POLICY
from storage.audit_chain import SqlAuditChain
from storage.catalog_snapshots import CatalogSnapshotStore
from storage.tables import AuditEventRow, OutboxRow
from storage.uow import SqlUnitOfWork, uow_factory
from tests.integration.support import ALICE, FixedClock

RECORD = CatalogRecord(imported_by="jdoe", source="/srv/catalog/assets.csv", format="csv",
                       sha256="ab" * 32, counts={"people": 4, "teams": 0, "assets": 2},
                       files={"/srv/catalog/assets.csv": "ab" * 32,
                              "/srv/catalog/people.csv": "cd" * 32})


def handed_to_olly(catalog: Catalog) -> Catalog:
    data: dict[str, Any] = catalog_to_data(catalog)
    [asset] = [a for a in data["assets"] if a["name"] == "payments-api"]
    asset.update(owner="olly")
    asset.pop("backup")
    return build_catalog(data)


async def submit(engine: AsyncEngine, catalog: Catalog, clock: FixedClock) -> None:
    draft = RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name="payments-api", title="Open the firewall",
        justification="Vendor callback", risk=Risk.LOW, controls="allow-list",
        expires_on=(clock.now() + timedelta(days=10)).date())
    await services.submit_request(uow_factory(engine, clock)(), catalog, clock, draft, ALICE,
                                  Source(), DEFAULT_POLICY)


async def outbox(engine: AsyncEngine) -> list[tuple[str, str, str]]:
    async with engine.connect() as connection:
        rows = (await connection.execute(
            select(OutboxRow.key, OutboxRow.kind, OutboxRow.recipient_id)
            .order_by(col(OutboxRow.id)))).all()
    return [(r[0], r[1], r[2]) for r in rows]


async def test_an_import_stores_the_snapshot_reroutes_and_audits_in_one_go(
        engine: AsyncEngine, catalog: Catalog, clock: FixedClock) -> None:
    await submit(engine, catalog, clock)
    clock.advance(hours=1)
    after = handed_to_olly(catalog)

    done = await import_catalog(uow_factory(engine, clock)(), catalog, after, DEFAULT_POLICY,
                                clock, RECORD)

    assert [r.after.id for r in done.rerouted] == ["EXC-1"] and done.kept == []
    newest = await CatalogSnapshotStore(engine).newest()
    assert newest is not None and newest.id == done.snapshot_id
    assert await CatalogSnapshotStore(engine).newest_id() == done.snapshot_id
    assert build_catalog(newest.data) == after
    assert (newest.record.imported_by, newest.record.sha256, newest.record.counts) == (
        "jdoe", RECORD.sha256, RECORD.counts)
    async with uow_factory(engine)() as uow:
        request = await uow.requests.get("EXC-1")
        events = await uow.audit.for_request("EXC-1")
    assert (await SqlAuditChain(engine).verify()).intact
    assert request is not None and (request.version, request.deciders) == (2, ("olly",))
    assert (events[-1].action, events[-1].actor_id, events[-1].detail["reason"]) == (
        "request.rerouted", "jdoe", "catalog import by jdoe")
    assert [(kind, to) for key, kind, to in await outbox(engine) if ":v2:" in key] == [
        ("approval", "olly"), ("moved_by_catalog", "alice"), ("refresh_cards", "*")]


async def test_the_import_is_recorded_with_file_hash_counts_and_actor(
        engine: AsyncEngine, catalog: Catalog, clock: FixedClock) -> None:
    await import_catalog(uow_factory(engine, clock)(), catalog, catalog, DEFAULT_POLICY, clock,
                         RECORD)

    async with engine.connect() as connection:
        row = (await connection.execute(
            select(AuditEventRow.action, AuditEventRow.actor_id, AuditEventRow.detail)
            .order_by(col(AuditEventRow.id).desc()).limit(1))).one()
    detail = json.loads(row[2])
    assert (row[0], row[1]) == ("catalog.imported", "jdoe")
    assert detail["file"] == RECORD.source and detail["sha256"] == RECORD.sha256
    assert (detail["people"], detail["assets"], detail["rerouted"]) == ("4", "2", "")
    assert detail["file:/srv/catalog/people.csv"] == "cd" * 32


class FailingAudit:
    """The last write of the import fails (a lost connection, a full disk...)."""

    async def append(self, event: AuditEvent) -> None:
        raise OSError("disk full")

    async def for_request(self, request_id: str) -> list[AuditEvent]:
        return []


class FailingAtTheEnd(SqlUnitOfWork):
    async def __aenter__(self) -> FailingAtTheEnd:
        await super().__aenter__()
        self.audit = FailingAudit()
        return self


async def test_an_import_that_fails_at_its_last_write_leaves_nothing(
        engine: AsyncEngine, catalog: Catalog, clock: FixedClock) -> None:
    from storage.engine import DatabaseUnavailable, session_factory

    await submit(engine, catalog, clock)
    before = await outbox(engine)

    with pytest.raises(DatabaseUnavailable):
        await import_catalog(FailingAtTheEnd(session_factory(engine), clock), catalog,
                             handed_to_olly(catalog), DEFAULT_POLICY, clock, RECORD)

    assert await CatalogSnapshotStore(engine).newest_id() is None
    assert await outbox(engine) == before
    async with uow_factory(engine)() as uow:
        request = await uow.requests.get("EXC-1")
    assert request is not None and (request.version, request.deciders) == (1, ("owen", "bea"))
