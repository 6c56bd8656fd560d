"""Teams-shaped activities for the benchmark (the same shapes as tests/e2e/teams.py and the
wrk scripts in bench/wrk/)."""

from __future__ import annotations

import itertools
import json
from typing import Any

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT = {"id": "28:signoff-bot", "name": "Signoff"}
_ACTIVITY_IDS = itertools.count(1)  # each activity its own id, as Teams sends them
ALEX = ("alex", "Alex Wilber", "00000000-0000-0000-0000-0000000000020")
MEGAN = ("megan", "Megan Bowen", "00000000-0000-0000-0000-0000000000021")
USERS_PER_WORKER = 64  # as USERS_PER_THREAD in bench/wrk/message.lua


def _base(kind: str, key: str, name: str, aad: str, service_url: str,
          conversation: str) -> dict[str, Any]:
    return {
        "type": kind, "id": f"in-bench-{next(_ACTIVITY_IDS)}",
        "timestamp": "2026-11-27T10:00:00.000Z",
        "channelId": "msteams", "serviceUrl": service_url,
        "from": {"id": f"29:{key}", "name": name, "aadObjectId": aad},
        "recipient": BOT,
        "conversation": {"id": conversation, "conversationType": "personal",
                         "tenantId": TENANT, "isGroup": False},
        "channelData": {"tenant": {"id": TENANT}}, "locale": "en-US",
    }


def message(user: tuple[str, str, str], text: str, service_url: str) -> dict[str, Any]:
    key, name, aad = user
    return {**_base("message", key, name, aad, service_url, f"a:personal-{key}"), "text": text}


def bench_user_message(worker: int, user: int, text: str, service_url: str) -> bytes:
    """What bench/wrk/message.lua sends: user `user` of load worker `worker`."""
    key = f"{worker}-{user}"
    aad = f"00000000-0000-0000-0001-{worker * 10000 + user:012d}"
    body = _base("message", f"bench-{key}", f"Bench User {key}", aad, service_url,
                 f"a:personal-bench-{key}")
    body["text"] = text
    return json.dumps(body).encode()


def approve_click(request_id: str, service_url: str) -> bytes:
    """What bench/wrk/decision.lua sends: Megan clicks Approve on `request_id`'s card."""
    key, name, aad = MEGAN
    body = _base("invoke", key, name, aad, service_url, f"a:personal-{key}")
    body.update(name="adaptiveCard/action", replyToId="card-bench", value={
        "action": {"type": "Action.Execute", "verb": "decision.approve",
                   "data": {"requestId": request_id, "comment": "bench"}},
        "trigger": "manual",
    })
    return json.dumps(body).encode()
