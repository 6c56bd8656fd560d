"""Hostile bodies posted to /api/messages of the real app process: never a 500, the process
stays up and healthy, garbage writes nothing, and a well-formed activity writes only what its
turn may write (a hostile sender never decides anything).

Examples per run: SIGNOFF_FUZZ_EXAMPLES (default 400); a failing body is printed by Hypothesis.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.app_processes import AppProcess, alive, fork_server, healthz, until
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.hostile import JSON_VALUES, encode, teams_activities
from tests.e2e.teams import ISAIAH, TeamsClient

log = logging.getLogger(__name__)
EXAMPLES = int(os.environ.get("SIGNOFF_FUZZ_EXAMPLES", "400"))
TABLES = ("requests", "decisions", "notes", "audit_events", "conversation_refs", "card_messages",
          "dialog_state", "jobs", "outbox")
FORM = {"kind": "exception", "asset_name": "payments-api", "title": "Fuzz target",
        "justification": "A request the fuzzer's senders may not decide.", "risk": "low",
        "controls": "none", "expires_on": (date.today() + timedelta(days=14)).isoformat()}


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def unsent(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM outbox WHERE state != 'sent'").fetchone()[0])


def state_of(path: Path, request_id: str) -> str:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return str(db.execute("SELECT state FROM requests WHERE id = ?", (request_id,))
                   .fetchone()[0])


class Target:
    def __init__(self, app: AppProcess, db_path: Path, session: aiohttp.ClientSession,
                 service_url: str) -> None:
        self.app = app
        self.db_path = db_path
        self.session = session
        self.service_url = service_url
        self.statuses: Counter[str] = Counter()

    async def post(self, body: bytes) -> int:
        async with self.session.post(
            self.app.messages_url, data=body, headers={"Content-Type": "application/json"},
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            await response.read()
            return response.status


@pytest.fixture
async def target(tmp_path: Path, connector: FakeConnector) -> AsyncIterator[Target]:
    db_path = tmp_path / "signoff.db"
    app_log = (tmp_path / "app.log").open("wb")
    async with aiohttp.ClientSession() as session, fork_server(session, app_log) as server:
        app = await server.spawn(f"sqlite+aiosqlite:///{db_path}")
        teams = TeamsClient(app.messages_url, connector.url, session)
        confirmation = await teams.click(ISAIAH, "request.submit", FORM, reply_to_id="form-1")
        assert "EXC-1" in str(confirmation)
        await until(lambda: unsent(db_path) == 0)  # the relay's deliveries write rows too
        target = Target(app, db_path, session, connector.url)
        yield target
        log.warning("statuses: %s; app log: %s", sorted(target.statuses.items()),
                    tmp_path / "app.log")
        assert alive(app.pid), "the app process died"
        assert await healthz(session, app.url) == 200


def allowed_growth(activity: Any) -> dict[str, int]:
    """The rows one accepted turn may add: a submit may create one request (and its messages
    and deadlines); any turn may remember its sender's chat, card or dialog and audit once."""
    growth = {"audit_events": 1, "conversation_refs": 1, "card_messages": 1, "dialog_state": 1}
    action = ((activity.get("value") or {}) if isinstance(activity, dict) else {})
    action = action.get("action") if isinstance(action, dict) else None
    if isinstance(action, dict) and action.get("verb") == "request.submit":
        growth.update(requests=1, jobs=10, outbox=10)
    return growth


def unsupported_invoke(activity: Any) -> bool:
    """An invoke the bot does not implement: the SDK answers 501 Not Implemented, by design."""
    return (isinstance(activity, dict) and activity.get("type") == "invoke"
            and activity.get("name") != "adaptiveCard/action")


async def check(target: Target, body: bytes, activity: Any = None) -> None:
    before = row_counts(target.db_path)
    status = await target.post(body)
    shape = (f"{activity.get('type')!r:.20} {activity.get('name')!r:.25}"
             if isinstance(activity, dict) else "not an activity")
    target.statuses[f"{shape}: {status}"] += 1
    assert status < 500 or status == 501 and unsupported_invoke(activity), (
        f"HTTP {status} for {body[:300]!r}")
    after = row_counts(target.db_path)
    if 400 <= status < 500:  # refused at the edge (a 501 is a turn that ran)
        assert after == before, f"a refused body (HTTP {status}) wrote rows"
        return
    limits = allowed_growth(activity)
    grew = {t: after[t] - before[t] for t in TABLES if after[t] != before[t]}
    assert all(0 <= n <= limits.get(t, 0) for t, n in grew.items()), grew
    assert after["decisions"] == 0 and state_of(target.db_path, "EXC-1") == "pending"


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
async def test_hostile_bodies_never_get_a_500_and_write_nothing_they_should_not(
    target: Target, data: st.DataObject
) -> None:
    shape = data.draw(st.sampled_from(["bytes", "json", "activity", "activity", "activity"]))
    if shape == "bytes":
        await check(target, data.draw(st.binary(max_size=2000)))
    elif shape == "json":
        await check(target, encode(data.draw(JSON_VALUES)))
    else:
        activity = data.draw(teams_activities(target.service_url))
        await check(target, encode(activity), activity)
