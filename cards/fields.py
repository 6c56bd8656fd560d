"""Ids of the inputs on Signoff's cards and of the values in Action.Execute data.

Form input ids are the RequestDraft field names, so `InvalidRequest.problems` maps straight onto
the form's fields.
"""

from __future__ import annotations

from approvals.model import RequestKind

ASSET = "asset_name"
TITLE = "title"
JUSTIFICATION = "justification"
RISK = "risk"
CONTROLS = "controls"
EXPIRES_ON = "expires_on"
CHANGE_REF = "change_ref"
ROLLBACK_OF = "rollback_of"
EMERGENCY = "emergency"

COMMENT = "comment"
ANSWER = "answer"

REQUEST_ID = "requestId"  # in the data of every action about a request
KIND = "kind"  # in the data of the form's Submit

FORM_FIELDS: dict[RequestKind, tuple[str, ...]] = {
    RequestKind.EXCEPTION: (ASSET, TITLE, JUSTIFICATION, RISK, CONTROLS, EXPIRES_ON),
    RequestKind.ROLLBACK: (ASSET, CHANGE_REF, ROLLBACK_OF, TITLE, JUSTIFICATION, EMERGENCY),
}

LABELS = {
    ASSET: "Asset",
    TITLE: "Title",
    JUSTIFICATION: "Justification",
    RISK: "Risk level",
    CONTROLS: "Compensating controls",
    EXPIRES_ON: "Expires on",
    CHANGE_REF: "Change or incident reference",
    ROLLBACK_OF: "What is rolled back",
    EMERGENCY: "Emergency",
}


def label_of(field: str) -> str:
    """A field's label as the form shows it; the raw name for a field no form has."""
    return LABELS.get(field, field.replace("_", " ").capitalize())
