"""Rollbacks, questions and answers, routing and refusals, through the real HTTP endpoint."""

from __future__ import annotations

from approvals.model import State
from tests.e2e.conftest import find_data, stored, verbs
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, GROUP_CHAT, ISAIAH, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import FORM, submit_exception

ROLLBACK = {"asset_name": "aks-platform-prod", "change_ref": "CHG-4411",
            "rollback_of": "Ingress controller 1.12 upgrade", "title": "Roll back ingress",
            "justification": "5xx rate at 4% since the upgrade", "emergency": "false"}


async def test_rollback_from_text_to_rejection_to_status(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    assert await teams.say(ALEX, "request rollback for aks-prod") == 201
    form = connector.sent_to(ALEX.personal_conversation)[-1]
    assert "CHG" in form.card_text or "change" in form.card_text.lower()
    data = {**find_data(form.cards[0], "request.submit"), **ROLLBACK}
    confirmation = await teams.click(ALEX, "request.submit", data)
    assert "RBK-1" in str(confirmation) and "Isaiah Langer" in str(confirmation)
    # Isaiah never wrote to the bot: a 1:1 chat is created for him in the tenant.
    created = connector.created()[-1]
    assert created.body["members"][0]["id"] == ISAIAH.aad
    assert created.body["channelData"]["tenant"]["id"]
    owner_card = [c for c in connector.calls if c.conversation_id.startswith("a:created")][-1]
    assert "RBK-1" in owner_card.card_text

    decided = await teams.click(ISAIAH, "decision.reject", {"requestId": "RBK-1",
                                                             "comment": "fix forward instead"})
    assert "rejected" in str(decided).lower()
    await teams.say(ALEX, "status rbk-1")
    status = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "rejected" in status.lower() and "Isaiah Langer" in status
    assert "fix forward instead" in status


async def test_ask_for_info_goes_to_the_requester_and_back(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    asked = await teams.click(MEGAN, "decision.need_info",
                              {"requestId": "EXC-1", "comment": "Which IP ranges?"})
    assert "EXC-1" in str(asked)
    question = connector.sent_to(ALEX.personal_conversation)[-1]
    assert "Which IP ranges?" in question.card_text
    assert "info.answer" in verbs(question.cards[0])

    other = await teams.click(ISAIAH, "info.answer", {"requestId": "EXC-1", "answer": "all"})
    assert "Alex Wilber" in str(other)
    answered = await teams.click(ALEX, "info.answer",
                                 {"requestId": "EXC-1", "answer": "10.0.0.0/24 only"})
    assert "EXC-1" in str(answered)
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.state is State.PENDING
    assert [n.text for n in request.notes] == ["Which IP ranges?", "10.0.0.0/24 only"]
    updated = [c for c in connector.updates()
               if c.conversation_id == MEGAN.personal_conversation][-1]
    assert "10.0.0.0/24 only" in updated.card_text
    assert "decision.approve" in verbs(updated.cards[0])

    decided = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "approved" in str(decided).lower()


async def test_owner_who_requests_is_routed_to_the_backup(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    assert await teams.say(MEGAN, "request exception for payments-api") == 201
    form = connector.sent_to(MEGAN.personal_conversation)[-1]
    data = {**find_data(form.cards[0], "request.submit"), **FORM}
    confirmation = await teams.click(MEGAN, "request.submit", data)
    assert "Adele Vance" in str(confirmation)
    self_click = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "cannot decide" in str(self_click)


async def test_requester_who_is_the_only_decider_is_refused_with_the_reason(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "request exception for sub-sandbox")
    form = connector.sent_to(ALEX.personal_conversation)[-1]
    data = {**find_data(form.cards[0], "request.submit"), **FORM, "asset_name": "sub-sandbox"}
    refused = await teams.click(ALEX, "request.submit", data)
    assert "no decider other than you" in str(refused)
    assert "EXC-1" not in str(refused)


async def test_outsider_click_changes_nothing_and_is_audited(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await submit_exception(teams, connector)
    refused = await teams.click(ISAIAH, "decision.reject", {"requestId": "EXC-1"})
    assert "Only Megan Bowen or Adele Vance can decide EXC-1" in str(refused)
    request, events = await stored(app_database_url, "EXC-1")
    assert request.state is State.PENDING and request.version == 1
    assert [(e.action, e.outcome, e.actor_name) for e in events][-1] == (
        "decision.reject", "refused", "Isaiah Langer")


async def test_unreachable_owner_leaves_the_request_pending_and_says_so(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    connector.refuse_members.add(MEGAN.aad)
    confirmation = await submit_exception(teams, connector)
    assert "EXC-1" in str(confirmation) and "Megan Bowen" in str(confirmation)
    told = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "EXC-1 could not be delivered" in told and "It did not reach Megan Bowen" in told
    assert "my approvals" in told
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.state is State.PENDING


async def test_throttled_owner_delivery_is_retried_when_teams_says_not_lost(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str, clock, bot_process
) -> None:
    await teams.say(MEGAN, "hi")
    connector.fail(429, times=2, retry_after="30",
                   match=lambda call: call.conversation_id == MEGAN.personal_conversation)
    confirmation = await submit_exception(teams, connector)
    assert "EXC-1" in str(confirmation)
    assert len(connector.sent_to(MEGAN.personal_conversation)) == 2  # "hi" answer, one 429
    clock.advance(seconds=29)
    await bot_process.settle()
    assert len(connector.sent_to(MEGAN.personal_conversation)) == 2, "Retry-After is honoured"
    for _ in range(2):
        clock.advance(seconds=31)
        await bot_process.settle()
    cards = [c for c in connector.sent_to(MEGAN.personal_conversation)
             if c.cards and "decision.approve" in verbs(c.cards[0])]
    assert len(cards) == 3  # two refused, then one delivered: exactly one card reached Megan
    request, _ = await stored(app_database_url, "EXC-1")
    assert request.state is State.PENDING


async def test_unknown_asset_gets_the_closest_names(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "who owns payments-gateway")
    reply = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "payments-gateway" in reply and "payments-api" in reply
    await teams.say(ALEX, "who owns paymnets-api")
    reply = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "Megan Bowen" in reply and "high" in reply


async def test_my_requests_and_my_approvals(teams: TeamsClient, connector: FakeConnector) -> None:
    await submit_exception(teams, connector)
    await teams.say(ALEX, "my requests")
    assert "EXC-1" in connector.sent_to(ALEX.personal_conversation)[-1].card_text
    await teams.say(ADELE, "my approvals")
    assert "EXC-1" in connector.sent_to(ADELE.personal_conversation)[-1].card_text
    await teams.say(ISAIAH, "my approvals")
    assert "EXC-1" not in connector.sent_to(ISAIAH.personal_conversation)[-1].card_text


async def test_free_text_gets_help_never_silence(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    for text in ("hello", "what can you do", "status", "who owns"):
        await teams.say(ALEX, text)
        assert connector.sent_to(ALEX.personal_conversation), text
    replies = [c.card_text for c in connector.sent_to(ALEX.personal_conversation)]
    assert "who owns" in replies[0] and "status" in replies[0]
    assert len(replies) == 4


async def test_installing_the_app_stores_the_owner_reference_and_welcomes_once(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    install = teams.activity(MEGAN, "installationUpdate", action="add")
    added = teams.activity(MEGAN, "conversationUpdate", membersAdded=[
        {"id": "28:signoff-bot", "name": "Signoff"}])
    for activity in (install, added):
        async with await teams.post(activity) as response:
            assert response.status in (200, 201)
    welcome = connector.sent_to(MEGAN.personal_conversation)
    assert len(welcome) == 1 and "Signoff" in welcome[0].card_text
    await submit_exception(teams, connector)
    assert connector.created() == []  # Megan is reached in the chat where she installed it
    assert "EXC-1" in connector.sent_to(MEGAN.personal_conversation)[-1].card_text


async def test_backup_decides_from_my_approvals_and_an_empty_question_keeps_the_buttons(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await submit_exception(teams, connector)
    await teams.say(ADELE, "my approvals")
    listing = connector.sent_to(ADELE.personal_conversation)[-1]
    opened = await teams.click(ADELE, "request.refresh",
                               find_data(listing.cards[0], "request.refresh"))
    assert "decision.approve" in verbs(opened["value"])
    empty = await teams.click(ADELE, "decision.need_info", {"requestId": "EXC-1", "comment": ""})
    assert "write your question" in str(empty) and "decision.approve" in verbs(empty["value"])
    decided = await teams.click(ADELE, "decision.approve", {"requestId": "EXC-1"})
    assert "approved by Adele Vance" in str(decided).replace("\\n", " ") or "Adele Vance" in str(
        decided)
    await teams.click(ALEX, "request.refresh", {"requestId": "EXC-1"})


async def test_a_request_in_a_group_chat_reaches_an_owner_through_the_roster(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    connector.rosters[GROUP_CHAT] = [
        {"id": u.user_id, "name": u.name, "aadObjectId": u.aad} for u in (ALEX, ISAIAH, ADELE)]
    await teams.say(ALEX, "request rollback for aks-platform-prod", conversation=GROUP_CHAT)
    form = connector.sent_to(GROUP_CHAT)[-1]
    data = {**find_data(form.cards[0], "request.submit"), **ROLLBACK}
    confirmation = await teams.click(ALEX, "request.submit", data, conversation=GROUP_CHAT)
    assert "RBK-1" in str(confirmation)
    assert connector.created()[-1].body["members"][0]["id"] == ISAIAH.user_id


async def test_installing_in_a_group_chat_learns_the_members_teams_ids(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    connector.rosters[GROUP_CHAT] = [
        {"id": u.user_id, "name": u.name, "aadObjectId": u.aad} for u in (ALEX, MEGAN)]
    added = teams.activity(ALEX, "conversationUpdate", GROUP_CHAT,
                           membersAdded=[{"id": "28:signoff-bot", "name": "Signoff"}])
    async with await teams.post(added) as response:
        assert response.status in (200, 201)
    await submit_exception(teams, connector)  # from Alex's personal chat
    assert connector.created()[-1].body["members"][0]["id"] == MEGAN.user_id


async def test_the_requester_withdraws_and_the_owner_is_told_and_her_card_updated(
    teams: TeamsClient, connector: FakeConnector, app_database_url: str
) -> None:
    await teams.say(MEGAN, "hi")
    await submit_exception(teams, connector)
    await teams.say(ISAIAH, "withdraw EXC-1")
    assert "only Alex Wilber" in connector.sent_to(ISAIAH.personal_conversation)[-1].card_text
    await teams.say(ALEX, "withdraw exc-1")
    assert "withdrawn" in connector.sent_to(ALEX.personal_conversation)[-1].card_text.lower()
    told = connector.sent_to(MEGAN.personal_conversation)[-1]
    assert "Alex Wilber withdrew EXC-1" in (told.body.get("text") or "")
    megans_card = [c for c in connector.updates()
                   if c.conversation_id == MEGAN.personal_conversation][-1]
    assert "withdrawn" in megans_card.card_text.lower()
    assert verbs(megans_card.cards[0]) == []
    late = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "withdrawn" in str(late).lower()
    request, events = await stored(app_database_url, "EXC-1")
    assert request.state is State.WITHDRAWN
    assert ("request.withdrawn", "ok") in [(e.action, e.outcome) for e in events]
    await teams.say(ALEX, "withdraw EXC-1")
    assert "no longer be withdrawn" in connector.sent_to(ALEX.personal_conversation)[-1].card_text


async def test_what_does_a_person_own(teams: TeamsClient, connector: FakeConnector) -> None:
    await teams.say(ALEX, "what does Megan own?")
    text = connector.sent_to(ALEX.personal_conversation)[-1].card_text
    assert "What Megan Bowen owns" in text
    assert "payments-api" in text and "kv-payments-prod" in text  # owner
    assert "rg-payments-prod" in text  # backup
    await teams.say(ALEX, "what does nobody own")
    assert "no person named" in connector.sent_to(ALEX.personal_conversation)[-1].card_text


async def test_what_a_requester_typed_is_echoed_in_the_asset_prompt_as_text_never_a_link(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "request exception for [payments](https://evil.example/x)")
    prompt = connector.sent_to(ALEX.personal_conversation)[-1]
    text = prompt.body.get("text") or ""
    assert text.startswith("No asset named")
    assert prompt.body.get("textFormat") == "plain"  # shown as typed: no link
    assert "'[payments](https://evil.example/x)'" in text
    await teams.say(ALEX, "*still* [wrong](https://evil.example/y)")  # at the prompt
    retry = connector.sent_to(ALEX.personal_conversation)[-1]
    again = retry.body.get("text") or ""
    assert again.startswith("No asset named") and retry.body.get("textFormat") == "plain"
    assert "'*still* [wrong](https://evil.example/y)'" in again


async def test_a_form_for_an_asset_found_by_a_typo_says_which_asset_it_is_for(
    teams: TeamsClient, connector: FakeConnector
) -> None:
    await teams.say(ALEX, "request exception for paymnts-api")
    form = connector.sent_to(ALEX.personal_conversation)[-1]
    assert form.body.get("text") == ("You typed 'paymnts-api': this form is for payments-api. "
                                     "Choose another asset in the form if that is not the one "
                                     "you meant.")
    assert form.body.get("textFormat") == "plain"
    assert "payments-api" in str(form.cards)
    await teams.say(ALEX, "request exception for Payments-API")  # as named, whatever the case
    exact = connector.sent_to(ALEX.personal_conversation)[-1]
    assert "request.submit" in str(exact.cards) and not exact.body.get("text")
