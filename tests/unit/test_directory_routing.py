"""The bot's directory step around the domain: answers applied to the catalog as it is when
they come back (no lost update between turns), and which due jobs ask the directory at all."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from approvals import services
from approvals.catalog import Catalog, build_catalog
from approvals.directory import AutomaticReplies, DirectoryPerson, RepliesStatus
from approvals.model import RequestDraft, RequestKind, Risk
from approvals.ports import Job
from approvals.reachability import who_is_reachable
from bot import scheduler
from bot.deps import BotDeps
from bot.directory_routing import reachable_for

from .directory_fakes import FakeDirectory
from .fakes import SOURCE, T0, FakeClock, FakeDatabase, FakeUnitOfWork, actor, catalog_data


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


async def test_only_jobs_that_route_someone_ask_the_directory() -> None:
    db, directory = FakeDatabase(), FakeDirectory()
    catalog = two_group_catalog()
    draft = RequestDraft(RequestKind.EXCEPTION, "payments-api", "Public access", "Vendor",
                         risk=Risk.LOW, expires_on=T0.date() + timedelta(days=10))
    await services.submit_request(FakeUnitOfWork(db), catalog, FakeClock(), draft,
                                  actor("alex"), SOURCE)
    opened: list[FakeUnitOfWork] = []

    def uow() -> FakeUnitOfWork:
        opened.append(FakeUnitOfWork(db))
        return opened[-1]

    deps = deps_for(catalog, directory)
    deps.uow_factory = uow
    run = scheduler.due_jobs(deps)
    for kind, subject in (("expiry_remind", "EXC-1"), ("lapse", "EXC-1"),
                          ("delegation_end", "delegation:DLG-megan-1")):
        await run(Job(key=f"k-{kind}", kind=kind, request_id=subject, due_at=T0,
                      detail={"delegation": "DLG-megan-1"}))
    assert sum(directory.asked.values()) == 0 and len(opened) == 3, "one transaction each"

    await run(Job(key="k-remind", kind="remind", request_id="EXC-1", due_at=T0,
                  detail={"version": "1", "n": "1"}))
    assert directory.asked["group g-pay"] == 1, "a reminder asks first"


async def test_before_an_escalation_the_owners_manager_is_asked_whether_they_are_away() -> None:
    directory = FakeDirectory()
    data: dict[str, Any] = catalog_data()
    data["people"].append({"id": "lynne", "name": "Lynne Robbins", "email": "lynne@example.com",
                           "aad_object_id": "oid-lynne"})
    data["people"][0]["manager"] = "lynne"
    catalog = build_catalog(data)
    directory.replies["oid-lynne"] = AutomaticReplies(RepliesStatus.ALWAYS_ENABLED)

    submission = await who_is_reachable(directory, catalog, "payments-api", T0)
    escalation = await who_is_reachable(directory, catalog, "payments-api", T0,
                                        managers_too=True)
    assert "lynne" not in submission.away, "a submission asks about the owner's side only"
    assert escalation.away == {"lynne": None}


def test_an_automatic_replies_status_graph_may_add_later_is_taken_as_unknown() -> None:
    from msgraph.generated.models.automatic_replies_status import AutomaticRepliesStatus

    from bot.graph_directory import replies_status

    assert replies_status(AutomaticRepliesStatus.Scheduled) is RepliesStatus.SCHEDULED
    assert replies_status(AutomaticRepliesStatus.AlwaysEnabled) is RepliesStatus.ALWAYS_ENABLED
    assert replies_status("outOfOfficeForever") is None
    assert replies_status(None) is None
