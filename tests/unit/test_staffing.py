"""Roles to people, distinct people for distinct steps, and whose turn it is."""

from __future__ import annotations

import pytest

from approvals.errors import NoDecider
from approvals.model import DecisionRule, Step
from approvals.policies import Deciders
from approvals.staffing import (
    add_eligible,
    deciders_now,
    fill,
    people_in_role,
    staff,
    step_for,
)

from .fakes import policy_catalog

CATALOG = policy_catalog()
ALL, SEQUENCE, ANY = DecisionRule.ALL, DecisionRule.SEQUENCE, DecisionRule.ANY


def deciders(rule: DecisionRule, *steps: str | tuple[str, ...]) -> Deciders:
    return Deciders(rule, tuple((s,) if isinstance(s, str) else s for s in steps))


@pytest.mark.parametrize(("asset", "role", "people"), [
    ("payments-api", "owner", ("megan",)),
    ("ledger-db", "owner", ("megan", "adele")),
    ("payments-api", "backup", ("adele",)),
    ("kv-payments", "backup", ("adele",)),
    ("sandbox", "backup", ()),
    ("payments-api", "team", ("megan", "adele")),
    ("kv-payments", "team", ()),
    ("payments-api", "team:security-team", ("lynne", "isaiah")),
    ("payments-api", "team:nobody", ()),
    ("payments-api", "manager", ("lynne",)),
    ("siem", "manager", ()),
])
def test_a_role_stands_for_people_of_the_catalog(asset: str, role: str, people: tuple[str, ...]
                                                 ) -> None:
    assert people_in_role(CATALOG, CATALOG.assets[asset], role) == people


def test_each_step_lists_who_may_fill_it_never_the_requester() -> None:
    steps = staff(CATALOG, CATALOG.assets["kv-payments"],
                  deciders(ALL, ("owner", "backup"), "team:security-team"), "lynne")

    assert steps == (Step("owner or backup", ("megan", "adele")),
                     Step("team:security-team", ("isaiah",)))


def test_a_step_nobody_but_the_requester_can_fill_refuses_the_request_with_the_reason() -> None:
    with pytest.raises(NoDecider) as refused:
        staff(CATALOG, CATALOG.assets["kv-payments"],
              deciders(ALL, "owner", "team:security-team"), "megan")

    assert "kv-payments needs an approval from its owner" in str(refused.value)
    assert "nobody but you" in str(refused.value)


def test_one_person_cannot_fill_two_steps_so_too_few_people_refuse_the_request() -> None:
    """lynne owns siem and is in security: with isaiah asking, she alone would fill both."""
    with pytest.raises(NoDecider) as refused:
        staff(CATALOG, CATALOG.assets["siem"], deciders(ALL, "owner", "team:security-team"),
              "isaiah")

    assert "siem needs 2 different people" in str(refused.value)
    assert "Lynne Robbins" in str(refused.value)


def test_an_unknown_team_is_named_in_the_refusal() -> None:
    with pytest.raises(NoDecider) as refused:
        staff(CATALOG, CATALOG.assets["payments-api"], deciders(ALL, "owner", "team:cab"), "alex")

    assert "team:cab, which is not a team in the catalog" in str(refused.value)


def test_in_any_order_everyone_who_could_fill_an_open_step_may_act() -> None:
    steps = (Step("owner", ("lynne",)), Step("team:security-team", ("lynne", "isaiah")))

    assert deciders_now(ALL, steps, "alex") == ("lynne", "isaiah")
    # lynne is the only owner: her approval must go to that step, or nobody could fill it.
    assert step_for(ALL, steps, "lynne", "alex") == 0
    assert step_for(ALL, steps, "isaiah", "alex") == 1
    after = fill(steps, 0, "lynne")
    assert deciders_now(ALL, after, "alex") == ("isaiah",)
    assert step_for(ALL, after, "lynne", "alex") is None


def test_in_a_sequence_only_the_current_steps_people_may_act() -> None:
    steps = (Step("owner", ("megan",)), Step("team:security-team", ("lynne", "isaiah")))

    assert deciders_now(SEQUENCE, steps, "alex") == ("megan",)
    assert step_for(SEQUENCE, steps, "lynne", "alex") is None
    assert deciders_now(SEQUENCE, fill(steps, 0, "megan"), "alex") == ("lynne", "isaiah")


def test_in_a_sequence_someone_needed_later_does_not_use_up_an_earlier_step() -> None:
    steps = (Step("owner or team", ("megan", "isaiah")), Step("team:security-team", ("isaiah",)))

    assert deciders_now(SEQUENCE, steps, "alex") == ("megan",)


def test_the_requester_and_a_person_who_approved_fill_nothing() -> None:
    steps = (Step("owner or backup or team", ("megan", "adele")),)

    assert deciders_now(ANY, steps, "megan") == ("adele",)
    assert step_for(ANY, steps, "megan", "megan") is None
    assert deciders_now(ANY, fill(steps, 0, "adele"), "alex") == ()


def test_escalated_people_stand_in_for_the_owners_side_only() -> None:
    steps = (Step("owner", ("megan",)), Step("team:security-team", ("lynne", "isaiah")))

    escalated = add_eligible(ALL, steps, ["adele"])

    assert escalated == (Step("owner", ("megan", "adele")), steps[1])
    assert add_eligible(ALL, fill(steps, 0, "megan"), ["adele"]) == fill(steps, 0, "megan")
