"""The Bot Framework channel's token signing keys, fetched without blocking the event loop.

botbuilder 4.17 fetches the channel's OpenID metadata and key set with `requests.get()`, with
no timeout, inside async code (`jwt_token_extractor._OpenIdMetadata`): while Microsoft's
endpoint hangs, every request of the process waits, /healthz included, and a failing endpoint
ends as an unhandled exception (HTTP 500). `SigningKeys` takes that object's place in the SDK's
own cache (`JwtTokenExtractor.metadataCache`, keyed by URL), so the SDK's token validation reads
keys fetched here with aiohttp under a short total timeout:

- one fetch at a time, shared by every request that needs it (nobody waits past the timeout);
- keys are refreshed after a day, and at most every few minutes for a key id not seen yet;
- a failed fetch answers `SigningKeysUnavailable` (the endpoint turns it into 503), and for a
  short back-off every request gets that answer at once instead of waiting again; a failed
  refresh keeps the keys already known (Microsoft rotates them rarely, with overlap);
- an unknown key id is `UnknownSigningKey` (401), where the SDK raised IndexError (500).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from botframework.connector.auth import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

MAX_AGE_SECONDS = 24 * 3600  # the SDK's own refresh period
UNKNOWN_KEY_RETRY_SECONDS = 300  # a token with a new key id refreshes at most this often
FAILURE_BACKOFF_SECONDS = 10.0


class SigningKeysUnavailable(Exception):
    """The channel's OpenID metadata or key set could not be fetched in time."""


class UnknownSigningKey(PermissionError):
    """The token names a signing key the channel does not publish."""


@dataclass(frozen=True)
class SigningKey:
    """What the SDK's `JwtTokenExtractor` reads from its metadata object."""

    public_key: Any
    endorsements: list[str] = field(default_factory=list)


def parse_key_set(document: Any) -> dict[str, SigningKey]:
    """The RSA keys of a JWKS document by key id; other or malformed keys are skipped."""
    keys: dict[str, SigningKey] = {}
    published = document.get("keys") if isinstance(document, dict) else None
    for jwk in published if isinstance(published, list) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except (ValueError, TypeError, KeyError):
            continue
        endorsements = jwk.get("endorsements")
        keys[str(jwk["kid"])] = SigningKey(
            public_key, [str(e) for e in endorsements] if isinstance(endorsements, list) else []
        )
    return keys


class SigningKeys:
    """The signing keys published at `metadata_url`, fetched on demand with a timeout."""

    def __init__(self, metadata_url: str, timeout: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.url = metadata_url
        self.timeout = timeout
        self._now = monotonic
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._failed_at: float | None = None
        self._fetch: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def install(self) -> SigningKeys:
        """Make the SDK's token validation use these keys for `metadata_url`."""
        JwtTokenExtractor.metadataCache[self.url] = self
        return self

    async def get(self, key_id: str | None) -> SigningKey:
        """The SDK's interface (`_OpenIdMetadata.get`): the key a token names."""
        return await self.key(key_id or "")

    async def key(self, key_id: str) -> SigningKey:
        now = self._now()
        if self._fetched_at is None or now - self._fetched_at > MAX_AGE_SECONDS:
            await self._refresh(required=self._fetched_at is None)
        elif key_id not in self._keys and now - self._fetched_at > UNKNOWN_KEY_RETRY_SECONDS:
            await self._refresh(required=False)
        found = self._keys.get(key_id)
        if found is None:
            raise UnknownSigningKey("the token is signed with a key the channel does not publish")
        return found

    async def _refresh(self, required: bool) -> None:
        if self._failed_at is not None and self._now() - self._failed_at < FAILURE_BACKOFF_SECONDS:
            if required:
                raise SigningKeysUnavailable("the channel's signing keys are unavailable")
            return
        if self._fetch is None or self._fetch.done():
            self._fetch = asyncio.create_task(self._download())
        try:
            # shield: a caller that goes away does not cancel the fetch others wait for
            await asyncio.shield(self._fetch)
        except SigningKeysUnavailable:
            if required or not self._keys:
                raise

    async def _download(self) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                metadata = await self._get_json(self.url)
                jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
                if not isinstance(jwks_uri, str):
                    raise ValueError("the OpenID metadata has no jwks_uri")
                keys = parse_key_set(await self._get_json(jwks_uri))
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            self._failed_at = self._now()
            log.warning("signing keys not fetched from %s: %s", self.url,
                        type(error).__name__ if isinstance(error, TimeoutError) else error)
            raise SigningKeysUnavailable("the channel's signing keys are unavailable") from None
        self._keys, self._fetched_at, self._failed_at = keys, self._now(), None
        log.info("signing keys fetched from %s: %d keys", self.url, len(keys))

    async def _get_json(self, url: str) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with self._session.get(url, allow_redirects=False) as response:
            response.raise_for_status()
            return await response.json(content_type=None)

    async def close(self) -> None:
        if self._fetch is not None and not self._fetch.done():
            self._fetch.cancel()
        if self._session is not None:
            await self._session.close()
        if JwtTokenExtractor.metadataCache.get(self.url) is self:
            del JwtTokenExtractor.metadataCache[self.url]
