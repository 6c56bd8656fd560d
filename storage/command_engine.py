"""The database for one run of a `signoff` command: an engine opened, used and disposed of,
and the migration to the newest schema. The database failing underneath (unreachable, refused,
unreadable) comes out as DatabaseUnavailable, so the command line never needs to know
SQLAlchemy's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import DatabaseUnavailable, create_engine
from storage.migrate import migrate


class MigrationRefused(RuntimeError):
    """Alembic will not migrate this database (e.g. a newer Signoff migrated it)."""


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


async def migrate_to_head(database_url: str) -> str:
    """`alembic upgrade head` (storage.migrate.migrate); returns the revision the database
    records afterwards."""
    try:
        await migrate(database_url)
    except CommandError as error:
        raise MigrationRefused(f"the database was not migrated: {first_line(error)} (was it "
                               "migrated by a newer Signoff?)") from error
    except (SQLAlchemyError, OSError, ValueError) as error:
        raise DatabaseUnavailable(
            f"the database could not be migrated: {first_line(error)}") from error
    async with command_engine(database_url) as engine, engine.connect() as connection:
        revision = (await connection.execute(
            text("SELECT version_num FROM alembic_version"))).scalar_one()
    return str(revision)


def first_line(error: BaseException) -> str:
    """The driver's own words, without the SQL and the link SQLAlchemy adds on later lines."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
