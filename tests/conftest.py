"""Fixtures for the whole suite: a database on SQLite and on PostgreSQL, engines, units of work.

`database_url` runs a test twice, on a fresh SQLite file and on a fresh PostgreSQL database
(created on the server named by TEST_DATABASE_URL and dropped afterwards; skipped, with the
reason shown, where that variable is unset). Heavy imports stay inside the fixtures so unit
tests do not pay for them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from storage.uow import SqlUnitOfWork

POSTGRES_SKIP = "TEST_DATABASE_URL is not set: PostgreSQL tests skipped"


@asynccontextmanager
async def fresh_postgres_database(server_url: str) -> AsyncIterator[str]:
    """A new, empty database `signoff_t_<hex>` on the server of `server_url`; dropped after."""
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"signoff_t_{uuid.uuid4().hex}"
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet, in a directory that does not exist yet."""
    return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'signoff.db'}"


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database on the TEST_DATABASE_URL server; skipped without one."""
    server_url = os.environ.get("TEST_DATABASE_URL")
    if not server_url:
        pytest.skip(POSTGRES_SKIP)
    async with fresh_postgres_database(server_url) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a migrated `database_url`."""
    from storage.engine import create_engine
    from storage.migrate import migrate

    await migrate(database_url)
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> Callable[[], SqlUnitOfWork]:
    """A new SqlUnitOfWork per call, on the migrated test database."""
    from storage.uow import uow_factory

    return uow_factory(engine)
