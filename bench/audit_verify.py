"""How long `signoff audit verify` and `signoff evidence` take on a long audit trail.

    .venv/bin/python -m bench.audit_verify [--events 20000] [--database-url URL]

Appends N audit events through the app's own append path (SqlAuditLog, 500 per transaction)
to a fresh database (a SQLite file by default), then times the chain walk in-process and the
`signoff audit verify` command as a process (wall time, Python start-up included). Not a test:
figures depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from approvals.model import AuditEvent, Source
from storage.audit_chain import SqlAuditChain
from storage.engine import create_engine
from storage.migrate import migrate
from storage.uow import uow_factory

START = datetime(2026, 3, 2, tzinfo=UTC)


async def fill(url: str, events: int) -> float:
    await migrate(url)
    engine = create_engine(url)
    uows = uow_factory(engine)
    began = time.perf_counter()
    try:
        for first in range(0, events, 500):
            async with uows() as uow:
                for n in range(first, min(first + 500, events)):
                    await uow.audit.append(AuditEvent(
                        action="decision.approve", outcome="ok", actor_id="megan",
                        actor_name="Megan Bowen", at=START + timedelta(seconds=n),
                        request_id=f"EXC-{n}", source=Source(conversation_id="a:1",
                                                             activity_id=str(n)),
                        detail={"from": "pending", "to": "approved", "version": "2"}))
                await uow.commit()
    finally:
        await engine.dispose()
    return time.perf_counter() - began


async def walk(url: str) -> tuple[float, int]:
    engine = create_engine(url)
    try:
        began = time.perf_counter()
        report = await SqlAuditChain(engine).verify()
        return time.perf_counter() - began, report.count
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db"
    filled = asyncio.run(fill(url, args.events))
    walked, count = asyncio.run(walk(url))
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cli", "audit", "verify"], check=False,
                          env={**os.environ, "DATABASE_URL": url}, capture_output=True)
    command = time.perf_counter() - began
    print(f"{url.split(':', 1)[0]}: appended {args.events} events in {filled:.1f} s; "  # noqa: T201
          f"walk verified {count} in {walked:.2f} s ({count / walked:,.0f} events/s); "
          f"`signoff audit verify` exit {done.returncode} in {command:.2f} s")


if __name__ == "__main__":
    main()
