"""The exception flow through the real Microsoft 365 Agents Playground, against the real app.

Alex Wilber (the Playground's current user) asks in his personal chat, Megan Bowen (payments-api's
owner) gets the approval card in a 1:1 chat the bot opens with her through the Playground's
connector, approves it, and Alex reads the outcome. The Playground is a client nobody here wrote:
what it accepts and shows is described in tests/e2e/playground.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e.playground import (
    Playground,
    card_text,
    fill_form,
    find_actions,
    free_port,
    skip_reason,
)

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")

ALEX = "user-id-0"
MEGAN = "user-id-1"
MEGAN_AAD = "00000000-0000-0000-0000-0000000000021"


@pytest.fixture
async def signoff_url(tmp_path: Path) -> AsyncIterator[str]:
    """The real Signoff app on a loopback port, in this event loop, on a fresh SQLite file."""
    from app import create_app
    from settings import Settings

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", app_id="")
    runner = web.AppRunner(create_app(settings), shutdown_timeout=2.0)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/api/messages"
    finally:
        await runner.cleanup()


@pytest.fixture
async def playground(signoff_url: str) -> AsyncIterator[Playground]:
    pg = Playground()
    try:
        yield await pg.start(signoff_url)
    finally:
        await pg.stop()


async def test_exception_flow_in_the_agents_playground(playground: Playground) -> None:
    pg = playground
    me = pg.personal_chat_id
    assert pg.current_user["name"] == "Alex Wilber" and pg.user(MEGAN)["aadObjectId"] == MEGAN_AAD
    await pg.install()  # what the UI does when Alex opens the chat: the bot welcomes him
    # Installed in the group chat too: the bot reads its roster and so learns Megan's Teams id,
    # which the Playground (unlike Teams) needs to open a 1:1 chat with her.
    await pg.install(pg.group_chat_id)
    await pg.settle()

    # Alex asks; the form card arrives in his chat with the asset chosen.
    await pg.say(ALEX, "request exception for payments-api")
    form = await pg.wait_for(lambda r: (
        r.source == "stream" and r.conversation_id == me
        and any(find_actions(c, "request.submit") for c in r.cards)))
    expires_on = (datetime.now(UTC).date() + timedelta(days=14)).isoformat()
    data = fill_form(form.cards[0], "request.submit", {
        "Title": "Public network access for the vendor migration",
        "Justification": "The vendor migration tool needs it for two weeks.",
        "Risk level": "medium",
        "Compensating controls": "IP allow-list; alerts on access",
        "Expires on": expires_on,
    })
    assert data.get("kind") == "exception" and "payments-api" in data.values(), data

    # Alex presses Submit: the invoke response is his confirmation card.
    assert form.message_id, form.describe()
    before_submit = len(pg.received)
    confirmation = await pg.invoke(ALEX, me, form.message_id, "request.submit", data)
    seen = _text(confirmation)
    assert "EXC-1" in seen and "Megan Bowen" in seen, seen

    # Megan's approval card: the bot opens (or continues) her 1:1 chat through the Playground's
    # connector. The Playground does not stream chats Alex is not in: its connector log shows it.
    owner_card = await pg.wait_for(lambda r: (
        r.source == "connector" and r.is_message and bool(r.cards) and r.conversation_id != me
        and "EXC-1" in r.card_text), since=before_submit)
    for created in pg.received[before_submit:]:
        if created.kind == "createConversation":
            members = created.raw["request"]["body"].get("members") or []
            assert [m.get("id") for m in members] == [MEGAN], (
                "the Playground opens a 1:1 chat with the user whose *Playground user id* is "
                f"members[0].id ({MEGAN} for Megan); the bot sent members={members}: the chat "
                "it gets has no real member, posting to it answers 500 UserNotFound and Megan "
                "cannot act in it")
            assert created.status == 201, created.describe()
            assert created.conversation_id == owner_card.conversation_id, created.describe()
    assert owner_card.status == 201 and owner_card.message_id, (
        "posting Megan's approval card to the Playground failed: " + owner_card.describe()
        + f" {owner_card.raw.get('response')}")
    assert MEGAN in [m["id"] for m in await pg.members(str(owner_card.conversation_id))]
    assert {"decision.approve", "decision.reject"} <= {
        a["verb"] for a in find_actions(owner_card.cards[0])}

    # Universal Actions: the card names who gets their own view (Megan by her Playground id,
    # learnt from the roster); the refresh invoke answers Megan with the buttons and Alex with
    # the status. (The Playground itself shows the base card and logs "User specific view is
    # not supported"; Teams would run this refresh by itself.)
    assert MEGAN in owner_card.cards[0]["refresh"]["userIds"]
    refreshed = await pg.invoke(MEGAN, str(owner_card.conversation_id), owner_card.message_id,
                                "request.refresh", {"requestId": "EXC-1"})
    assert {"decision.approve", "decision.reject"} <= {
        a["verb"] for a in find_actions(refreshed["value"])}
    alexs_view = await pg.invoke(ALEX, me, form.message_id, "request.refresh",
                                 {"requestId": "EXC-1"})
    assert find_actions(alexs_view["value"], "decision.approve") == []
    assert "EXC-1 is pending" in _text(alexs_view)

    # Megan presses Approve on her card, as herself.
    approve = find_actions(owner_card.cards[0], "decision.approve")[0].get("data") or {}
    assert approve.get("requestId") == "EXC-1", approve
    decided = await pg.invoke(
        MEGAN, str(owner_card.conversation_id), owner_card.message_id, "decision.approve",
        {**approve, "requestId": "EXC-1", "comment": "ok"},
    )
    seen = _text(decided)
    assert "approved" in seen.lower() and "Megan Bowen" in seen, seen
    # Her card is replaced in place (PUT on the same message) and Alex is told in his chat.
    await pg.wait_for(lambda r: (r.source == "connector" and r.is_message
                                 and r.message_id == owner_card.message_id
                                 and "approved by Megan Bowen" in r.card_text))
    await pg.wait_for_message(me, contains="approved by Megan Bowen")

    stale = await pg.invoke(MEGAN, str(owner_card.conversation_id), owner_card.message_id,
                            "request.refresh", {"requestId": "EXC-1"})
    assert find_actions(stale["value"]) == [] and "approved by Megan Bowen" in _text(stale)

    # Alex asks for the status and reads who decided.
    await pg.say(ALEX, "status EXC-1")
    status = await pg.wait_for_message(me, contains="EXC-1")
    assert "approved" in status.visible_text.lower(), status.describe()
    assert "Megan Bowen" in status.visible_text, status.describe()


def _text(invoke_response: dict[str, object]) -> str:
    """What a person sees from an invoke response: the card's text, or the message."""
    value = invoke_response.get("value")
    return card_text(value) if isinstance(value, dict) else str(value)
