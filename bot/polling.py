"""A background loop that runs a worker's `run_once` when there is work: at once while it finds
a full batch, else after a poll interval or as soon as someone rings the wake-up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
STOP_GRACE_SECONDS = 2.0


MAX_ROUNDS = 10_000


async def drain(run_once: Callable[[], Awaitable[int]]) -> int:
    """Rounds of `run_once` until one finds nothing due; how many items were handled in all."""
    total = 0
    for _ in range(MAX_ROUNDS):
        handled = await run_once()
        total += handled
        if handled == 0:
            break
    return total


class Wakeup:
    """Rung after a commit that queued work (see storage.uow's `on_queued`)."""

    def __init__(self) -> None:
        self._events: list[asyncio.Event] = []

    def listen(self) -> asyncio.Event:
        event = asyncio.Event()
        self._events.append(event)
        return event

    def ring(self) -> None:
        for event in self._events:
            event.set()


class Poller:
    """`min_interval`: a ring within that many seconds of the last round's start waits for
    the rest of it (real time), so that a stream of commits is handled in batches, not one
    round each; a ring after a quiet spell runs at once."""

    def __init__(self, name: str, run_once: Callable[[], Awaitable[int]], batch: int,
                 wakeup: Wakeup, poll_seconds: float, sleep: Sleep,
                 min_interval: float = 0.0, pause: Sleep = asyncio.sleep) -> None:
        self.name = name
        self._min_interval = min_interval
        self._pause = pause
        self._round_started = 0.0
        self._run_once = run_once
        self._batch = batch
        self._event = wakeup.listen()
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._stopping = False

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Let the item in progress finish (a message cut off mid-send waits out its lease and
        may go twice), then stop; cancel it if it takes longer than the grace period."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._event.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), STOP_GRACE_SECONDS)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self._stopping:
            self._event.clear()  # a ring during the round below leaves it set: no wait then
            if not await self._round() and not self._stopping:
                await self._idle()
            await asyncio.sleep(0)  # let request handlers in between full batches

    async def _round(self) -> bool:
        """One batch; True if it was full (more work is likely waiting)."""
        self._round_started = asyncio.get_running_loop().time()
        try:
            handled = await self._run_once()
        except Exception:  # the loop must outlive a bad round (database down, a bug)
            if not self._failing:
                log.exception("%s: a round failed; trying again every %.1f s",
                              self.name, self._poll_seconds)
            self._failing = True
            return False
        if self._failing:
            log.info("%s: working again", self.name)
            self._failing = False
        return handled >= self._batch

    async def _idle(self) -> None:
        woken = asyncio.ensure_future(self._event.wait())
        napped = asyncio.ensure_future(self._sleep(self._poll_seconds))
        try:
            await asyncio.wait({woken, napped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            napped.cancel()
        if self._min_interval > 0 and self._event.is_set() and not self._stopping:
            rest = self._round_started + self._min_interval - asyncio.get_running_loop().time()
            if rest > 0:
                await self._pause(rest)  # commits meanwhile join this round's batch
