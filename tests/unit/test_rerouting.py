"""A catalog change re-routes open requests to their new deciders and never loses one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from approvals.catalog import Catalog, build_catalog, catalog_to_data
from approvals.catalog_import import reroute_after_reload
from approvals.model import Outcome, State
from approvals.rerouting import Kept, plan_reroute

from .fakes import FakeClock, FakeDatabase, FakeUnitOfWork
from .test_deadlines import CATALOG, POLICY, decide, stored, submit, tick

WHY = "catalog file catalog.yaml changed"


def changed(edit: Callable[[dict[str, Any]], None]) -> Catalog:
    data = catalog_to_data(CATALOG)
    edit(data)
    return build_catalog(data)


def asset(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in data["assets"] if a["name"] == name)


def hand_to_outsider(data: dict[str, Any]) -> None:
    entry = asset(data, "payments-api")
    entry.update(owner="outsider")
    entry.pop("backup", None)
    entry.pop("team", None)


async def reload(db: FakeDatabase, clock: FakeClock, after: Catalog) -> list[str]:
    moved = await reroute_after_reload(FakeUnitOfWork(db), CATALOG, after, POLICY, clock, WHY)
    return [m.after.id for m in moved]


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


async def test_a_new_owner_gets_the_card_and_the_old_card_says_where_it_went(
        db: FakeDatabase, clock: FakeClock) -> None:
    await submit(db, clock)
    assert stored(db).deciders == ("megan", "adele")
    clock.advance(hours=2)

    assert await reload(db, clock, changed(hand_to_outsider)) == ["EXC-1"]

    request = stored(db)
    assert (request.state, request.version, request.deciders) == (
        State.PENDING, 2, ("outsider",))
    assert request.steps[0].eligible == ("outsider",)
    assert db.sent("approval") == ["megan", "outsider"]  # megan at submission, then oscar
    [told] = db.notifications("EXC-1", "moved_by_catalog")
    assert (told.recipient_id, told.detail["to"], told.detail["reason"]) == (
        "alex", "Oscar Outsider", WHY)
    refresh = db.notifications("EXC-1", "refresh_cards")[-1]
    assert refresh.detail["moved_to"] == "Oscar Outsider"
    event = db.audit_for("EXC-1")[-1]
    assert (event.action, event.detail["from"], event.detail["to"], event.detail["reason"],
            event.detail["released"]) == ("request.rerouted", "megan, adele", "outsider", WHY,
                                          "megan")
    # the deadline did not restart, and its jobs follow the new version
    assert request.due_at == stored(db).created_at + POLICY.rules_for(
        CATALOG.assets["payments-api"].tier, request.kind).deadline
    assert {j.detail["version"] for j in db.jobs.values()} == {"2"}


async def test_the_new_owner_can_decide_and_the_old_one_cannot(db: FakeDatabase,
                                                              clock: FakeClock) -> None:
    await submit(db, clock)
    after = changed(hand_to_outsider)
    await reload(db, clock, after)

    from approvals import services
    from approvals.errors import NotADecider

    from .fakes import SOURCE, actor
    with pytest.raises(NotADecider):
        await decide(db, clock, "megan")
    await services.record_decision(FakeUnitOfWork(db), after, clock, "EXC-1", Outcome.APPROVE,
                                   "", actor("outsider"), SOURCE, POLICY)
    assert stored(db).state is State.ACTIVE


async def test_an_unchanged_catalog_changes_nothing(db: FakeDatabase, clock: FakeClock) -> None:
    await submit(db, clock)
    before = db.copy()

    assert await reload(db, clock, changed(lambda d: None)) == []

    assert stored(db) == before.request("EXC-1")
    assert db.outbox == before.outbox and db.audit == before.audit


async def test_a_change_elsewhere_leaves_the_request_alone(db: FakeDatabase,
                                                          clock: FakeClock) -> None:
    await submit(db, clock)

    assert await reload(db, clock, changed(lambda d: asset(d, "ledger-db").update(
        owner="alex"))) == []
    assert stored(db).version == 1


@pytest.mark.parametrize(("edit", "why"), [
    (lambda d: d["assets"].remove(asset(d, "payments-api")), "no longer in the catalog"),
    (lambda d: asset(d, "payments-api").update(owner="alex", backup=None, team=None),
     "nobody in the new catalog but the requester"),
])
async def test_a_request_that_cannot_move_stays_with_its_deciders(
        db: FakeDatabase, clock: FakeClock, edit: Callable[[dict[str, Any]], None],
        why: str) -> None:
    await submit(db, clock)
    after = changed(edit)

    plan = plan_reroute(CATALOG, after, POLICY, stored(db), clock.now())
    assert isinstance(plan, Kept) and why in plan.reason
    assert await reload(db, clock, after) == []
    assert (stored(db).version, stored(db).deciders) == (1, ("megan", "adele"))


async def test_decided_requests_are_not_rerouted(db: FakeDatabase, clock: FakeClock) -> None:
    await submit(db, clock)
    await decide(db, clock, "megan", Outcome.REJECT)

    assert await reload(db, clock, changed(hand_to_outsider)) == []
    assert stored(db).deciders == ("megan", "adele")


async def test_an_escalated_request_keeps_its_stand_ins(db: FakeDatabase,
                                                       clock: FakeClock) -> None:
    await submit(db, clock)
    await tick(db, clock, days=3, minutes=1)  # overdue: the backup (adele) stands in
    assert stored(db).escalation_level == 1
    # adele leaves the owners: megan alone owns it now, and lynne is the backup
    after = changed(lambda d: asset(d, "payments-api").update(backup="lynne", team=None))

    assert await reload(db, clock, after) == ["EXC-1"]

    request = stored(db)
    assert request.deciders == ("megan", "lynne")
    assert "lynne" in db.sent("approval")  # the new backup stands in at once
