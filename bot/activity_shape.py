"""The fields every Teams activity carries, checked before the SDK sees them.

The SDK trusts these fields: without a conversation id or a usable service URL it raises deep
inside a turn (TypeError, AttributeError, a URL error) and the request ends as HTTP 500; a locale
that is not a language tag breaks the HTTP header it is sent in. Teams always sends them right,
so an activity without them is refused with the name of the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

MAX_ID = 1024  # Teams ids are a few hundred characters at most
LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*")  # en-US, zh-Hans-CN, en_US
# Control characters: the SDK sends the conversation id in an HTTP header (x-ms-conversation-id),
# where they are refused (or, CR and LF, would start a header of their own). Teams ids have none.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
OPTIONAL_TEXT = ("id", "name", "text", "replyToId", "locale", "textFormat", "timestamp",
                 "localTimestamp")


def _text(value: object, required: bool = True) -> bool:
    if value is None:
        return not required
    return (isinstance(value, str) and (bool(value) or not required) and len(value) <= MAX_ID
            and not CONTROL.search(value))


def _account(body: Mapping[str, object], name: str) -> str | None:
    account = body.get(name)
    if not isinstance(account, Mapping) or not _text(account.get("id")):
        return f"{name}.id is missing or not text"
    for key in ("name", "aadObjectId", "role"):
        if not isinstance(account.get(key), str | None):
            return f"{name}.{key} is not text"
    return None


def _service_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def activity_problem(body: Mapping[str, object]) -> str | None:
    """What makes `body` unusable as a Teams activity, or None if the SDK can take it."""
    if not _service_url(body.get("serviceUrl")):
        return "serviceUrl is missing or not an http(s) URL"
    if not _text(body.get("channelId")):
        return "channelId is missing or not text"
    conversation = body.get("conversation")
    if not isinstance(conversation, Mapping) or not _text(conversation.get("id")):
        return "conversation.id is missing or not text"
    for name in ("from", "recipient"):
        if (problem := _account(body, name)) is not None:
            return problem
    for name in OPTIONAL_TEXT:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            return f"{name} is not text"
    locale = body.get("locale")
    if isinstance(locale, str) and not LANGUAGE_TAG.fullmatch(locale):
        return "locale is not a language tag"
    return None
