"""A fake Bot Connector (the Teams service URL) on loopback that records every outbound call.

It answers like the real one: 201 with an id for new conversations, 200 with an id for sent,
replied and updated activities; and it can be told to fail: 429 with Retry-After, 5xx, 403.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from aiohttp import web
from aiohttp.test_utils import TestServer


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass
class Call:
    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    at: datetime | None = None  # by the connector's clock, when it has one
    authorization: str | None = None  # the bot's Authorization header (production mode)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a.get("content") or {}
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def card_text(self) -> str:
        """Every string in the cards, joined: what a person can read."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("text", "title", "value", "label", "placeholder") and isinstance(
                        value, str
                    ):
                        out.append(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.cards)
        return "\n".join([self.body.get("text") or "", *out])


@dataclass
class Failure:
    status: int
    times: int
    retry_after: str | None = None
    match: Callable[[Call], bool] = lambda call: True


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    refuse_members: set[str] = field(default_factory=set)
    # Group chats' members as Teams lists them: {"id": "29:...", "name", "aadObjectId"}.
    rosters: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    server: TestServer | None = None
    clock: Clock | None = None  # stamps each call (a test's injected clock)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/") + "/"

    def fail(self, status: int, times: int = 1, retry_after: str | None = None,
             match: Callable[[Call], bool] = lambda call: True) -> None:
        self.failures.append(Failure(status, times, retry_after, match))

    def sent_to(self, conversation_id: str) -> list[Call]:
        return [c for c in self.calls
                if c.conversation_id == conversation_id and c.method == "POST"]

    def updates(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PUT"]

    def created(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/v3/conversations"]

    def _record(self, call: Call, request: web.Request | None = None) -> Call:
        call.at = self.clock.now() if self.clock is not None else None
        call.authorization = request.headers.get("Authorization") if request else None
        self.calls.append(call)
        self._arrived.set()
        return call

    async def wait_until(self, done: Callable[[], bool]) -> None:
        """Wait for calls from a background task (real I/O) until `done()` holds."""
        while True:
            self._arrived.clear()  # before the check: a call arriving after it is not lost
            if done():
                return
            await self._arrived.wait()

    def _injected(self, call: Call) -> web.Response | None:
        for failure in self.failures:
            if failure.times > 0 and failure.match(call):
                failure.times -= 1
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return web.json_response(
                    {"error": {"code": "Injected", "message": f"injected {failure.status}"}},
                    status=failure.status, headers=headers,
                )
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = self._record(Call("POST", request.path, "", None, body), request)
        if (injected := self._injected(call)) is not None:
            return injected
        members = body.get("members") or []
        if any((m.get("id") or "").lower() in self.refuse_members for m in members):
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "The bot is not installed"}}, status=403
            )
        conversation_id = f"a:created-{next(self._ids)}"
        return web.json_response(
            {"id": conversation_id, "serviceUrl": self.url, "activityId": None}, status=201
        )

    async def _activity(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        aid = request.match_info.get("aid")
        body = await request.json() if request.can_read_body else {}
        call = self._record(Call(request.method, request.path, cid, aid, body), request)
        if (injected := self._injected(call)) is not None:
            return injected
        if request.method == "PUT":
            return web.json_response({"id": aid})
        return web.json_response({"id": f"act-{next(self._ids)}"})

    async def _paged_members(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        self._record(Call("GET", request.path, cid, None, {}), request)
        if cid not in self.rosters:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response({"members": self.rosters[cid]})

    async def _member(self, request: web.Request) -> web.Response:
        """One member of a chat, as TeamsInfo.get_member asks when members are added."""
        cid, mid = request.match_info["cid"], request.match_info["mid"]
        self._record(Call("GET", request.path, cid, None, {}))
        for member in self.rosters.get(cid, []):
            if member.get("id") == mid:
                return web.json_response(member)
        return web.json_response({"id": mid, "name": "", "aadObjectId": ""})

    async def _delete(self, request: web.Request) -> web.Response:
        self._record(Call("DELETE", request.path, request.match_info["cid"],
                          request.match_info["aid"], {}))
        return web.Response(status=200)

    async def start(self) -> FakeConnector:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._activity)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._activity)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._activity)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", self._delete)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        if self.server is not None:
            await self.server.close()
