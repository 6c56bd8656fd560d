"""PostgreSQL goes away in the middle of a load and comes back (a TCP proxy between the app
process and the server is cut, then restored). While it is away every click is answered with a
clear "try again" card (HTTP 200, never a 5xx) and /healthz says 503; nothing is half written;
when it is back, the same process recovers without a restart: /healthz is ok, new requests and
decisions go through, and every message owed is delivered."""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.audit_chain import SqlAuditChain
from storage.engine import create_engine
from tests.e2e.app_processes import alive, fork_server, healthz, until
from tests.e2e.crowd import (
    OUTCOME,
    REQUEST_ID,
    Ledger,
    Pair,
    card_text,
    click,
    form,
    pairs,
    write_catalog,
)
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.teams import TeamsClient

log = logging.getLogger(__name__)
TRY_AGAIN = "can't reach its database"


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    target = make_url(postgres_url)
    running = await TcpProxy(target.host or "127.0.0.1", target.port or 5432).start()
    yield running
    await running.close()


class Desk:
    """People clicking through the proxied app; every answer is sorted into what it said."""

    def __init__(self, teams: TeamsClient, crowd: list[Pair], ledger: Ledger) -> None:
        self.teams = teams
        self.crowd = crowd
        self.ledger = ledger
        self.answers: Counter[str] = Counter()

    def record(self, answer: dict[str, object] | None, acknowledged: bool) -> None:
        if answer is None:
            self.answers["no HTTP 200"] += 1
        elif TRY_AGAIN in card_text(answer):
            self.answers["try again"] += 1
        else:
            self.answers["acknowledged" if acknowledged else "other"] += 1

    async def work(self, rng: random.Random) -> None:
        n = 0
        while True:
            n += 1
            pair = rng.choice(self.crowd)
            open_ones = [r for r, p in self.ledger.submitted.items()
                         if p is pair and r not in self.ledger.decided]
            if open_ones:
                request_id = open_ones[0]
                answer = await click(self.teams, pair.owner, "decision.approve",
                                     {"requestId": request_id}, f"card-{request_id}")
                seen = OUTCOME.search(card_text(answer)) if answer else None
                if seen:
                    self.ledger.decided[request_id] = seen.group(1).lower()
                self.record(answer, seen is not None)
            else:
                answer = await click(self.teams, pair.requester, "request.submit",
                                     form(pair.asset), f"form-{pair.requester.key}-{n}")
                found = REQUEST_ID.search(card_text(answer)) if answer else None
                if found and TRY_AGAIN not in card_text(answer or {}):
                    self.ledger.submitted[found.group(1)] = pair
                self.record(answer, found is not None)


async def rows(database_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [tuple(r) for r in (await connection.execute(text(sql))).all()]
    finally:
        await engine.dispose()


async def test_postgres_cut_mid_load_then_restored_without_restarting_the_app(
    tmp_path: Path, postgres_url: str, proxy: TcpProxy, connector: FakeConnector
) -> None:
    begun = time.perf_counter()
    proxied = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    proxied_url = proxied.render_as_string(hide_password=False)
    crowd = pairs(12)
    catalog = write_catalog(tmp_path / "catalog.yaml", crowd)
    ledger = Ledger()
    app_log = (tmp_path / "app.log").open("wb")
    async with aiohttp.ClientSession() as session, fork_server(session, app_log) as server:
        # Messages a relay had claimed when the database went away wait for the claim's lease
        # (5 minutes in production) before another round sends them: 5 s here.
        app = await server.spawn(proxied_url, catalog=catalog, lease_seconds=5)
        teams = TeamsClient(app.messages_url, connector.url, session)
        for pair in crowd:
            for user in (pair.requester, pair.owner):
                async with await teams.post(teams.activity(user, "message", text="hi")) as r:
                    assert r.status == 201
        desk = Desk(teams, crowd, ledger)
        rng = random.Random(3)
        workers = [asyncio.create_task(desk.work(rng)) for _ in range(4)]
        try:
            await until(lambda: desk.answers["acknowledged"] >= 10)  # mid-load
            proxy.cut()
            cut_at = desk.answers.copy()
            await until(lambda: desk.answers["try again"] >= 8)
            assert await healthz(session, app.url) == 503
            async with await teams.post(teams.activity(crowd[0].requester, "message",
                                                       text="my requests")) as response:
                assert response.status == 201  # and a card says so: checked below
            during = desk.answers - cut_at
            proxy.restore()

            async def healthy() -> bool:
                return await healthz(session, app.url) == 200

            await until(healthy, seconds=60, every=0.1)
            restored_at = desk.answers.copy()
            await until(lambda: (desk.answers - restored_at)["acknowledged"] >= 10)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        assert alive(app.pid), "the same process recovered: no restart"
        outage_reply = connector.sent_to(crowd[0].requester.personal_conversation)[-1]
        assert TRY_AGAIN in outage_reply.card_text or "nothing was changed" in (
            outage_reply.card_text)

        async def delivered() -> bool:
            left = await rows(postgres_url, "SELECT count(*) FROM outbox "
                                            "WHERE state IN ('pending', 'running')")
            return left[0][0] == 0

        await until(delivered, seconds=60, every=0.1)
        health = await healthz(session, app.url)

    assert desk.answers["no HTTP 200"] == 0, desk.answers  # never a 5xx, never a hang-up
    assert during["try again"] >= 8 and health == 200

    # Nothing half written: each request with its audit event and its owner's message, each
    # decision with its audit event and the requester's message; the chain verifies.
    requests = {r for (r,) in await rows(postgres_url, "SELECT id FROM requests")}
    assert set(ledger.submitted) <= requests
    submitted = Counter(r for (r,) in await rows(
        postgres_url, "SELECT request_id FROM audit_events WHERE action = 'request.submitted'"))
    assert submitted == Counter({r: 1 for r in requests})
    decisions = Counter(r for (r,) in await rows(postgres_url,
                                                 "SELECT request_id FROM decisions"))
    assert set(decisions.values()) <= {1}
    assert {r for r, o in ledger.decided.items()} <= set(decisions)
    decided_events = Counter(r for (r,) in await rows(
        postgres_url, "SELECT request_id FROM audit_events WHERE action LIKE 'decision.%' "
                      "AND outcome = 'ok'"))
    assert decided_events == decisions
    owed = {(r, k) for r, k in await rows(postgres_url, "SELECT request_id, kind FROM outbox")}
    assert {(r, "approval") for r in requests} <= owed
    assert {(r, "decided") for r in decisions} <= owed
    engine = create_engine(postgres_url)
    try:
        assert (await SqlAuditChain(engine).verify()).intact
    finally:
        await engine.dispose()
    in_doubt = [r for r in decisions if r not in ledger.decided]
    log.warning("outage test in %.1f s: answers %s; during the outage %s; %d connections "
                "refused while cut; %d requests, %d decisions (%d committed while the app "
                "answered 'try again' or was not asked again)", time.perf_counter() - begun,
                dict(desk.answers), dict(during), proxy.refused, len(requests), len(decisions),
                len(in_doubt))


async def test_sqlite_file_locked_by_another_process_then_released(
    tmp_path: Path, connector: FakeConnector
) -> None:
    """SQLite's outage: another process holds the file's write lock. Turns wait the busy
    timeout (5 s), then say "try again"; /healthz says 503; once the lock goes, all is well."""
    db_path = tmp_path / "signoff.db"
    crowd = pairs(2)
    catalog = write_catalog(tmp_path / "catalog.yaml", crowd)
    ledger = Ledger()
    app_log = (tmp_path / "app.log").open("wb")
    async with aiohttp.ClientSession() as session, fork_server(session, app_log) as server:
        app = await server.spawn(f"sqlite+aiosqlite:///{db_path}", catalog=catalog)
        teams = TeamsClient(app.messages_url, connector.url, session)
        desk = Desk(teams, crowd, ledger)
        pair = crowd[0]
        answer = await click(teams, pair.requester, "request.submit", form(pair.asset), "f-1")
        assert "EXC-1" in card_text(answer or {})
        before = await rows(f"sqlite+aiosqlite:///{db_path}", "SELECT count(*) FROM requests")

        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process's long write transaction
        try:
            # One connection serialises the app's transactions: each waits the busy timeout.
            locked = await asyncio.gather(
                click(teams, crowd[1].requester, "request.submit", form(crowd[1].asset), "f-2"),
                healthz(session, app.url))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        desk.record(locked[0], False)  # type: ignore[arg-type]
        assert desk.answers == Counter({"try again": 1}), desk.answers
        assert locked[1] == 503

        assert await healthz(session, app.url) == 200
        answer = await click(teams, pair.owner, "decision.approve", {"requestId": "EXC-1"}, "c-2")
        assert "approved" in card_text(answer or {}).lower()
        assert alive(app.pid)
    after = await rows(f"sqlite+aiosqlite:///{db_path}", "SELECT count(*) FROM requests")
    assert before == after  # the refused submit left nothing behind
    decisions = await rows(f"sqlite+aiosqlite:///{db_path}", "SELECT request_id FROM decisions")
    assert decisions == [("EXC-1",)]
