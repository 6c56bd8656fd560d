"""The one table of state changes."""

from __future__ import annotations

import itertools

import pytest

from approvals.model import Outcome, State
from approvals.services import OUTCOME_ACTION
from approvals.transitions import TRANSITIONS, Action, next_state

DECIDE = (Action.APPROVE, Action.REJECT, Action.ASK_INFO)
TERMINAL = (State.REJECTED, State.WITHDRAWN, State.EXPIRED, State.LAPSED, State.REVOKED)
DECIDED = (State.APPROVED, State.ACTIVE, State.APPROVED_PENDING_REVIEW, *TERMINAL)


@pytest.mark.parametrize(("state", "action"), itertools.product(DECIDED, DECIDE))
def test_a_decided_request_has_no_decide_transition(state: State, action: Action) -> None:
    assert next_state(state, action) is None


@pytest.mark.parametrize("state", TERMINAL)
def test_a_terminal_state_has_no_way_out(state: State) -> None:
    assert [a for a in Action if next_state(state, a) is not None] == []


@pytest.mark.parametrize(("state", "action", "after"), [
    (State.PENDING, Action.APPROVE, State.APPROVED),
    (State.PENDING, Action.REJECT, State.REJECTED),
    (State.PENDING, Action.ASK_INFO, State.INFO_REQUESTED),
    (State.INFO_REQUESTED, Action.ANSWER_INFO, State.PENDING),
    (State.INFO_REQUESTED, Action.APPROVE, State.APPROVED),
    (State.INFO_REQUESTED, Action.REJECT, State.REJECTED),
    (State.PENDING, Action.WITHDRAW, State.WITHDRAWN),
    (State.INFO_REQUESTED, Action.WITHDRAW, State.WITHDRAWN),
    (State.PENDING, Action.EXPIRE, State.EXPIRED),
    (State.INFO_REQUESTED, Action.EXPIRE, State.EXPIRED),
    (State.APPROVED, Action.ACTIVATE, State.ACTIVE),
    (State.ACTIVE, Action.LAPSE, State.LAPSED),
    (State.ACTIVE, Action.REVOKE, State.REVOKED),
    (State.PENDING, Action.APPROVE_EMERGENCY, State.APPROVED_PENDING_REVIEW),
    (State.APPROVED_PENDING_REVIEW, Action.CONFIRM_REVIEW, State.APPROVED),
    (State.APPROVED_PENDING_REVIEW, Action.REJECT_REVIEW, State.REJECTED),
    # A step approved while others remain, or more people asked after a deadline: same state.
    (State.PENDING, Action.APPROVE_STEP, State.PENDING),
    (State.INFO_REQUESTED, Action.APPROVE_STEP, State.INFO_REQUESTED),
    (State.APPROVED_PENDING_REVIEW, Action.APPROVE_STEP, State.APPROVED_PENDING_REVIEW),
    (State.PENDING, Action.ESCALATE, State.PENDING),
    (State.APPROVED_PENDING_REVIEW, Action.ESCALATE, State.APPROVED_PENDING_REVIEW),
    # A delegation moves a request to other people, a renewal moves an expiry: same state.
    (State.PENDING, Action.REROUTE, State.PENDING),
    (State.INFO_REQUESTED, Action.REROUTE, State.INFO_REQUESTED),
    (State.ACTIVE, Action.EXTEND, State.ACTIVE),
])
def test_the_lifecycle_of_the_design(state: State, action: Action, after: State) -> None:
    assert next_state(state, action) is after


@pytest.mark.parametrize(("state", "action"), [
    (State.PENDING, Action.ANSWER_INFO),
    (State.INFO_REQUESTED, Action.ASK_INFO),
    (State.PENDING, Action.LAPSE),
    (State.PENDING, Action.REVOKE),
    (State.APPROVED, Action.WITHDRAW),
    (State.ACTIVE, Action.EXPIRE),
    (State.INFO_REQUESTED, Action.ESCALATE),  # nobody is chased while the requester owes
    (State.APPROVED, Action.APPROVE_STEP),
    (State.APPROVED_PENDING_REVIEW, Action.ASK_INFO),
    (State.ACTIVE, Action.REROUTE),  # nobody decides an exception in force
    (State.LAPSED, Action.EXTEND),  # a lapsed exception is not renewed
])
def test_next_state_is_none_for_what_the_table_forbids(state: State, action: Action) -> None:
    assert next_state(state, action) is None
    assert (state, action) not in TRANSITIONS


def test_only_open_states_wait_for_someone() -> None:
    assert {s for s in State if s.is_open} == {
        State.PENDING, State.INFO_REQUESTED, State.APPROVED_PENDING_REVIEW}
    assert not any(s.is_open for s in TERMINAL)


def test_every_state_is_reachable_from_pending() -> None:
    reached = {State.PENDING}
    frontier = [State.PENDING]
    while frontier:
        state = frontier.pop()
        for (source, _), target in TRANSITIONS.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)

    assert reached == set(State)


def test_every_outcome_maps_to_a_decide_action() -> None:
    assert {OUTCOME_ACTION[o] for o in Outcome} == set(DECIDE)
