"""Which rate-limit queue a message waits in: one per chat, and one per request's card updates."""

from __future__ import annotations

from datetime import UTC, datetime

from approvals.notifications import EVERY_CARD, REFRESH_CARDS
from approvals.ports import Notification
from bot.relay import by_recipient

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def note(request_id: str, recipient: str, kind: str = "decided") -> Notification:
    return Notification(key=f"{request_id}:v2:{kind}:{recipient}", request_id=request_id,
                        recipient_id=recipient, kind=kind, created_at=NOW)


def test_a_persons_messages_share_their_chat_and_card_updates_are_per_request() -> None:
    assert by_recipient(note("EXC-1", "alex")) == by_recipient(note("EXC-2", "alex"))
    assert by_recipient(note("EXC-1", "alex")) != by_recipient(note("EXC-1", "megan"))
    updates = {by_recipient(note(f"EXC-{n}", EVERY_CARD, REFRESH_CARDS)) for n in range(100)}
    assert len(updates) == 100  # not one queue at one chat's rate for every request
    assert not updates & {"alex", "megan", "channel:leadership"}
