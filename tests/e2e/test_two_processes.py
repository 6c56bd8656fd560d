"""Two app processes on one database share the due jobs: each job's effect happens once."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from approvals.ports import Job
from storage.engine import create_engine
from storage.jobs import JobStore
from storage.migrate import migrate
from storage.uow import uow_factory
from tests.integration.support import START

ROOT = Path(__file__).resolve().parents[2]
JOBS = 200


async def start_worker(database_url: str, name: str) -> asyncio.subprocess.Process:
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.job_worker", database_url, name,
        (START + timedelta(minutes=1)).isoformat(), cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert worker.stdout is not None
    assert (await worker.stdout.readline()).decode().strip() == "ready"
    return worker


async def test_two_worker_processes_run_each_due_job_exactly_once(database_url: str) -> None:
    await migrate(database_url)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(
                "CREATE TABLE job_effects (key VARCHAR NOT NULL, worker VARCHAR NOT NULL)"))
        async with uow_factory(engine)() as uow:
            for i in range(JOBS):
                await uow.jobs.schedule(Job(key=f"EXC-{i}:remind:1", kind="remind",
                                            request_id=f"EXC-{i}",
                                            due_at=START - timedelta(seconds=i)))
            await uow.jobs.schedule(Job(key="EXC-0:later", kind="remind", request_id="EXC-0",
                                        due_at=START + timedelta(hours=1)))
            await uow.commit()

        async with asyncio.timeout(120):
            workers = [await start_worker(database_url, name) for name in ("one", "two")]
            for worker in workers:  # go: both at once
                assert worker.stdin is not None
                worker.stdin.write(b"go\n")
                await worker.stdin.drain()
            said = [(await w.communicate())[0].decode().split() for w in workers]
        assert all(w.returncode == 0 for w in workers)

        async with engine.connect() as connection:
            effects = (await connection.execute(text(
                "SELECT key, count(*), min(worker) FROM job_effects GROUP BY key"))).all()
        backlog = await JobStore(engine).backlog(START + timedelta(minutes=1))
    finally:
        await engine.dispose()

    assert len(effects) == JOBS and {count for _, count, _ in effects} == {1}
    by_worker = {name: sum(1 for *_, w in effects if w == name) for name in ("one", "two")}
    assert [line[1] for line in said] == [str(by_worker["one"]), str(by_worker["two"])]
    assert by_worker["one"] > 0 and by_worker["two"] > 0, by_worker  # the work was shared
    assert (backlog.pending, backlog.running, backlog.failed) == (1, 0, 0)  # only "later"
