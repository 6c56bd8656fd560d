"""Each body the fuzz test found answered with HTTP 500, kept as a fixed example: now a 400 that
names the problem (or, for a dead service URL, a turn that ends quietly), and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import BotProcess
from tests.e2e.teams import ALEX, TeamsClient
from tests.e2e.test_http_edge import count_rows


def message(teams: TeamsClient, **changes: Any) -> dict[str, Any]:
    body = teams.activity(ALEX, "message", text="help")
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def raw(teams: TeamsClient, replace: str) -> bytes:
    """A message whose text field is replaced by raw JSON no Python encoder writes."""
    import json

    return json.dumps(message(teams, text="@@")).replace('"@@"', replace).encode()


CASES = {
    "nested 5000 deep": lambda t: raw(t, "[" * 5000 + "]" * 5000),
    "5000-digit number": lambda t: raw(t, "9" * 5000),
    "lone surrogate": lambda t: raw(t, '"\\ud800"'),
    "lone surrogate as raw bytes": lambda t: raw(t, '"@@"').replace(b"@@", b"\xed\xa0\x80"),
    "UTF-16 with a lone surrogate": lambda t: raw(t, '"\\ud800"').decode().encode("utf-16"),
    "no conversation": lambda t: message(t, conversation=None),
    "conversation id not text": lambda t: message(t, conversation={"id": 5}),
    # The SDK puts it in an HTTP header of the reply: the connector refused it, the turn failed.
    "conversation id with a NUL": lambda t: message(t, conversation={"id": "\x00"}),
    "conversation id with CR LF": lambda t: message(t, conversation={"id": "a:1\r\nX-Evil: 1"}),
    "no serviceUrl": lambda t: message(t, serviceUrl=None),
    "serviceUrl not http": lambda t: message(t, serviceUrl="file:///etc/passwd"),
    "serviceUrl unparsable": lambda t: message(t, serviceUrl="http://[::1"),
    "no from": lambda t: message(t, **{"from": None}),
    "no recipient": lambda t: message(t, recipient=None),
    "text not text": lambda t: message(t, text=["help"]),
    "locale not a tag": lambda t: message(t, locale="en\U0002db3bUS"),
    # Found by review of the activity reader: msrest raises a bare KeyError for this one.
    "semanticAction entities a list": lambda t: message(
        t, semanticAction={"id": "s", "entities": [{"type": "x"}]}),
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
async def test_what_the_fuzzer_found_is_refused_and_writes_nothing(
    teams: TeamsClient, bot_process: BotProcess, app_database_url: str, make: Any
) -> None:
    body = make(teams)
    before = await count_rows(app_database_url)
    data = body if isinstance(body, bytes) else None
    async with teams.session.post(teams.bot_url, data=data, json=None if data else body,
                                  headers={"Content-Type": "application/json"}) as response:
        assert response.status == 400, await response.text()
        assert "error" in await response.json()
    assert await count_rows(app_database_url) == before


async def test_a_dead_service_url_ends_the_turn_without_a_500(teams: TeamsClient) -> None:
    """The reply and the apology both fail to reach Teams: logged, the turn ends."""
    body = message(teams, serviceUrl="http://127.0.0.1:1/")
    async with await teams.post(body) as response:
        assert response.status == 201


async def test_a_refused_comment_on_a_request_that_does_not_exist_gets_a_card(
    teams: TeamsClient, bot_process: BotProcess, app_database_url: str
) -> None:
    """Found by the fuzzer after the merges: the comment is refused (hidden characters) before
    the request is looked up, and explaining it on the card met the unknown id: HTTP 501."""
    before = await count_rows(app_database_url)
    answer = await teams.click(ALEX, "decision.approve",
                               {"requestId": "EXC-999999", "comment": "\u202eevil\u202c"})
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    after = await count_rows(app_database_url)
    del before["conversation_refs"], after["conversation_refs"]  # a turn remembers its chat
    assert after == before
