"""`signoff migrate` as an operator runs it: a real process on an empty database, on SQLite
and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.engine import create_engine
from storage.migrate import head_revision
from tests.signoff_cli import signoff


async def test_migrate_brings_an_empty_database_to_the_newest_revision(
    database_url: str, tmp_path: Path
) -> None:
    first = await signoff(database_url, tmp_path, "migrate")
    again = await signoff(database_url, tmp_path, "migrate")

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            version = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalar_one()
            events = (await connection.execute(
                text("SELECT count(*) FROM audit_events"))).scalar_one()
    finally:
        await engine.dispose()
    assert (first.code, again.code) == (0, 0), first.err + again.err
    assert version == head_revision() and events == 0
    assert first.out == again.out == f"The database is at revision {version} (the newest).\n"


async def test_a_database_migrated_by_a_newer_signoff_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    await signoff(database_url, tmp_path, "migrate")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        await engine.dispose()

    run = await signoff(database_url, tmp_path, "migrate")

    assert run.code == 1 and run.out == ""
    assert run.err == ("signoff migrate: the database was not migrated: Can't locate revision "
                       "identified by '9999' (was it migrated by a newer Signoff?)\n")


async def test_an_unreachable_database_and_bad_settings_get_one_line(tmp_path: Path) -> None:
    unreachable = await signoff("postgresql+asyncpg://signoff@127.0.0.1:9/signoff", tmp_path,
                                "migrate")
    bad_setting = await signoff(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path,
                                "migrate", PORT="eighty")

    assert unreachable.code == 3 and unreachable.err.count("\n") == 1
    assert unreachable.err.startswith("signoff migrate: the database could not be migrated: ")
    assert bad_setting.code == 2 and bad_setting.err.count("\n") == 1
    assert bad_setting.err.startswith("signoff: PORT") and "integer" in bad_setting.err
    assert not (tmp_path / "x.db").exists()
