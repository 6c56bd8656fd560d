"""What the bot's handlers need, built once by app.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botbuilder.schema import Activity

from approvals.catalog import Catalog
from approvals.directory import CatalogDirectory, Directory
from approvals.model import Actor, Source
from approvals.policies import DEFAULT_POLICY, Policy
from approvals.ports import Clock
from bot.messenger import Messenger


@dataclass
class BotDeps:
    catalog: Catalog
    clock: Clock
    uow_factory: Callable[[], Any]
    messenger: Messenger
    app_id: str
    policy: Policy = field(default=DEFAULT_POLICY)
    channels: dict[str, str] = field(default_factory=dict)  # policy channel -> conversation id
    # Switch to the newest catalog now if there is a newer one (a message about a re-routed
    # request may reach the relay before the periodic check does). None: no reloading.
    catalog_check: Callable[[], Awaitable[object]] | None = None
    # Where people, groups, managers and absences come from: Microsoft Graph when configured,
    # else the catalog itself.
    graph: Directory | None = None
    # The lookup before a submission gives up after this, so a card click is answered within
    # Teams' invoke timeout however slow Graph is.
    directory_deadline: float = 5.0

    @property
    def directory(self) -> Directory:
        return self.graph if self.graph is not None else CatalogDirectory(self.catalog)

    def aad_of(self, person_id: str) -> str | None:
        """The Entra object id of a catalog person, or of an outsider recorded as `aad:<id>`."""
        if person_id.startswith("aad:"):
            return person_id[4:]
        person = self.catalog.person(person_id)
        return person.aad_object_id if person and person.aad_object_id else None

    def name_of(self, person_id: str) -> str:
        return self.catalog.display(person_id)


def actor_of(activity: Activity) -> Actor:
    """Who acts: the authenticated activity's sender, never anything a card carries."""
    sender = activity.from_property
    aad = (sender.aad_object_id or "") if sender else ""
    return Actor(aad_object_id=aad.lower(), name=(sender.name or "") if sender else "")


def source_of(activity: Activity) -> Source:
    conversation = activity.conversation.id if activity.conversation else None
    return Source(channel=activity.channel_id or "msteams", conversation_id=conversation,
                  activity_id=activity.id)


def in_shared_chat(turn_context: Any) -> bool:
    """A channel or group chat, where an answer may @mention people so they see it."""
    conversation = turn_context.activity.conversation
    return conversation is not None and (
        bool(conversation.is_group) or conversation.conversation_type in ("channel", "groupChat")
    )
