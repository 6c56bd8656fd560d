"""The Bot Framework channel's side of authentication, on loopback: a local RSA key published as
OpenID metadata and a JWKS (as login.botframework.com does), and tokens signed with it (as the
Teams service signs the requests it sends to a bot).

The stub can be told to hang or to answer 500, to show the bot never waits on it for long.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
APP_ID = "5f0c1d2e-0000-4000-8000-00000000b07"
APP_PASSWORD = "s3cr3t-Value~OfTheBotsClientSecret.42"
KEY_ID = "signoff-test-key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class ChannelStub:
    """OpenID metadata at /v1/.well-known/openidconfiguration, keys at /v1/.well-known/keys."""

    endorsements: list[str] = field(default_factory=lambda: ["msteams", "webchat", "emulator"])
    mode: str = "ok"  # "ok", "hang" or "fail"
    metadata_requests: int = 0
    asked: asyncio.Event = field(default_factory=asyncio.Event)
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    server: TestServer | None = None

    def __post_init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def metadata_url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1/.well-known/openidconfiguration"))

    async def _metadata(self, request: web.Request) -> web.Response:
        self.metadata_requests += 1
        self.asked.set()
        if self.mode == "hang":
            await self._release.wait()
        if self.mode == "fail":
            return web.json_response({"error": "injected"}, status=500)
        return web.json_response({
            "issuer": ISSUER,
            "jwks_uri": str(request.url.with_path("/v1/.well-known/keys")),
            "id_token_signing_alg_values_supported": ["RS256"],
        })

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        jwk.update(kid=KEY_ID, use="sig", endorsements=self.endorsements)
        return web.json_response({"keys": [jwk]})

    def release(self) -> None:
        """A hanging stub answers the requests it holds (so the test can shut down)."""
        self._release.set()

    async def start(self) -> ChannelStub:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self

    async def close(self) -> None:
        self.release()
        if self.server is not None:
            await self.server.close()

    # Tokens

    def claims(self, service_url: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {"serviceurl": service_url, "nbf": now - 60, "exp": now + 3600,
                                  "iss": ISSUER, "aud": APP_ID}
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, service_url: str, kid: str = KEY_ID, **overrides: Any) -> str:
        """A token as the channel signs it (RS256 with the published key)."""
        return jwt.encode(self.claims(service_url, **overrides), self.private_key,
                          algorithm="RS256", headers={"kid": kid})

    def unsigned_token(self, service_url: str) -> str:
        """`alg: none`: the claims of a good token and no signature."""
        header = {"alg": "none", "typ": "JWT", "kid": KEY_ID}
        return (f"{_b64(json.dumps(header).encode())}."
                f"{_b64(json.dumps(self.claims(service_url)).encode())}.")

    def hs256_token(self, service_url: str) -> str:
        """HS256 with the *public* key as the HMAC secret: the classic algorithm confusion."""
        header = {"alg": "HS256", "typ": "JWT", "kid": KEY_ID}
        signing_input = (f"{_b64(json.dumps(header).encode())}."
                         f"{_b64(json.dumps(self.claims(service_url)).encode())}")
        signature = hmac.new(self.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def foreign_token(self, service_url: str) -> str:
        """Signed by another RSA key that claims the published key id."""
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(self.claims(service_url), other, algorithm="RS256",
                          headers={"kid": KEY_ID})
