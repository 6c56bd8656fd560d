"""A hand-written directory for tests of the cache and of routing: it answers from dicts,
counts what it was asked, and can be made to fail (unreachable, or throttling)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from approvals.directory import AutomaticReplies, DirectoryPerson, DirectoryUnavailable


@dataclass
class FakeDirectory:
    people: dict[str, DirectoryPerson] = field(default_factory=dict)  # by email, lower case
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # group -> object ids
    managers: dict[str, str] = field(default_factory=dict)  # object id -> manager's
    replies: dict[str, AutomaticReplies] = field(default_factory=dict)  # by object id
    asked: Counter[str] = field(default_factory=Counter)
    down: DirectoryUnavailable | None = None  # raised by every call while set

    def add(self, object_id: str, name: str, email: str) -> DirectoryPerson:
        person = DirectoryPerson(object_id, name, email)
        self.people[email.lower()] = person
        return person

    def _by_id(self, object_id: str) -> DirectoryPerson | None:
        return next((p for p in self.people.values() if p.object_id == object_id), None)

    def _ask(self, what: str) -> None:
        self.asked[what] += 1
        if self.down is not None:
            raise self.down

    async def find_person(self, upn_or_email: str) -> DirectoryPerson | None:
        self._ask(f"person {upn_or_email}")
        return self.people.get(upn_or_email.lower())

    async def group_members(self, group_id: str) -> tuple[DirectoryPerson, ...] | None:
        self._ask(f"group {group_id}")
        if group_id not in self.groups:
            return None
        return tuple(p for p in map(self._by_id, self.groups[group_id]) if p is not None)

    async def manager_of(self, object_id: str) -> DirectoryPerson | None:
        self._ask(f"manager {object_id}")
        manager = self.managers.get(object_id)
        return self._by_id(manager) if manager else None

    async def automatic_replies(self, object_id: str) -> AutomaticReplies | None:
        self._ask(f"replies {object_id}")
        return self.replies.get(object_id)
