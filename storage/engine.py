"""Engines for SQLite (embedded default) and PostgreSQL (production), and a health check."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

PING_TIMEOUT_SECONDS = 5.0
# sqlite+aiosqlite:// URLs are served by storage/sqlite_turns.py (one connection taken in
# turns, statements in place, group commit) instead of aiosqlite's thread per connection.
registry.register("sqlite.signoff_turns", "storage.sqlite_turns", "SQLiteTurnsDialect")
POOLED_CONNECTIONS = 64  # cheap handles on the one real connection (units waiting their turn)

__all__ = ["DatabaseUnavailable", "create_engine", "ping", "session_factory"]


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or failed underneath a transaction."""


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return create_async_engine(parsed, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r}")


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # One real connection, whatever the pool hands out: several SQLite writers only queue on
    # the file lock and time out ("database is locked"); taking turns on one connection
    # serialises transactions in-process instead, and lets their commits be grouped.
    # WAL, synchronous=FULL, foreign keys and the busy timeout are set when it opens; every
    # transaction starts with BEGIN IMMEDIATE (see storage/sqlite_turns.py).
    return create_async_engine(
        url.set(drivername="sqlite+signoff_turns"),
        pool_size=POOLED_CONNECTIONS, max_overflow=-1,
    )


def session_factory(engine: AsyncEngine, sync_session_class: type[Session] = Session,
                    ) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded values after commit (the domain copies them out anyway);
    `sync_session_class`: the Session underneath (storage/lanes.py's for units of work)."""
    return async_sessionmaker(engine, class_=AsyncSession, sync_session_class=sync_session_class,
                              expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise DatabaseUnavailable unless the database answers `SELECT 1` within a few seconds."""
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise DatabaseUnavailable(f"database did not answer: {type(exc).__name__}") from exc
