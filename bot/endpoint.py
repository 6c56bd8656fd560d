"""The HTTP edge: validate the request, hand the activity to the adapter, write the response."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError
from pydantic_core import to_json

from bot.activity_reader import ModelReader
from bot.activity_shape import activity_problem
from bot.authentication import NotForThisBot, SigningKeysUnavailable

log = logging.getLogger(__name__)
# What `Activity().deserialize(body)` does, without msrest's general machinery (activity_reader).
_ACTIVITY_READER = ModelReader(Activity._infer_class_models())
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def json_text(value: Any) -> bytes:
    """`value` as UTF-8 JSON: pydantic-core's writer (a card of 3.7 KB in 10 µs; json.dumps
    takes 30-40), else json.dumps for what it refuses (text that is not Unicode: escaped)."""
    try:
        return to_json(value)
    except ValueError:  # PydanticSerializationError
        return json.dumps(value).encode()


def _invoke_body(body: Any) -> Any:
    # The SDK's own writer serialises the body twice (TEAMS-NOTES: 4.17 bug); write it once here.
    if hasattr(body, "serialize"):
        return body.serialize()
    return body


def messages_handler(adapter: CloudAdapter, bot: Bot, max_body_bytes: int) -> Any:
    async def messages(request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _problem(415, "send the activity as application/json")
        if request.content_length is not None and request.content_length > max_body_bytes:
            return _problem(413, f"the body is larger than {max_body_bytes} bytes")
        try:
            raw = await request.content.read(max_body_bytes + 1)
        except (ValueError, ConnectionError):
            return _problem(400, "the body could not be read")
        if len(raw) > max_body_bytes:
            return _problem(413, f"the body is larger than {max_body_bytes} bytes")
        try:
            # Strict UTF-8 (a byte order mark allowed): raw surrogate bytes and UTF-16/32 bodies
            # are refused here; json.loads(bytes) would take both.
            body = json.loads(raw.decode("utf-8-sig"))
            if _SURROGATE_ESCAPE.search(raw):
                # An escaped lone surrogate ("\ud800") parses but is not text: no reply could
                # carry it. Only a body with such an escape can hold one now: it is checked whole.
                json.dumps(body, ensure_ascii=False).encode()
        except (ValueError, RecursionError):  # not UTF-8 or JSON, too deep, too many digits
            return _problem(400, "the body is not valid JSON text")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return _problem(400, "the body is not a Bot Framework activity (no type)")
        if (problem := activity_problem(body)) is not None:
            return _problem(400, f"the activity cannot be answered: {problem}")
        try:
            activity = _ACTIVITY_READER("Activity", body)
        except (DeserializationError, TypeError, ValueError, AttributeError):
            return _problem(400, "the activity has fields of the wrong shape")
        auth_header = request.headers.get("Authorization", "")
        try:
            invoke_response = await adapter.process_activity(auth_header, activity, bot.on_turn)
        except PermissionError as refusal:  # bot.authentication.Unauthenticated and the SDK's
            log.warning("request refused (401): %s", refusal)
            return _problem(401, "unauthorized")
        except NotForThisBot as refusal:
            log.warning("request refused (403): %s", refusal)
            return _problem(403, "forbidden")
        except SigningKeysUnavailable:
            return _problem(503, "the channel's signing keys are unavailable; try again shortly")
        if invoke_response is not None:
            return web.Response(body=json_text(_invoke_body(invoke_response.body)),
                                status=invoke_response.status, content_type="application/json")
        return web.Response(status=201)

    return messages
