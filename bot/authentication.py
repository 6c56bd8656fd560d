"""Who may talk to the bot: the Bot Framework token (production mode), the channel, the tenant.

In production mode (an app id is set) every request's token goes through two gates:

1. A screen before the SDK, for what the SDK gets wrong: no serviceUrl in the activity (the
   SDK then skips its serviceurl check), no or malformed header, a token that is not a JWT, an
   algorithm other than RS256 (`none`, HS256...), no key id, another issuer, a key id the
   channel does not publish, a key not endorsed for the activity's channel. The SDK answers
   some of these with an unhandled exception (HTTP 500) instead of a refusal.
2. The SDK's own validation (botbuilder 4.17, parameterized): the RS256 signature with the
   channel's key, issuer, audience (= our app id), expiry with 5 minutes of skew, and the
   token's `serviceurl` claim against the activity's serviceUrl. Its keys come from
   `bot.signing_keys.SigningKeys` (fetched with a timeout, off the blocking path).

Then, in both modes, the activity itself: production accepts only the `msteams` channel, and
when an allow-list of tenants is set (production requires one) the activity's tenant
(`channelData.tenant.id` and `conversation.tenantId`, whichever are present, all of them) must
be on it. The token does not sign the body: these checks bind what Teams sent, not who clicked;
who acts is the activity's aadObjectId, checked against stored state by the domain.

Refusals: `Unauthenticated` (401), `NotForThisBot` (403), `SigningKeysUnavailable` (503).
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
from botbuilder.schema import Activity
from botframework.connector.auth import AuthenticateRequestResult, EndorsementsValidator

from bot.connectors import ReusingBotFrameworkAuthentication
from bot.signing_keys import SigningKeys, SigningKeysUnavailable, UnknownSigningKey

log = logging.getLogger(__name__)

TEAMS_CHANNEL = "msteams"
ACCEPTED_ALGORITHM = "RS256"  # the SDK verifies RS256 signatures only

__all__ = [
    "GuardedBotFrameworkAuthentication",
    "NotForThisBot",
    "SigningKeysUnavailable",
    "Unauthenticated",
    "UnknownSigningKey",
    "tenants_of",
]


class Unauthenticated(PermissionError):
    """The request carries no valid Bot Framework token for this bot."""


class NotForThisBot(Exception):
    """An authenticated request this bot does not serve: another channel or tenant."""


def tenants_of(activity: Activity) -> set[str]:
    """Every tenant id the activity names (Teams puts it in two places), lower-cased."""
    found: set[str] = set()
    channel_data = activity.channel_data
    if isinstance(channel_data, dict):
        tenant = channel_data.get("tenant")
        if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
            found.add(tenant["id"].strip().lower())
    conversation = activity.conversation
    if conversation is not None:
        # botbuilder maps `tenantID`; Teams sends `tenantId`, which lands in the extras
        extras = getattr(conversation, "additional_properties", None) or {}
        for tenant_id in (conversation.tenant_id, extras.get("tenantId")):
            if isinstance(tenant_id, str) and tenant_id.strip():
                found.add(tenant_id.strip().lower())
    return found


class GuardedBotFrameworkAuthentication(ReusingBotFrameworkAuthentication):
    """The SDK's authentication (with reused connector clients) behind Signoff's own gates.

    `keys` is None in local mode: no token is asked for or looked at, only the tenant allow-list
    applies.
    """

    def __init__(self, configuration: Any, *, keys: SigningKeys | None, issuer: str,
                 allowed_tenants: frozenset[str], **kwargs: Any) -> None:
        super().__init__(configuration, **kwargs)
        self._keys = keys
        self._issuer = issuer
        self._allowed_tenants = allowed_tenants

    async def authenticate_request(self, activity: Activity,
                                   auth_header: str) -> AuthenticateRequestResult:
        if self._keys is not None:
            await self._screen(activity, auth_header, self._keys)
            try:
                result = await super().authenticate_request(activity, auth_header)
            except jwt.PyJWTError as error:  # bad signature, expired, not yet valid...
                raise Unauthenticated(f"the token is not valid: {type(error).__name__}") from None
            except PermissionError as error:  # the SDK's refusals: audience, serviceurl...
                raise Unauthenticated(str(error)) from None
            if activity.channel_id != TEAMS_CHANNEL:
                raise NotForThisBot(
                    f"this bot serves Microsoft Teams only, not {activity.channel_id!r}")
        else:
            # Local mode: authentication is off, so a header is not validated either (the SDK
            # would fetch Microsoft's keys with a blocking call, and fail offline with a 500).
            result = await super().authenticate_request(activity, "")
        self._check_tenant(activity)
        return result

    async def _screen(self, activity: Activity, auth_header: str, keys: SigningKeys) -> None:
        if not activity.service_url:  # the SDK checks the token's serviceurl only against one
            raise Unauthenticated("the activity has no serviceUrl to check the token against")
        scheme, _, token = (auth_header or "").partition(" ")
        if scheme != "Bearer" or not token or " " in token:
            raise Unauthenticated("no Bot Framework token in the Authorization header")
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("the token is not a JWT") from None
        if header.get("alg") != ACCEPTED_ALGORITHM:
            raise Unauthenticated("the token's signing algorithm is not accepted")
        key_id = header.get("kid")
        if not isinstance(key_id, str) or not key_id:
            raise Unauthenticated("the token names no signing key")
        if claims.get("iss") != self._issuer:
            raise Unauthenticated("the token was not issued by the Bot Framework channel")
        key = await keys.key(key_id)  # UnknownSigningKey is a PermissionError: 401
        if key.endorsements and not EndorsementsValidator.validate(
            activity.channel_id, key.endorsements
        ):
            raise Unauthenticated("the token's key is not endorsed for this channel")

    def _check_tenant(self, activity: Activity) -> None:
        if not self._allowed_tenants:
            return
        tenants = tenants_of(activity)
        if not tenants or not tenants <= self._allowed_tenants:
            named = ", ".join(sorted(tenants)) or "none"
            raise NotForThisBot(f"this bot does not serve the activity's tenant ({named})")

    async def close(self) -> None:
        await super().close()
        if self._keys is not None:
            await self._keys.close()
