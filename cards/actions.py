"""Card action payloads parsed into typed values, and form values into a RequestDraft.

An invoke's `action` is a plain dict whose `data` holds what the card put there plus every input
the client merged in. None of it is trusted: who acts comes from the activity, never from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from approvals.errors import DomainError, InvalidRequest
from approvals.model import Outcome, RequestDraft, RequestKind, Risk
from approvals.policies import MAX_TEXT
from cards import fields as f
from cards.text import clean
from cards.verbs import (
    ASSET_WHO_OWNS,
    INFO_ANSWER,
    OUTCOME_FOR_VERB,
    REQUEST_REFRESH,
    REQUEST_SUBMIT,
)

REQUEST_ID = re.compile(r"(EXC|RBK)-[0-9]{1,9}", re.IGNORECASE)  # ASCII digits only
# One character over the policy's limit, so `validate_draft` still says "at most 2000
# characters" while nothing larger travels further than this module.
FORM_LIMIT = MAX_TEXT + 1


class InvalidAction(DomainError):
    """A card action this bot cannot act on: unknown verb, missing or malformed request id."""


@dataclass(frozen=True)
class SubmitRequestAction:
    """`Submit` on a request form: the form's values, cleaned; see `draft_from_form`."""

    kind: RequestKind
    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DecisionAction:
    """Approve, Reject or Ask for info on a request, with the decider's comment."""

    request_id: str
    outcome: Outcome
    comment: str = ""


@dataclass(frozen=True)
class AnswerAction:
    """The requester's answer to a decider's question."""

    request_id: str
    answer: str


@dataclass(frozen=True)
class RefreshAction:
    """A client asks for the current card of a request."""

    request_id: str


@dataclass(frozen=True)
class AssetQueryAction:
    """A pick on the "which asset do you mean?" card: who owns this one."""

    asset_name: str


CardAction = (
    SubmitRequestAction | DecisionAction | AnswerAction | RefreshAction | AssetQueryAction
)


def parse_action(action: object) -> CardAction:
    """The typed action for an invoke's `action` ({"verb": ..., "data": {...}}); InvalidAction
    for anything else."""
    if not isinstance(action, Mapping):
        raise InvalidAction("this card has no verb")
    verb = action.get("verb")
    raw = action.get("data")
    data: Mapping[object, object] = raw if isinstance(raw, Mapping) else {}
    if verb == REQUEST_SUBMIT:
        return SubmitRequestAction(_kind(data), _form_values(data))
    if isinstance(verb, str) and verb in OUTCOME_FOR_VERB:
        return DecisionAction(
            _request_id(data), OUTCOME_FOR_VERB[verb], text_value(data.get(f.COMMENT), MAX_TEXT)
        )
    if verb == INFO_ANSWER:
        return AnswerAction(_request_id(data), text_value(data.get(f.ANSWER), MAX_TEXT))
    if verb == REQUEST_REFRESH:
        return RefreshAction(_request_id(data))
    if verb == ASSET_WHO_OWNS:
        name = text_value(data.get(f.ASSET), 200)
        if not name:
            raise InvalidAction("this card does not name an asset")
        return AssetQueryAction(name)
    shown = text_value(verb, 40)
    raise InvalidAction(f"unknown card action {shown!r}" if shown else "this card has no verb")


def text_value(value: object, limit: int) -> str:
    """A payload value as clean text of at most `limit` characters; "" for what is not text.

    Clients send every input as a string (a toggle as "true"/"false"); a JSON true/false is
    accepted too, and numbers, lists, objects and null count as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return ""
    return clean(value[: limit * 2])[:limit]  # cut first: no need to clean a megabyte


def _request_id(data: Mapping[object, object]) -> str:
    value = data.get(f.REQUEST_ID)
    if not isinstance(value, str) or not REQUEST_ID.fullmatch(value):
        raise InvalidAction("this card does not name a valid request (like EXC-12 or RBK-3)")
    return value.upper()


def _kind(data: Mapping[object, object]) -> RequestKind:
    value = text_value(data.get(f.KIND), 20).lower()
    if value not in {kind.value for kind in RequestKind}:
        raise InvalidAction("this form does not say what kind of request it is")
    return RequestKind(value)


def _form_values(data: Mapping[object, object]) -> Mapping[str, str]:
    names = {name for kind_fields in f.FORM_FIELDS.values() for name in kind_fields}
    values = {name: text_value(data.get(name), FORM_LIMIT) for name in sorted(names)}
    return MappingProxyType({name: value for name, value in values.items() if value})


def draft_from_form(kind: RequestKind, values: Mapping[str, str]) -> RequestDraft:
    """The draft a form's values describe; InvalidRequest (by field) for an empty asset, an
    unknown risk level or a date that is not YYYY-MM-DD. The policy checks the rest."""
    problems: dict[str, str] = {}
    asset_name = values.get(f.ASSET, "").strip()
    if not asset_name:
        problems[f.ASSET] = "choose an asset"
    risk: Risk | None = None
    expires_on: date | None = None
    if kind is RequestKind.EXCEPTION:
        risk_text = values.get(f.RISK, "").strip().lower()
        if risk_text:
            try:
                risk = Risk(risk_text)
            except ValueError:
                problems[f.RISK] = "choose low, medium or high"
        date_text = values.get(f.EXPIRES_ON, "").strip()
        if date_text:
            try:
                expires_on = date.fromisoformat(date_text)
            except ValueError:
                problems[f.EXPIRES_ON] = "not a date: use the date picker (YYYY-MM-DD)"
    if problems:
        raise InvalidRequest(problems)
    rollback = kind is RequestKind.ROLLBACK
    return RequestDraft(
        kind=kind,
        asset_name=asset_name,
        title=values.get(f.TITLE, ""),
        justification=values.get(f.JUSTIFICATION, ""),
        risk=risk,
        controls="" if rollback else values.get(f.CONTROLS, ""),
        expires_on=expires_on,
        change_ref=values.get(f.CHANGE_REF, "") if rollback else "",
        rollback_of=values.get(f.ROLLBACK_OF, "") if rollback else "",
        emergency=rollback and values.get(f.EMERGENCY, "").strip().lower() == "true",
    )
