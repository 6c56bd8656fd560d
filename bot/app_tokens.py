"""The bot's own Entra ID token for outbound calls, fetched off the event loop.

botbuilder's app credentials get their token from MSAL synchronously, inside msrest's request
pipeline: on the first outbound call, and whenever MSAL's cached token is within 5 minutes of
expiry (or past the `refresh_in` Entra gave), the request to Entra ID runs on the event loop.
Every turn of the bot waits meanwhile, and while Entra does not answer, the bot answers
nobody. `TokenWarmer.ensure` runs that fetch on a worker thread first, whenever MSAL would
fetch; the SDK's synchronous call then finds the token in MSAL's cache. Concurrent turns wait
for the same fetch. A fetch that fails is left to the SDK's own call, which raises as before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

log = logging.getLogger(__name__)

MSAL_MARGIN_SECONDS = 300  # MSAL takes a cached token within 5 minutes of expiry as expired
UNKNOWN_EXPIRY_RECHECK_SECONDS = 60.0  # no expiry to read: look again, on the thread, this often


def needs_token(credentials: Any) -> bool:
    """The credentials sign requests (an app id is set), as botbuilder decides it."""
    should_set = getattr(credentials, "_should_set_token", None)
    return bool(should_set and should_set(None) and hasattr(credentials, "get_access_token"))


def cached_until(credentials: Any, now: float) -> float:
    """Until when MSAL's cache of `credentials` answers without asking Entra ID: for its
    newest access token (one scope per credentials), the expiry less MSAL's margin, or the
    refresh time Entra gave when that comes first. Unknown: look again in a minute."""
    cache = getattr(getattr(credentials, "app", None), "token_cache", None)
    until: list[float] = []
    if cache is not None:
        for entry in cache.search(cache.CredentialType.ACCESS_TOKEN):
            expires = int(entry["expires_on"]) - MSAL_MARGIN_SECONDS
            refresh = int(entry.get("refresh_on", expires))
            until.append(min(expires, refresh))
    return max(until) if until else now + UNKNOWN_EXPIRY_RECHECK_SECONDS


class TokenWarmer:
    """Fetches each credentials' token on a worker thread before MSAL would on the loop."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock  # MSAL reads time.time()
        self._fresh_until: WeakKeyDictionary[Any, float] = WeakKeyDictionary()
        self._fetching: WeakKeyDictionary[Any, asyncio.Future[float]] = WeakKeyDictionary()
        self.fetches = 0  # fetches run on the thread (for tests and diagnostics)

    async def ensure(self, credentials: Any) -> None:
        """Return once MSAL's cache holds a token the SDK can sign the next call with."""
        if credentials is None or self._clock() < self._fresh_until.get(credentials, 0.0):
            return
        if not needs_token(credentials):
            self._fresh_until[credentials] = float("inf")
            return
        fetching = self._fetching.get(credentials)
        if fetching is None:
            fetching = asyncio.ensure_future(asyncio.to_thread(self._fetch, credentials))
            self._fetching[credentials] = fetching
            fetching.add_done_callback(lambda done: self._done(credentials, done))
        try:
            await asyncio.shield(fetching)
        except Exception:  # noqa: BLE001 (any failure: the SDK's own call raises it as before)
            return

    def _fetch(self, credentials: Any) -> float:
        self.fetches += 1
        credentials.get_access_token()  # MSAL: from its cache, or from Entra ID
        return cached_until(credentials, self._clock())

    def _done(self, credentials: Any, done: asyncio.Future[float]) -> None:
        self._fetching.pop(credentials, None)
        if done.cancelled():
            return
        error = done.exception()
        if error is not None:
            log.warning("the bot's token for outbound calls could not be fetched: %s", error)
            return
        self._fresh_until[credentials] = done.result()
