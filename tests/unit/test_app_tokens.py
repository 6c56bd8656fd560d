"""The bot's outbound token is fetched on a worker thread, once, and again when MSAL would
(bot/app_tokens.py); small fakes of botbuilder's credentials and MSAL's cache."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot.app_tokens import MSAL_MARGIN_SECONDS, UNKNOWN_EXPIRY_RECHECK_SECONDS, TokenWarmer

NOW = 1_800_000_000.0


class Cache:
    class CredentialType:
        ACCESS_TOKEN = "AccessToken"

    def __init__(self) -> None:
        self.entries: list[dict[str, str]] = []

    def search(self, credential_type: str) -> list[dict[str, str]]:
        assert credential_type == "AccessToken"
        return list(self.entries)


class App:
    def __init__(self) -> None:
        self.token_cache = Cache()


class Credentials:
    """Like botbuilder's MicrosoftAppCredentials: MSAL's app in `app`, a token per fetch."""

    def __init__(self, app_id: str = "bot-app-id", lifetime: int = 3600,
                 refresh_in: int | None = None, fails: bool = False) -> None:
        self.microsoft_app_id = app_id
        self.app = App()
        self.lifetime, self.refresh_in, self.fails = lifetime, refresh_in, fails
        self.threads: list[threading.Thread] = []
        self.now = NOW

    def _should_set_token(self, session: object) -> bool:
        return bool(self.microsoft_app_id)

    def get_access_token(self) -> str:
        self.threads.append(threading.current_thread())
        if self.fails:
            raise PermissionError("Failed to get access token with error: invalid_client")
        entry = {"secret": "t", "expires_on": str(int(self.now) + self.lifetime)}
        if self.refresh_in is not None:
            entry["refresh_on"] = str(int(self.now) + self.refresh_in)
        self.app.token_cache.entries = [entry]
        return "t"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


async def test_the_token_is_fetched_once_on_a_worker_thread_and_then_taken_from_the_cache(
) -> None:
    clock, credentials = Clock(), Credentials()
    warmer = TokenWarmer(clock)

    await asyncio.gather(*(warmer.ensure(credentials) for _ in range(20)))
    clock.now += 3600 - MSAL_MARGIN_SECONDS - 1
    await warmer.ensure(credentials)

    assert warmer.fetches == 1
    assert credentials.threads and credentials.threads[0] is not threading.main_thread()


async def test_it_is_fetched_again_when_msal_would_take_it_as_expired() -> None:
    clock, credentials = Clock(), Credentials()
    warmer = TokenWarmer(clock)
    await warmer.ensure(credentials)

    clock.now += 3600 - MSAL_MARGIN_SECONDS
    credentials.now = clock.now
    await warmer.ensure(credentials)

    assert warmer.fetches == 2


async def test_a_refresh_time_entra_gave_comes_first() -> None:
    clock, credentials = Clock(), Credentials(lifetime=4 * 3600, refresh_in=2 * 3600)
    warmer = TokenWarmer(clock)
    await warmer.ensure(credentials)

    clock.now += 2 * 3600 - 1
    await warmer.ensure(credentials)
    assert warmer.fetches == 1
    clock.now += 1
    await warmer.ensure(credentials)
    assert warmer.fetches == 2


async def test_without_an_app_id_nothing_is_fetched() -> None:
    credentials = Credentials(app_id="")
    warmer = TokenWarmer(Clock())

    await warmer.ensure(credentials)
    await warmer.ensure(None)

    assert warmer.fetches == 0 and credentials.threads == []


async def test_a_failed_fetch_is_left_for_the_sdk_to_raise_and_is_tried_again(caplog: Any) -> None:
    credentials = Credentials(fails=True)
    warmer = TokenWarmer(Clock())

    await warmer.ensure(credentials)  # does not raise: the SDK's own call will, as before
    await warmer.ensure(credentials)

    assert warmer.fetches == 2
    assert "could not be fetched" in caplog.text


async def test_an_unknown_expiry_is_looked_at_again_a_minute_later() -> None:
    clock, credentials = Clock(), Credentials()
    credentials.app = None  # type: ignore[assignment]  # e.g. MSAL's managed identity client
    credentials.get_access_token = lambda: "t"  # type: ignore[method-assign]
    warmer = TokenWarmer(clock)
    await warmer.ensure(credentials)

    clock.now += UNKNOWN_EXPIRY_RECHECK_SECONDS - 1
    await warmer.ensure(credentials)
    assert warmer.fetches == 1
    clock.now += 1
    await warmer.ensure(credentials)
    assert warmer.fetches == 2
