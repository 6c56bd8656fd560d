"""An undecided request climbs the escalation chain by the clock: backup, manager, leadership."""

from __future__ import annotations

import aiohttp

from settings import Settings
from tests.e2e.conftest import BotProcess, SteppingClock, verbs
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ADELE, ALEX, MEGAN, TeamsClient, User
from tests.e2e.test_exception_flow import submit_exception

LYNNE = User("lynne", "Lynne Robbins", "00000000-0000-0000-0000-0000000000025")
LEADERS = "19:leadership@thread.tacv2"


def approval_cards(connector: FakeConnector, user: User) -> list[str]:
    return [c.card_text for c in connector.sent_to(user.personal_conversation)
            if c.cards and "decision.approve" in verbs(c.cards[0])]


async def test_reminder_then_backup_then_manager_then_the_leadership_channel(
    sqlite_url: str, clock: SteppingClock, connector: FakeConnector
) -> None:
    process = BotProcess(Settings(database_url=sqlite_url, channels=f"leadership={LEADERS}"),
                         clock)
    try:
        async with aiohttp.ClientSession() as session:
            teams = TeamsClient(await process.start(), connector.url, session,
                                settle=process.settle)
            for user in (MEGAN, ADELE, LYNNE):
                await teams.say(user, "hi")
            await submit_exception(teams, connector)
            assert len(approval_cards(connector, MEGAN)) == 1
            assert approval_cards(connector, ADELE) == []

            clock.advance(days=1, minutes=1)  # a daily reminder before the 3-day deadline
            await process.settle()
            assert len(approval_cards(connector, MEGAN)) == 2
            assert approval_cards(connector, ADELE) == []

            clock.advance(days=2)  # the deadline: the backup gets the card, Alex is told
            await process.settle()
            assert len(approval_cards(connector, ADELE)) == 1
            told = [c.body.get("text") or "" for c in connector.sent_to(ALEX.personal_conversation)]
            assert any("went to more people" in t for t in told)
            assert connector.sent_to(LEADERS) == []

            clock.advance(days=1)  # then Megan's manager
            await process.settle()
            assert len(approval_cards(connector, LYNNE)) == 1

            clock.advance(days=1)  # then the leadership channel
            await process.settle()
            [posted] = connector.sent_to(LEADERS)
            assert "EXC-1 is overdue" in posted.card_text

            decided = await teams.click(LYNNE, "decision.approve", {"requestId": "EXC-1"})
            assert "approved" in str(decided).lower()
            clock.advance(days=30)
            await process.settle()
            assert len(connector.sent_to(LEADERS)) == 1, "nothing more once decided"
    finally:
        await process.stop()
