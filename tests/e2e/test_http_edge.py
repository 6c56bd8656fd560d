"""A malformed body, a wrong content type or an oversized body: 400 / 415 / 413, nothing written."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import text

from storage.engine import create_engine
from tests.e2e.conftest import BotProcess
from tests.e2e.teams import ALEX, TeamsClient


async def count_rows(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            counts: dict[str, int] = {}
            for table in ("requests", "audit_events", "conversation_refs", "dialog_state"):
                result = await connection.execute(text(f"SELECT count(*) FROM {table}"))
                counts[table] = result.scalar_one()
            return counts
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b"[1, 2, 3]", {"Content-Type": "application/json"}, 400),
        (b'{"text": "no type"}', {"Content-Type": "application/json"}, 400),
        (b'{"type": "message", "from": "not an object"}',
         {"Content-Type": "application/json"}, 400),
        (b"\xff\xfe\x00", {"Content-Type": "application/json"}, 400),
        (b'{"type": "message"}', {"Content-Type": "text/plain"}, 415),
        (b'{"type": "message"}', {}, 415),
        (b'{"type": "message", "text": "' + b"x" * 300_000 + b'"}',
         {"Content-Type": "application/json"}, 413),
    ],
    ids=["malformed", "not-object", "no-type", "wrong-shape", "not-utf8", "text-plain",
         "no-content-type", "too-large"],
)
async def test_bad_bodies_are_refused_and_nothing_is_written(
    teams: TeamsClient, bot_process: BotProcess, app_database_url: str,
    body: bytes, headers: dict[str, str], status: int,
) -> None:
    before = await count_rows(app_database_url)
    async with teams.session.post(teams.bot_url, data=body, headers=headers) as response:
        assert response.status == status
        assert "error" in await response.json()
    assert await count_rows(app_database_url) == before


async def test_chunked_oversized_body_is_refused(teams: TeamsClient) -> None:
    async def chunks():  # no Content-Length: the limit must hold while reading
        for _ in range(40):
            yield b"x" * 10_000

    async with teams.session.post(
        teams.bot_url, data=chunks(), headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 413


async def test_healthz_checks_the_database(teams: TeamsClient, bot_process: BotProcess) -> None:
    async with teams.session.get(bot_process.url.rstrip("/") + "/healthz") as response:
        assert response.status == 200
        assert (await response.json())["database"] == "ok"


async def test_unknown_invoke_and_garbage_card_data_get_a_clear_card(teams: TeamsClient) -> None:
    for action in ({"verb": "decision.approve", "data": {"requestId": "'; drop table"}},
                   {"verb": "nope.verb", "data": {}}, {"data": "x"}):
        body = teams.activity(ALEX, "invoke", name="adaptiveCard/action",
                              value={"action": {"type": "Action.Execute", **action}})
        async with await teams.post(body) as response:
            assert response.status == 200
            result = await response.json()
            assert result["type"] == "application/vnd.microsoft.card.adaptive"


async def test_mentions_are_stripped_in_a_group_chat(teams: TeamsClient, connector) -> None:
    assert await teams.say(ALEX, "who owns payments-api", conversation="19:g@thread.v2") == 201
    reply = connector.sent_to("19:g@thread.v2")[-1]
    assert "Megan Bowen" in reply.card_text and "Adele Vance" in reply.card_text


async def test_a_session_without_content_type_never_gets_500(teams: TeamsClient) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(teams.bot_url, data=b"{}") as response:
            assert response.status in (400, 415)


async def test_local_mode_ignores_an_authorization_header(teams: TeamsClient, connector) -> None:
    body = teams.activity(ALEX, "message", text="help")
    for header in ("Bearer garbage", "Bearer eyJhbGciOiJub25lIn0.e30.", "Basic abc"):
        async with await teams.post(body, headers={"Authorization": header}) as response:
            assert response.status == 201


async def test_an_activity_without_service_url_is_refused(
    teams: TeamsClient, app_database_url: str
) -> None:
    body = teams.activity(ALEX, "message", text="help")
    body.pop("serviceUrl")
    before = await count_rows(app_database_url)
    async with await teams.post(body) as response:
        assert response.status == 400
        assert "serviceUrl" in (await response.json())["error"]
    assert await count_rows(app_database_url) == before
