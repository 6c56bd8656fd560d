"""The bot's own Entra ID token for outbound calls: fetched on a worker thread, never on the loop.

botbuilder's app credentials get their token from MSAL synchronously, inside msrest's request
pipeline (`signed_session` -> `get_access_token`), on every request. Whenever MSAL's cached
token is within 5 minutes of expiry (or past the `refresh_in` Entra gave), that call asks Entra
ID over blocking HTTP, on the event loop: every turn of the bot waits meanwhile, and while Entra
does not answer, the bot answers nobody.

`TokenWarmer` takes that call over for each credentials object it is shown (`ensure`, awaited
before a connector client is handed to a turn): the SDK's `get_access_token` returns the token
the warmer holds, which stays valid until its real expiry (MSAL's 5 minutes are its own
caution). The warmer fetches through the SDK's own method, on a thread of its own: awaited when
it holds no token valid for a while yet, in the background (the held token still signing) once
MSAL would fetch a new one. A fetch that fails or gives back the same token is tried again
after RETRY_SECONDS. With no valid token held, a turn waits for the fetch at most
FETCH_TIMEOUT_SECONDS and then goes on (a card click needs no token); what it sends fails with
NoTokenYet (the outbox tries again later) instead of the loop stopping. Where the expiry cannot
be read (a token MSAL's cache does not hold), nothing is taken over: the SDK signs as before,
after a fetch on the thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

log = logging.getLogger(__name__)

MSAL_MARGIN_SECONDS = 300  # MSAL takes a cached token within 5 minutes of expiry as expired
SIGN_MARGIN_SECONDS = 60  # a held token signs only while valid this much longer
RETRY_SECONDS = 30.0  # after a failed or fruitless refresh
FETCH_TIMEOUT_SECONDS = 5.0  # the longest a turn waits for a token it has none of
FETCH_LIMIT_SECONDS = 30.0  # a fetch still running then is given up (MSAL sets no HTTP timeout)
UNKNOWN_EXPIRY_RECHECK_SECONDS = 60.0


class NoTokenYet(ConnectionError):  # not PermissionError: the HTTP edge maps that to 401
    """No token for outbound calls: Entra ID has not given one (yet)."""


@dataclass
class Held:
    token: str = ""
    expires_at: float = 0.0  # the token's real expiry
    refresh_at: float = 0.0  # when MSAL would fetch a new one
    retry_at: float = 0.0
    taken_over: bool = False  # the SDK's get_access_token returns `token`
    expiry_unknown: bool = False  # MSAL's cache does not hold it: the SDK signs itself
    fetching: asyncio.Future[None] | None = None
    original: Callable[[Any], str] | None = None  # the SDK's get_access_token, unbound


def needs_token(credentials: Any) -> bool:
    """The credentials sign requests (an app id is set), as botbuilder decides it."""
    should_set = getattr(credentials, "_should_set_token", None)
    return bool(should_set and should_set(None) and hasattr(credentials, "get_access_token"))


def msal_cache(credentials: Any) -> Any:
    """The token cache of the MSAL client behind botbuilder's credentials, or None."""
    app = getattr(credentials, "app", None)
    return getattr(app, "token_cache", None) or getattr(app, "_token_cache", None)


def lifetime(credentials: Any, token: str) -> tuple[float, float] | None:
    """(expiry, when MSAL would fetch anew) of `token`, from MSAL's cache; None if not there."""
    cache = msal_cache(credentials)
    if cache is None or not token:
        return None
    for entry in cache.search(cache.CredentialType.ACCESS_TOKEN):
        if entry.get("secret") == token:
            expires = float(entry["expires_on"])
            refresh = float(entry.get("refresh_on", expires - MSAL_MARGIN_SECONDS))
            return expires, min(refresh, expires - MSAL_MARGIN_SECONDS)
    return None


class TokenWarmer:
    """Keeps each credentials' token fresh, fetching it on a thread of its own."""

    def __init__(self, clock: Callable[[], float] = time.time,
                 timeout: float = FETCH_TIMEOUT_SECONDS,
                 limit: float = FETCH_LIMIT_SECONDS) -> None:
        self._clock = clock  # MSAL reads time.time()
        self._timeout = timeout
        self._limit = limit
        self._held: WeakKeyDictionary[Any, Held] = WeakKeyDictionary()
        self.fetches = 0  # fetches run on the thread (for tests and diagnostics)

    async def ensure(self, credentials: Any) -> None:
        """Return once the next requests signed with `credentials` need no fetch on the loop,
        or after the timeout: a turn goes on without a token (a card click needs none), and
        whatever it sends fails with NoTokenYet."""
        if credentials is None:
            return
        held = self._held.get(credentials)
        if held is None:
            held = self._held[credentials] = Held()
            if not needs_token(credentials):
                held.expires_at = held.refresh_at = float("inf")
                return
            # Unbound, so `held` does not keep the credentials alive (they are the weak key).
            held.original = type(credentials).get_access_token
            credentials.get_access_token = lambda *_a, **_k: self._sign(held, credentials)
        now = self._clock()
        if now < held.refresh_at:
            return
        if held.fetching is None and now >= held.retry_at:
            fetching = held.fetching = asyncio.ensure_future(self._refresh(credentials, held))
            fetching.add_done_callback(lambda _: setattr(held, "fetching", None))
        if held.fetching is not None and not self._valid(held, now):
            with suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(held.fetching), self._timeout)

    def _valid(self, held: Held, now: float) -> bool:
        return held.taken_over and now < held.expires_at - SIGN_MARGIN_SECONDS

    def _sign(self, held: Held, credentials: Any) -> str:
        """In place of the SDK's get_access_token: the held token, never a fetch on the loop."""
        if self._valid(held, self._clock()):
            return held.token
        if held.expiry_unknown and held.original is not None:
            return held.original(credentials)  # the SDK's own call, after a fetch on a thread
        raise NoTokenYet("Entra ID has not given the bot a token for outbound calls (yet)")

    async def _refresh(self, credentials: Any, held: Held) -> None:
        original = held.original
        assert original is not None
        try:
            token = await asyncio.wait_for(
                _on_a_thread(self._fetch, original, credentials), self._limit)
        except Exception as error:  # noqa: BLE001 (logged; the held token signs meanwhile)
            held.retry_at = self._clock() + RETRY_SECONDS
            log.warning("the bot's token for outbound calls could not be fetched: %s",
                        error or type(error).__name__)
            return
        now = self._clock()
        known = lifetime(credentials, token)
        if known is None:  # not in MSAL's cache: leave signing to the SDK, look again later
            held.taken_over, held.expiry_unknown = False, True
            held.refresh_at = now + UNKNOWN_EXPIRY_RECHECK_SECONDS
            return
        expires_at, refresh_at = known
        if token == held.token and now >= held.refresh_at:
            # MSAL gave the same token back (its refresh failed and it fell back to the cache)
            held.retry_at = now + RETRY_SECONDS
            log.warning("Entra ID did not renew the bot's token for outbound calls; it is "
                        "valid until %s", time.strftime("%H:%M:%S UTC", time.gmtime(expires_at)))
            return
        held.token, held.expires_at, held.refresh_at = token, expires_at, refresh_at
        held.taken_over, held.expiry_unknown = True, False

    def _fetch(self, original: Callable[[Any], str], credentials: Any) -> str:
        self.fetches += 1
        return original(credentials)  # MSAL: from its cache, or from Entra ID


def _on_a_thread(function: Callable[..., str], *args: Any) -> asyncio.Future[str]:
    """`function(*args)` on a daemon thread of its own: a fetch that hangs (MSAL sets no HTTP
    timeout) holds up no other fetch, and no shutdown."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[str] = loop.create_future()

    def settle(value: str | None, error: BaseException | None) -> None:
        if result.done():
            return  # given up on meanwhile
        if error is not None:
            result.set_exception(error)
        else:
            result.set_result(value or "")

    def run() -> None:
        try:
            value = function(*args)
        except BaseException as error:  # noqa: BLE001 (handed to the waiting task)
            loop.call_soon_threadsafe(settle, None, error)
        else:
            loop.call_soon_threadsafe(settle, value, None)

    threading.Thread(target=run, name="entra-token", daemon=True).start()
    return result
