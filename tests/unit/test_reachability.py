"""Who is reachable (directory answers as plain values) and the routing choice made with them."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from approvals import services
from approvals.away import AWAY, away_people, route_around_absences
from approvals.catalog import Catalog, build_catalog
from approvals.directory import AutomaticReplies, DirectoryUnavailable, RepliesStatus
from approvals.escalation import reached_people
from approvals.model import RequestDraft, RequestKind, Risk
from approvals.policies import DEFAULT_POLICY
from approvals.reachability import resolve_people, who_is_reachable, with_directory
from approvals.staffing import staff

from .directory_fakes import FakeDirectory
from .fakes import SOURCE, T0, FakeClock, FakeUnitOfWork, actor, catalog_data, small_catalog

BACK = T0 + timedelta(days=3)


def graph_catalog() -> Catalog:
    """Megan named by email alone; the payments team an Entra group (Adele listed in the file)."""
    data: dict[str, Any] = catalog_data()
    data["people"][0] = {"id": "megan", "email": "meganb@contoso.com"}
    data["teams"][0].update(group="g-payments", members=["adele"])
    return build_catalog(data, by_email=True)


@pytest.fixture
def directory() -> FakeDirectory:
    d = FakeDirectory()
    d.add("oid-megan", "Megan Bowen", "meganb@contoso.com")
    d.add("00000000-0000-0000-0000-0000000000022", "Adele Vance", "adele@example.com")
    d.add("oid-nestor", "Nestor Wilke", "nestorw@contoso.com")
    d.add("oid-lynne", "Lynne Robbins", "lynner@contoso.com")
    d.groups["g-payments"] = ("oid-megan", "oid-nestor")
    d.managers["oid-megan"] = "oid-lynne"
    return d


async def test_the_directory_fills_in_people_members_and_managers(
    directory: FakeDirectory
) -> None:
    reachable = await who_is_reachable(directory, graph_catalog(), "ledger-db", T0)
    c = reachable.catalog
    megan = c.people["megan"]
    assert megan.name == "Megan Bowen" and megan.aad_object_id == "oid-megan"
    assert c.teams["payments-team"].members == ("megan", "aad:oid-nestor")
    assert c.display("aad:oid-nestor") == "Nestor Wilke"
    assert c.person_by_aad("oid-nestor") is not None
    assert c.people["megan"].manager == "aad:oid-lynne"
    assert reachable.away == {} and reachable.fallback is None


async def test_who_is_away_comes_back_with_when_they_return(directory: FakeDirectory) -> None:
    directory.replies["oid-megan"] = AutomaticReplies(RepliesStatus.SCHEDULED,
                                                      T0 - timedelta(days=1), BACK)
    directory.replies["oid-nestor"] = AutomaticReplies(RepliesStatus.ALWAYS_ENABLED)
    reachable = await who_is_reachable(directory, graph_catalog(), "ledger-db", T0)
    assert reachable.away == {"megan": BACK, "aad:oid-nestor": None}


async def test_an_unreachable_directory_leaves_the_catalog_as_it_is_and_says_so(
    directory: FakeDirectory, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = graph_catalog()
    directory.down = DirectoryUnavailable("Graph unreachable (ConnectError)")
    with caplog.at_level(logging.WARNING):
        reachable = await who_is_reachable(directory, catalog, "ledger-db", T0)
    assert reachable.catalog is catalog and reachable.away == {}
    assert reachable.fallback == "Graph unreachable (ConnectError)"
    assert "ledger-db is routed from the catalog alone" in caplog.text


async def test_people_named_by_email_are_resolved_at_start(directory: FakeDirectory) -> None:
    resolved = await resolve_people(directory, graph_catalog())
    assert resolved.unresolved == []
    assert await resolve_people(directory, resolved) is resolved  # nothing left to ask
    directory.down = DirectoryUnavailable("down")
    still = graph_catalog()
    assert await resolve_people(directory, still) is still


async def test_the_same_answers_twice_give_the_same_catalog(directory: FakeDirectory) -> None:
    first = (await who_is_reachable(directory, graph_catalog(), "ledger-db", T0)).catalog
    again = await who_is_reachable(directory, first, "ledger-db", T0)
    assert again.catalog is first


def test_an_empty_group_keeps_the_members_the_file_lists() -> None:
    catalog = graph_catalog()
    assert with_directory(catalog, members={"payments-team": ()}) is catalog


# --- the routing choice -------------------------------------------------------------------


def first_line_around(catalog: Catalog, asset: str, away: dict[str, Any],
                      requester: str = "alex") -> tuple[tuple[str, ...], list[str]]:
    a = catalog.assets[asset]
    rules = DEFAULT_POLICY.rules_for(a.tier, RequestKind.EXCEPTION)
    steps = staff(catalog, a, rules.deciders, requester)
    first, notes = route_around_absences(catalog, a, rules.deciders.rule, steps, requester,
                                         away, T0)
    return first, [n.text for n in notes]


def test_an_away_owner_is_passed_over_for_the_backup() -> None:
    first, notes = first_line_around(small_catalog(), "payments-api", {"megan": BACK})
    assert first == ("adele",)
    assert notes == ["Megan Bowen is away until Thu 06 Mar 2025 09:30 UTC; sent to Adele Vance"]


def test_one_member_of_an_owning_team_away_leaves_the_others() -> None:
    first, notes = first_line_around(small_catalog(), "ledger-db", {"adele": None})
    assert first == ("megan",)
    assert notes == ["Adele Vance is away (automatic replies are on); sent to Megan Bowen"]


def test_when_everyone_is_away_the_usual_people_get_it_anyway() -> None:
    away = {"megan": BACK, "adele": BACK}
    assert first_line_around(small_catalog(), "payments-api", away) == (("megan",), [])


def test_nobody_away_changes_nothing() -> None:
    assert first_line_around(small_catalog(), "payments-api", {"alex": BACK}) == (("megan",), [])


async def test_a_request_routed_around_an_absence_keeps_it_in_its_record() -> None:
    uow, clock, catalog = FakeUnitOfWork(), FakeClock(), small_catalog()
    draft = RequestDraft(RequestKind.EXCEPTION, "payments-api", "Public access", "Vendor",
                         risk=Risk.LOW, expires_on=T0.date() + timedelta(days=10))
    request = await services.submit_request(uow, catalog, clock, draft, actor("alex"), SOURCE,
                                            away={"megan": BACK})
    assert request.routed_to == "adele" and "megan" in request.deciders
    stored = uow.db.request(request.id)
    assert stored is not None and [n.kind for n in stored.notes] == [AWAY]
    assert away_people(stored) == {"megan"}
    assert [n.recipient_id for n in uow.db.outbox.values() if n.kind == "approval"] == ["adele"]
    assert "Megan Bowen is away" in uow.db.audit_for(request.id)[0].detail["away"]
    rules = DEFAULT_POLICY.rules_for(catalog.assets["payments-api"].tier, RequestKind.EXCEPTION)
    assert reached_people(catalog, rules, stored) == ("adele",)  # reminders go to her
