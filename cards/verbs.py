"""Action.Execute verbs and the button titles people see. The bot routes invokes by verb."""

from __future__ import annotations

from approvals.model import Outcome

REQUEST_SUBMIT = "request.submit"
DECISION_APPROVE = "decision.approve"
DECISION_REJECT = "decision.reject"
DECISION_NEED_INFO = "decision.need_info"
INFO_ANSWER = "info.answer"
REQUEST_REFRESH = "request.refresh"
ASSET_WHO_OWNS = "asset.who_owns"

ALL_VERBS = frozenset(
    {REQUEST_SUBMIT, DECISION_APPROVE, DECISION_REJECT, DECISION_NEED_INFO, INFO_ANSWER,
     REQUEST_REFRESH, ASSET_WHO_OWNS}
)

VERB_FOR_OUTCOME: dict[Outcome, str] = {
    Outcome.APPROVE: DECISION_APPROVE,
    Outcome.REJECT: DECISION_REJECT,
    Outcome.NEED_INFO: DECISION_NEED_INFO,
}
OUTCOME_FOR_VERB: dict[str, Outcome] = {verb: outcome for outcome, verb in VERB_FOR_OUTCOME.items()}

TITLE_SUBMIT = "Submit"
TITLE_APPROVE = "Approve"
TITLE_REJECT = "Reject"
TITLE_ASK_FOR_INFO = "Ask for info"
TITLE_WITHDRAW = "Withdraw"
TITLE_SEND_ANSWER = "Send answer"
TITLE_OPEN = "Open"

TITLE_FOR_OUTCOME: dict[Outcome, str] = {
    Outcome.APPROVE: TITLE_APPROVE,
    Outcome.REJECT: TITLE_REJECT,
    Outcome.NEED_INFO: TITLE_ASK_FOR_INFO,
}
