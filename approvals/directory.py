"""Where people and groups live: one interface (Microsoft Graph in bot/, the catalog offline)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from approvals.catalog import Catalog


@dataclass(frozen=True)
class DirectoryPerson:
    object_id: str  # the Entra object id (aadObjectId)
    name: str
    email: str  # mail, else the user principal name


class RepliesStatus(enum.StrEnum):
    DISABLED = "disabled"
    ALWAYS_ENABLED = "alwaysEnabled"
    SCHEDULED = "scheduled"


@dataclass(frozen=True)
class AutomaticReplies:
    """A person's out-of-office setting as their mailbox holds it (times in UTC)."""

    status: RepliesStatus
    start: datetime | None = None
    end: datetime | None = None

    def away_at(self, now: datetime) -> bool:
        """Away while replies are always on, or inside the scheduled window."""
        if self.status is RepliesStatus.ALWAYS_ENABLED:
            return True
        if self.status is RepliesStatus.SCHEDULED:
            return ((self.start is None or self.start <= now)
                    and (self.end is None or now < self.end))
        return False

    @property
    def until(self) -> datetime | None:
        """When the person is back, if the mailbox says (scheduled replies only)."""
        return self.end if self.status is RepliesStatus.SCHEDULED else None


class DirectoryUnavailable(Exception):
    """The directory did not answer (unreachable, failing, or throttling: `retry_after`
    seconds). Routing falls back to the catalog; nothing a user did is lost."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Directory(Protocol):
    """Lookups routing needs. None means "no such person/group" (a clear answer, not an
    outage); DirectoryUnavailable means the directory could not be asked."""

    async def find_person(self, upn_or_email: str) -> DirectoryPerson | None: ...
    async def group_members(self, group_id: str) -> tuple[DirectoryPerson, ...] | None: ...
    async def manager_of(self, object_id: str) -> DirectoryPerson | None: ...
    async def automatic_replies(self, object_id: str) -> AutomaticReplies | None: ...


class CatalogDirectory:
    """The offline default: the catalog is the whole directory; nobody is known to be away."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def find_person(self, upn_or_email: str) -> DirectoryPerson | None:
        p = self.catalog.person_by_email(upn_or_email)
        if p is None or not p.aad_object_id:
            return None
        return DirectoryPerson(p.aad_object_id, p.name, p.email)

    async def group_members(self, group_id: str) -> tuple[DirectoryPerson, ...] | None:
        for team in self.catalog.teams.values():
            if team.group_id == group_id:
                people = (self.catalog.people.get(m) for m in team.members)
                return tuple(DirectoryPerson(p.aad_object_id, p.name, p.email)
                             for p in people if p is not None and p.aad_object_id)
        return None

    async def manager_of(self, object_id: str) -> DirectoryPerson | None:
        person = self.catalog.person_by_aad(object_id)
        manager = self.catalog.person(person.manager) if person and person.manager else None
        if manager is None or not manager.aad_object_id:
            return None
        return DirectoryPerson(manager.aad_object_id, manager.name, manager.email)

    async def automatic_replies(self, object_id: str) -> AutomaticReplies | None:
        return None
