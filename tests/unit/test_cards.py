"""Cards: every example is a valid Teams card (schema 1.5, size), shows its request id, carries the
right buttons, and shows user text literally; card action payloads parse into typed values."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from approvals.catalog import Catalog, build_catalog
from approvals.errors import (
    AlreadyDecided,
    InvalidRequest,
    NotADecider,
    UnknownAsset,
    UnknownRequest,
)
from approvals.model import Decision, Note, Outcome, Request, RequestKind, Risk, State
from approvals.policies import DEFAULT_POLICY, MAX_TEXT, validate_draft
from approvals.policy_file import build_policy
from approvals.services import Ownership
from cards import catalog_of_examples as ex
from cards import verbs
from cards.actions import (
    AnswerAction,
    DecisionAction,
    InvalidAction,
    RefreshAction,
    SubmitRequestAction,
    draft_from_form,
    parse_action,
)
from cards.decision import approval_card, decided_card
from cards.forms import MAX_ASSET_CHOICES, exception_form, request_form, rollback_form
from cards.messages import card_for_error, error_card
from cards.queries import my_approvals_card, my_requests_card, status_card, who_owns_card
from cards.render import MAX_CARD_BYTES, card_size, card_to_dict, validate
from cards.requester import answer_sent_card, confirmation_card, info_question_card
from cards.text import escape_markdown, format_time, shorten, wire_size
from catalog.loader import load_catalog

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 27)

# The request id each example must show; None for cards that are about no request.
EXPECTED_IDS: dict[str, str | None] = {
    "exception_form": None, "exception_form_errors": None, "rollback_form": None,
    "rollback_form_errors": None, "confirmation": "EXC-1", "confirmation_undelivered": "RBK-1",
    "approval_exception": "EXC-1", "approval_rollback": "RBK-1",
    "confirmation_owner_away": "EXC-1", "approval_owner_away": "EXC-1",
    "approval_after_answer": "EXC-1", "approval_waiting_for_answer": "EXC-1",
    "decided_approved": "EXC-1", "decided_rejected": "EXC-1",
    "decided_info_requested": "EXC-1", "info_question": "EXC-1", "answer_sent": "EXC-1",
    "status": "EXC-1", "who_owns": "EXC-1", "my_requests": "EXC-1", "my_requests_empty": None,
    "my_approvals": "RBK-1", "help": None, "what_megan_owns": None, "not_a_decider": "EXC-1",
    "self_decision": "EXC-1",
    "already_decided": "EXC-1", "unknown_asset": None, "unknown_request": "EXC-99",
    "invalid_request": None, "error": None, "who_owns_in_channel": "EXC-1", "asset_choice": None,
    "status_active": "EXC-1", "approval_on_behalf": "EXC-2", "decided_on_behalf": "EXC-2",
    "status_on_behalf": "EXC-2", "approval_renewal": "EXC-3", "approval_review": "EXC-4",
    "decided_review_kept": "EXC-4", "renewal_asked": "EXC-3", "renewal_cap_reached": "EXC-1",
    "delegation_on": "EXC-2", "delegation_off": "EXC-2", "delegation_status": None,
    "delegation_status_none": None,
    # views of a request's card (cards.views)
    "view_status_for_others": "EXC-1", "view_decide_refreshed": "EXC-1",
    "view_final_withdrawn": "EXC-1", "view_final_revoked": "EXC-1",
    "view_final_lapsed": "EXC-1", "channel_overdue": "EXC-1",
    "moved_by_catalog": "EXC-1",
}
HOSTILE = "[x](https://evil.example/phish) **bold** <b>tag</b> _i_ `code` # h | ~s~ \\"
MENTION = re.compile(r"<at>[^<>]+</at>")
MARKDOWN_ACTIVE = re.compile(r"[\[\]<>*_`~#|\\]")


# --- helpers ---------------------------------------------------------------------------------


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in a card, depth first (action data excluded: it is not shown)."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key != "data":
                yield from nodes(value)
    elif isinstance(node, list):
        for item in node:
            yield from nodes(item)


def markdown_texts(card: dict[str, Any]) -> list[str]:
    """Text Teams parses as Markdown: TextBlock text and Fact titles and values."""
    found: list[str] = []
    for n in nodes(card):
        if n.get("type") == "TextBlock":
            found.append(n["text"])
        if n.get("type") == "FactSet":
            found += [part for fact in n["facts"] for part in (fact["title"], fact["value"])]
    return found


def literal_texts(card: dict[str, Any]) -> list[str]:
    """Text Teams shows as typed: each RichTextBlock's runs, joined into its paragraph."""
    return [
        "".join(inline["text"] if isinstance(inline, dict) else inline for inline in n["inlines"])
        for n in nodes(card) if n.get("type") == "RichTextBlock"
    ]


def visible(card: dict[str, Any]) -> str:
    return "\n".join(markdown_texts(card) + literal_texts(card))


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in nodes(card) if str(n.get("type", "")).startswith("Action.")]


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in nodes(card) if str(n.get("type", "")).startswith("Input.")}


def body_after(card: dict[str, Any], input_id: str) -> dict[str, Any]:
    body = card["body"]
    index = next(i for i, item in enumerate(body) if item.get("id") == input_id)
    return body[index + 1]


def assert_valid(card: dict[str, Any]) -> None:
    assert validate(card) == []
    assert card["version"] == "1.5"
    assert card_size(card) < MAX_CARD_BYTES
    assert len(json.dumps(card).encode()) < 40 * 1024


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def examples(catalog: Catalog) -> dict[str, dict[str, Any]]:
    return ex.example_cards(catalog)


# --- every example ---------------------------------------------------------------------------


def test_every_example_is_classified(examples: dict[str, dict[str, Any]]) -> None:
    assert set(examples) == set(EXPECTED_IDS)


@pytest.mark.parametrize("name", sorted(EXPECTED_IDS))
def test_example_is_a_valid_teams_card_under_40_kb(
    examples: dict[str, dict[str, Any]], name: str
) -> None:
    assert_valid(examples[name])


@pytest.mark.parametrize("name", sorted(EXPECTED_IDS))
def test_example_shows_its_request_id(examples: dict[str, dict[str, Any]], name: str) -> None:
    expected = EXPECTED_IDS[name]
    if expected is not None:
        assert expected in visible(examples[name])


@pytest.mark.parametrize("name", sorted(EXPECTED_IDS))
def test_example_markdown_text_is_fixed_and_inert(
    examples: dict[str, dict[str, Any]], name: str
) -> None:
    """A TextBlock holds only our own words, and none that Markdown would turn into markup
    (a Teams mention, `<at>name</at>`, is not Markdown)."""
    for text in markdown_texts(examples[name]):
        assert not MARKDOWN_ACTIVE.search(MENTION.sub("", text)), text


def test_examples_build_from_the_built_in_demo_subset() -> None:
    cards = ex.example_cards()
    assert set(cards) == set(EXPECTED_IDS)
    for card in cards.values():
        assert validate(card) == []


def test_every_action_uses_a_known_verb(examples: dict[str, dict[str, Any]]) -> None:
    for card in examples.values():
        for action in actions(card):
            assert action["type"] == "Action.Execute"
            assert action["verb"] in verbs.ALL_VERBS


def test_verbs_are_namespaced_and_distinct() -> None:
    assert verbs.ALL_VERBS == {
        "request.submit", "decision.approve", "decision.reject", "decision.need_info",
        "info.answer", "request.refresh", "asset.who_owns",
    }


# --- decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "request_id"),
    [("approval_exception", "EXC-1"), ("approval_rollback", "RBK-1"),
     ("approval_after_answer", "EXC-1"), ("approval_waiting_for_answer", "EXC-1")],
)
def test_approval_card_has_the_three_decision_buttons(
    examples: dict[str, dict[str, Any]], name: str, request_id: str
) -> None:
    card = examples[name]
    assert [(a["title"], a["verb"], a["data"]) for a in actions(card)] == [
        ("Approve", "decision.approve", {"requestId": request_id}),
        ("Reject", "decision.reject", {"requestId": request_id}),
        ("Ask for info", "decision.need_info", {"requestId": request_id}),
    ]
    assert list(inputs(card)) == ["comment"]
    assert inputs(card)["comment"]["type"] == "Input.Text"


def test_approval_card_shows_every_fact(examples: dict[str, dict[str, Any]]) -> None:
    text = visible(examples["approval_exception"])
    for expected in ("EXC-1", "Policy exception", "payments-api", "Tier: high", "Alex Wilber",
                     ex.EXCEPTION.title, ex.EXCEPTION.justification, "Risk: high",
                     ex.EXCEPTION.controls, "Expires on: 2026-12-11"):
        assert expected in text
    rollback = visible(examples["approval_rollback"])
    for expected in ("RBK-1", "Rollback", "CHG0012345", "Emergency: yes", ex.ROLLBACK.rollback_of,
                     "Emergency rollback"):
        assert expected in rollback


def test_approval_card_shows_the_questions_and_answers(
    examples: dict[str, dict[str, Any]]
) -> None:
    text = visible(examples["approval_after_answer"])
    assert ex.QUESTION.text in text and ex.ANSWER.text in text
    assert "Megan Bowen asked at 2026-11-27 09:48 UTC" in text
    assert "Waiting for" not in text
    waiting = visible(examples["approval_waiting_for_answer"])
    assert "Waiting for Alex Wilber to answer; you can still decide." in waiting


@pytest.mark.parametrize("name", ["decided_approved", "decided_rejected", "decided_info_requested"])
def test_decided_card_has_no_actions_and_no_inputs(
    examples: dict[str, dict[str, Any]], name: str
) -> None:
    card = examples[name]
    assert "actions" not in card
    assert actions(card) == [] and inputs(card) == {}


def test_decided_card_says_outcome_decider_time_and_comment(
    examples: dict[str, dict[str, Any]]
) -> None:
    approved = literal_texts(examples["decided_approved"])
    assert approved[0] == "EXC-1 approved by Megan Bowen at 2026-11-27 10:02 UTC"
    assert "Fine for two weeks." in approved
    rejected = literal_texts(examples["decided_rejected"])
    assert rejected[0] == "EXC-1 rejected by Megan Bowen at 2026-11-27 10:02 UTC"
    asked = literal_texts(examples["decided_info_requested"])
    assert asked[0] == (
        "Megan Bowen asked for info on EXC-1 at 2026-11-27 09:48 UTC; waiting for Alex Wilber"
    )


# --- forms -----------------------------------------------------------------------------------


def test_exception_form_inputs_and_submit(catalog: Catalog) -> None:
    card = card_to_dict(exception_form(catalog, TODAY, asset_name="payments"))  # an alias
    assert_valid(card)
    fields = inputs(card)
    assert list(fields) == ["asset_name", "title", "justification", "risk", "controls",
                            "expires_on"]
    asset = fields["asset_name"]
    assert asset["type"] == "Input.ChoiceSet" and asset["style"] == "compact"
    assert [c["value"] for c in asset["choices"]] == sorted(catalog.assets)
    assert asset["value"] == "payments-api"
    assert fields["justification"]["isMultiline"] and fields["controls"]["isMultiline"]
    assert [c["value"] for c in fields["risk"]["choices"]] == ["low", "medium", "high"]
    assert fields["expires_on"]["type"] == "Input.Date"
    assert fields["expires_on"]["max"] == "2027-02-25"  # 90 days for tier high
    assert "At most 90 days for a tier high asset: on or before 2027-02-25." in visible(card)
    assert [(a["title"], a["verb"], a["data"]) for a in actions(card)] == [
        ("Submit", "request.submit", {"kind": "exception"})
    ]


def test_exception_form_hint_for_a_critical_asset_and_for_no_asset(catalog: Catalog) -> None:
    critical = card_to_dict(exception_form(catalog, TODAY, asset_name="kv-payments-prod"))
    assert inputs(critical)["expires_on"]["max"] == "2026-12-27"
    assert "At most 30 days for a tier critical asset" in visible(critical)
    open_choice = card_to_dict(exception_form(catalog, TODAY))
    assert "value" not in inputs(open_choice)["asset_name"]
    text = visible(open_choice)
    assert "90 days (2027-02-25)" in text and "30 days (2026-12-27) for tier critical" in text


def test_exception_form_takes_a_policy_or_its_max_days(catalog: Catalog) -> None:
    policy = build_policy({"exception": {"max_duration": "14d"},
                           "tiers": {"critical": {"exception": {"max_duration": "7d"}}}})
    for given in (policy, policy.max_days):
        card = card_to_dict(exception_form(catalog, TODAY, given, asset_name="payments-api"))
        assert inputs(card)["expires_on"]["max"] == (TODAY + timedelta(days=14)).isoformat()
        assert "At most 14 days" in visible(card)
    critical = card_to_dict(request_form(RequestKind.EXCEPTION, catalog, TODAY, policy,
                                         asset_name="kv-payments-prod"))
    assert inputs(critical)["expires_on"]["max"] == (TODAY + timedelta(days=7)).isoformat()


def test_exception_form_refills_values_and_shows_errors_in_red(catalog: Catalog) -> None:
    values = {"asset_name": "payments-api", "title": "T", "justification": HOSTILE,
              "risk": "HIGH", "controls": "c", "expires_on": "2027-01-05"}
    errors = {"justification": "a justification is required", "expires_on": "too late",
              "kind": "something the form has no field for"}
    card = card_to_dict(exception_form(catalog, TODAY, values=values, errors=errors))
    assert_valid(card)
    fields = inputs(card)
    assert fields["title"]["value"] == "T" and fields["justification"]["value"] == HOSTILE
    assert fields["risk"]["value"] == "high" and fields["expires_on"]["value"] == "2027-01-05"
    for field, message in (("justification", "a justification is required"),
                           ("expires_on", "too late")):
        after = body_after(card, field)
        assert after["type"] == "RichTextBlock"
        assert after["inlines"][0] == {"type": "TextRun", "text": message, "color": "attention"}
    assert "Please fix the fields marked in red." in visible(card)
    assert "Kind: something the form has no field for" in visible(card)


def test_exception_form_drops_refill_values_it_cannot_show(catalog: Catalog) -> None:
    values = {"asset_name": "no-such-asset", "risk": "extreme", "expires_on": "31/12/2026"}
    card = card_to_dict(exception_form(catalog, TODAY, values=values))
    assert_valid(card)
    fields = inputs(card)
    assert "value" not in fields["asset_name"]
    assert "value" not in fields["risk"] and "value" not in fields["expires_on"]


def test_rollback_form_inputs_refill_and_errors(catalog: Catalog) -> None:
    card = card_to_dict(rollback_form(
        catalog, values={"asset_name": "payments-api", "emergency": "true", "title": "x"},
        errors={"change_ref": "a change or incident reference is required"},
    ))
    assert_valid(card)
    fields = inputs(card)
    assert list(fields) == ["asset_name", "change_ref", "rollback_of", "title", "justification",
                            "emergency"]
    assert fields["rollback_of"]["isMultiline"] and fields["justification"]["isMultiline"]
    toggle = fields["emergency"]
    assert toggle["type"] == "Input.Toggle" and toggle["value"] == "true"
    assert (toggle["valueOn"], toggle["valueOff"]) == ("true", "false")
    assert body_after(card, "change_ref")["inlines"][0]["color"] == "attention"
    assert [(a["title"], a["verb"], a["data"]) for a in actions(card)] == [
        ("Submit", "request.submit", {"kind": "rollback"})
    ]


def test_request_form_picks_the_form_by_kind(catalog: Catalog) -> None:
    exception = card_to_dict(request_form(RequestKind.EXCEPTION, catalog, TODAY))
    rollback = card_to_dict(request_form(RequestKind.ROLLBACK, catalog, TODAY))
    assert "expires_on" in inputs(exception) and "emergency" in inputs(rollback)


def test_a_long_catalog_is_capped_and_still_offers_the_named_asset() -> None:
    people = [{"id": "o", "name": "Owner", "email": "o@example.com", "aad_object_id": "1"}]
    assets = [{"name": f"asset-{i:03}", "owner": "o", "kind": "k"} for i in range(250)]
    big = build_catalog({"people": people, "assets": assets})
    card = card_to_dict(exception_form(big, TODAY, asset_name="asset-249"))
    assert_valid(card)
    choices = [c["value"] for c in inputs(card)["asset_name"]["choices"]]
    assert len(choices) == MAX_ASSET_CHOICES and "asset-249" in choices


# --- requester cards -------------------------------------------------------------------------


def test_confirmation_card(examples: dict[str, dict[str, Any]]) -> None:
    text = visible(examples["confirmation"])
    for expected in ("Request: EXC-1", "Asset: payments-api", "Routed to: Megan Bowen",
                     "State: pending"):
        assert expected in text
    assert "could not be delivered" not in text
    warning = [n for n in nodes(examples["confirmation_undelivered"])
               if n.get("type") == "TextRun" and n.get("color") == "warning"]
    assert [w["text"] for w in warning] == [
        "The card could not be delivered to Megan Bowen: Teams answered 403 (the bot is not "
        "installed for her)"
    ]


def test_a_card_routed_around_an_away_owner_says_so(examples: dict[str, dict[str, Any]]
                                                     ) -> None:
    away = "Megan Bowen is away until Tue 01 Dec 2026 17:00 UTC; sent to Adele Vance"
    for name in ("confirmation_owner_away", "approval_owner_away"):
        warning = [n["text"] for n in nodes(examples[name])
                   if n.get("type") == "TextRun" and n.get("color") == "warning"]
        assert warning == [away], name
    assert "Routed to: Adele Vance" in visible(examples["confirmation_owner_away"])


def test_info_question_card(examples: dict[str, dict[str, Any]]) -> None:
    card = examples["info_question"]
    assert ex.QUESTION.text in visible(card) and "Megan Bowen" in visible(card)
    assert list(inputs(card)) == ["answer"]
    assert [(a["title"], a["verb"], a["data"]) for a in actions(card)] == [
        ("Send answer", "info.answer", {"requestId": "EXC-1"})
    ]
    assert "EXC-1 is back with Megan Bowen." in visible(examples["answer_sent"])


# --- queries ---------------------------------------------------------------------------------


def test_status_card_lists_every_decision_with_decider_and_time(
    examples: dict[str, dict[str, Any]]
) -> None:
    text = visible(examples["status"])
    assert "Megan Bowen asked for info on EXC-1 at 2026-11-27 09:48 UTC" in text
    assert "EXC-1 approved by Megan Bowen at 2026-11-27 10:02 UTC" in text
    for expected in ("State: approved", "Asset: payments-api", "Deciders: Megan Bowen and Adele "
                     "Vance", "Requester: Alex Wilber", "Created: 2026-11-27 09:40 UTC",
                     ex.ANSWER.text):
        assert expected in text
    assert "Who decides" not in text  # decided: not a question any more


def test_status_card_of_an_open_request_says_who_decides(catalog: Catalog) -> None:
    text = visible(card_to_dict(status_card(ex.EXCEPTION, catalog)))
    assert "Who decides: Megan Bowen and Adele Vance" in text


def test_who_owns_card(examples: dict[str, dict[str, Any]]) -> None:
    text = visible(examples["who_owns"])
    for expected in ("payments-api", "Owner: Megan Bowen", "Backup: Adele Vance",
                     "Team: Payments Platform", "Kind: azure-app-service", "Tier: high",
                     "Tags: pci", "EXC-1", "RBK-1", ex.ROLLBACK.title):
        assert expected in text


def test_list_cards_and_their_empty_state(examples: dict[str, dict[str, Any]]) -> None:
    mine = visible(examples["my_requests"])
    assert "EXC-1" in mine and "RBK-1" in mine and ex.EXCEPTION.title in mine
    assert "You have no open requests." in visible(examples["my_requests_empty"])
    assert "Nothing is waiting for your decision." in visible(card_to_dict(my_approvals_card([])))


def test_list_card_is_capped() -> None:
    many = [ex.EXCEPTION.evolve(id=f"EXC-{i}") for i in range(1, 60)]
    card = card_to_dict(my_requests_card(many))
    assert_valid(card)
    assert "EXC-20" in visible(card) and "EXC-21" not in visible(card)
    assert "and 39 more" in visible(card)


def test_help_card_lists_the_commands(examples: dict[str, dict[str, Any]]) -> None:
    commands = [n["text"] for n in nodes(examples["help"])
                if n.get("type") == "TextRun" and n.get("fontType") == "monospace"]
    assert commands == ["help", "who owns <asset>", "request exception [for <asset>]",
                        "request rollback [for <asset>]", "status <id>", "my requests",
                        "my approvals", "withdraw <id>", "revoke <id> <reason>",
                        "renew <id> [until <date>]", "delegate to <person> until <date>",
                        "delegation off", "delegation", "what does <person> own"]


# --- messages --------------------------------------------------------------------------------


def test_refusal_messages(examples: dict[str, dict[str, Any]]) -> None:
    assert "Only Megan Bowen or Adele Vance can decide EXC-1." in visible(
        examples["not_a_decider"])
    assert "EXC-1 was already approved by Megan Bowen at 2026-11-27 10:02 UTC." in visible(
        examples["already_decided"])
    assert "No asset named paymnts-api. Did you mean: payments-api, kv-payments-prod?" in visible(
        examples["unknown_asset"])
    assert "There is no request EXC-99." in visible(examples["unknown_request"])
    invalid = visible(examples["invalid_request"])
    assert "Title: a title is required" in invalid
    assert "Expires on: the expiry date must be in the future" in invalid
    assert "Something went wrong" in visible(examples["error"])
    assert "Reference: 7f3c2a91" in visible(examples["error"])
    for name in ("not_a_decider", "self_decision", "already_decided"):
        assert "Nothing was changed." in visible(examples[name])


def test_refusal_for_a_decision_without_a_recorded_decider() -> None:
    card = card_to_dict(card_for_error(AlreadyDecided("EXC-3", State.WITHDRAWN, None)))
    assert "EXC-3 is already withdrawn." in visible(card)
    bare = card_to_dict(card_for_error(UnknownAsset("nothing-like-it", [])))
    assert "No asset named nothing-like-it." in visible(bare)
    assert "Did you mean" not in visible(bare)


# --- Markdown injection ----------------------------------------------------------------------


def hostile_request(kind: RequestKind = RequestKind.EXCEPTION) -> Request:
    at = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)
    return ex.EXCEPTION.evolve(
        kind=kind, id="EXC-7" if kind is RequestKind.EXCEPTION else "RBK-7",
        title=HOSTILE, justification=HOSTILE, controls=HOSTILE, change_ref=HOSTILE,
        rollback_of=HOSTILE, requester_name=HOSTILE, asset_name=HOSTILE,
        state=State.APPROVED,
        decisions=(Decision(Outcome.NEED_INFO, "megan", HOSTILE, at, HOSTILE),
                   Decision(Outcome.APPROVE, "megan", HOSTILE, at, HOSTILE)),
        notes=(Note("megan", HOSTILE, HOSTILE, at, "question"),
               Note("alex", HOSTILE, HOSTILE, at, "answer")),
    )


def hostile_cards(catalog: Catalog) -> dict[str, dict[str, Any]]:
    exc, rbk = hostile_request(), hostile_request(RequestKind.ROLLBACK)
    asked = exc.evolve(state=State.INFO_REQUESTED, decisions=exc.decisions[:1])
    ownership = Ownership(asset=catalog.assets["payments-api"], owner=HOSTILE, backup=HOSTILE,
                          team=HOSTILE, open_requests=[exc, rbk])
    cards = {
        "approval": approval_card(exc, catalog), "approval_rbk": approval_card(rbk, catalog),
        "decided": decided_card(exc, catalog), "decided_asked": decided_card(asked, catalog),
        "confirmation": confirmation_card(exc, catalog, delivery_problem=HOSTILE),
        "question": info_question_card(asked), "answer_sent": answer_sent_card(exc, HOSTILE),
        "status": status_card(exc, catalog), "who_owns": who_owns_card(ownership),
        "list": my_requests_card([exc, rbk]),
        "not_a_decider": card_for_error(NotADecider("EXC-7", [HOSTILE])),
        "already": card_for_error(AlreadyDecided("EXC-7", State.APPROVED, exc.decisions[1])),
        "unknown_asset": card_for_error(UnknownAsset(HOSTILE, [HOSTILE])),
        "unknown_request": card_for_error(UnknownRequest(HOSTILE)),
        "invalid": card_for_error(InvalidRequest({"title": HOSTILE})),
        "error": error_card(HOSTILE),
        "form": exception_form(catalog, TODAY, values={"title": HOSTILE}, errors={
            "title": HOSTILE, HOSTILE: HOSTILE}),
    }
    return {name: card_to_dict(card) for name, card in cards.items()}


def test_user_text_is_shown_literally_never_as_markdown(catalog: Catalog) -> None:
    for name, card in hostile_cards(catalog).items():
        assert validate(card) == [], name
        for text in markdown_texts(card):
            assert "evil" not in text and not MARKDOWN_ACTIVE.search(text), (name, text)
        # The hostile text reaches the reader, as typed, inside a TextRun.
        assert any("[x](https://evil.example/phish)" in t for t in literal_texts(card)), name


def test_escape_markdown_escapes_every_metacharacter() -> None:
    assert escape_markdown("[x](https://evil)") == r"\[x\]\(https://evil\)"
    metacharacters = "\\`*_{}[]()#+-.!|><~"
    escaped = escape_markdown(metacharacters)
    assert escaped == "".join("\\" + ch for ch in metacharacters)
    assert re.sub(r"\\(.)", r"\1", escape_markdown(HOSTILE)) == HOSTILE
    assert escape_markdown("plain words 42") == "plain words 42"


# --- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["😀", '"', "支", "[", "a"])
def test_maximal_input_keeps_every_card_under_the_limits(catalog: Catalog, unit: str) -> None:
    """Every text at its policy maximum, many notes and decisions, in the costliest characters:
    each card still validates (the library's Teams limit is 28 KB) and stays under 40 KB."""
    long, title = unit * MAX_TEXT, unit * 200
    at = datetime(2026, 11, 27, 10, 2, tzinfo=UTC)
    base = dict(title=title, justification=long, controls=long, change_ref=long,
                rollback_of=long, requester_name=title, asset_name=title)
    notes = tuple(Note("megan", title, long, at, "question") for _ in range(30))
    decisions = tuple(Decision(Outcome.NEED_INFO, "megan", title, at, long) for _ in range(30))
    exc = ex.EXCEPTION.evolve(**base, notes=notes, decisions=decisions)
    rbk = ex.ROLLBACK.evolve(**base, notes=notes, decisions=decisions)
    final = exc.evolve(state=State.APPROVED, decisions=(
        *decisions, Decision(Outcome.APPROVE, "megan", title, at, long)))
    refill = {"title": title, "justification": long + unit, "controls": long + unit,
              "change_ref": long + unit, "rollback_of": long + unit, "asset_name": title}
    errors = {name: long for name in refill}
    cards = [
        approval_card(exc, catalog), approval_card(rbk, catalog), decided_card(final, catalog),
        status_card(final, catalog), info_question_card(exc), answer_sent_card(exc, title),
        confirmation_card(exc, catalog, delivery_problem=long),
        my_requests_card([exc, rbk] * 30), exception_form(catalog, TODAY, values=refill,
                                                          errors=errors),
        rollback_form(catalog, values=refill, errors=errors),
        card_for_error(InvalidRequest({f"f{i}": long for i in range(12)})),
    ]
    for card in cards:
        assert_valid(card_to_dict(card))


def test_shorten_counts_json_bytes_and_marks_the_cut() -> None:
    assert shorten("short", 100) == "short"
    cut = shorten("😀" * 1000, 600)
    assert wire_size(cut) <= 600 and cut.endswith("(shortened)")


def test_times_are_shown_in_utc() -> None:
    assert format_time(datetime(2026, 11, 27, 10, 2, tzinfo=UTC)) == "2026-11-27 10:02 UTC"
    assert format_time(datetime(2026, 11, 27, 10, 2)) == "2026-11-27 10:02 UTC"
    cet = timezone(timedelta(hours=1))
    assert format_time(datetime(2026, 11, 27, 11, 2, tzinfo=cet)) == "2026-11-27 10:02 UTC"


def test_validate_reports_what_is_wrong(examples: dict[str, dict[str, Any]]) -> None:
    card = json.loads(json.dumps(examples["approval_exception"]))
    assert validate({"type": "AdaptiveCard", "version": "1.5", "body": "not a list"})
    newer = {**card, "version": "1.6"}
    assert any("1.6" in problem for problem in validate(newer))
    unknown = {**card, "body": [*card["body"], {"type": "TextBlock", "text": "x", "bogus": 1}]}
    assert any("unchanged" in problem for problem in validate(unknown))
    verbless = {**card, "actions": [{"type": "Action.Execute", "title": "Go"}]}
    assert any("no verb" in problem for problem in validate(verbless))


# --- parsing card actions --------------------------------------------------------------------


def test_parse_decisions_answers_and_refresh() -> None:
    approve = parse_action({"verb": "decision.approve",
                            "data": {"requestId": "exc-12", "comment": " ok \x00"}})
    assert approve == DecisionAction("EXC-12", Outcome.APPROVE, "ok")
    assert parse_action({"verb": "decision.reject", "data": {"requestId": "RBK-3"}}) == \
        DecisionAction("RBK-3", Outcome.REJECT, "")
    ask = parse_action({"verb": "decision.need_info",
                        "data": {"requestId": "EXC-1", "comment": "Which ranges?"}})
    assert ask == DecisionAction("EXC-1", Outcome.NEED_INFO, "Which ranges?")
    answer = parse_action({"verb": "info.answer", "data": {"requestId": "EXC-1", "answer": "A"}})
    assert answer == AnswerAction("EXC-1", "A")
    refresh = parse_action({"verb": "request.refresh", "data": {"requestId": "RBK-123456789"}})
    assert refresh == RefreshAction("RBK-123456789")


def test_parse_truncates_long_text_and_ignores_what_is_not_text() -> None:
    long = parse_action({"verb": "decision.approve",
                         "data": {"requestId": "EXC-1", "comment": "x" * 1_000_000}})
    assert isinstance(long, DecisionAction) and len(long.comment) == MAX_TEXT
    for odd in (None, 42, 1.5, ["a"], {"a": "b"}):
        parsed = parse_action({"verb": "info.answer", "data": {"requestId": "EXC-1",
                                                               "answer": odd}})
        assert parsed == AnswerAction("EXC-1", "")


@pytest.mark.parametrize("action", [
    None, "decision.approve", [], {}, {"verb": None}, {"verb": 7, "data": {"requestId": "EXC-1"}},
    {"verb": "decision.maybe", "data": {"requestId": "EXC-1"}},
    {"verb": "Decision.Approve", "data": {"requestId": "EXC-1"}},
    {"verb": "decision.approve"}, {"verb": "decision.approve", "data": "EXC-1"},
    {"verb": "decision.approve", "data": {}},
    {"verb": "decision.approve", "data": {"requestId": 1}},
    {"verb": "decision.approve", "data": {"requestId": ["EXC-1"]}},
    {"verb": "decision.approve", "data": {"requestId": "EXC-"}},
    {"verb": "decision.approve", "data": {"requestId": "EXC-1234567890"}},
    {"verb": "decision.approve", "data": {"requestId": "EXC-1; DROP TABLE requests"}},
    {"verb": "decision.approve", "data": {"requestId": "REQ-1"}},
    {"verb": "decision.approve", "data": {"requestId": "EXC-1\n"}},
    {"verb": "info.answer", "data": {"requestId": "EXC-١"}},  # an Arabic-Indic digit
    {"verb": "request.refresh", "data": {"requestId": None}},
    {"verb": "request.submit", "data": {}},
    {"verb": "request.submit", "data": {"kind": "holiday"}},
    {"verb": "request.submit", "data": {"kind": ["exception"]}},
])
def test_parse_refuses_what_it_cannot_act_on(action: object) -> None:
    with pytest.raises(InvalidAction):
        parse_action(action)


def test_parse_submit_keeps_only_form_fields_cleaned_and_capped() -> None:
    parsed = parse_action({"verb": "request.submit", "data": {
        "kind": "Exception", "asset_name": " payments-api ", "title": "T\r\nU",
        "justification": "j" * 10_000, "risk": "high", "requestId": "EXC-1",
        "deciders": "alex", "unrelated": "x", "controls": 5,
    }})
    assert isinstance(parsed, SubmitRequestAction)
    assert parsed.kind is RequestKind.EXCEPTION
    assert dict(parsed.values) == {
        "asset_name": "payments-api", "title": "T\nU", "justification": "j" * (MAX_TEXT + 1),
        "risk": "high",
    }


def test_draft_from_form_builds_an_exception_the_policy_accepts(catalog: Catalog) -> None:
    values = {"asset_name": "payments-api", "title": "Open egress", "justification": "Because",
              "risk": "Medium", "controls": "Alerts", "expires_on": "2026-12-20",
              "change_ref": "ignored", "emergency": "true"}
    draft = draft_from_form(RequestKind.EXCEPTION, values)
    assert draft.risk is Risk.MEDIUM and draft.expires_on == date(2026, 12, 20)
    assert (draft.change_ref, draft.rollback_of, draft.emergency) == ("", "", False)
    validate_draft(draft, catalog.assets["payments-api"], TODAY, DEFAULT_POLICY)


def test_draft_from_form_builds_a_rollback(catalog: Catalog) -> None:
    values = {"asset_name": "payments-api", "title": "Back to 4.1", "justification": "Errors",
              "change_ref": "CHG1", "rollback_of": "Release 4.2", "emergency": "true",
              "risk": "nonsense", "expires_on": "not a date"}
    draft = draft_from_form(RequestKind.ROLLBACK, values)
    assert draft.emergency and draft.change_ref == "CHG1" and draft.risk is None
    validate_draft(draft, catalog.assets["payments-api"], TODAY, DEFAULT_POLICY)
    assert not draft_from_form(RequestKind.ROLLBACK, {**values, "emergency": "false"}).emergency


def test_draft_from_form_names_each_unparseable_field() -> None:
    with pytest.raises(InvalidRequest) as caught:
        draft_from_form(RequestKind.EXCEPTION, {"risk": "extreme", "expires_on": "31/12/2026"})
    assert set(caught.value.problems) == {"asset_name", "risk", "expires_on"}


def test_an_over_long_form_value_is_left_for_the_policy_to_refuse(catalog: Catalog) -> None:
    parsed = parse_action({"verb": "request.submit", "data": {
        "kind": "exception", "asset_name": "payments-api", "title": "t", "risk": "low",
        "justification": "j" * 50_000, "expires_on": "2026-12-01"}})
    assert isinstance(parsed, SubmitRequestAction)
    draft = draft_from_form(parsed.kind, parsed.values)
    with pytest.raises(InvalidRequest) as caught:
        validate_draft(draft, catalog.assets["payments-api"], TODAY, DEFAULT_POLICY)
    assert caught.value.problems == {"justification": f"at most {MAX_TEXT} characters"}
    card = card_to_dict(request_form(parsed.kind, catalog, TODAY, values=parsed.values,
                                     errors=caught.value.problems))
    assert_valid(card)


# --- the package's boundaries ----------------------------------------------------------------


def test_cards_import_only_approvals_adaptive_cards_and_the_standard_library() -> None:
    import sys

    allowed = {"approvals", "adaptive_cards", "cards", *sys.stdlib_module_names}
    for path in sorted((ROOT / "cards").glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            assert set(roots) <= allowed, (path.name, roots)



def test_start_up_builds_every_card_model_before_the_first_card(tmp_path: Path) -> None:
    script = (
        "import app\n"
        "import adaptive_cards.card as library\n"
        "from pydantic import BaseModel\n"
        "def unfinished():\n"
        "    return [m.__name__ for m in vars(library).values() if isinstance(m, type)\n"
        "            and issubclass(m, BaseModel) and m is not BaseModel\n"
        "            and not m.__pydantic_complete__]\n"
        "before = unfinished()\n"
        "from settings import Settings\n"
        f"app.create_app(Settings(database_url='sqlite+aiosqlite:///{tmp_path}/s.db'))\n"
        "print(bool(before), unfinished())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=ROOT, timeout=120, check=True)
    assert result.stdout.split("\n")[-2] == "True []"  # some were unfinished, none are now
