"""An exception from text to decision to status, through the real HTTP endpoint."""

from __future__ import annotations

from tests.e2e.conftest import find_data, verbs
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, ISAIAH, MEGAN, TeamsClient

FORM = {
    "asset_name": "payments-api", "title": "Public network access for the migration",
    "justification": "The vendor migration tool needs it for two weeks.", "risk": "medium",
    "controls": "IP allow-list; alerts on access", "expires_on": "2026-12-11",
}


async def submit_exception(teams: TeamsClient, connector: FakeConnector) -> dict:
    assert await teams.say(ALEX, "request exception for payments-api") == 201
    form_call = connector.sent_to(ALEX.personal_conversation)[-1]
    assert "request.submit" in verbs(form_call.cards[0])
    data = {**find_data(form_call.cards[0], "request.submit"), **FORM}
    return await teams.click(ALEX, "request.submit", data,
                             reply_to_id=form_call.body.get("id") or "form")


async def test_exception_from_text_to_decision_to_status(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(MEGAN, "hi")  # Megan has talked to the bot: her personal chat is known
    confirmation = await submit_exception(teams, connector)
    text = str(confirmation)
    assert "EXC-1" in text and "Megan Bowen" in text and "pending" in text

    owner_card = connector.sent_to(MEGAN.personal_conversation)[-1]
    assert "EXC-1" in owner_card.card_text
    assert {"decision.approve", "decision.reject", "decision.need_info"} <= set(
        verbs(owner_card.cards[0]))

    refused = await teams.click(ISAIAH, "decision.approve", {"requestId": "EXC-1"})
    assert "Megan Bowen" in str(refused) and "Adele Vance" in str(refused)

    decided = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1",
                                                            "comment": "fine for two weeks"})
    assert "approved" in str(decided).lower() and "Megan Bowen" in str(decided)
    assert verbs(decided["value"]) == []
    assert any(u.activity_id == owner_card.body.get("id") or u.method == "PUT"
               for u in connector.updates())
    outcome = connector.sent_to(ALEX.personal_conversation)[-1]
    assert "approved" in outcome.card_text.lower() and "EXC-1" in outcome.card_text

    again = await teams.click(ADELE, "decision.reject", {"requestId": "EXC-1"})
    assert "already approved by Megan Bowen" in str(again)

    await teams.say(ALEX, "status EXC-1")
    status = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "approved" in status.lower() and "Megan Bowen" in status and "Alex Wilber" in status
