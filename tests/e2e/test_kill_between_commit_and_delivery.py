"""A process SIGKILLed between committing a state change (with its outbox message) and delivering
it: the app started again on the same database delivers the message exactly once, and a replay
of the same state change with another restart does not send it again."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import SteppingClock
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import MEGAN
from tests.e2e.workers_support import running_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """These tests run on SQLite and on PostgreSQL."""
    return database_url


async def commit_then_kill(database_url: str, service_url: str, clock: SteppingClock,
                           moment: str) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.commit_then_hang", database_url, service_url,
        clock.now().isoformat(), moment, cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        async with asyncio.timeout(60):
            said = await child.stdout.readline()
        assert said.decode().strip() == moment, "the child did not get to its commit"
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("moment", ["committed", "claimed"])
async def test_a_message_committed_before_a_kill_is_delivered_once_after_restart(
    app_database_url: str, connector: FakeConnector, clock: SteppingClock, moment: str
) -> None:
    await commit_then_kill(app_database_url, connector.url, clock, moment)
    assert connector.calls == []

    async with running_app(app_database_url, clock) as running:
        await running.workers.relay.drain()
        if moment == "claimed":  # the dead relay's claim holds until its lease runs out
            assert connector.sent_to(MEGAN.personal_conversation) == []
            clock.advance(minutes=4, seconds=59)
            await running.workers.relay.drain()
            assert connector.sent_to(MEGAN.personal_conversation) == []
            clock.advance(seconds=1)
            await running.workers.relay.drain()
        row = await running.outbox_row("EXC-1:v1:approval:megan")
    sent = connector.sent_to(MEGAN.personal_conversation)
    assert [c.body.get("text") for c in sent] == ["EXC-1 needs your decision"]
    assert (row["state"], row["attempts"]) == ("sent", 2 if moment == "claimed" else 1)

    await commit_then_kill(app_database_url, connector.url, clock, "committed")  # a replay
    clock.advance(hours=1)
    async with running_app(app_database_url, clock) as running:
        await running.workers.relay.drain()
    clock.advance(days=1)
    async with running_app(app_database_url, clock) as running:  # and once more
        await running.workers.relay.drain()
        backlog = await running.workers.backlog()

    assert len(connector.sent_to(MEGAN.personal_conversation)) == 1
    assert (backlog["outbox"]["pending"], backlog["outbox"]["failed"]) == (0, 0)
