"""Renewal and periodic review of an active exception, through the real HTTP endpoint, by the
injected clock: a renewal is a linked request decided like a new one, within the renewal cap;
a long-lived exception gets a review card (Keep / Revoke), reminded and escalated if ignored."""

from __future__ import annotations

from typing import Any

from approvals.model import State
from tests.e2e.conftest import BotProcess, SteppingClock, find_data, stored, verbs
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, MEGAN, TeamsClient, User
from tests.e2e.test_exception_flow import FORM, submit_exception  # expires 2026-12-11


def flat(text: str) -> str:
    return " ".join(text.split())


def last_text(connector: FakeConnector, user: User) -> str:
    return flat(connector.sent_to(user.personal_conversation)[-1].card_text)


def texts(connector: FakeConnector, user: User) -> list[str]:
    return [flat(c.card_text) for c in connector.sent_to(user.personal_conversation)]


def titles(card: dict[str, Any]) -> list[str]:
    return [str(a.get("title")) for a in card.get("actions") or []]


async def submit_until(teams: TeamsClient, connector: FakeConnector, expires_on: str) -> None:
    await teams.say(ALEX, "request exception for payments-api")
    form = connector.sent_to(ALEX.personal_conversation)[-1]
    data = {**find_data(form.cards[0], "request.submit"), **FORM, "expires_on": expires_on}
    await teams.click(ALEX, "request.submit", data, reply_to_id=form.body.get("id") or "form")


async def test_renewals_move_the_expiry_until_the_cap_refuses(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    await teams.say(ALEX, "status EXC-1")
    assert "State: active" in last_text(connector, ALEX)

    await teams.say(ALEX, "renew EXC-1 until 2027-01-10")
    assert "EXC-2 asks to extend EXC-1 from 2026-12-11 to 2027-01-10" in last_text(
        connector, ALEX)
    card = connector.sent_to(MEGAN.personal_conversation)[-1]
    assert "Renewal: decision needed" in card.card_text
    assert "Alex Wilber asks to extend EXC-1 on payments-api until 2027-01-10" in flat(
        card.card_text)
    await teams.say(ALEX, "renew EXC-1")
    assert "EXC-2 already asks to renew EXC-1" in last_text(connector, ALEX)

    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-2"})
    original, events = await stored(app_database_url, "EXC-1")
    assert (original.state, str(original.expires_on)) == (State.ACTIVE, "2027-01-10")
    assert events[-1].action == "request.extended"
    assert (events[-1].detail["from_expiry"], events[-1].detail["renewal"]) == (
        "2026-12-11", "EXC-2")
    assert any("it now runs until 2027-01-10" in t for t in texts(connector, ALEX))

    clock.current = clock.current.replace(month=12, day=11, hour=0, minute=0)
    await bot_process.settle()
    original, _ = await stored(app_database_url, "EXC-1")
    assert original.state is State.ACTIVE, "the old expiry passes: nothing lapses"

    await teams.say(ALEX, "renew EXC-1")  # no date: as long again, within 90 days from today
    assert "to 2027-02-23" in last_text(connector, ALEX)
    await teams.click(MEGAN, "decision.reject", {"requestId": "EXC-3", "comment": "no"})
    original, _ = await stored(app_database_url, "EXC-1")
    assert str(original.expires_on) == "2027-01-10", "a rejected renewal changes nothing"

    await teams.say(MEGAN, "renew EXC-1 until 2027-06-01")  # the owner may ask too
    assert "after the policy maximum of 90 days" in last_text(connector, MEGAN)
    await teams.say(MEGAN, "renew EXC-1 until 2027-01-20")
    await teams.click(ADELE, "decision.approve", {"requestId": "EXC-4"})  # not Megan: she asked
    original, _ = await stored(app_database_url, "EXC-1")
    assert str(original.expires_on) == "2027-01-20"

    await teams.say(ALEX, "renew EXC-1 until 2027-02-01")
    refusal = last_text(connector, ALEX)
    assert "EXC-1 cannot be renewed again: it was renewed 2 times" in refusal
    assert "allows 2 renewals" in refusal

    clock.current = clock.current.replace(year=2027, month=1, day=13, hour=0)
    await bot_process.settle()
    assert any("EXC-1 on payments-api ends in 7 day(s), on 2027-01-20" in t
               for t in texts(connector, ALEX)), "expiry reminders follow the new date"
    clock.current = clock.current.replace(day=20)
    await bot_process.settle()
    original, _ = await stored(app_database_url, "EXC-1")
    assert original.state is State.LAPSED


async def test_a_long_lived_exception_is_reviewed_kept_then_revoked_after_escalation(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    for user in (MEGAN, ADELE):
        await teams.say(user, "hi")
    await submit_until(teams, connector, "2027-02-20")
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})

    clock.advance(days=30, seconds=-1)  # policy: review_every 30d
    await bot_process.settle()
    assert "Review" not in last_text(connector, MEGAN)
    clock.advance(seconds=1)
    await bot_process.settle()
    review = connector.sent_to(MEGAN.personal_conversation)[-1]
    assert "Review: keep or revoke this exception?" in review.card_text
    assert titles(review.cards[0]) == ["Keep", "Revoke", "Ask for info"]
    assert "is active until 2027-02-20. Is it still needed?" in flat(review.card_text)
    kept = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-2"})
    assert "EXC-2 kept by Megan Bowen" in flat(str(kept))
    _, events = await stored(app_database_url, "EXC-1")
    assert [e.action for e in events][-2:] == ["request.review_due", "request.review_kept"]

    clock.advance(days=30)  # the next review; nobody answers it
    await bot_process.settle()
    assert "Review" in connector.sent_to(MEGAN.personal_conversation)[-1].card_text
    clock.advance(days=1, minutes=1)
    await bot_process.settle()
    assert "Reminder: EXC-3" in (connector.sent_to(MEGAN.personal_conversation)[-1]
                                 .body.get("summary") or "")
    clock.advance(days=2)  # the review's deadline: the backup gets it
    await bot_process.settle()
    adele = connector.sent_to(ADELE.personal_conversation)[-1]
    assert "Review: keep or revoke" in adele.card_text and "decision.reject" in verbs(
        adele.cards[0])

    await teams.click(ADELE, "decision.reject", {"requestId": "EXC-3",
                                                 "comment": "the vendor is gone"})
    original, events = await stored(app_database_url, "EXC-1")
    assert original.state is State.REVOKED
    assert events[-1].action == "request.revoked"
    assert events[-1].detail["reason"] == "revoked at review EXC-3: the vendor is gone"
    assert any("Adele Vance revoked exception EXC-1" in t for t in texts(connector, ALEX))
    clock.advance(days=60)
    await bot_process.settle()
    nothing, _ = await stored(app_database_url, "EXC-4")
    assert nothing is None, "a revoked exception is not reviewed again"


async def test_an_exception_that_lapses_closes_its_undecided_renewal(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    clock.current = clock.current.replace(month=12, day=10)
    await teams.say(ALEX, "renew EXC-1 until 2026-12-20")
    clock.current = clock.current.replace(day=11, hour=0, minute=0)
    await bot_process.settle()
    renewal, events = await stored(app_database_url, "EXC-2")
    assert renewal.state is State.EXPIRED and events[-1].detail["because"] == "EXC-1"
    assert "EXC-2 is closed undecided: EXC-1 is lapsed" in last_text(connector, ALEX)
    late = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-2"})
    assert "already expired" in str(late)
    await teams.say(ALEX, "renew EXC-1")
    assert "EXC-1 is lapsed: only an exception in force can be renewed" in last_text(
        connector, ALEX)
