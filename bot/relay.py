"""The outbox relay: delivers queued messages to Teams, within its rate limits, retrying what
Teams asks to retry, giving up after a bounded number of tries with the failure kept visible.

Delivery is at least once per outbox key: a worker killed after Teams took a message but
before marking it sent delivers it again after the lease (5 minutes). Within one relay, a
conversation's messages keep their order: a message waiting for a retry holds back the later
ones to the same conversation.
"""

from __future__ import annotations

import asyncio
import logging
import random as random_module
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiohttp import ClientError

from approvals.notifications import EVERY_CARD
from approvals.ports import Clock, Notification
from bot.backoff import Random, RetryPolicy
from bot.messenger import DeliveryFailed
from bot.polling import drain
from bot.rate_limit import ConversationLimiter
from storage.outbox import ClaimedMessage, OutboxStore

log = logging.getLogger(__name__)

# Returns the Teams activity id of what it sent, if it knows one.
Deliver = Callable[[Notification], Awaitable[str | None]]
# Teams advises retrying 429 (after Retry-After), 412, 502 and 504; the rest of 5xx and 408
# are transient too.
RETRY_STATUSES = frozenset({408, 412, 429, 500, 502, 503, 504})
CONNECTION_ERRORS = (ClientError, OSError, TimeoutError)


class Undeliverable(Exception):
    """The message can never be delivered as it is (no such person, nothing to render)."""


def by_recipient(notification: Notification) -> str:
    """A person's messages go to their one 1:1 chat, a channel's to its thread. A request's card
    updates go to the chats holding its cards: each request is its own queue, not one queue
    shared by every request's updates (that held all card updates to one chat's rate limit)."""
    if notification.recipient_id == EVERY_CARD:
        return f"{EVERY_CARD}{notification.request_id}"
    return notification.recipient_id


class Relay:
    def __init__(self, store: OutboxStore, deliver: Deliver, clock: Clock, *, worker_id: str,
                 batch: int = 50, retry: RetryPolicy | None = None,
                 random: Random = random_module.random,
                 limiter: ConversationLimiter | None = None,
                 conversation_of: Callable[[Notification], str] = by_recipient,
                 delivery_timeout: float = 60.0) -> None:
        self.store = store
        self.worker_id = worker_id
        self.batch = batch
        self._deliver = deliver
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._random = random
        self._limiter = limiter or ConversationLimiter()
        self._conversation_of = conversation_of
        self._timeout = delivery_timeout
        self._reserved: dict[str, datetime] = {}  # outbox key -> the send slot kept for it
        self.stopping = False  # set at shutdown: the rest of a batch goes back unsent

    async def run_once(self) -> int:
        """Claim one batch of due messages and deliver (or defer) each; how many were claimed."""
        claimed = await self.store.claim_due_messages(
            self._clock.now(), self.batch, self.worker_id, self._retry.max_tries)
        deferred: dict[datetime, list[str]] = defaultdict(list)
        for message in claimed:
            conversation = self._conversation_of(message.notification)
            now = self._clock.now()
            if self.stopping:
                deferred[now].append(message.notification.key)
                continue
            key = message.notification.key
            reserved = self._reserved.pop(key, None)
            if reserved is not None and reserved <= now and not self._limiter.paused(
                    conversation, now):
                await self._send(message, conversation)  # its slot was counted when reserved
                continue
            slot = self._limiter.next_slot(conversation, now)
            if slot > now:  # over Teams' limit for this chat, or waiting behind a retry
                # Reserve the slot, so the next message to this chat gets the one after it and
                # is not claimed again until then (no claim-and-defer churn under a backlog).
                self._limiter.record(conversation, slot)
                self._reserved[key] = slot
                deferred[slot].append(key)
                continue
            self._limiter.record(conversation, now)
            await self._send(message, conversation)
        await self.store.defer_each(deferred, self.worker_id)  # one transaction for the batch
        return len(claimed)

    async def drain(self) -> int:
        """Rounds until nothing is due at the clock's time; how many messages were claimed."""
        return await drain(self.run_once)

    async def _send(self, message: ClaimedMessage, conversation: str) -> None:
        n = message.notification
        try:
            async with asyncio.timeout(self._timeout):
                activity_id = await self._deliver(n)
        except Undeliverable as exc:
            await self._give_up(message, f"undeliverable: {exc}")
        except DeliveryFailed as exc:
            await self._after_failure(message, conversation, exc.status, exc.retry_after,
                                      exc.reason)
        except CONNECTION_ERRORS as exc:
            await self._after_failure(message, conversation, None, None, type(exc).__name__)
        except Exception as exc:  # a bug in rendering must not stop the relay; bounded retries
            log.exception("delivering %s raised", n.key)
            await self._after_failure(message, conversation, None, None,
                                      f"{type(exc).__name__}: {exc}")
        else:
            await self.store.mark_sent(n.key, self.worker_id, self._clock.now(), activity_id)

    async def _after_failure(self, message: ClaimedMessage, conversation: str,
                             status: int | None, retry_after: float | None, reason: str) -> None:
        error = f"HTTP {status}: {reason}" if status is not None else reason
        if (status is not None and status not in RETRY_STATUSES) or self._retry.exhausted(
            message.attempts
        ):
            await self._give_up(message, error)
            return
        wait = self._retry.delay(message.attempts, self._random)
        if retry_after is not None:
            wait = max(wait, retry_after)
        at = self._clock.now() + timedelta(seconds=wait)
        # Later messages to this conversation wait behind this one (and behind a 429).
        self._limiter.pause(conversation, at)
        await self.store.mark_retry(message.notification.key, self.worker_id, error, at)
        log.info("outbox message %s: %s; try %d of %d in %.1f s", message.notification.key,
                 error, message.attempts + 1, self._retry.max_tries, wait)

    async def _give_up(self, message: ClaimedMessage, error: str) -> None:
        n = message.notification
        await self.store.mark_failed(n.key, self.worker_id, error)
        log.error("outbox message %s (%s for %s on %s) failed after %d tries: %s", n.key, n.kind,
                  n.recipient_id, n.request_id, message.attempts, error)
