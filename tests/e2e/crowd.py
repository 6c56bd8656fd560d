"""Many people for load and fault tests: a catalog of pairs (a requester, an owner and the
owner's asset), so that no single chat hits Teams' per-conversation rate limit, and the
Teams-side clicks and the bookkeeping of what the bot acknowledged."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.teams import TeamsClient, User

REQUEST_ID = re.compile(r"\b((?:EXC|RBK)-\d+)\b")
OUTCOME = re.compile(r"\b(approved|rejected)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    requester: User
    owner: User
    asset: str


def pairs(count: int) -> list[Pair]:
    return [Pair(User(f"req{i}", f"Requester {i}", f"10000000-0000-0000-0000-{i:012d}"),
                 User(f"own{i}", f"Owner {i}", f"20000000-0000-0000-0000-{i:012d}"),
                 f"asset-{i}") for i in range(count)]


def write_catalog(path: Path, crowd: list[Pair]) -> Path:
    """Each asset owned by one person, no backup or team: one decider per request."""
    lines = ["people:"]
    for pair in crowd:
        for user in (pair.requester, pair.owner):
            lines += [f"  - id: {user.key}", f"    name: {user.name}",
                      f"    email: {user.key}@example.com", f"    aad_object_id: {user.aad}"]
    # The default policy file names a security team (critical tier): it must exist.
    lines += ["  - id: security", "    name: Security Officer",
              "    email: security@example.com",
              "    aad_object_id: 30000000-0000-0000-0000-000000000000",
              "teams:", "  - id: security-team", "    name: Security", "    members: [security]"]
    lines.append("assets:")
    for pair in crowd:
        lines += [f"  - name: {pair.asset}", "    kind: azure-app-service",
                  f"    owner: {pair.owner.key}", "    tier: low"]
    path.write_text("\n".join(lines) + "\n")
    return path


def form(asset: str) -> dict[str, str]:
    return {"kind": "exception", "asset_name": asset, "title": "Open a port for a migration",
            "justification": "The migration tool needs it.", "risk": "low",
            "controls": "allow-list", "expires_on": (date.today() + timedelta(days=14)).isoformat()}


def card_text(answer: dict[str, Any]) -> str:
    return str(answer.get("value") or answer)


@dataclass
class Ledger:
    """What the bot acknowledged (HTTP 200 with the outcome on the card), and what it did not."""

    submitted: dict[str, Pair] = field(default_factory=dict)  # request id -> who
    decided: dict[str, str] = field(default_factory=dict)  # request id -> outcome seen
    undecided: list[str] = field(default_factory=list)  # submitted, no decision acknowledged
    counts: Counter[str] = field(default_factory=Counter)


async def click(teams: TeamsClient, user: User, verb: str, data: dict[str, Any],
                reply_to_id: str) -> dict[str, Any] | None:
    """The invoke's answer, or None when the process died under it (no acknowledgement)."""
    body = teams.card_action(user, verb, data, reply_to_id)
    try:
        async with await teams.post(body) as response:
            if response.status != 200:
                return None
            answer: dict[str, Any] = await response.json()
            return answer
    except (aiohttp.ClientError, TimeoutError):
        return None


async def submit(teams: TeamsClient, pair: Pair, ledger: Ledger, n: int) -> str | None:
    answer = await click(teams, pair.requester, "request.submit", form(pair.asset),
                         reply_to_id=f"form-{pair.requester.key}-{n}")
    found = REQUEST_ID.search(card_text(answer)) if answer else None
    if found is None:
        ledger.counts["submit not acknowledged"] += 1
        return None
    ledger.counts["submit acknowledged"] += 1
    ledger.submitted[found.group(1)] = pair
    ledger.undecided.append(found.group(1))
    return found.group(1)


async def decide(teams: TeamsClient, request_id: str, ledger: Ledger, approve: bool) -> bool:
    pair = ledger.submitted[request_id]
    verb = "decision.approve" if approve else "decision.reject"
    answer = await click(teams, pair.owner, verb, {"requestId": request_id},
                         reply_to_id=f"card-{request_id}")
    outcome = OUTCOME.search(card_text(answer)) if answer else None
    if outcome is None:
        ledger.counts["decision not acknowledged"] += 1
        return False
    ledger.counts["decision acknowledged"] += 1
    seen = outcome.group(1).lower()
    assert ledger.decided.setdefault(request_id, seen) == seen, (request_id, seen)
    if request_id in ledger.undecided:
        ledger.undecided.remove(request_id)
    return True
