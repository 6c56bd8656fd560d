"""The directory cache: answers kept by the injected clock, Retry-After honoured, stale on error."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from approvals.directory import (
    AutomaticReplies,
    CatalogDirectory,
    DirectoryUnavailable,
    RepliesStatus,
)
from approvals.directory_cache import CachedDirectory

from .directory_fakes import FakeDirectory
from .fakes import AAD, T0, FakeClock, policy_catalog


@pytest.fixture
def inner() -> FakeDirectory:
    directory = FakeDirectory()
    directory.add("oid-megan", "Megan Bowen", "meganb@contoso.com")
    directory.replies["oid-megan"] = AutomaticReplies(RepliesStatus.ALWAYS_ENABLED)
    return directory


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cache(inner: FakeDirectory, clock: FakeClock) -> CachedDirectory:
    return CachedDirectory(inner, clock, ttl=timedelta(minutes=15),
                           away_ttl=timedelta(minutes=5))


async def test_an_answer_is_kept_until_it_expires_then_asked_again(
    cache: CachedDirectory, inner: FakeDirectory, clock: FakeClock
) -> None:
    first = await cache.find_person("MeganB@contoso.com")
    clock.advance(minutes=14, seconds=59)
    assert await cache.find_person("meganb@contoso.com") == first
    assert inner.asked["person meganb@contoso.com"] == 1
    clock.advance(seconds=1)
    await cache.find_person("meganb@contoso.com")
    assert inner.asked["person meganb@contoso.com"] == 2


async def test_not_found_is_an_answer_too(cache: CachedDirectory, inner: FakeDirectory) -> None:
    assert await cache.find_person("ghost@contoso.com") is None
    assert await cache.find_person("ghost@contoso.com") is None
    assert inner.asked["person ghost@contoso.com"] == 1


async def test_out_of_office_is_kept_for_a_shorter_time(
    cache: CachedDirectory, inner: FakeDirectory, clock: FakeClock
) -> None:
    await cache.automatic_replies("oid-megan")
    clock.advance(minutes=5)
    await cache.automatic_replies("oid-megan")
    assert inner.asked["replies oid-megan"] == 2


async def test_after_a_429_nothing_is_asked_until_retry_after_has_passed(
    cache: CachedDirectory, inner: FakeDirectory, clock: FakeClock
) -> None:
    inner.down = DirectoryUnavailable("Graph is throttling", retry_after=120)
    with pytest.raises(DirectoryUnavailable):
        await cache.manager_of("oid-megan")
    inner.down = None
    clock.advance(seconds=119)
    with pytest.raises(DirectoryUnavailable) as paused:
        await cache.find_person("meganb@contoso.com")
    assert paused.value.retry_after == 1
    assert sum(inner.asked.values()) == 1
    clock.advance(seconds=1)
    assert await cache.find_person("meganb@contoso.com") is not None


async def test_an_expired_answer_is_served_while_the_directory_is_down(
    cache: CachedDirectory, inner: FakeDirectory, clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    known = await cache.find_person("meganb@contoso.com")
    clock.advance(hours=2)
    inner.down = DirectoryUnavailable("Graph unreachable (ConnectError)")
    with caplog.at_level(logging.WARNING):
        assert await cache.find_person("meganb@contoso.com") == known
    assert "Graph unreachable" in caplog.text
    with pytest.raises(DirectoryUnavailable):
        await cache.find_person("adele@contoso.com")  # never known: nothing to serve


async def test_the_oldest_answers_make_room(inner: FakeDirectory, clock: FakeClock) -> None:
    cache = CachedDirectory(inner, clock, max_entries=2)
    for email in ("a@x", "b@x", "c@x", "a@x"):
        await cache.find_person(email)
    assert inner.asked["person a@x"] == 2 and inner.asked["person c@x"] == 1


@pytest.mark.parametrize(("replies", "away"), [
    (AutomaticReplies(RepliesStatus.DISABLED), False),
    (AutomaticReplies(RepliesStatus.ALWAYS_ENABLED), True),
    (AutomaticReplies(RepliesStatus.SCHEDULED, T0 - timedelta(days=1), T0 + timedelta(days=1)),
     True),
    (AutomaticReplies(RepliesStatus.SCHEDULED, T0 + timedelta(hours=1), T0 + timedelta(days=1)),
     False),
    (AutomaticReplies(RepliesStatus.SCHEDULED, T0 - timedelta(days=2), T0), False),
])
def test_away_means_replies_always_on_or_inside_their_schedule(
    replies: AutomaticReplies, away: bool
) -> None:
    assert replies.away_at(T0) is away


async def test_the_catalog_directory_answers_from_the_catalog() -> None:
    catalog = policy_catalog()
    directory = CatalogDirectory(catalog)
    megan = await directory.find_person("MEGAN@example.com")
    assert megan is not None and megan.object_id == AAD["megan"]
    manager = await directory.manager_of(AAD["megan"])
    assert manager is not None and manager.name == "Lynne Robbins"
    assert await directory.group_members("no-such-group") is None
    assert await directory.automatic_replies(AAD["megan"]) is None


async def test_after_an_outage_the_directory_is_left_alone_for_a_short_pause(
    cache: CachedDirectory, inner: FakeDirectory, clock: FakeClock
) -> None:
    inner.down = DirectoryUnavailable("Graph unreachable (ConnectError)")
    with pytest.raises(DirectoryUnavailable):
        await cache.find_person("meganb@contoso.com")
    inner.down = None
    with pytest.raises(DirectoryUnavailable):
        await cache.manager_of("oid-megan")  # within the 30 s pause: not asked
    assert sum(inner.asked.values()) == 1
    clock.advance(seconds=30)
    assert await cache.find_person("meganb@contoso.com") is not None
