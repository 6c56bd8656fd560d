"""The documented production set-up on PostgreSQL: the app's role does not own the tables and
may only add to and read the audit trail (docs/sql/app_role.sql, run here as it is written)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.audit_chain import SqlAuditChain
from storage.engine import create_engine
from storage.migrate import migrate
from storage.uow import uow_factory
from tests.integration.audit_history import history_catalog, seed_history
from tests.integration.support import FixedClock

APP_ROLE_SQL = Path(__file__).resolve().parents[2] / "docs" / "sql" / "app_role.sql"


@pytest.fixture
async def owner_url(postgres_url: str) -> str:
    """A fresh database, migrated by the owner (the server's superuser here)."""
    await migrate(postgres_url)
    return postgres_url


@pytest.fixture
async def app_engine(owner_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine logged in as a new role that got only what docs/sql/app_role.sql grants."""
    role = f"signoff_app_{uuid.uuid4().hex[:12]}"
    owner_dsn = make_url(owner_url).set(drivername="postgresql").render_as_string(False)
    owner = await asyncpg.connect(owner_dsn)
    try:
        await owner.execute(f'CREATE ROLE "{role}" LOGIN')
        await owner.execute(APP_ROLE_SQL.read_text().replace("signoff_app", f'"{role}"'))
    finally:
        await owner.close()
    engine = create_engine(make_url(owner_url).set(username=role).render_as_string(False))
    try:
        yield engine
    finally:
        await engine.dispose()
        owner = await asyncpg.connect(owner_dsn)
        try:
            await owner.execute(f'DROP OWNED BY "{role}"')
            await owner.execute(f'DROP ROLE "{role}"')
        finally:
            await owner.close()


async def refusal(engine: AsyncEngine, statement: str) -> str:
    with pytest.raises(DBAPIError) as raised:
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    return str(raised.value.orig)


async def test_the_app_role_runs_signoff_but_cannot_change_the_audit_trail(
    app_engine: AsyncEngine, owner_url: str
) -> None:
    clock = FixedClock()
    await migrate(app_engine.url.render_as_string(False))  # at start: nothing to do, no error
    ids = await seed_history(app_engine, uow_factory(app_engine, clock), history_catalog(), clock)

    update = await refusal(app_engine, "UPDATE audit_events SET actor_id = 'bea' WHERE id = 4")
    delete = await refusal(app_engine, "DELETE FROM audit_events WHERE id = 11")
    truncate = await refusal(app_engine, "TRUNCATE audit_events")
    disable = await refusal(app_engine,
                            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    drop = await refusal(app_engine, "DROP TRIGGER audit_events_append_only ON audit_events")
    report = await SqlAuditChain(app_engine).verify()

    assert ids == ["EXC-1", "EXC-2", "EXC-3", "RBK-1"]
    for message in (update, delete, truncate):
        assert "permission denied for table audit_events" in message
    for message in (disable, drop):
        assert "must be owner of" in message and "audit_events" in message
    assert report.intact and report.count == 11


async def test_even_the_owner_is_stopped_by_the_trigger(app_engine: AsyncEngine,
                                                        owner_url: str) -> None:
    clock = FixedClock()
    await seed_history(app_engine, uow_factory(app_engine, clock), history_catalog(), clock)
    owner = create_engine(owner_url)
    try:
        message = await refusal(owner, "DELETE FROM audit_events WHERE id = 11")
    finally:
        await owner.dispose()

    assert "audit_events is append-only: DELETE refused" in message
