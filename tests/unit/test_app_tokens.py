"""The bot's outbound token never makes MSAL ask Entra ID on the event loop (bot/app_tokens.py).

Real botbuilder credentials and a real MSAL client; only Entra ID's HTTP (a fake http_client that
notes the thread each token request came from) and the time are stand-ins. The SDK signs every
request with `credentials.get_access_token()` on the loop: called here as it would be, at any
time after a turn's `ensure`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import msal
import pytest
from botframework.connector.auth import MicrosoftAppCredentials

from bot.app_tokens import RETRY_SECONDS, NoTokenYet, TokenWarmer
from tests.integration.test_sqlite_turns import until

START = 1_800_000_000.0
AUTHORITY = "https://login.microsoftonline.com/botframework.com"


@dataclass
class Response:
    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class Entra:
    """Entra ID's token endpoint as MSAL's http_client sees it."""

    def __init__(self, clock: Clock, lifetime: int = 3600, refresh_in: int | None = None) -> None:
        self.clock, self.lifetime, self.refresh_in = clock, lifetime, refresh_in
        self.requests: list[tuple[str, float]] = []  # (thread name, time)
        self.down = False
        self.gate = threading.Event()
        self.gate.set()

    def get(self, url: str, **_: Any) -> Response:
        base = url.split("/v2.0/.well-known")[0]
        return Response(200, json.dumps({
            "token_endpoint": f"{base}/oauth2/v2.0/token", "issuer": base,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize"}))

    def post(self, url: str, **_: Any) -> Response:
        self.requests.append((threading.current_thread().name, self.clock.now))
        self.gate.wait()
        if self.down:
            return Response(503, json.dumps({"error": "temporarily_unavailable"}))
        body: dict[str, Any] = {"access_token": f"token-{len(self.requests)}",
                                "token_type": "Bearer", "expires_in": self.lifetime}
        if self.refresh_in is not None:
            body["refresh_in"] = self.refresh_in
        return Response(200, json.dumps(body))

    @property
    def from_the_loop(self) -> list[float]:
        return [at for name, at in self.requests if name == threading.main_thread().name]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("time.time", clock)  # MSAL reads time.time()
    return clock


def credentials_for(entra: Entra, app_id: str = "bot-app-id") -> MicrosoftAppCredentials:
    credentials = MicrosoftAppCredentials(app_id, "secret")
    credentials.app = msal.ConfidentialClientApplication(
        app_id, client_credential="secret", authority=AUTHORITY, http_client=entra,
        instance_discovery=False)
    return credentials


async def settled(warmer: TokenWarmer, credentials: Any) -> None:
    held = warmer._held[credentials]
    await until(lambda: held.fetching is None)


async def test_over_hours_of_turns_every_request_is_signed_without_a_fetch_on_the_loop(
    clock: Clock,
) -> None:
    entra = Entra(clock)
    credentials, warmer = credentials_for(entra), TokenWarmer(clock)
    issued: dict[str, float] = {}
    for _ in range(3 * 3600 // 37):
        clock.now += 37
        await warmer.ensure(credentials)
        clock.now += 20  # the turn's own work, then its request is signed
        token = credentials.get_access_token()
        issued.setdefault(token, clock.now)
        assert clock.now - issued[token] < 3600  # never an expired token
        await settled(warmer, credentials)  # a refresh the turn started in the background

    assert entra.from_the_loop == []
    assert 3 <= len(entra.requests) <= 5  # about one per token lifetime
    assert warmer.fetches == len(entra.requests)


async def test_a_failed_refresh_keeps_signing_with_the_valid_token_and_is_tried_again(
    clock: Clock,
) -> None:
    entra = Entra(clock, lifetime=4 * 3600, refresh_in=2 * 3600)
    credentials, warmer = credentials_for(entra), TokenWarmer(clock)
    await warmer.ensure(credentials)
    assert credentials.get_access_token() == "token-1"

    entra.down = True
    clock.now += 2 * 3600 + 1  # past refresh_in: MSAL asks Entra, which fails
    for _ in range(10):
        await warmer.ensure(credentials)
        await settled(warmer, credentials)
        assert credentials.get_access_token() == "token-1"  # still valid for 2 hours
        clock.now += RETRY_SECONDS / 3
    tries = len(entra.requests) - 1
    assert 3 <= tries <= 5  # every RETRY_SECONDS, not on every turn

    entra.down = False
    clock.now += RETRY_SECONDS
    await warmer.ensure(credentials)
    await settled(warmer, credentials)
    assert credentials.get_access_token() == f"token-{len(entra.requests)}"
    assert entra.from_the_loop == []


async def test_with_entra_silent_and_no_token_yet_a_turn_goes_on_and_its_send_fails(
    clock: Clock,
) -> None:
    entra = Entra(clock)
    entra.gate.clear()  # Entra does not answer
    credentials, warmer = credentials_for(entra), TokenWarmer(clock, timeout=0.05)

    await warmer.ensure(credentials)  # gives up waiting: a card click needs no token
    with pytest.raises(NoTokenYet):
        credentials.get_access_token()  # what the SDK would send fails; it does not block

    entra.gate.set()
    await settled(warmer, credentials)
    await warmer.ensure(credentials)
    assert credentials.get_access_token() == "token-1"
    assert entra.from_the_loop == [] and len(entra.requests) == 1


async def test_concurrent_turns_wait_for_one_fetch(clock: Clock) -> None:
    entra = Entra(clock)
    credentials, warmer = credentials_for(entra), TokenWarmer(clock)

    await asyncio.gather(*(warmer.ensure(credentials) for _ in range(20)))

    assert credentials.get_access_token() == "token-1"
    assert len(entra.requests) == 1 and entra.from_the_loop == []


async def test_without_an_app_id_nothing_is_fetched_or_taken_over(clock: Clock) -> None:
    entra = Entra(clock)
    credentials, warmer = credentials_for(entra, app_id=""), TokenWarmer(clock)
    sdk_method = credentials.get_access_token

    await warmer.ensure(credentials)
    await warmer.ensure(None)

    assert entra.requests == [] and warmer.fetches == 0
    assert credentials.get_access_token == sdk_method


async def test_a_fetch_that_hangs_holds_up_no_other_credentials_and_is_given_up(
    clock: Clock,
) -> None:
    silent, healthy = Entra(clock), Entra(clock)
    silent.gate.clear()  # this Entra never answers (MSAL sets no HTTP timeout)
    stuck, fine = credentials_for(silent), credentials_for(healthy)
    warmer = TokenWarmer(clock, timeout=0.05, limit=0.1)

    await warmer.ensure(stuck)
    await warmer.ensure(fine)
    await settled(warmer, stuck)  # given up after the limit, to be tried again later

    assert fine.get_access_token() == "token-1"
    with pytest.raises(NoTokenYet):
        stuck.get_access_token()
    assert warmer._held[stuck].retry_at == clock.now + RETRY_SECONDS
    silent.gate.set()


async def test_credentials_let_go_of_are_not_kept_alive(clock: Clock) -> None:
    warmer = TokenWarmer(clock)
    for _ in range(5):
        credentials = credentials_for(Entra(clock))
        await warmer.ensure(credentials)
        await settled(warmer, credentials)
    del credentials
    gc.collect()

    assert len(warmer._held) == 0
