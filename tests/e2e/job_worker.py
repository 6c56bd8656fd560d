"""Child process of test_two_processes: one app's scheduler against a shared database.

    python -m tests.e2e.job_worker DATABASE_URL NAME NOW

Says `ready`, waits for a line on stdin (so that both workers start together), then runs
scheduler rounds until no job is due at NOW. Each job's effect is a row (key, NAME) in the
table `job_effects`. Says `done <jobs run>` at the end.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from sqlalchemy import text

from approvals.ports import Job
from bot.scheduler import Scheduler
from storage.engine import create_engine
from storage.jobs import JobStore
from tests.integration.support import FixedClock


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main(database_url: str, name: str, now: datetime) -> None:
    engine = create_engine(database_url)

    async def record(job: Job) -> None:
        await asyncio.sleep(0.002)  # a job takes a little while, as a real one would
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO job_effects (key, worker) VALUES (:key, :worker)"),
                {"key": job.key, "worker": name})

    scheduler = Scheduler(JobStore(engine), record, FixedClock(now), worker_id=name, batch=10)
    say("ready")
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    ran = await scheduler.drain()
    await engine.dispose()
    say(f"done {ran}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])))
