"""SQLite's units of work take turns on one connection and share commits (storage/sqlite_turns.py):
what each caller is told must stay true of the file, whatever else was in its group."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.engine import create_engine


@pytest.fixture
async def lite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A SQLite engine with a parent/child pair whose foreign key is checked at COMMIT only,
    so a group's COMMIT can be made to fail after each of its units was released."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        await connection.execute(text(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES "
            "parent (id) DEFERRABLE INITIALLY DEFERRED)"))
        await connection.execute(text("INSERT INTO parent (id) VALUES (1)"))
    try:
        yield engine
    finally:
        await engine.dispose()


def on_disk(engine: AsyncEngine, sql: str) -> list[tuple[int, ...]]:
    """What another process reading the file sees."""
    path = engine.url.database
    assert path
    with sqlite3.connect(path) as other:
        return [tuple(r) for r in other.execute(sql).fetchall()]


def turns_of(engine: AsyncEngine) -> object:
    return engine.sync_engine.dialect.turns  # type: ignore[attr-defined]


async def until(condition: Callable[[], bool]) -> None:
    """Let other tasks run until `condition()` holds (each step only yields, no timer)."""
    for _ in range(100_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


async def insert_child(engine: AsyncEngine, child: int, parent: int,
                       commit: bool = True, hold: asyncio.Event | None = None) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO child (id, parent_id) VALUES (:c, :p)"),
                                 {"c": child, "p": parent})
        if hold is not None:
            await hold.wait()  # keep the turn until the others queue behind this unit
        if commit:
            await connection.commit()
        else:
            await connection.rollback()


async def test_units_that_queue_together_share_one_commit_and_each_is_durable_when_told(
    lite: AsyncEngine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("storage.sqlite_turns.MAX_GROUP_SECONDS", 3600.0)  # as below
    turns = turns_of(lite)
    groups_before = turns.groups_committed  # type: ignore[attr-defined]

    await asyncio.gather(*(insert_child(lite, n, 1) for n in range(1, 21)))

    assert on_disk(lite, "SELECT count(*) FROM child") == [(20,)]
    groups = turns.groups_committed - groups_before  # type: ignore[attr-defined]
    assert 1 <= groups < 20  # they queued for the turn, so they committed together


async def test_a_unit_rolled_back_inside_a_group_undoes_only_its_own_writes(
    lite: AsyncEngine,
) -> None:
    await asyncio.gather(insert_child(lite, 1, 1), insert_child(lite, 2, 1, commit=False),
                         insert_child(lite, 3, 1))

    assert on_disk(lite, "SELECT id FROM child ORDER BY id") == [(1,), (3,)]


async def test_when_the_group_commit_fails_every_unit_in_it_fails_and_nothing_is_kept(
    lite: AsyncEngine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One group whatever the machine's speed: on a busy machine the first unit's hold could
    # outlast the real-time cap on a group, and it would be committed on its own.
    monkeypatch.setattr("storage.sqlite_turns.MAX_GROUP_SECONDS", 3600.0)

    async def read_children() -> int:
        async with lite.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM child"))).scalar_one()
            await connection.rollback()
            return int(count)

    # The second unit's child points at no parent: only the COMMIT finds out. The first and
    # the third were released into the same group, the reader saw their rows: none of them
    # may be told that it succeeded or be shown what the database never kept.
    queued = asyncio.Event()
    first = asyncio.ensure_future(insert_child(lite, 1, 1, hold=queued))
    others = asyncio.gather(insert_child(lite, 2, 99), insert_child(lite, 3, 1),
                            read_children(), return_exceptions=True)
    await until(lambda: turns_of(lite).waiting >= 3)  # type: ignore[attr-defined]
    queued.set()
    results = [*(await asyncio.gather(first, return_exceptions=True)), *(await others)]

    assert [type(r) for r in results] == [IntegrityError] * 4
    assert on_disk(lite, "SELECT count(*) FROM child") == [(0,)]
    # The connection is usable again afterwards.
    await insert_child(lite, 4, 1)
    assert on_disk(lite, "SELECT id FROM child") == [(4,)]


async def test_another_process_can_write_between_groups(lite: AsyncEngine) -> None:
    await insert_child(lite, 1, 1)
    path = lite.url.database
    assert path
    with sqlite3.connect(path, timeout=5) as other:  # an idle engine holds no lock
        other.execute("INSERT INTO child (id, parent_id) VALUES (2, 1)")
    await insert_child(lite, 3, 1)

    assert on_disk(lite, "SELECT id FROM child ORDER BY id") == [(1,), (2,), (3,)]


async def test_a_unit_waits_for_another_process_holding_the_write_lock(
    lite: AsyncEngine,
) -> None:
    path = lite.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        task = asyncio.ensure_future(insert_child(lite, 1, 1))
        turns = turns_of(lite)
        await until(lambda: turns.holder is not None)  # type: ignore[attr-defined]
        other.execute("INSERT INTO child (id, parent_id) VALUES (2, 1)")
        other.execute("COMMIT")
        await task  # it waited (busy timeout, off the event loop) instead of failing
    finally:
        other.close()

    assert on_disk(lite, "SELECT id FROM child ORDER BY id") == [(1,), (2,)]


async def test_a_unit_whose_rollback_fails_still_gives_its_connection_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite rolled the whole transaction back itself (disk full, I/O error): ending the unit
    raises. The unit of work must still return its connection to the pool."""
    from storage.migrate import migrate
    from storage.sqlite_turns import Turns
    from storage.uow import uow_factory

    url = f"sqlite+aiosqlite:///{tmp_path / 'u.db'}"
    await migrate(url)
    engine = create_engine(url)
    real_end = Turns.end_unit

    def failing_end(self: Turns, who: object, keep: bool) -> asyncio.Future[None] | None:
        if keep:
            return real_end(self, who, keep)
        real_end(self, who, keep)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Turns, "end_unit", failing_end)
    try:
        for _ in range(3):
            with pytest.raises(RuntimeError):
                async with uow_factory(engine)() as uow:
                    await uow.requests.get("EXC-1")
                    raise RuntimeError("the use case failed")
        assert engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        monkeypatch.undo()
        await engine.dispose()
