"""Two app processes behind one PostgreSQL take 200 concurrent clicks on 40 requests (5 each,
split across both processes): exactly one decision per request, every click answered with
that decision, one decision audit event per request, the chain verifies, and each outcome
message is delivered once although both processes' relays share the outbox."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from pathlib import Path

import aiohttp
from sqlalchemy import text

from storage.audit_chain import SqlAuditChain
from storage.engine import create_engine
from tests.e2e.app_processes import fork_server, until
from tests.e2e.crowd import OUTCOME, Ledger, card_text, click, pairs, submit, write_catalog
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import TeamsClient

log = logging.getLogger(__name__)
REQUESTS = 40
CLICKS = 5


async def scalar_rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def test_two_processes_take_200_concurrent_clicks_and_each_request_is_decided_once(
    tmp_path: Path, postgres_url: str, connector: FakeConnector
) -> None:
    begun = time.perf_counter()
    rng = random.Random(7)
    crowd = pairs(REQUESTS)
    catalog = write_catalog(tmp_path / "catalog.yaml", crowd)
    app_log = (tmp_path / "app.log").open("wb")
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0)
    ) as session, fork_server(session, app_log) as server:
        apps = [await server.spawn(postgres_url, catalog=catalog) for _ in range(2)]
        sides = [TeamsClient(app.messages_url, connector.url, session) for app in apps]
        ledger = Ledger()
        for i, pair in enumerate(crowd):
            for user in (pair.requester, pair.owner):  # their 1:1 chats are known
                async with await sides[i % 2].post(
                        sides[i % 2].activity(user, "message", text="hi")) as response:
                    assert response.status == 201
            assert await submit(sides[i % 2], pair, ledger, i) is not None
        first_call = len(connector.calls)

        clicks = [(request_id, n) for request_id in ledger.submitted for n in range(CLICKS)]
        rng.shuffle(clicks)
        answers = await asyncio.gather(*(
            click(sides[n % 2], ledger.submitted[request_id].owner,
                  "decision.approve" if rng.random() < 0.5 else "decision.reject",
                  {"requestId": request_id}, reply_to_id=f"card-{request_id}")
            for request_id, n in clicks))

        async def delivered() -> bool:
            rows = await scalar_rows(postgres_url, "SELECT count(*) FROM outbox "
                                                   "WHERE state IN ('pending', 'running')")
            return rows[0][0] == 0

        await until(delivered, seconds=60, every=0.1)

    assert all(answer is not None for answer in answers), "every click got an answer"
    decisions = await scalar_rows(postgres_url, "SELECT request_id, outcome FROM decisions")
    assert sorted(r for r, _ in decisions) == sorted(ledger.submitted), "one decision each"
    outcome_of = {r: {"approve": "approved", "reject": "rejected"}[str(o)] for r, o in decisions}
    for (request_id, _), answer in zip(clicks, answers, strict=True):
        seen = OUTCOME.search(card_text(answer or {}))
        assert seen and seen.group(1).lower() == outcome_of[request_id], (request_id, answer)

    audited = Counter(r for (r,) in await scalar_rows(
        postgres_url, "SELECT request_id FROM audit_events WHERE action LIKE 'decision.%' "
                      "AND outcome = 'ok'"))
    assert audited == Counter({r: 1 for r in ledger.submitted})
    engine = create_engine(postgres_url)
    try:
        assert (await SqlAuditChain(engine).verify()).intact
    finally:
        await engine.dispose()

    requester_chats = {p.requester.personal_conversation for p in crowd}
    outcomes = Counter(c.conversation_id for c in connector.calls[first_call:]
                       if c.method == "POST" and c.conversation_id in requester_chats)
    assert outcomes == Counter(requester_chats), "each requester told the outcome once"
    workers = await scalar_rows(postgres_url, "SELECT count(DISTINCT claimed_by) FROM outbox")
    log.warning("%d clicks on %d requests through 2 processes in %.1f s; outbox sent by %s "
                "workers", len(clicks), REQUESTS, time.perf_counter() - begun, workers[0][0])
