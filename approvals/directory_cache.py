"""Directory answers kept a while by the injected clock; a throttled directory is left alone."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from approvals.directory import AutomaticReplies, Directory, DirectoryPerson, DirectoryUnavailable
from approvals.ports import Clock

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class _Entry:
    value: object
    expires_at: datetime


class CachedDirectory:
    """A Directory that keeps each answer (a "not found" too) for `ttl`, out-of-office replies
    for the shorter `away_ttl`. After a 429 it asks nothing until Retry-After has passed (after
    an outage, for `outage_pause`); while the directory fails it serves an expired answer
    rather than none."""

    def __init__(self, inner: Directory, clock: Clock, ttl: timedelta = timedelta(minutes=15),
                 away_ttl: timedelta = timedelta(minutes=5), max_entries: int = 10_000,
                 outage_pause: timedelta = timedelta(seconds=30)) -> None:
        self.inner = inner
        self.outage_pause = outage_pause
        self.clock = clock
        self.ttl = ttl
        self.away_ttl = away_ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], _Entry] = {}
        self.paused_until: datetime | None = None

    async def find_person(self, upn_or_email: str) -> DirectoryPerson | None:
        key = upn_or_email.strip().lower()
        return await self._get("person", key, self.ttl, lambda: self.inner.find_person(key))

    async def group_members(self, group_id: str) -> tuple[DirectoryPerson, ...] | None:
        return await self._get("group", group_id, self.ttl,
                               lambda: self.inner.group_members(group_id))

    async def manager_of(self, object_id: str) -> DirectoryPerson | None:
        key = object_id.lower()
        return await self._get("manager", key, self.ttl, lambda: self.inner.manager_of(key))

    async def automatic_replies(self, object_id: str) -> AutomaticReplies | None:
        key = object_id.lower()
        return await self._get("replies", key, self.away_ttl,
                               lambda: self.inner.automatic_replies(key))

    async def _get(self, kind: str, key: str, ttl: timedelta,
                   fetch: Callable[[], Awaitable[T]]) -> T:
        now = self.clock.now()
        entry = self._entries.get((kind, key))
        if entry is not None and now < entry.expires_at:
            return entry.value  # type: ignore[return-value]
        try:
            if self.paused_until is not None and now < self.paused_until:
                wait = (self.paused_until - now).total_seconds()
                raise DirectoryUnavailable(
                    f"the directory failed or is throttling: not asked again before "
                    f"{self.paused_until:%H:%M:%S} UTC", retry_after=wait)
            value = await fetch()
        except DirectoryUnavailable as exc:
            # Throttled: as long as asked. Down: a short pause, so that users' turns do not
            # each wait for a directory that is not there.
            pause = (timedelta(seconds=exc.retry_after) if exc.retry_after is not None
                     else self.outage_pause)
            self.paused_until = max(self.paused_until or now, now + pause)
            if entry is None:
                raise
            log.warning("directory unavailable (%s): using the %s of %s from %s",
                        exc.reason, kind, key, f"{entry.expires_at - ttl:%Y-%m-%d %H:%M} UTC")
            return entry.value  # type: ignore[return-value]
        self._store((kind, key), _Entry(value, now + ttl))
        return value

    def _store(self, key: tuple[str, str], entry: _Entry) -> None:
        self._entries.pop(key, None)
        self._entries[key] = entry
        while len(self._entries) > self.max_entries:  # the oldest answer goes first
            del self._entries[next(iter(self._entries))]
