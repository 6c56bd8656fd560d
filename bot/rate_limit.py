"""Teams' per-conversation limits for one bot, kept by the relay: a message waits for a slot.

In-process: two app processes each keep their own count, so together they could reach twice
the rate; Teams then answers 429 and the relay backs off as told.
"""

from __future__ import annotations

import bisect
from collections import deque
from datetime import datetime, timedelta

# Per bot per conversation thread (TEAMS-NOTES.md): (window, messages allowed in it).
TEAMS_LIMITS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(seconds=1), 7),
    (timedelta(seconds=2), 8),
    (timedelta(seconds=30), 60),
    (timedelta(hours=1), 1800),
)
SWEEP_EVERY = 1000


class ConversationLimiter:
    """Send times per conversation, by the injected clock's time."""

    def __init__(self, limits: tuple[tuple[timedelta, int], ...] = TEAMS_LIMITS) -> None:
        self._limits = limits
        self._horizon = max(window for window, _ in limits)
        self._sent: dict[str, deque[datetime]] = {}
        self._paused: dict[str, datetime] = {}
        self._records = 0

    def next_slot(self, conversation: str, now: datetime) -> datetime:
        """The earliest time a message to `conversation` may go: `now` if it may go now."""
        at = max(now, self._paused.get(conversation, now))
        sent = self._sent.get(conversation)
        if sent:
            for window, limit in self._limits:
                if len(sent) >= limit:
                    # The window (t - window, t] must hold fewer than `limit` sends.
                    at = max(at, sent[-limit] + window)
        return at

    def record(self, conversation: str, at: datetime) -> None:
        sent = self._sent.setdefault(conversation, deque())
        bisect.insort(sent, at)  # a reserved slot may lie ahead of a send recorded later
        while sent and sent[0] <= at - self._horizon:
            sent.popleft()
        self._records += 1
        if self._records % SWEEP_EVERY == 0:
            self._sweep(at)

    def paused(self, conversation: str, now: datetime) -> bool:
        """Teams said 429 (or a retry waits) and the pause is not over."""
        return self._paused.get(conversation, now) > now

    def pause(self, conversation: str, until: datetime) -> None:
        """Nothing more to this conversation before `until` (Teams said 429, or a retry waits)."""
        self._paused[conversation] = max(until, self._paused.get(conversation, until))

    def _sweep(self, now: datetime) -> None:
        """Forget conversations idle for longer than the longest window."""
        idle = [c for c, sent in self._sent.items() if not sent or sent[-1] <= now - self._horizon]
        for conversation in idle:
            del self._sent[conversation]
        for conversation in [c for c, until in self._paused.items() if until <= now]:
            del self._paused[conversation]
