"""One Bot Connector client per (app id, service URL, audience), reused by every turn.

Stock botbuilder 4.17 builds a new `ConnectorClient` for every turn (inbound, and every
`continue_conversation` / `create_conversation`) and a new `UserTokenClient` besides. Each
build runs msrest 0.7.1's `ClientRetryPolicy.__init__` (about 2.8 ms of CPU, TEAMS-NOTES.md),
makes new app credentials (so a new MSAL token cache: with a real app id, a token request to
Entra ID per turn) and a new HTTP session (so a new TCP/TLS connection per outbound call).

`ReusingBotFrameworkAuthentication` is `ConfigurationBotFrameworkAuthentication` with the
clients kept and reused instead. Nothing else changes: the same factory builds each client
the first time (same credentials, user agent and msrest pipeline with its retry policy),
except that the credentials sign with a token bot/app_tokens.py fetches and renews off the
event loop (`create` awaits it); an app id the credential factory refuses is still refused (it
is never cached). The HTTP session inside a client keeps its connections open, so calls to
the same service URL reuse them.

The caches are bounded (least recently used goes first), as a service URL comes from the
activity; `close()` releases every client (app shutdown).

Each kept client serialises with `JsonPassingSerializer`: msrest rebuilds a card (an
`object` attribute) value by value, about 6 ms of CPU per card sent; a plain dict or list that
is already JSON is passed through as it is instead. Everything else is msrest's own path.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable
from contextlib import suppress
from typing import Any, Generic, TypeVar

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from msrest.serialization import Serializer

from bot.app_tokens import TokenWarmer

MAX_CLIENTS = 64

T = TypeVar("T")


def app_id_of(claims_identity: ClaimsIdentity | None) -> str | None:
    """The bot's app id for outbound calls, as botbuilder's own connector factory takes it."""
    if claims_identity is None:
        return None
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return app_id  # type: ignore[no-any-return]


class _Lru(Generic[T]):
    """At most `size` clients; the least recently used one is dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()

    def get(self, key: Hashable) -> T | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    async def put(self, key: Hashable, item: T) -> T:
        """Keep `item` unless a concurrent turn stored one first; return the one kept."""
        existing = self._items.get(key)
        if existing is not None:
            self._items.move_to_end(key)
            await aclose(item)
            return existing
        self._items[key] = item
        while len(self._items) > self.size:
            _, evicted = self._items.popitem(last=False)
            await aclose(evicted)
        return item

    def __len__(self) -> int:
        return len(self._items)

    def pop_all(self) -> list[T]:
        items = list(self._items.values())
        self._items.clear()
        return items


async def aclose(client: Any) -> None:
    """Close an msrest client's HTTP session. Safe while a request is in flight on it: that
    request finishes, and a later one opens a new connection."""
    inner = getattr(client, "_client", None)
    if not isinstance(client, ConnectorClient) and inner is not None:
        client = inner  # a UserTokenClient holds its TokenApiClient
    with suppress(Exception):
        await client.__aexit__(None, None, None)


class JsonPassingSerializer(Serializer):  # type: ignore[misc]  # msrest is untyped
    """msrest's serializer, except that a plain dict or list made only of JSON values (a card,
    channel data) is sent as it is instead of being rebuilt value by value."""

    def serialize_object(self, attr: Any, **kwargs: Any) -> Any:
        if type(attr) in (dict, list):
            try:
                json.dumps(attr)  # in C: proves it holds nothing msrest would convert
            except (TypeError, ValueError):
                pass
            else:
                return attr
        return super().serialize_object(attr, **kwargs)


def lean(client: ConnectorClient) -> ConnectorClient:
    """The client, serialising cards with JsonPassingSerializer (its operations share it)."""
    serializer = JsonPassingSerializer(client._serialize.dependencies)
    client._serialize = serializer
    for operations in (client.conversations, client.attachments):
        operations._serialize = serializer
    return client


class ReusingConnectorFactory(ConnectorFactory):  # type: ignore[misc]  # botbuilder is untyped
    """Wraps botbuilder's factory: builds a client the first time, then hands out the same one."""

    def __init__(self, inner: ConnectorFactory, app_id: str | None, default_audience: str,
                 clients: _Lru[ConnectorClient], tokens: TokenWarmer) -> None:
        self._inner = inner
        self._app_id = app_id or None  # "" and None both mean "no app id" (local mode)
        self._default_audience = default_audience
        self._clients = clients
        self._tokens = tokens

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        # The inner factory builds for `audience or <the channel's default scope>`: key alike.
        key = (self._app_id, service_url, audience or self._default_audience)
        client = self._clients.get(key)
        if client is None:
            # Built by botbuilder's own factory: same credentials check, same configuration.
            client = await self._clients.put(
                key, lean(await self._inner.create(service_url, audience))
            )
        await self._tokens.ensure(client.config.credentials)  # not on the loop inside msrest
        return client


class ReusingBotFrameworkAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """ConfigurationBotFrameworkAuthentication whose connector and user-token clients are
    built once per (app id, service URL, audience) and reused by every turn."""

    def __init__(self, configuration: Any, *, max_clients: int = MAX_CLIENTS,
                 **kwargs: Any) -> None:
        super().__init__(configuration, **kwargs)
        self._connectors: _Lru[ConnectorClient] = _Lru(max_clients)
        self._token_clients: _Lru[UserTokenClient] = _Lru(max_clients)
        self.tokens = TokenWarmer()

    async def authenticate_request(self, activity: Activity,
                                   auth_header: str) -> AuthenticateRequestResult:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = ReusingConnectorFactory(
                result.connector_factory, app_id_of(result.claims_identity),
                self.get_originating_audience(), self._connectors, self.tokens,
            )
        return result

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return ReusingConnectorFactory(
            super().create_connector_factory(claims_identity), app_id_of(claims_identity),
            self.get_originating_audience(), self._connectors, self.tokens,
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = app_id_of(claims_identity) or None
        client = self._token_clients.get(key)
        if client is None:
            client = await self._token_clients.put(
                key, await super().create_user_token_client(claims_identity)
            )
        return client

    @property
    def connector_clients(self) -> int:
        """How many connector clients are kept (for tests and diagnostics)."""
        return len(self._connectors)

    async def close(self) -> None:
        """Release every kept client's HTTP connections (at shutdown)."""
        for client in [*self._connectors.pop_all(), *self._token_clients.pop_all()]:
            await aclose(client)
