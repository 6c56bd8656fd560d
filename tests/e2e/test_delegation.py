"""Delegation through the real HTTP endpoint: on, the cards move and say on whose behalf; the
delegate decides for the owner; off (or its end date, by the clock), what is undecided comes
back to the owner."""

from __future__ import annotations

from approvals.model import State
from tests.e2e.conftest import BotProcess, SteppingClock, stored, verbs
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, MEGAN, TeamsClient, User
from tests.e2e.test_exception_flow import submit_exception


def flat(text: str) -> str:
    """A card's text as one line (its text runs are joined by newlines)."""
    return " ".join(text.split())


def approval_cards(connector: FakeConnector, user: User) -> list[str]:
    return [flat(c.card_text) for c in connector.sent_to(user.personal_conversation)
            if c.cards and "decision.approve" in verbs(c.cards[0])]


def last_text(connector: FakeConnector, user: User) -> str:
    return flat(connector.sent_to(user.personal_conversation)[-1].card_text)


async def test_delegation_moves_pending_and_new_requests_and_the_delegate_decides_for_the_owner(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str,
) -> None:
    for user in (MEGAN, ADELE):
        await teams.say(user, "hi")
    await submit_exception(teams, connector)  # EXC-1, to Megan
    assert approval_cards(connector, ADELE) == []

    await teams.say(MEGAN, "delegate to adele until 2026-12-24")
    reply = connector.sent_to(MEGAN.personal_conversation)[-2].card_text  # then the "moved" note
    assert "Delegation on" in reply and "Adele Vance" in reply and "EXC-1" in reply
    assert "EXC-1 went to Adele Vance, who decides for you until 2026-12-24" in last_text(
        connector, MEGAN)
    [adele_card] = approval_cards(connector, ADELE)
    assert "On behalf of: Adele Vance decides for Megan Bowen" in adele_card
    megan_copy = [u for u in connector.updates()
                  if u.conversation_id == MEGAN.personal_conversation]
    assert megan_copy, "Megan's card is updated in place"
    assert "decision.approve" not in verbs(megan_copy[-1].cards[0])
    assert "Adele Vance decides for Megan Bowen" in flat(megan_copy[-1].card_text)

    refused = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "Adele Vance" in str(refused)

    await submit_exception(teams, connector)  # EXC-2 goes straight to Adele
    assert len(approval_cards(connector, ADELE)) == 2
    assert len(approval_cards(connector, MEGAN)) == 1

    decided = await teams.click(ADELE, "decision.approve", {"requestId": "EXC-1"})
    assert "approved by Adele Vance on behalf of Megan Bowen" in flat(str(decided))
    request, events = await stored(app_database_url, "EXC-1")
    assert request.state is State.ACTIVE
    assert request.decisions[-1].decider_id == "adele"
    assert request.decisions[-1].on_behalf_id == "megan"
    decision = [e for e in events if e.action == "decision.approve"][-1]
    assert (decision.actor_name, decision.detail["on_behalf_of_name"]) == (
        "Adele Vance", "Megan Bowen")
    assert [e.action for e in events].count("request.rerouted") == 1

    await teams.say(MEGAN, "delegation off")
    assert "Delegation off" in connector.sent_to(MEGAN.personal_conversation)[-2].card_text
    assert "EXC-2 is back" in (connector.sent_to(MEGAN.personal_conversation)[-1]
                               .body.get("summary") or "")
    assert "EXC-2 went back to Megan Bowen" in last_text(connector, ADELE)
    request, events = await stored(app_database_url, "EXC-2")
    assert (request.stand_ins, request.deciders) == ((), ("megan", "adele"))
    assert events[-1].action == "request.rerouted"
    assert events[-1].detail["reason"] == "delegation ended"

    await teams.say(MEGAN, "delegation off")
    assert "no delegation running" in last_text(connector, MEGAN)


async def test_a_delegation_ends_at_its_date_and_undecided_requests_go_back(
    teams: TeamsClient, connector: FakeConnector, clock: SteppingClock, bot_process: BotProcess,
    app_database_url: str,
) -> None:
    for user in (MEGAN, ADELE):
        await teams.say(user, "hi")
    await teams.say(MEGAN, "delegate to Adele Vance until 2026-11-30")
    await submit_exception(teams, connector)
    assert len(approval_cards(connector, ADELE)) == 1
    await teams.say(MEGAN, "delegation")
    assert "Adele Vance decides for you until the end of 2026-11-30" in last_text(
        connector, MEGAN)
    await teams.say(ADELE, "delegation")
    assert "You decide on behalf of Megan Bowen" in last_text(connector, ADELE)

    clock.current = clock.current.replace(day=30, hour=23, minute=59)
    await bot_process.settle()
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.stand_ins == (("megan", "adele"),)
    clock.advance(minutes=1)  # 2026-12-01 00:00 UTC: the end of the last day
    await bot_process.settle()
    request, events = await stored(app_database_url, "EXC-1")
    assert request.stand_ins == () and "megan" in request.deciders
    assert events[-1].detail["reason"] == "delegation ended"
    assert events[-1].actor_id == "signoff"
    assert len(approval_cards(connector, MEGAN)) == 1, "Megan gets the card back"
    await teams.say(MEGAN, "delegation")
    assert "You decide your requests yourself" in last_text(connector, MEGAN)


async def test_bad_delegations_are_refused_and_change_nothing(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(MEGAN, "delegate to megan until 2026-12-01")
    assert "cannot delegate to yourself" in last_text(connector, MEGAN)
    await teams.say(MEGAN, "delegate to adele until 2026-11-01")
    assert "is in the past" in last_text(connector, MEGAN)
    await teams.say(MEGAN, "delegate to adele until 2027-06-01")
    assert "more than 90 days ahead: the latest is 2027-02-25" in last_text(connector, MEGAN)
    await teams.say(MEGAN, "delegate to nobody until 2026-12-01")
    assert "nobody" in last_text(connector, MEGAN)
    await teams.say(MEGAN, "delegate to adele until christmas")
    assert "YYYY-MM-DD" in last_text(connector, MEGAN)
    await teams.say(MEGAN, "delegation")
    assert "You decide your requests yourself" in last_text(connector, MEGAN)


async def test_a_delegate_never_decides_their_own_request(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await teams.say(MEGAN, "hi")
    await teams.say(MEGAN, "delegate to alex until 2026-12-01")
    await submit_exception(teams, connector)  # Alex asks: the card stays with Megan
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.stand_ins == () and "alex" not in request.deciders
    assert len(approval_cards(connector, MEGAN)) == 1
    refused = await teams.click(ALEX, "decision.approve", {"requestId": "EXC-1"})
    assert "You made EXC-1" in str(refused)
