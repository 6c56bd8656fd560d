"""Teams-shaped activities from several users, POSTed to the real app over loopback HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT = {"id": "28:signoff-bot", "name": "Signoff"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class User:
    key: str
    name: str
    aad: str

    @property
    def user_id(self) -> str:
        return f"29:{self.key}"

    @property
    def personal_conversation(self) -> str:
        return f"a:personal-{self.key}"

    def account(self) -> dict[str, str]:
        return {"id": self.user_id, "name": self.name, "aadObjectId": self.aad}


ALEX = User("alex", "Alex Wilber", "00000000-0000-0000-0000-0000000000020")
MEGAN = User("megan", "Megan Bowen", "00000000-0000-0000-0000-0000000000021")
ADELE = User("adele", "Adele Vance", "00000000-0000-0000-0000-0000000000022")
ISAIAH = User("isaiah", "Isaiah Langer", "00000000-0000-0000-0000-0000000000023")
GROUP_CHAT = "19:group-chat@thread.v2"


class TeamsClient:
    """Plays the Teams service: sends activities to the bot as users would."""

    def __init__(self, bot_url: str, service_url: str, session: aiohttp.ClientSession,
                 settle: Callable[[], Awaitable[object]] | None = None) -> None:
        self.bot_url = bot_url
        self.service_url = service_url
        self.session = session
        # Delivers what the turn queued (the bot's outbox) before the test looks at Teams.
        self.settle = settle

    def activity(self, user: User, kind: str, conversation: str | None = None,
                 **fields: Any) -> dict[str, Any]:
        conversation_id = conversation or user.personal_conversation
        conversation_type = "personal" if conversation is None else "groupChat"
        return {
            "type": kind,
            "id": f"in-{next(_ids)}",
            "timestamp": "2026-11-27T10:00:00.000Z",
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": user.account(),
            "recipient": BOT,
            "conversation": {"id": conversation_id, "conversationType": conversation_type,
                             "tenantId": TENANT, "isGroup": conversation is not None},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "en-US",
            **fields,
        }

    def card_action(self, user: User, verb: str, data: dict[str, Any],
                    reply_to_id: str = "card-1", conversation: str | None = None,
                    trigger: str = "manual") -> dict[str, Any]:
        """The adaptiveCard/action invoke Teams sends for an Action.Execute: a click (`manual`)
        or a card's refresh coming into view (`automatic`)."""
        return self.activity(
            user, "invoke", conversation, name="adaptiveCard/action", replyToId=reply_to_id,
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
                   "trigger": trigger},
        )

    async def post(self, body: Any, **kwargs: Any) -> aiohttp.ClientResponse:
        return await self.session.post(self.bot_url, json=body, **kwargs)

    async def say(self, user: User, text: str, conversation: str | None = None) -> int:
        if conversation is not None:
            text = f"<at>Signoff</at> {text}"
            entities = [{"type": "mention", "text": "<at>Signoff</at>", "mentioned": BOT}]
            body = self.activity(user, "message", conversation, text=text, entities=entities)
        else:
            body = self.activity(user, "message", text=text)
        async with await self.post(body) as response:
            status = response.status
        await self.delivered()
        return status

    async def delivered(self) -> None:
        if self.settle is not None:
            await self.settle()

    async def click(self, user: User, verb: str, data: dict[str, Any],
                    reply_to_id: str = "card-1", conversation: str | None = None) -> dict[str, Any]:
        """An Action.Execute click: returns the invoke response body (the card that replaces it)."""
        body = self.card_action(user, verb, data, reply_to_id, conversation)
        async with await self.post(body) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
        await self.delivered()
        return result
