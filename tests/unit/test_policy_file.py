"""The policy file: settings per tier and kind, layers, validation with places, the loader."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from approvals.errors import NoDecider
from approvals.model import DecisionRule, RequestKind, Tier
from approvals.policies import DEFAULT_POLICY, OWNER_BACKUP_OR_TEAM, Deciders
from approvals.policy_file import PolicyError, build_policy, parse_duration
from approvals.staffing import staff
from catalog.loader import load_catalog
from catalog.policy_loader import DEFAULT_POLICIES, load_policies

from .fakes import policy_catalog, small_catalog

EXC, RBK = RequestKind.EXCEPTION, RequestKind.ROLLBACK


def refused(data: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(PolicyError) as error:
        build_policy(data, **kwargs)
    assert error.value.problems
    for problem in error.value.problems:
        assert problem in str(error.value)
    return error.value.problems


def only(problems: list[str], pattern: str) -> str:
    [match] = [p for p in problems if re.search(pattern, p)]
    return match


# --- the built-in rules -------------------------------------------------------------------------


def test_without_a_file_any_one_of_owner_backup_or_team_decides() -> None:
    for tier in Tier:
        for kind in RequestKind:
            assert DEFAULT_POLICY.rules_for(tier, kind).deciders == OWNER_BACKUP_OR_TEAM


def test_without_a_file_an_exception_has_3_days_and_a_rollback_4_hours() -> None:
    exception = DEFAULT_POLICY.rules_for(Tier.HIGH, EXC)
    rollback = DEFAULT_POLICY.rules_for(Tier.HIGH, RBK)

    assert (exception.deadline, exception.remind_every) == (timedelta(days=3), timedelta(days=1))
    assert (rollback.deadline, rollback.remind_every) == (timedelta(hours=4), timedelta(hours=1))
    assert rollback.review_within == timedelta(hours=24)
    assert exception.expiry_reminders == (timedelta(days=7), timedelta(days=1))
    assert exception.escalation == ("backup", "manager")


def test_an_empty_policy_is_the_built_in_one() -> None:
    assert build_policy({}) == DEFAULT_POLICY
    assert build_policy(None) == DEFAULT_POLICY


# --- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "delta"), [
    ("30m", timedelta(minutes=30)), ("4h", timedelta(hours=4)), ("3d", timedelta(days=3)),
    ("2w", timedelta(weeks=2)), (" 90d ", timedelta(days=90)),
])
def test_a_duration_is_a_number_and_a_unit(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["3", "3 days", "0d", "-1d", "1.5h", "", 3, None])
def test_anything_else_is_not_a_duration(text: object) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


# --- layers -------------------------------------------------------------------------------------


def test_later_layers_win_defaults_kind_tier_then_the_tiers_kind() -> None:
    policy = build_policy({
        "defaults": {"deadline": "5d", "escalation": ["manager"]},
        "rollback": {"deadline": "2h"},
        "tiers": {
            "critical": {
                "deadline": "1d",
                "rollback": {"deadline": "30m"},
                "exception": {"deciders": {"all": ["owner", "team:security-team"]}},
            },
        },
    })

    assert policy.rules_for(Tier.LOW, EXC).deadline == timedelta(days=5)
    assert policy.rules_for(Tier.LOW, RBK).deadline == timedelta(hours=2)
    assert policy.rules_for(Tier.CRITICAL, EXC).deadline == timedelta(days=1)
    assert policy.rules_for(Tier.CRITICAL, RBK).deadline == timedelta(minutes=30)
    assert policy.rules_for(Tier.CRITICAL, EXC).deciders == Deciders(
        DecisionRule.ALL, (("owner",), ("team:security-team",)))
    assert policy.rules_for(Tier.CRITICAL, RBK).deciders == OWNER_BACKUP_OR_TEAM
    assert {policy.rules_for(t, k).escalation for t in Tier for k in RequestKind} == {
        ("manager",)}
    # What the file leaves alone stays built in: critical exceptions still last 30 days.
    assert policy.max_days(Tier.CRITICAL) == 30
    assert policy.max_days(Tier.HIGH) == 90


@pytest.mark.parametrize(("deciders", "expected"), [
    ({"any": ["owner", "backup"]}, Deciders(DecisionRule.ANY, (("owner", "backup"),))),
    ({"all": ["owner", "manager"]}, Deciders(DecisionRule.ALL, (("owner",), ("manager",)))),
    ({"sequence": ["owner", "team:security-team"]},
     Deciders(DecisionRule.SEQUENCE, (("owner",), ("team:security-team",)))),
    ({"all": [["owner", "backup"], "team:security-team"]},
     Deciders(DecisionRule.ALL, (("owner", "backup"), ("team:security-team",)))),
])
def test_the_three_shapes_of_deciders(deciders: dict[str, Any], expected: Deciders) -> None:
    policy = build_policy({"exception": {"deciders": deciders}}, catalog=policy_catalog())

    assert policy.rules_for(Tier.MEDIUM, EXC).deciders == expected


def test_cadences_can_be_turned_off() -> None:
    policy = build_policy({"defaults": {"remind_every": "none"},
                           "exception": {"review_every": None}})

    assert policy.rules_for(Tier.LOW, EXC).remind_every is None
    assert policy.rules_for(Tier.LOW, RBK).remind_every is None
    assert policy.rules_for(Tier.LOW, EXC).review_every is None


# --- validation ---------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    problems = refused({
        "defaults": {"deadline": "soon", "remind_evry": "1d", "max_renewals": -1},
        "exception": {"deciders": {"most": ["owner"]}, "max_duration": "36h",
                      "review_within": "2h"},
        "rollback": {"escalation": ["backup", "ceo", "channel:"]},
        "tiers": {
            "urgent": {"deadline": "1h"},
            "critical": {"exception": {"deciders": {"all": ["owner", "team:secuirty"]}}},
        },
        "rules": {},
    }, catalog=policy_catalog())

    assert len(problems) == 11, problems
    assert only(problems, "'soon'").startswith("defaults.deadline:")
    assert only(problems, "unknown setting").startswith("defaults.remind_evry:")
    assert only(problems, "unknown rule 'most'").startswith("exception.deciders:")
    assert only(problems, "whole days").startswith("exception.max_duration:")
    assert only(problems, "rollbacks only").startswith("exception.review_within:")
    assert only(problems, "'ceo'").startswith("rollback.escalation[1]:")
    assert only(problems, "'channel:'").startswith("rollback.escalation[2]:")
    assert only(problems, "whole number").startswith("defaults.max_renewals:")
    assert only(problems, "not a tier").startswith("tiers.urgent:")
    assert only(problems, "unknown team 'secuirty'").startswith(
        "tiers.critical.exception.deciders.all[1]:")
    assert only(problems, "unknown section").startswith("rules:")


@pytest.mark.parametrize(("data", "place", "what"), [
    ({"exception": {"deciders": {"any": []}}}, "exception.deciders", "non-empty list"),
    ({"exception": {"deciders": {"any": ["owner"], "all": ["owner"]}}}, "exception.deciders",
     "one rule"),
    ({"exception": {"deciders": {"all": ["owner", "boss"]}}}, "exception.deciders.all[1]",
     "unknown role 'boss'"),
    ({"exception": {"deciders": {"sequence": [[]]}}}, "exception.deciders.sequence[0]",
     "names no role"),
    ({"exception": {"deciders": {"any": ["channel:leadership"]}}}, "exception.deciders.any",
     "unknown role"),
    ({"exception": {"expiry_reminders": "7d"}}, "exception.expiry_reminders", "list"),
    ({"exception": {"escalation": "backup"}}, "exception.escalation", "list"),
    ({"rollback": {"max_duration": "10d"}}, "rollback.max_duration", "exceptions only"),
    ({"exception": "3d"}, "exception", "mapping of settings"),
    ({"tiers": ["critical"]}, "tiers", "mapping"),
    ({"tiers": {"high": {"exception": {"deadline": "0h"}}}}, "tiers.high.exception.deadline",
     "not a duration"),
])
def test_each_problem_names_its_place(data: dict[str, Any], place: str, what: str) -> None:
    problems = refused(data)

    assert any(p.startswith(f"{place}:") and what in p for p in problems), problems


def test_a_team_is_checked_against_the_catalog_when_one_is_given() -> None:
    data = {"tiers": {"critical": {"exception": {
        "deciders": {"all": ["owner", "team:security-team"]}}}}}

    build_policy(data)  # no catalog: any team id will do
    build_policy(data, catalog=policy_catalog())
    [problem] = refused(data, catalog=small_catalog())
    assert "unknown team 'security-team'" in problem


def test_a_policy_that_is_not_a_mapping_is_refused() -> None:
    [problem] = refused(["defaults"])
    assert problem.startswith("policy: the top level must be a mapping")


# --- the loader and the shipped default ---------------------------------------------------------


def test_the_shipped_policy_loads_against_the_demo_catalog() -> None:
    policy = load_policies(catalog=load_catalog())

    assert load_policies(DEFAULT_POLICIES) == policy
    critical = policy.rules_for(Tier.CRITICAL, EXC)
    assert critical.deciders == Deciders(
        DecisionRule.ALL, (("owner",), ("team:security-team",)))
    assert critical.max_days == 30
    assert policy.max_days(Tier.HIGH) == 90
    assert policy.rules_for(Tier.HIGH, EXC).deciders == OWNER_BACKUP_OR_TEAM
    rollback = policy.rules_for(Tier.CRITICAL, RBK)
    assert (rollback.deadline, rollback.review_within) == (timedelta(hours=4), timedelta(hours=24))
    assert rollback.escalation == ("backup", "manager", "channel:leadership")


def test_the_demo_catalog_has_a_security_team() -> None:
    catalog = load_catalog()

    assert catalog.teams["security-team"].members == ("lynne", "isaiah")


def test_the_loader_prefixes_every_problem_with_the_file(tmp_path: Path) -> None:
    file = tmp_path / "policies.yaml"
    file.write_text("exception:\n  deadline: soon\n  deciders: {all: [owner, team:nope]}\n",
                    encoding="utf-8")

    with pytest.raises(PolicyError) as error:
        load_policies(file, catalog=small_catalog())

    assert len(error.value.problems) == 2
    assert all(p.startswith(f"{file}: exception.") for p in error.value.problems)


@pytest.mark.parametrize(("content", "why"), [
    (None, "cannot be read"), (b"", "is empty"), (b"# nothing\n", "is empty"),
    (b"\xff\xfe\x00", "UTF-8"), (b"exception: [unclosed\n", "not valid YAML"),
])
def test_a_missing_empty_or_broken_file_is_refused(
    tmp_path: Path, content: bytes | None, why: str
) -> None:
    """An empty or truncated file must not replace a good policy on reload."""
    file = tmp_path / "policies.yaml"
    if content is not None:
        file.write_bytes(content)

    with pytest.raises(PolicyError) as error:
        load_policies(file)

    [problem] = error.value.problems
    assert problem.startswith(str(file)) and why in problem


@pytest.mark.parametrize("kind", list(RequestKind))
def test_alex_can_ask_for_anything_in_the_demo_under_the_shipped_policy(kind: RequestKind) -> None:
    """The Playground's default user reaches distinct deciders on every demo asset but the
    sandbox he alone owns (the demo of a request nobody else can decide)."""
    catalog = load_catalog()
    policy = load_policies(catalog=catalog)

    for asset in catalog.assets.values():
        if asset.name == "sub-sandbox":
            with pytest.raises(NoDecider):
                staff(catalog, asset, policy.rules_for(asset.tier, kind).deciders, "alex")
            continue
        steps = staff(catalog, asset, policy.rules_for(asset.tier, kind).deciders, "alex")
        assert all(s.eligible for s in steps), asset.name
        if asset.tier is Tier.CRITICAL and kind is EXC:
            assert [s.role for s in steps] == ["owner", "team:security-team"]
