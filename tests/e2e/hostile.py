"""Hypothesis strategies for hostile bodies posted to /api/messages: random bytes, random JSON,
and Teams-shaped activities with one or more fields replaced by something a client should
never send (huge, wrongly typed, deeply nested, odd unicode, missing, out-of-range)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.e2e.teams import ALEX, BOT, TENANT, User

OUTSIDER = User("mallory", "Mallory Outsider", "00000000-0000-0000-0000-00000000dead")
SENDERS = (ALEX, OUTSIDER)  # neither requester nor decider of the seeded request (Isaiah's)
VERBS = ("decision.approve", "decision.reject", "decision.need_info", "request.submit",
         "info.answer", "request.refresh", "", "nope.verb", "DECISION.APPROVE",
         "decision.approve\u0000", "request.submit ")
REQUEST_IDS = ("EXC-1", "exc-1", "EXC-0", "EXC-999999999", "EXC-1234567890", "RBK-1",
               "EXC-\u0661", "EXC-1\n", "'; drop table requests; --", "../EXC-1", "")

# Strings a careless parser trips over.
NASTY_TEXT = st.sampled_from([
    "", " ", "\u0000", "\ud800", "\udfff", "\u202eevil\u202c", "\u200b\u200d\ufeff",
    "<at>Signoff</at>", "<at>", "[click](https://evil.example)", "\r\nforged log line",
    "who owns payments-api", "request exception", "status EXC-1", "withdraw EXC-1",
    "revoke EXC-1 because", "what does megan own", "help", "\U0001f600" * 50,
    "x" * 70_000, "%s%s%n", "{{card}}", "${jndi:ldap://x}", "null", "0",
])
HOSTILE_SCALAR = st.one_of(
    NASTY_TEXT, st.text(max_size=200), st.integers(), st.floats(allow_nan=False),
    st.booleans(), st.none(), st.just(10**400), st.just(-(2**63)), st.just(2**64),
)


# JSON no Python encoder writes (too deep, too many digits): markers replaced in `encode`.
RAW = {
    "__RAW_DEEP_50__": '{"a":' * 50 + "1" + "}" * 50,
    "__RAW_DEEP_900__": "[" * 900 + "]" * 900,
    "__RAW_DEEP_5000__": "[" * 5000 + "]" * 5000,
    "__RAW_DEEP_50000__": '{"a":' * 50_000 + "1" + "}" * 50_000,
    "__RAW_BIGINT__": "9" * 5000,
    "__RAW_BIGFLOAT__": "1e999",
    "__RAW_NAN__": "NaN",
}
HOSTILE = st.one_of(
    HOSTILE_SCALAR,
    st.lists(HOSTILE_SCALAR, max_size=5),
    st.dictionaries(st.text(max_size=10), HOSTILE_SCALAR, max_size=5),
    st.sampled_from(sorted(RAW)),
)

# Where a hostile value may go in a Teams activity (a path of keys).
FIELDS = [
    ("type",), ("id",), ("timestamp",), ("localTimestamp",), ("channelId",), ("serviceUrl",),
    ("from",), ("from", "id"), ("from", "name"), ("from", "aadObjectId"), ("recipient",),
    ("recipient", "id"), ("conversation",), ("conversation", "id"),
    ("conversation", "conversationType"), ("conversation", "tenantId"),
    ("conversation", "isGroup"), ("channelData",), ("channelData", "tenant"),
    ("channelData", "tenant", "id"), ("locale",), ("text",), ("textFormat",), ("entities",),
    ("attachments",), ("name",), ("value",), ("value", "action"), ("value", "action", "type"),
    ("value", "action", "verb"), ("value", "action", "data"),
    ("value", "action", "data", "requestId"), ("value", "action", "data", "comment"),
    ("value", "action", "data", "kind"), ("value", "action", "data", "asset_name"),
    ("value", "action", "data", "expires_on"), ("value", "trigger"), ("replyToId",),
    ("membersAdded",), ("membersRemoved",), ("relatesTo",), ("speak",), ("summary",),
]
SERVICE_URLS = ("http://127.0.0.1:1/", "not a url", "", "file:///etc/passwd",
                "http://[::1", "https://smba.trafficmanager.net/amer/")


def base_activity(service_url: str, sender: User, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind, "id": "fuzz-1", "timestamp": "2026-11-27T10:00:00.000Z",
        "channelId": "msteams", "serviceUrl": service_url, "from": sender.account(),
        "recipient": dict(BOT),
        "conversation": {"id": sender.personal_conversation, "conversationType": "personal",
                         "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}}, "locale": "en-US", **fields,
    }


def _set(activity: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> None:
    node = activity
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    if delete:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value


@st.composite
def teams_activities(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    """A Teams message, invoke or update with hostile text and data, and 0-3 more fields made
    hostile (replaced by something odd, or removed)."""
    sender = draw(st.sampled_from(SENDERS))
    kind = draw(st.sampled_from(["message", "message", "message", "invoke", "invoke", "invoke",
                                 "invoke", "conversationUpdate", "installationUpdate",
                                 "messageReaction", "typing", "event", "endOfConversation",
                                 "nonsense"]))
    fields: dict[str, Any] = {}
    if kind == "message":
        fields["text"] = draw(st.one_of(NASTY_TEXT, st.text(max_size=100)))
    elif kind == "invoke":
        fields["name"] = draw(st.sampled_from([
            "adaptiveCard/action", "adaptiveCard/action", "adaptiveCard/action",
            "adaptiveCard/action", "adaptiveCard/action", "composeExtension/query",
            "task/fetch", "signin/verifyState", "", "adaptiveCard/ACTION"]))
        data = {"requestId": draw(st.sampled_from(REQUEST_IDS)),
                "comment": draw(NASTY_TEXT), "kind": draw(st.sampled_from(
                    ["exception", "rollback", "", "EXCEPTION", "other"])),
                "asset_name": draw(st.sampled_from(["payments-api", "nope", ""])),
                "title": draw(NASTY_TEXT), "justification": draw(NASTY_TEXT),
                "expires_on": draw(st.sampled_from(["2026-12-11", "2026-02-30", "tomorrow",
                                                    "9999-12-31", ""]))}
        fields["value"] = {"action": {"type": draw(st.sampled_from(
            ["Action.Execute", "Action.Submit", ""])), "verb": draw(st.sampled_from(VERBS)),
            "data": data}, "trigger": "manual"}
        fields["replyToId"] = "card-1"
    elif kind == "conversationUpdate":
        fields["membersAdded"] = [dict(BOT), sender.account()]
    activity = base_activity(service_url, sender, kind, **fields)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(FIELDS))
        if path == ("serviceUrl",) and draw(st.booleans()):
            _set(activity, path, draw(st.sampled_from(SERVICE_URLS)), delete=False)
            continue
        delete = draw(st.integers(0, 4)) == 0
        _set(activity, path, None if delete else draw(HOSTILE), delete)
    return activity


def encode(value: Any) -> bytes:
    """JSON as a client could send it: lone surrogates escaped, RAW markers written out."""
    text = json.dumps(value)
    for marker, raw in RAW.items():
        text = text.replace(f'"{marker}"', raw)
    return text.encode()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
