"""The bot's directory step around the domain: answers applied to the catalog as it is when
they come back (no lost update between turns), and which due jobs ask the directory at all."""

from __future__ import annotations

import asyncio
from typing import Any

from approvals.catalog import Catalog, build_catalog
from approvals.directory import DirectoryPerson
from bot.deps import BotDeps
from bot.directory_routing import reachable_for

from .directory_fakes import FakeDirectory
from .fakes import FakeClock, FakeDatabase, FakeUnitOfWork, catalog_data


class GatedDirectory(FakeDirectory):
    """Lists one group only once the test opens its gate (a slow Graph for one turn)."""

    def __init__(self, slow_group: str) -> None:
        super().__init__()
        self.slow_group = slow_group
        self.gate = asyncio.Event()

    async def group_members(self, group_id: str) -> tuple[DirectoryPerson, ...] | None:
        if group_id == self.slow_group:
            await self.gate.wait()
        return await super().group_members(group_id)


def two_group_catalog() -> Catalog:
    """ledger-db owned by the payments team (group g-pay), sandbox by the sandbox team (g-box)."""
    data: dict[str, Any] = catalog_data()
    data["teams"][0].update(group="g-pay")
    data["teams"].append({"id": "sandbox-team", "name": "Sandbox", "members": ["alex"],
                          "group": "g-box"})
    data["assets"][3]["owner"] = "sandbox-team"
    return build_catalog(data)


def deps_for(catalog: Catalog, directory: FakeDirectory, db: FakeDatabase | None = None
             ) -> BotDeps:
    return BotDeps(catalog=catalog, clock=FakeClock(),
                   uow_factory=lambda: FakeUnitOfWork(db or FakeDatabase()),
                   messenger=None,  # type: ignore[arg-type]  # nothing is sent here
                   app_id="", graph=directory)


async def test_two_turns_asking_the_directory_at_once_keep_each_others_answers() -> None:
    directory = GatedDirectory(slow_group="g-pay")
    directory.add("oid-nestor", "Nestor Wilke", "nestorw@contoso.com")
    directory.add("oid-kat", "Katie Jordan", "katiej@contoso.com")
    directory.groups.update({"g-pay": ("oid-nestor",), "g-box": ("oid-kat",)})
    deps = deps_for(two_group_catalog(), directory)

    slow = asyncio.create_task(reachable_for(deps, "ledger-db"))
    await asyncio.sleep(0)  # the slow turn is waiting on Graph
    fast = await reachable_for(deps, "sandbox")
    assert deps.catalog.teams["sandbox-team"].members == ("aad:oid-kat",)
    directory.gate.set()
    await slow

    assert deps.catalog.teams["payments-team"].members == ("aad:oid-nestor",)
    assert deps.catalog.teams["sandbox-team"].members == ("aad:oid-kat",), "kept"
    assert fast.catalog.teams["sandbox-team"].members == ("aad:oid-kat",)
