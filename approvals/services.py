"""Use cases: one function per command, dependencies passed in. The bot imports them from here."""

from __future__ import annotations

from approvals.answering import answer_info
from approvals.deciding import OUTCOME_ACTION, record_decision
from approvals.delegating import end_delegation, running_delegations, start_delegation
from approvals.due_work import run_due_job
from approvals.queries import (
    Holdings,
    Ownership,
    load_request,
    my_approvals,
    my_requests,
    person_id_of,
    request_status,
    what_person_owns,
    who_owns,
)
from approvals.renewing import renew_exception
from approvals.revoking import revoke_exception
from approvals.submitting import submit_request
from approvals.withdrawing import withdraw_request

__all__ = [
    "Holdings",
    "OUTCOME_ACTION",
    "Ownership",
    "answer_info",
    "load_request",
    "my_approvals",
    "my_requests",
    "person_id_of",
    "record_decision",
    "renew_exception",
    "running_delegations",
    "start_delegation",
    "end_delegation",
    "request_status",
    "revoke_exception",
    "run_due_job",
    "submit_request",
    "what_person_owns",
    "who_owns",
    "withdraw_request",
]
