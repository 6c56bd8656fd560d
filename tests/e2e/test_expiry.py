"""An approved exception is reminded before its expiry and lapses on time; both are told."""

from __future__ import annotations

from approvals.model import State
from tests.e2e.conftest import BotProcess, SteppingClock, stored
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import submit_exception  # expires 2026-12-11


def texts(connector: FakeConnector, conversation: str) -> list[str]:
    return [c.card_text for c in connector.sent_to(conversation)]


async def test_reminders_before_expiry_then_the_exception_lapses_on_time(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})

    clock.current = clock.current.replace(month=12, day=3, hour=23)  # 7 days + 1 h before
    await bot_process.settle()
    assert not any("ends in 7 day" in t for t in texts(connector, ALEX.personal_conversation))
    clock.advance(hours=1)
    await bot_process.settle()
    for person in (ALEX, MEGAN):
        assert any("EXC-1 on payments-api ends in 7 day" in t and 'say "renew EXC-1"' in t
                   for t in texts(connector, person.personal_conversation))

    clock.current = clock.current.replace(day=10, hour=23, minute=59)
    await bot_process.settle()
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.state is State.ACTIVE
    clock.advance(minutes=1)  # 2026-12-11 00:00 UTC
    await bot_process.settle()
    request, events = await stored(app_database_url, "EXC-1")
    assert request.state is State.LAPSED
    assert events[-1].action == "request.lapsed"
    for person in (ALEX, MEGAN):
        assert "lapsed" in texts(connector, person.personal_conversation)[-1].lower()
    await teams.say(ALEX, "status EXC-1")
    assert "lapsed" in texts(connector, ALEX.personal_conversation)[-1].lower()


async def test_the_owner_revokes_an_approved_exception_with_a_reason(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.say(MEGAN, "revoke EXC-1 too early")
    assert "only an exception in force" in texts(connector, MEGAN.personal_conversation)[-1]
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    await teams.say(ALEX, "revoke EXC-1 I changed my mind")
    assert "only Adele Vance, Megan Bowen can revoke" in texts(
        connector, ALEX.personal_conversation)[-1]
    await teams.say(MEGAN, "revoke EXC-1")
    assert "say why" in texts(connector, MEGAN.personal_conversation)[-1]

    await teams.say(MEGAN, "revoke EXC-1 the vendor finished early")
    assert "revoked" in texts(connector, MEGAN.personal_conversation)[-1].lower()
    told = connector.sent_to(ALEX.personal_conversation)[-1].body.get("text") or ""
    assert "Megan Bowen revoked exception EXC-1" in told and "vendor finished early" in told
    request, events = await stored(app_database_url, "EXC-1")
    assert request.state is State.REVOKED
    assert (events[-1].action, events[-1].detail["reason"]) == (
        "request.revoked", "the vendor finished early")
    clock.current = clock.current.replace(month=12, day=12)
    await bot_process.settle()
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.state is State.REVOKED, "a revoked exception does not lapse"


async def test_a_revoke_reason_reaches_the_requester_as_plain_text_never_a_link(
    teams: TeamsClient, connector: FakeConnector,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    reason = "see [the new process](https://evil.example/p) " + "z" * 9000
    await teams.say(MEGAN, f"revoke EXC-1 {reason}")

    told = connector.sent_to(ALEX.personal_conversation)[-1].body
    assert told.get("textFormat") == "plain"  # Teams shows it as typed: no link, no Markdown
    text = told.get("text") or ""
    assert "Megan Bowen revoked exception EXC-1 on payments-api: see [the new process]" in text
    assert len(text) < 6100 and text.endswith("(shortened)")
