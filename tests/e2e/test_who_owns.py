"""`who owns X` through the real endpoint: clear answers, a choice card, @mentions in a group."""

from __future__ import annotations

from tests.e2e.conftest import find_actions
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, GROUP_CHAT, TeamsClient

MEGAN_AAD = "00000000-0000-0000-0000-0000000000021"


async def test_a_name_several_assets_answer_to_gets_a_choice_card_then_the_owner(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "who owns kv")
    reply = connector.sent_to(ALEX.personal_conversation)[-1]
    assert "Which asset do you mean?" in reply.card_text
    picks = {a["title"]: a["data"] for a in find_actions(reply.cards[0], "asset.who_owns")}
    assert set(picks) == {"kv-payments-prod", "kv-platform-shared"}
    answer = await teams.click(ALEX, "asset.who_owns", picks["kv-payments-prod"])
    text = str(answer["value"])
    assert "Who owns it" in text and "kv-payments-prod" in text and "Megan Bowen" in text


async def test_a_pick_for_an_asset_that_is_gone_says_so(teams: TeamsClient) -> None:
    answer = await teams.click(ALEX, "asset.who_owns", {"asset_name": "no-such-thing-at-all"})
    assert "Unknown asset" in str(answer["value"])


async def test_in_a_group_chat_the_owner_and_backup_are_mentioned(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "who owns paymnts-api", conversation=GROUP_CHAT)
    card = connector.sent_to(GROUP_CHAT)[-1].cards[0]
    entities = card["msteams"]["entities"]
    assert [(e["text"], e["mentioned"]["name"]) for e in entities] == [
        ("<at>Megan Bowen</at>", "Megan Bowen"), ("<at>Adele Vance</at>", "Adele Vance")]
    assert entities[0]["mentioned"]["id"] == MEGAN_AAD
    assert "<at>Megan Bowen</at>" in str(card["body"])


async def test_in_a_personal_chat_nobody_is_mentioned(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "who owns payments-api")
    card = connector.sent_to(ALEX.personal_conversation)[-1].cards[0]
    assert "msteams" not in card and "<at>" not in str(card)
