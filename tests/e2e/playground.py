"""A driver for the real Microsoft 365 Agents Playground (npm @microsoft/m365agentsplayground
0.2.28).

The Playground is a Node server that plays Teams for a bot: a mock tenant with users, chats, a team,
a Bot Connector (`serviceUrl`) and a web UI. The UI talks to the server over an HTTP + WebSocket API
that is not documented, so everything below was learned by reading the bundled server
(node_modules/@microsoft/m365agentsplayground/dist/index.js, webpack module ids in brackets) and by
probing it with a stand-in bot. "Seen" marks what a probe showed; the rest is read in the code.
The API may change with any release: keep the version pinned (skip_reason() checks it).

How it is run
- `agentsplayground -e <bot url> -c msteams -p <port> --disable-telemetry`, with
  `TEAMSAPPTESTER_BROWSER=none` so it opens no browser. Ready in about a second. Stdout gets only
  "Listening on <port>"; everything else it prints, errors included, goes to
  `./devTools/m365agentsplayground.log` (seen: a bad config file exits with code 1 and says why
  there only). It reads `.m365agentsplayground.yml` from its working directory if there is one
  (or `M365_AGENTS_PLAYGROUND_CONFIG_PATH`), else a built-in config. So the driver runs it in a
  fresh temporary directory and shows that log file when it fails to start.
- The built-in config (seen): tenant 00000000-0000-0000-0000-0000000000001; bot
  00000000-0000-0000-0000-00000000000011 "Test Bot"; current user user-id-0 Alex Wilber
  (aadObjectId ...0020); users user-id-1 Megan Bowen (...0021) ... user-id-5 Lynne Robbins
  (...0025); a personal chat (Alex only) and a group chat (Alex + user-id-1..5), both with random
  GUID ids per run; team "team-id" with channels "team-id" (General) and
  "channel-announcements-id" (members user-id-1..5). Nothing is persisted between runs.
- A custom config (`config_yaml`) has the built-in one's shape (version "0.1.1", tenantId, bot,
  currentUser, users, personalChat.id, groupChat {id, name}, team {id, name, aadGroupId,
  channels}); it is schema-checked: at least 5 users, every field a string (seen). Mock user ids
  may be anything, e.g. equal to their aadObjectIds (seen: then a bot that addresses people by
  aadObjectId reaches them).

Endpoints (http://127.0.0.1:<port>; no authentication unless started with a client id and secret)
- GET /_internal/v1/config -> {"config": {tenantId, bot, currentUser, users, personalChat: {id},
  groupChats: [{id, members}], teams: [...]}, "internalConfig": {...}}. Before answering it waits
  (wait-on, up to 15 s, [14583]) until the bot endpoint accepts connections: start the bot first.
  GET /_internal/v1/testConfig answers the same at once. GET /_debug/ping -> "pong".
- POST /_conversation/v1/conversations/{conversationId}/messages  [49673, 23231, 35113, 71994]
  {"from": {"id": "user-id-0"}, "text": "...", "textFormat": "plain"|"markdown"|"xml",
   "mentions": [{"mentioned": {"id": <bot id>}, "text": "<at>Test Bot</at>"}]}
  -> 200 {"messageId": "<ms timestamp>", "timestamp": ...}. `textFormat` is REQUIRED (seen: without
  it 400 {"code": "BadArgument", "message": "Invalid input"}). `from.id` must be a member of the
  chat (else 400 UserNotFound), BUT the activity the bot gets always comes from the CURRENT user
  (seen: Megan "typing" in the group chat reaches the bot as Alex; [71994] uses getMe()). So only
  the current user can type to the bot. The bot gets it only in a personal chat or when @mentioned
  (seen). The POST answers before the bot is called.
- POST /_conversation/v1/invoke  [23231, 51220, 83122, 20519]
  {"name": "adaptiveCard/action", "from": {"id": "user-id-N"}, "conversation": {"id": ...},
   "replyToId": <id of the card's message in that conversation>,
   "value": {"action": {"type": "Action.Execute", "verb": ..., "data": {...}}, "trigger": "manual"}}
  -> 200 {"type": <bot's invoke response type>, "value": <its value>} once the bot has answered
  (the bot's statusCode is dropped). The activity the bot gets IS from `from.id` (seen: id
  "user-id-1", name "Megan Bowen", aadObjectId ...0021; conversationType "personal" in her 1:1;
  channelData.tenant, channelData.source {"name": "message"}). This is how a second user acts.
  Checked first: the conversation exists, `replyToId` is a message in it (else 400
  MessageNotFound), `from.id` is a member of the chat (seen: else 400 UserNotFound). A bot error
  gives 502. Then the card in its store is replaced by the returned value, with no WebSocket frame.
  POST /_conversation/v1/submit is the Action.Submit path (message activity with `value`).
- POST /_debug/conversation/{conversationId}/installation {} -> 200; then (seen) the bot gets an
  installationUpdate (action "add") and a conversationUpdate (membersAdded: the current user and
  the bot), both from the current user, sent after the 200. The UI does this once per conversation
  when it is first opened.
- WS /_ws_conversation/v1/conversations/stream: what the UI renders (seen). Frames:
  {"action": "createMessage"|"updateMessage", "actionConversationId": <conversation id>,
   "message": {"messageId", "timestamp", "from": {"id"}, "text", "textFormat", "attachments":
   [{"contentType", "content"}], ...}} and {"action": "typing", "actionConversationId"}.
  Only conversations the CURRENT user is in ([11041] isOtherUserChat): a bot message to Megan's
  1:1 chat never appears here (seen). A frame is sent before the connector's HTTP answer reaches
  the bot.
- WS /_ws/log/stream: the log panel. Frames {"logAction": "appendLog", "log": {...}} (seen): for
  every call the bot makes to the connector, {"type": "bot", "from": "User Application", "to":
  "Microsoft 365 Agents Playground", "activityName": "message"|"typing"|"createConversation"|
  "getConversationMember(s)"|..., "conversationId": <request body's conversation.id>, "messageId":
  <response body's id>, "request": {"body": <what the bot sent>}, "response": {"statusCode",
  "body"}} (no method or path: a PUT update looks like a send with the same messageId); and for
  every activity the Playground sent to the bot, the same with from/to swapped, logged when the
  bot's HTTP answer is back (so the turn is over; Signoff answers 201 to messages, 200 to invokes).
  It is the only place a client sees what the bot sent to a chat the current user is not in.
  Both sockets buffer frames while no client is connected and flush them to the first client.

The Bot Connector it implements (serviceUrl http://localhost:<port>/_connector)
[40085, 81287, 22556]
- POST /v3/conversations/{id}/activities[/{activityId}]: one stored message per part (the text and
  each attachment become separate messages, [splitActivity]); 201 {"id"} when that makes one
  message, else 202 with NO body (seen): a bot that sends text plus a card in one activity gets no
  id to update the card with later. Typing -> 202. Message ids are millisecond timestamps.
- PUT /v3/conversations/{id}/activities/{activityId}: update (seen: 200 {"id"}); DELETE answers an
  error (not implemented). GET .../members (seen), .../pagedmembers, .../members/{memberId} (by mock
  user id, NOT by aadObjectId), GET /v3/teams/{teamId}[/conversations].
- POST /v3/conversations (proactive create), non-group: `members[0].id` is taken as a Playground
  user id with no check; it finds or creates that user's personal chat and answers 201
  {"id": "<guid>@test.user"} (seen; a second create for the same member returns the same id; for
  the current user it is their existing personal chat). `activity` in the body is IGNORED (no
  message is posted, seen): the bot must then POST to .../activities. If `members[0].id` is not a
  mock user id (seen with an aadObjectId), the chat is still created (201), but every POST to its
  activities and GET of its members answers 500 {"error": {"code": "UserNotFound"}} (the message is
  stored but cannot be shown), and no user can invoke in it. Group creates (isGroup +
  channelData.channel.id) start a channel post and do post `activity`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO_ROOT / "node_modules" / "@microsoft" / "m365agentsplayground"
CLI = REPO_ROOT / "node_modules" / ".bin" / "agentsplayground"
PINNED_VERSION = "0.2.28"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
BOT_LABEL = "User Application"  # the log's name for the bot
PLAYGROUND_LABEL = "Microsoft 365 Agents Playground"

# Environment variables the Playground reads that could change what a test sees.
_PLAYGROUND_ENV_PREFIXES = ("M365_AGENTS_PLAYGROUND_", "TEAMSAPPTESTER_", "TEAMS_APP_TEST_TOOL_")
_PLAYGROUND_ENV_NAMES = {"BOT_ENDPOINT", "DEFAULT_CHANNEL_ID", "SEND_INSTALLATION_ACTIVITY"}


def skip_reason() -> str | None:
    """Why the Playground cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed: the Microsoft 365 Agents Playground needs Node.js"
    if not (PACKAGE_DIR / "package.json").is_file() or not CLI.exists():
        return (f"{PACKAGE_DIR.relative_to(REPO_ROOT)} is missing: run "
                f"`npm install @microsoft/m365agentsplayground@{PINNED_VERSION}`")
    version = json.loads((PACKAGE_DIR / "package.json").read_text()).get("version")
    if version != PINNED_VERSION:
        return (f"@microsoft/m365agentsplayground {version} is installed; this driver knows the "
                f"undocumented API of {PINNED_VERSION} only")
    return None


def require_playground() -> None:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PlaygroundError(AssertionError):
    """The Playground refused a request; `status` and `body` are what it answered."""

    def __init__(self, what: str, status: int, body: str) -> None:
        super().__init__(f"{what}: Playground answered HTTP {status}: {body[:2000]}")
        self.status = status
        self.body = body


def card_text(node: Any) -> str:
    """The words a person sees on an Adaptive Card, one per line: TextBlock and TextRun text,
    facts ("title value"), input labels and button titles."""
    out: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            kind = item.get("type")
            if kind in ("TextBlock", "TextRun") and isinstance(item.get("text"), str):
                out.append(item["text"])
            elif kind == "FactSet":
                for fact in item.get("facts") or []:
                    out.append(f"{fact.get('title', '')} {fact.get('value', '')}".strip())
            elif isinstance(kind, str) and kind.startswith("Action.") and item.get("title"):
                out.append(str(item["title"]))
            if isinstance(kind, str) and kind.startswith("Input.") and item.get("label"):
                out.append(str(item["label"]))
            for key, value in item.items():
                if key not in ("facts",):
                    walk(value)
        elif isinstance(item, list):
            for element in item:
                walk(element)

    walk(node)
    return "\n".join(out)


def find_actions(card: dict[str, Any], verb: str | None = None) -> list[dict[str, Any]]:
    """Every Action.Execute on a card (nested action sets too), or those with `verb`."""
    found: list[dict[str, Any]] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("type") == "Action.Execute" and (verb is None or item.get("verb") == verb):
                found.append(item)
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for element in item:
                walk(element)

    walk(card)
    return found


def card_inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Input.* element on a card, in order."""
    found: list[dict[str, Any]] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if str(item.get("type", "")).startswith("Input.") and item.get("id"):
                found.append(item)
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for element in item:
                walk(element)

    walk(card)
    return found


def fill_form(card: dict[str, Any], verb: str, by_label: dict[str, str]) -> dict[str, Any]:
    """What a Teams client sends when a person fills a card's inputs (found by their visible label)
    and presses the button with `verb`: the action's data plus every input's value by input id.
    Inputs the person did not touch keep their `value` (a choice set's preselected choice)."""
    actions = find_actions(card, verb)
    assert actions, f"no Action.Execute with verb {verb!r} on the card:\n{card_text(card)}"
    inputs = card_inputs(card)
    labels = {str(i.get("label") or i.get("title") or i["id"]): i for i in inputs}
    unknown = set(by_label) - set(labels)
    assert not unknown, f"no inputs labelled {sorted(unknown)} on the card; it has {sorted(labels)}"
    values: dict[str, Any] = {i["id"]: i["value"] for i in inputs if i.get("value") is not None}
    for label, value in by_label.items():
        values[labels[label]["id"]] = value
    return {**(actions[0].get("data") or {}), **values}


@dataclass
class Received:
    """Something the bot did, as the Playground saw it.

    source "stream": a frame of the UI's conversation WebSocket (kind "createMessage",
    "updateMessage" or "typing"): what the current user sees in their own chats; `message_id` is
    the id of that message (one per attachment), the `replyToId` for an invoke on its card.
    source "connector": a log entry for a call the bot made to the Playground's connector (kind
    "message", "typing", "createConversation", "getConversationMembers", ...): the only view of
    chats the current user is not in. `message_id` is the id the connector answered (None when it
    answered 202 because it split the activity), `status` its HTTP status.
    source "to_bot": a log entry for an activity the Playground sent to the bot, logged when the
    bot's HTTP answer came back (so the bot's turn is over): kind is the activity type, `status`
    the bot's HTTP status, `message_id` the activity id."""

    source: str
    kind: str
    conversation_id: str | None
    message_id: str | None
    text: str | None
    attachments: list[dict[str, Any]]
    status: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [a.get("content") or {} for a in self.attachments
                if a.get("contentType") == ADAPTIVE_CARD]

    @property
    def card_text(self) -> str:
        return "\n".join(card_text(c) for c in self.cards)

    @property
    def visible_text(self) -> str:
        """The message's text and its cards' text: what a person reads."""
        return "\n".join(part for part in (self.text or "", self.card_text) if part)

    @property
    def is_message(self) -> bool:
        return self.kind in ("createMessage", "updateMessage", "message")

    def describe(self) -> str:
        where = f"{self.source}:{self.kind} conv={self.conversation_id} id={self.message_id}"
        status = f" HTTP {self.status}" if self.status is not None else ""
        return f"[{where}{status}] {self.visible_text[:300]!r}"


def _from_stream(frame: dict[str, Any]) -> Received:
    message = frame.get("message") or {}
    return Received(
        source="stream", kind=str(frame.get("action")),
        conversation_id=frame.get("actionConversationId"),
        message_id=message.get("messageId"), text=message.get("text"),
        attachments=list(message.get("attachments") or []), raw=frame,
    )


def _from_log(entry: dict[str, Any]) -> Received:
    to_bot = entry.get("from") == PLAYGROUND_LABEL
    request = (entry.get("request") or {}).get("body") or {}
    response = entry.get("response") or {}
    body = response.get("body")
    conversation_id = entry.get("conversationId")
    if entry.get("activityName") == "createConversation" and isinstance(body, dict):
        conversation_id = body.get("id")  # the conversation it created
    return Received(
        source="to_bot" if to_bot else "connector", kind=str(entry.get("activityName")),
        conversation_id=conversation_id,
        message_id=entry.get("messageId"),
        text=request.get("text") if isinstance(request, dict) else None,
        attachments=list(request.get("attachments") or []) if isinstance(request, dict) else [],
        status=response.get("statusCode"), raw=entry,
    )


class Playground:
    """Starts the real Playground against a bot, acts as its users over its HTTP API, and
    collects what the bot sends from both of its WebSockets."""

    def __init__(self, startup_timeout: float = 20.0, config_yaml: str | None = None) -> None:
        """`config_yaml`: a .m365agentsplayground.yml (users, chats, team) instead of the
        built-in mock tenant; its schema is the built-in one's (see ConfigManager in the bundle)."""
        self.startup_timeout = startup_timeout
        self.config_yaml = config_yaml
        self.port: int | None = None
        self.config: dict[str, Any] = {}
        self.received: list[Received] = []
        self.output: list[str] = []  # the process's stdout and stderr lines
        self._process: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._changed = asyncio.Condition()
        self._since = 0
        self._pending_turns: list[tuple[str, str | None]] = []  # (activity type, text) sent
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.port is not None, "the Playground is not started"
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """The connector URL the Playground puts in every activity's serviceUrl."""
        return f"http://localhost:{self.port}/_connector"

    async def start(self, bot_url: str) -> Playground:
        require_playground()
        self.port = free_port()
        self._workdir = self._make_workdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(_PLAYGROUND_ENV_PREFIXES) and k not in _PLAYGROUND_ENV_NAMES}
        env["TEAMSAPPTESTER_BROWSER"] = "none"
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        self._process = await asyncio.create_subprocess_exec(
            str(CLI), "-e", bot_url, "-c", "msteams", "-p", str(self.port), "--disable-telemetry",
            cwd=self._workdir.name, env=env, start_new_session=True,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._tasks.append(asyncio.create_task(self._read_output()))
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            self.config = await self._wait_until_ready()
            for path, handler in (("/_ws_conversation/v1/conversations/stream", _from_stream),
                                  ("/_ws/log/stream", None)):
                ws = await self._session.ws_connect(self.url + path, heartbeat=None)
                self._sockets.append(ws)
                self._tasks.append(asyncio.create_task(self._read_socket(ws, handler)))
        except BaseException:
            await self.stop()
            raise
        return self

    def _make_workdir(self) -> tempfile.TemporaryDirectory[str]:
        """A fresh working directory: the Playground reads its config file and writes devTools/
        there."""
        workdir = tempfile.TemporaryDirectory(prefix="playground-")
        if self.config_yaml is not None:
            Path(workdir.name, ".m365agentsplayground.yml").write_text(self.config_yaml)
        return workdir

    async def _wait_until_ready(self) -> dict[str, Any]:
        assert self._session is not None and self._process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout
        last_error = "no answer yet"
        while loop.time() < deadline:
            if self._process.returncode is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._tasks[0]), 2)  # drain its output
                raise RuntimeError(f"the Playground exited with {self._process.returncode}:\n"
                                   + self.log_tail())
            try:
                timeout = aiohttp.ClientTimeout(total=max(0.5, deadline - loop.time()))
                async with self._session.get(self.url + "/_internal/v1/config",
                                             timeout=timeout) as response:
                    if response.status == 200:
                        config: dict[str, Any] = await response.json()
                        return config
                    last_error = f"HTTP {response.status}"
            except (TimeoutError, aiohttp.ClientConnectionError) as exc:
                last_error = repr(exc)
            await asyncio.sleep(0.05)  # polling for the port to open
        raise TimeoutError(f"the Playground did not answer /_internal/v1/config within "
                           f"{self.startup_timeout} s ({last_error}):\n" + self.log_tail())

    def log_tail(self, lines: int = 40) -> str:
        """The end of its output and of its own log file (where its errors go, not stdout)."""
        text = list(self.output)
        if self._workdir is not None:
            log_file = Path(self._workdir.name, "devTools", "m365agentsplayground.log")
            with contextlib.suppress(OSError):
                text += log_file.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    async def _read_output(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        async for line in self._process.stdout:
            self.output.append(line.decode(errors="replace").rstrip())

    async def _read_socket(self, ws: aiohttp.ClientWebSocketResponse,
                           convert: Callable[[dict[str, Any]], Received] | None) -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(frame.data)
            if convert is not None:
                item = convert(data)
            else:
                entry = data.get("log") or {}
                if entry.get("type") != "bot":
                    continue  # the log's text lines
                item = _from_log(entry)
            async with self._changed:
                self.received.append(item)
                if item.source == "to_bot":
                    self._turn_over(item)
                self._changed.notify_all()

    def _turn_over(self, item: Received) -> None:
        for expected in self._pending_turns:
            kind, text = expected
            if item.kind == kind and (text is None or item.text == text):
                self._pending_turns.remove(expected)
                return

    async def stop(self) -> None:
        """Waits (briefly) for the bot's turns to end, so no turn is cut off by a vanished
        connector, then ends the Playground's process group."""
        if self._process is not None and self._process.returncode is None and self._sockets:
            with contextlib.suppress(TimeoutError):
                await self.settle(timeout=5)
        for task in self._tasks:
            task.cancel()
        for ws in self._sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        self._sockets.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # its own group: started with a new session
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    async def __aenter__(self) -> Playground:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the mock tenant --------------------------------------------------------------------------

    @property
    def current_user(self) -> dict[str, Any]:
        return dict(self.config["config"]["currentUser"])

    @property
    def bot(self) -> dict[str, Any]:
        return dict(self.config["config"]["bot"])

    @property
    def personal_chat_id(self) -> str:
        """The current user's 1:1 chat with the bot."""
        return str(self.config["config"]["personalChat"]["id"])

    @property
    def group_chat_id(self) -> str:
        return str(self.config["config"]["groupChats"][0]["id"])

    def user(self, user_id: str) -> dict[str, Any]:
        config = self.config["config"]
        for user in [config["currentUser"], *config["users"]]:
            if user["id"] == user_id:
                return dict(user)
        raise KeyError(user_id)

    def streamed(self, conversation_id: str) -> bool:
        """Whether the UI's WebSocket shows this conversation: the current user's chats and the
        team's channels (and channel posts), not 1:1 chats the bot opened with other users."""
        config = self.config["config"]
        visible = {config["personalChat"]["id"], *(g["id"] for g in config["groupChats"])}
        visible |= {c["id"] for t in config["teams"] for c in t["channels"]}
        return conversation_id.split(";")[0] in visible

    # -- acting as users --------------------------------------------------------------------------

    def _mark(self) -> None:
        self._since = len(self.received)

    async def _post(self, path: str, body: dict[str, Any], what: str) -> Any:
        assert self._session is not None, "the Playground is not started"
        async with self._session.post(self.url + path, json=body) as response:
            text = await response.text()
            if response.status != 200:
                raise PlaygroundError(what, response.status, text)
            return json.loads(text) if text else None

    async def say(self, user_id: str, text: str, conversation_id: str | None = None,
                  mention_bot: bool | None = None) -> str:
        """The current user types `text` in a chat (their personal chat by default); returns the
        message id. The bot is called after this returns: await its answer with wait_for.

        The Playground sends every typed message to the bot as the current user, whatever user
        the request names, so another user cannot type: they act through invoke()."""
        me = self.current_user["id"]
        if user_id != me:
            raise ValueError(f"the Playground delivers typed messages as the current user {me} "
                             f"only (it ignores 'from'); {user_id} can act through invoke()")
        conversation_id = conversation_id or self.personal_chat_id
        if mention_bot is None:
            mention_bot = conversation_id != self.personal_chat_id
        body: dict[str, Any] = {"from": {"id": user_id}, "text": text, "textFormat": "plain"}
        if mention_bot:
            at = f"<at>{self.bot['name']}</at>"
            body["text"] = f"{at} {text}"
            body["mentions"] = [{"mentioned": {"id": self.bot["id"]}, "text": at}]
        self._mark()
        self._pending_turns.append(("message", body["text"]))
        result = await self._post(f"/_conversation/v1/conversations/{conversation_id}/messages",
                                  body, f"{user_id} saying {text!r}")
        return str(result["messageId"])

    async def invoke(self, user_id: str, conversation_id: str, reply_to_id: str, verb: str,
                     data: dict[str, Any]) -> dict[str, Any]:
        """`user_id` presses the Action.Execute `verb` on the card `reply_to_id` in a conversation
        (an adaptiveCard/action invoke from that user); returns the invoke response the
        Playground got from the bot: {"type": ..., "value": ...}."""
        body = {
            "name": "adaptiveCard/action", "from": {"id": user_id},
            "conversation": {"id": conversation_id}, "replyToId": reply_to_id,
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data},
                      "trigger": "manual"},
        }
        self._mark()
        result = await self._post("/_conversation/v1/invoke", body, f"{user_id} pressing {verb}")
        assert isinstance(result, dict), result
        return result

    async def install(self, conversation_id: str | None = None) -> None:
        """What the UI does when a conversation is first opened: the bot gets an
        installationUpdate and a conversationUpdate (membersAdded) from the current user."""
        self._mark()
        conversation_id = conversation_id or self.personal_chat_id
        self._pending_turns += [("installationUpdate", None), ("conversationUpdate", None)]
        await self._post(f"/_debug/conversation/{conversation_id}/installation", {},
                         f"installing in {conversation_id}")

    async def members(self, conversation_id: str) -> list[dict[str, Any]]:
        """The connector's member list of a conversation (ids and objectIds), for diagnosis."""
        assert self._session is not None
        async with self._session.get(
                f"{self.url}/_connector/v3/conversations/{conversation_id}/members") as response:
            if response.status != 200:
                raise PlaygroundError("members", response.status, await response.text())
            result: list[dict[str, Any]] = await response.json()
            return result

    # -- what the bot did -------------------------------------------------------------------------

    async def settle(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - bounded wait
        """Until the bot has answered every activity say() and install() made the Playground
        send (the Playground logs each answer), i.e. its turns are over."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while self._pending_turns:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"the bot's turns did not end: {self._pending_turns}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_for(
        self,
        predicate: Callable[[Received], bool],
        timeout: float = 10.0,  # noqa: ASYNC109 - a bounded wait is the point of this method
        since: int | None = None,
    ) -> Received:
        """The first thing the bot did that matches, from `since` (an index into `received`;
        default: since the last say/invoke/install started). Waits on the sockets, up to
        `timeout` seconds."""
        start = self._since if since is None else since
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._changed:
            while True:
                for item in self.received[start:]:
                    if predicate(item):
                        return item
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
        seen = "\n".join(i.describe() for i in self.received[start:]) or "(nothing)"
        raise TimeoutError(f"nothing the bot did matched within {timeout} s; it did:\n{seen}")

    async def wait_for_message(
        self, conversation_id: str, contains: str | None = None, with_card: bool = False,
        timeout: float = 10.0,  # noqa: ASYNC109 - a bounded wait is the point of this method
        since: int | None = None,
    ) -> Received:
        """A message the bot sent to a conversation, as the person in it would see it: from the
        UI's stream for the current user's chats, from the connector log for other users' chats
        (which the Playground does not stream). `contains` is matched case-insensitively against
        its text and cards' text."""
        source = "stream" if self.streamed(conversation_id) else "connector"

        def match(item: Received) -> bool:
            return (item.source == source and item.is_message
                    and item.conversation_id == conversation_id
                    and (not with_card or bool(item.cards))
                    and (contains is None or contains.lower() in item.visible_text.lower()))

        return await self.wait_for(match, timeout, since)
