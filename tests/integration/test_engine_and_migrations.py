"""Engine settings, health check, and the migrations against the tables they must build."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.catalog import Catalog
from approvals.errors import AlreadyDecided
from approvals.model import Outcome, RequestDraft, RequestKind, Risk, Source
from storage.audit_chain import SqlAuditChain
from storage.engine import DatabaseUnavailable, create_engine, ping
from storage.migrate import head_revision, migrate
from storage.tables import metadata
from storage.uow import uow_factory
from tests.integration.support import ALICE, BEA, OWEN, FixedClock


async def test_sqlite_gets_wal_full_sync_foreign_keys_and_one_connection(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                           "busy_timeout": 5000}
        # However many connections the pool hands out, they share one SQLite connection.
        async with engine.connect() as first, engine.connect() as second:
            drivers = [await c.get_raw_connection() for c in (first, second)]
            assert drivers[0].driver_connection is drivers[1].driver_connection
        assert (tmp_path / "var").is_dir()
    finally:
        await engine.dispose()


async def test_ping_answers_and_reports_an_unreachable_database(engine: AsyncEngine) -> None:
    await ping(engine)

    nowhere = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        with pytest.raises(DatabaseUnavailable):
            await ping(nowhere)
    finally:
        await nowhere.dispose()


def test_an_unknown_database_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        create_engine("mysql+aiomysql://root@localhost/x")


async def test_the_migrations_build_exactly_the_tables_the_code_uses(engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)

    assert diff == []


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    await asyncio.gather(*(migrate(database_url) for _ in range(3)))

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    assert versions == [head_revision()]


async def test_two_processes_on_one_sqlite_file_decide_once(
    sqlite_url: str, catalog: Catalog, clock: FixedClock
) -> None:
    """Two engines stand for two processes: each has its own connection to the same file."""
    await migrate(sqlite_url)
    engines = [create_engine(sqlite_url), create_engine(sqlite_url)]
    try:
        uows = [uow_factory(e, clock) for e in engines]
        draft = RequestDraft(
            kind=RequestKind.EXCEPTION, asset_name="payments-api", title="Open the firewall",
            justification="Vendor callback", risk=Risk.LOW,
            expires_on=clock.now().date().replace(day=20),
        )
        request = await services.submit_request(uows[0](), catalog, clock, draft, ALICE, Source())
        results = await asyncio.gather(*(
            services.record_decision(uows[i % 2](), catalog, clock, request.id, Outcome.APPROVE,
                                     "", OWEN if i % 3 else BEA, Source())
            for i in range(10)
        ), return_exceptions=True)
        async with uows[1]() as uow:
            stored = await uow.requests.get(request.id)
        chain = await SqlAuditChain(engines[1]).verify()
    finally:
        for e in engines:
            await e.dispose()

    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, AlreadyDecided) for r in results if isinstance(r, BaseException))
    assert stored is not None and len(stored.decisions) == 1 and chain.intact
