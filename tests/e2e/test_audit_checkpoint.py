"""`signoff audit checkpoint --post`: the bot's relay posts the chain's head to the audit chat,
where it is out of reach of whoever can edit the database; verifying against it later holds."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from settings import Settings
from tests.e2e.conftest import BotProcess, SteppingClock
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import MEGAN, TeamsClient
from tests.e2e.test_exception_flow import submit_exception
from tests.signoff_cli import signoff

AUDIT_CHAT = "19:audit-evidence@thread.v2"


async def test_a_posted_checkpoint_reaches_the_audit_chat(
    sqlite_url: str, clock: SteppingClock, connector: FakeConnector, tmp_path: Path
) -> None:
    process = BotProcess(Settings(database_url=sqlite_url), clock)
    try:
        async with aiohttp.ClientSession() as session:
            teams = TeamsClient(await process.start(), connector.url, session,
                                settle=process.settle)
            await teams.say(MEGAN, "hi")
            await submit_exception(teams, connector)

            posted = await signoff(sqlite_url, tmp_path, "audit", "checkpoint", "--post",
                                   SIGNOFF_CHECKPOINT_CHAT=AUDIT_CHAT)
            clock.advance(days=1)  # the command stamps wall-clock time; the bot's clock is fixed
            await process.settle()
    finally:
        await process.stop()
    head_hash = next(line.split()[1] for line in posted.out.splitlines()
                     if line.startswith("hash:"))
    verified = await signoff(sqlite_url, tmp_path, "audit", "verify", "--checkpoint", head_hash)

    assert posted.code == 0, posted
    [message] = connector.sent_to(AUDIT_CHAT)
    assert "Audit checkpoint" in message.card_text and head_hash in message.card_text
    assert "newest event is 1 (event 1 of the chain)" in message.card_text
    assert verified.code == 0 and "found in the chain" in verified.out
