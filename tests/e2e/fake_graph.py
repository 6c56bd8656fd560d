"""A fake Microsoft Graph on loopback, and a fake Entra token endpoint (HTTPS, self-signed).

The real msgraph-sdk client talks to it over HTTP; the real azure-identity credential gets its
token from the HTTPS token endpoint (trusting the test's own certificate). It serves users (by
id, UPN or `$filter=mail eq`), group members, managers, mailbox settings, Teams app installs
and the chat of an installation, records every call, and answers 429 (with Retry-After), 404 or
5xx on demand. `close()` takes it off the network: Graph is then unreachable.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.e2e.entra_stub import self_signed

TOKEN = "fake-graph-token"
USER_TYPE = "#microsoft.graph.user"


@dataclass
class GraphCall:
    method: str
    path: str  # without the /v1.0 prefix
    query: dict[str, str]
    body: Any = None


@dataclass
class GraphFailure:
    status: int
    times: int
    retry_after: str | None
    match: Callable[[GraphCall], bool]


def user(object_id: str, name: str, mail: str, upn: str | None = None) -> dict[str, str]:
    return {"@odata.type": USER_TYPE, "id": object_id, "displayName": name, "mail": mail,
            "userPrincipalName": upn or mail}


@dataclass
class FakeGraph:
    users: dict[str, dict[str, str]] = field(default_factory=dict)  # by object id
    groups: dict[str, list[str]] = field(default_factory=dict)  # group id -> user ids
    managers: dict[str, str] = field(default_factory=dict)  # user id -> manager's id
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)  # automaticRepliesSetting
    installed: dict[str, dict[str, str]] = field(default_factory=dict)  # user -> inst -> app
    calls: list[GraphCall] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    failures: list[GraphFailure] = field(default_factory=list)
    page_size: int = 2  # group members come in pages of this size (@odata.nextLink)
    server: TestServer | None = None
    token_server: TestServer | None = None
    ca_file: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_user(self, object_id: str, name: str, mail: str, upn: str | None = None) -> None:
        self.users[object_id] = user(object_id, name, mail, upn)

    def away(self, object_id: str, until: dt.datetime | None = None,
             start: dt.datetime | None = None) -> None:
        """Automatic replies on: scheduled up to `until`, or always on without one."""
        if until is None:
            self.replies[object_id] = {"status": "alwaysEnabled"}
            return
        start = start or until - dt.timedelta(days=30)
        self.replies[object_id] = {
            "status": "scheduled",
            "scheduledStartDateTime": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                                       "timeZone": "UTC"},
            "scheduledEndDateTime": {"dateTime": until.strftime("%Y-%m-%dT%H:%M:%S.0000000"),
                                     "timeZone": "UTC"},
        }

    def fail(self, status: int, times: int = 1, retry_after: str | None = None,
             match: Callable[[GraphCall], bool] = lambda call: True) -> None:
        self.failures.append(GraphFailure(status, times, retry_after, match))

    def called(self, pattern: str, method: str = "GET") -> list[GraphCall]:
        return [c for c in self.calls if c.method == method and re.fullmatch(pattern, c.path)]

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1.0"))

    @property
    def authority(self) -> str:
        assert self.token_server is not None
        return str(self.token_server.make_url("")).rstrip("/")

    # -- Graph ---------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else None
        call = GraphCall(request.method, request.path.removeprefix("/v1.0"),
                         dict(request.query), body)
        self.calls.append(call)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        for failure in self.failures:
            if failure.times > 0 and failure.match(call):
                failure.times -= 1
                headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
                return _error(failure.status, "Injected", f"injected {failure.status}", headers)
        return await handler(request)

    def _user(self, key: str) -> dict[str, str] | None:
        key = key.lower()
        for u in self.users.values():
            if key in (u["id"].lower(), u["userPrincipalName"].lower()):
                return u
        return None

    async def _get_user(self, request: web.Request) -> web.Response:
        found = self._user(request.match_info["user"])
        if found is None:
            return _not_found("user", request.match_info["user"])
        return web.json_response(found)

    async def _list_users(self, request: web.Request) -> web.Response:
        match = re.fullmatch(r"mail eq '(.+)'", request.query.get("$filter", ""))
        mail = match.group(1).lower() if match else None
        return web.json_response({"value": [u for u in self.users.values()
                                            if mail is None or u["mail"].lower() == mail]})

    async def _members(self, request: web.Request) -> web.Response:
        group = request.match_info["group"]
        if group not in self.groups:
            return _not_found("group", group)
        ids = self.groups[group]
        start = int(request.query.get("$skiptoken", "0"))
        page = [self.users[i] for i in ids[start:start + self.page_size]]
        body: dict[str, Any] = {"value": page}
        if start + self.page_size < len(ids):
            body["@odata.nextLink"] = str(request.url.with_query(
                {"$skiptoken": str(start + self.page_size)}))
        return web.json_response(body)

    async def _manager(self, request: web.Request) -> web.Response:
        found = self._user(request.match_info["user"])
        if found is None:
            return _not_found("user", request.match_info["user"])
        manager = self.managers.get(found["id"])
        if manager is None:
            return _not_found("manager of", found["id"])
        return web.json_response(self.users[manager])

    async def _mailbox_settings(self, request: web.Request) -> web.Response:
        found = self._user(request.match_info["user"])
        if found is None:
            return _not_found("user", request.match_info["user"])
        replies = self.replies.get(found["id"], {"status": "disabled"})
        return web.json_response({"timeZone": "UTC", "automaticRepliesSetting": {
            "externalAudience": "none", "internalReplyMessage": "", **replies}})

    async def _install(self, request: web.Request) -> web.Response:
        found = self._user(request.match_info["user"])
        if found is None:
            return _not_found("user", request.match_info["user"])
        body = await request.json()
        app = str(body.get("teamsApp@odata.bind", "")).rsplit("/", 1)[-1]
        apps = self.installed.setdefault(found["id"], {})
        if app in apps.values():
            return _error(409, "Conflict", "The app is already installed for this user.")
        apps[f"inst-{next(self._ids)}"] = app
        return web.Response(status=201)  # as Graph does: no body

    async def _installations(self, request: web.Request) -> web.Response:
        uid = request.match_info["user"]
        match = re.fullmatch(r"teamsApp/id eq '(.+)'", request.query.get("$filter", ""))
        apps = self.installed.get(uid, {})
        return web.json_response({"value": [
            {"id": inst, "teamsApp": {"id": app, "displayName": "Signoff"}}
            for inst, app in apps.items() if match is None or app == match.group(1)]})

    async def _chat(self, request: web.Request) -> web.Response:
        uid, inst = request.match_info["user"], request.match_info["inst"]
        if inst not in self.installed.get(uid, {}):
            return _not_found("installation", inst)
        return web.json_response({"id": chat_of(uid), "chatType": "oneOnOne"})

    # -- Entra token endpoint ------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        if form.get("grant_type") != "client_credentials" or not form.get("client_id"):
            return web.json_response({"error": "invalid_request"}, status=400)
        return web.json_response({"token_type": "Bearer", "expires_in": 3600,
                                  "ext_expires_in": 3600, "access_token": TOKEN})

    async def start(self, tmp: Path) -> FakeGraph:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/v1.0/users", self._list_users)
        app.router.add_get("/v1.0/users/{user}", self._get_user)
        app.router.add_get("/v1.0/users/{user}/manager", self._manager)
        app.router.add_get("/v1.0/users/{user}/mailboxSettings", self._mailbox_settings)
        app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps", self._installations)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps/{inst}/chat", self._chat)
        app.router.add_get("/v1.0/groups/{group}/members", self._members)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        token_app = web.Application()
        token_app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self.ca_file, context = _self_signed(tmp)
        self.token_server = TestServer(token_app, host="127.0.0.1")
        await self.token_server.start_server(ssl=context)
        return self

    async def close(self) -> None:
        for server in (self.server, self.token_server):
            if server is not None:
                await server.close()


def chat_of(user_id: str) -> str:
    return f"19:{user_id}_signoff@unq.gbl.spaces"


def _error(status: int, code: str, message: str,
           headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status,
                             headers=headers or {})


def _not_found(what: str, key: str) -> web.Response:
    return _error(404, "Request_ResourceNotFound", f"Resource '{key}' ({what}) does not exist.")


def _self_signed(tmp: Path) -> tuple[str, ssl.SSLContext]:
    """A certificate for 127.0.0.1: its file (for the client to trust) and the server context."""
    cert_file, key_file = self_signed(tmp, "graph-token")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return str(cert_file), context
