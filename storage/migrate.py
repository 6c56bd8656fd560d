"""Bring a database to the newest schema with Alembic, from code, from any working directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, select, text

from storage.engine import create_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key ("SGNFMIG"): replicas that start together migrate one at a time.
MIGRATION_LOCK = 0x53474E464D4947


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that needs no alembic.ini on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration's revision id: what a migrated database records."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


async def migrate(url: str) -> None:
    """`alembic upgrade head` on the database at `url`; safe to run again and concurrently."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            # Take the lock before Alembic runs: its context is a process global, so two
            # migrations in one process (tests) must not interleave inside it.
            if connection.dialect.name == "postgresql":
                await connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            else:  # SQLite: the first statement takes the write lock (BEGIN IMMEDIATE)
                await connection.execute(text("SELECT 1"))
            await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
