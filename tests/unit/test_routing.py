"""The one routing decision: who stands in for whom, and when the rules keep the person."""

from __future__ import annotations

from datetime import timedelta

from approvals.model import DecisionRule, Delegation, Step
from approvals.routing import current_decider, pairs_for, stand_ins_now, with_stand_ins

from .fakes import T0

OWNER_OR_TEAM = (Step("owner or team", ("megan", "adele")),)
OWNER_AND_BACKUP = (Step("owner", ("megan",)), Step("backup", ("adele",)))


def test_a_delegation_stands_in_only_while_it_runs() -> None:
    d = Delegation("D1", "megan", "adele", T0, T0.date(), T0 + timedelta(days=1), "megan")
    assert stand_ins_now([d], T0 - timedelta(seconds=1)) == {}
    assert stand_ins_now([d], T0) == {"megan": "adele"}
    assert stand_ins_now([d], T0 + timedelta(days=1)) == {}
    ended = Delegation("D1", "megan", "adele", T0, T0.date(), T0 + timedelta(days=1), "megan",
                       ended_at=T0)
    assert stand_ins_now([ended], T0) == {}


def test_the_stand_in_takes_the_delegators_place_once_and_not_in_a_chain() -> None:
    assert current_decider("megan", {"megan": "adele", "adele": "lynne"}) == "adele"
    assert current_decider("isaiah", {"megan": "adele"}) == "isaiah"
    view = with_stand_ins(OWNER_OR_TEAM, (("megan", "adele"),))
    assert view == (Step("owner or team", ("adele",)),)
    filled = (Step("owner", ("megan",), approved_by="megan"), Step("backup", ("adele",)))
    assert with_stand_ins(filled, (("megan", "lynne"),))[0] == filled[0]


def test_pairs_keep_the_rules_requester_and_distinct_people() -> None:
    any_rule, all_rule = DecisionRule.ANY, DecisionRule.ALL
    assert pairs_for(any_rule, OWNER_OR_TEAM, {"megan": "lynne"}, "alex") == (
        ("megan", "lynne"),)
    assert pairs_for(any_rule, OWNER_OR_TEAM, {"megan": "alex"}, "alex") == (), \
        "the requester never stands in"
    assert pairs_for(all_rule, OWNER_AND_BACKUP, {"megan": "adele"}, "alex") == (), \
        "adele cannot give two approvals"
    assert pairs_for(all_rule, OWNER_AND_BACKUP, {"megan": "lynne"}, "alex") == (
        ("megan", "lynne"),)
