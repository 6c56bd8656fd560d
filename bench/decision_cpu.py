"""CPU time of a decision inside the process, without HTTP: the Approve use case on SQLite
(statements, audit event, outbox, jobs, group commit) and the decided card as JSON text.

For comparing changes to the domain, storage and cards with less noise than `make bench`:
CPU time (time.process_time) does not count waiting for fsync, and nothing else runs. Each
line is the best of three fresh databases. Clicks run one at a time (c=1) and 32 at once
(c=32, so their commits are grouped as under load).

    .venv/bin/python -m bench.decision_cpu [decisions, default 1500]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time

from approvals import services
from approvals.model import Actor, Outcome, Source
from approvals.ports import SystemClock
from bench.seed import seed_pending
from bot.endpoint import json_text
from cards.decision import decided_card
from cards.render import card_to_dict, complete_models
from catalog.loader import load_catalog
from catalog.policy_loader import load_policies
from storage.engine import create_engine
from storage.migrate import migrate
from storage.uow import uow_factory

WARM_UP = 32


async def cpu_per_decision(count: int, concurrency: int) -> float:
    """Microseconds of CPU per decision, `concurrency` clicks at a time."""
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/decisions.db"
    await migrate(url)
    ids = await seed_pending(url, "http://127.0.0.1:1/", count + WARM_UP)
    engine = create_engine(url)
    catalog = load_catalog(None)
    policy = load_policies(None, catalog)
    clock = SystemClock()
    uows = uow_factory(engine, clock)
    megan = Actor(catalog.people["megan"].aad_object_id, "Megan Bowen")

    async def click(n: int, request_id: str) -> None:
        request = await services.record_decision(
            uows(), catalog, clock, request_id, Outcome.APPROVE, "ok", megan,
            Source("msteams", "a:megan", f"click-{n}"), policy)
        json_text(card_to_dict(decided_card(request, catalog)))

    for n in range(WARM_UP):
        await click(n, ids[n])
    pending = ids[WARM_UP:]
    started = time.process_time()
    for first in range(0, count, concurrency):
        batch = pending[first:first + concurrency]
        await asyncio.gather(*(click(first + n + WARM_UP, rid) for n, rid in enumerate(batch)))
    spent = time.process_time() - started
    await engine.dispose()
    return spent / count * 1e6


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    complete_models()
    for concurrency in (1, 32):
        runs = [asyncio.run(cpu_per_decision(count, concurrency)) for _ in range(3)]
        print(f"c={concurrency}: {min(runs):.0f} us of CPU per decision "  # noqa: T201
              f"(runs: {', '.join(f'{r:.0f}' for r in runs)})")


if __name__ == "__main__":
    main()
