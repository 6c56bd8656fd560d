"""An engine for one run of a `signoff` command: opened, used, disposed of; the database
failing underneath (unreachable, refused, unreadable) comes out as DatabaseUnavailable, so the
command line never needs to know SQLAlchemy's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import DatabaseUnavailable, create_engine


@asynccontextmanager
async def command_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """`async with command_engine(url) as engine:`; disposed of on the way out."""
    try:
        engine = create_engine(database_url)
    except (SQLAlchemyError, ValueError) as error:  # not a URL, or a driver we do not use
        raise DatabaseUnavailable(
            f"the database could not be opened: {first_line(error)}") from error
    try:
        yield engine
    except (SQLAlchemyError, OSError) as error:
        raise DatabaseUnavailable(
            f"the database could not be read: {first_line(error)}") from error
    finally:
        await engine.dispose()


def first_line(error: BaseException) -> str:
    """The driver's own words, without the SQL and the link SQLAlchemy adds on later lines."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
