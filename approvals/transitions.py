"""The one table of state changes. Nothing else changes a request's state."""

from __future__ import annotations

import enum

from approvals.model import State


class Action(enum.StrEnum):
    APPROVE = "approve"  # the last step filled: the request is approved
    APPROVE_STEP = "approve_step"  # a step filled, others still open: the state stays
    REJECT = "reject"
    ASK_INFO = "ask_info"
    ANSWER_INFO = "answer_info"
    WITHDRAW = "withdraw"
    EXPIRE = "expire"
    ACTIVATE = "activate"
    LAPSE = "lapse"
    REVOKE = "revoke"
    APPROVE_EMERGENCY = "approve_emergency"
    CONFIRM_REVIEW = "confirm_review"
    REJECT_REVIEW = "reject_review"
    ESCALATE = "escalate"  # more people may decide: the state stays
    REROUTE = "reroute"  # a delegation starts or ends: other people decide, the state stays
    EXTEND = "extend"  # an approved renewal moves the exception's expiry: the state stays


S = State
TRANSITIONS: dict[tuple[State, Action], State] = {
    (S.PENDING, Action.APPROVE): S.APPROVED,
    (S.PENDING, Action.REJECT): S.REJECTED,
    (S.PENDING, Action.ASK_INFO): S.INFO_REQUESTED,
    (S.PENDING, Action.WITHDRAW): S.WITHDRAWN,
    (S.PENDING, Action.EXPIRE): S.EXPIRED,
    (S.PENDING, Action.APPROVE_EMERGENCY): S.APPROVED_PENDING_REVIEW,
    (S.PENDING, Action.APPROVE_STEP): S.PENDING,
    (S.PENDING, Action.ESCALATE): S.PENDING,
    (S.INFO_REQUESTED, Action.ANSWER_INFO): S.PENDING,
    (S.INFO_REQUESTED, Action.APPROVE): S.APPROVED,
    (S.INFO_REQUESTED, Action.REJECT): S.REJECTED,
    (S.INFO_REQUESTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.INFO_REQUESTED, Action.EXPIRE): S.EXPIRED,
    (S.INFO_REQUESTED, Action.APPROVE_STEP): S.INFO_REQUESTED,
    (S.APPROVED, Action.ACTIVATE): S.ACTIVE,
    (S.ACTIVE, Action.LAPSE): S.LAPSED,
    (S.APPROVED, Action.LAPSE): S.LAPSED,
    (S.APPROVED, Action.REVOKE): S.REVOKED,
    (S.ACTIVE, Action.REVOKE): S.REVOKED,
    (S.APPROVED_PENDING_REVIEW, Action.CONFIRM_REVIEW): S.APPROVED,
    (S.APPROVED_PENDING_REVIEW, Action.REJECT_REVIEW): S.REJECTED,
    (S.APPROVED_PENDING_REVIEW, Action.APPROVE_STEP): S.APPROVED_PENDING_REVIEW,
    (S.APPROVED_PENDING_REVIEW, Action.ESCALATE): S.APPROVED_PENDING_REVIEW,
    (S.PENDING, Action.REROUTE): S.PENDING,
    (S.INFO_REQUESTED, Action.REROUTE): S.INFO_REQUESTED,
    (S.APPROVED_PENDING_REVIEW, Action.REROUTE): S.APPROVED_PENDING_REVIEW,
    (S.ACTIVE, Action.EXTEND): S.ACTIVE,
    (S.APPROVED, Action.EXTEND): S.APPROVED,
}


def next_state(state: State, action: Action) -> State | None:
    """The state `action` leads to from `state`, or None when the table forbids it."""
    return TRANSITIONS.get((state, action))
