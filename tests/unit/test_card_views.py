"""Which view each person gets of a request's card, and the refresh that asks for it again.

The view is chosen by the same rule a click is checked against, for every state a request
goes through and every person around it: deciders (owner, backup, team, the next in a
sequence), the requester, outsiders, and shared chats.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from approvals import services
from approvals.model import Outcome, Request, RequestDraft, RequestKind, Risk, State
from approvals.policies import DEFAULT_POLICY, Policy
from approvals.policy_file import build_policy
from cards import views
from cards.actions import RefreshAction, parse_action
from cards.refresh import MAX_REFRESH_USERS, RefreshableCard, refresh_for
from cards.render import card_to_dict, validate
from cards.views import Copy, View

from .fakes import SOURCE, T0, FakeClock, FakeUnitOfWork, actor, policy_catalog

CATALOG = policy_catalog()
OWNER_AND_SECURITY = build_policy(
    {"tiers": {"critical": {"exception": {"deciders": {"all": ["owner", "team:security-team"]}}}}},
    CATALOG)
OWNER_THEN_SECURITY = build_policy(
    {"tiers": {"critical": {"exception": {"deciders": {
        "sequence": ["owner", "team:security-team"]}}}}}, CATALOG)
EVERYONE = ("alex", "megan", "adele", "lynne", "isaiah", "aad:11111111-2222-3333-4444-555555555555")


async def submitted(policy: Policy = DEFAULT_POLICY, asset: str = "payments-api"
                    ) -> tuple[FakeUnitOfWork, FakeClock, Request]:
    uow, clock = FakeUnitOfWork(), FakeClock()
    draft = RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name=asset, title="Open the firewall",
        justification="Vendor migration", risk=Risk.HIGH, controls="IP allow-list",
        expires_on=T0.date() + timedelta(days=14))
    request = await services.submit_request(uow, CATALOG, clock, draft, actor("alex"), SOURCE,
                                            policy)
    return uow, clock, request


async def decide(uow: FakeUnitOfWork, clock: FakeClock, by: str, outcome: Outcome,
                 policy: Policy = DEFAULT_POLICY, comment: str = "") -> Request:
    clock.advance(minutes=5)
    return await services.record_decision(uow, CATALOG, clock, "EXC-1", outcome, comment,
                                          actor(by), SOURCE, policy)


def seen(request: Request, copy: Copy | None = None) -> dict[str, View]:
    return {p: views.view_for(CATALOG, request, p, copy) for p in EVERYONE}


def buttons(card: dict[str, Any]) -> list[str]:
    return [a.get("verb", "") for a in card.get("actions") or []]


# --- who sees what -----------------------------------------------------------------------------


async def test_any_of_pending_every_decider_gets_buttons_and_the_rest_the_status() -> None:
    _, _, request = await submitted()
    assert request.deciders == ("megan", "adele")
    assert seen(request) == {
        "alex": View.STATUS, "megan": View.DECIDE, "adele": View.DECIDE,
        "lynne": View.STATUS, "isaiah": View.STATUS, EVERYONE[-1]: View.STATUS}
    assert views.deciders_now(CATALOG, request) == ("megan", "adele")


async def test_a_question_keeps_the_deciders_buttons_and_gives_the_requester_the_answer_box(
) -> None:
    uow, clock, _ = await submitted()
    asked = await decide(uow, clock, "megan", Outcome.NEED_INFO, comment="Which ranges?")
    assert asked.state is State.INFO_REQUESTED
    assert seen(asked)["megan"] is View.DECIDE and seen(asked)["adele"] is View.DECIDE
    assert seen(asked)["alex"] is View.STATUS, "the confirmation shows the status"
    assert seen(asked, Copy.QUESTION)["alex"] is View.ANSWER, "the question card keeps its box"
    assert seen(asked, Copy.QUESTION)["lynne"] is View.STATUS

    answered = await services.answer_info(uow, CATALOG, clock, "EXC-1", "These four",
                                          actor("alex"), SOURCE, DEFAULT_POLICY)
    assert seen(answered, Copy.QUESTION)["alex"] is View.STATUS, "answered: the box goes"


@pytest.mark.parametrize("outcome", [Outcome.APPROVE, Outcome.REJECT])
async def test_once_decided_everyone_gets_the_final_view(outcome: Outcome) -> None:
    uow, clock, _ = await submitted()
    decided = await decide(uow, clock, "adele", outcome)
    assert set(seen(decided).values()) == {View.FINAL}
    assert set(seen(decided, Copy.QUESTION).values()) == {View.FINAL}
    assert views.deciders_now(CATALOG, decided) == ()


async def test_withdrawn_everyone_gets_the_final_view_with_the_reason() -> None:
    uow, clock, _ = await submitted()
    withdrawn = await services.withdraw_request(uow, CATALOG, clock, "EXC-1", actor("alex"),
                                                SOURCE)
    assert set(seen(withdrawn).values()) == {View.FINAL}
    card = card_to_dict(views.view_card(CATALOG, withdrawn, View.FINAL))
    assert "EXC-1 was withdrawn by Alex Wilber" in json.dumps(card)
    assert "refresh" not in card and buttons(card) == []


async def test_all_of_one_step_each_the_approver_loses_the_buttons() -> None:
    uow, clock, request = await submitted(OWNER_AND_SECURITY, "kv-payments")
    assert {p for p, v in seen(request).items() if v is View.DECIDE} == {
        "megan", "lynne", "isaiah"}
    partly = await decide(uow, clock, "isaiah", Outcome.APPROVE, OWNER_AND_SECURITY)
    assert partly.state is State.PENDING
    decide_now = {p for p, v in seen(partly).items() if v is View.DECIDE}
    assert decide_now == {"megan"}, "isaiah filled his step; lynne's step is filled"


async def test_sequence_only_whose_turn_it_is_gets_the_buttons() -> None:
    uow, clock, request = await submitted(OWNER_THEN_SECURITY, "kv-payments")
    assert {p for p, v in seen(request).items() if v is View.DECIDE} == {"megan"}
    step = await decide(uow, clock, "megan", Outcome.APPROVE, OWNER_THEN_SECURITY)
    assert {p for p, v in seen(step).items() if v is View.DECIDE} == {"lynne", "isaiah"}


async def test_a_shared_chat_shows_the_status_even_to_a_decider() -> None:
    _, _, request = await submitted()
    assert views.view_for(CATALOG, request, None, Copy.GROUP) is View.STATUS
    assert views.view_for(CATALOG, request, None, Copy.CHANNEL) is View.STATUS


# --- the refresh -------------------------------------------------------------------------------


async def test_an_open_request_card_asks_teams_to_refresh_it_for_its_deciders() -> None:
    _, _, request = await submitted()
    card = card_to_dict(views.view_card(CATALOG, request, View.STATUS, ["29:megan", "29:adele"]))
    assert card["refresh"] == {
        "action": {"type": "Action.Execute", "title": "Refresh", "verb": "request.refresh",
                   "data": {"requestId": "EXC-1"}, "mode": "primary"},
        "userIds": ["29:megan", "29:adele"],
    }
    assert validate(card) == []
    assert parse_action(card["refresh"]["action"]) == RefreshAction("EXC-1")
    assert buttons(card) == [], "the base card a non-decider sees has no buttons"
    decider = card_to_dict(views.view_card(CATALOG, request, View.DECIDE, ["29:megan"]))
    assert buttons(decider) == ["decision.approve", "decision.reject", "decision.need_info"]
    assert decider["refresh"]["userIds"] == ["29:megan"] and validate(decider) == []


def test_refresh_names_at_most_60_people_each_once_and_nobody_means_no_refresh() -> None:
    ids = [f"29:user-{n}" for n in range(75)]
    block = refresh_for("EXC-1", ["29:user-0", *ids])
    assert block is not None and block.user_ids == ids[:MAX_REFRESH_USERS]
    assert refresh_for("EXC-1", []) is None
    assert refresh_for("EXC-1", [""]) is None


def test_a_refresh_with_a_string_action_is_refused_by_the_schema_check() -> None:
    """The typed model is needed: the library's own Refresh takes any string as the action,
    which the card schema refuses."""
    card = card_to_dict(RefreshableCard(version="1.5", body=[]))
    broken = {**card, "body": [{"type": "TextBlock", "text": "x"}],
              "refresh": {"action": "request.refresh", "userIds": ["29:megan"]}}
    assert validate(broken) != []


async def test_overdue_channel_post_reads_as_an_alarm_until_decided() -> None:
    uow, clock, request = await submitted()
    posted = json.dumps(card_to_dict(views.overdue_card(CATALOG, request, ["29:megan"])))
    assert "EXC-1 is overdue" in posted and "Request status" not in posted
    decided = await decide(uow, clock, "megan", Outcome.APPROVE)
    final = json.dumps(card_to_dict(views.overdue_card(CATALOG, decided)))
    assert "overdue" not in final and "approved by Megan Bowen" in final
