"""GraphDirectory with the real msgraph-sdk client and azure-identity credential, against the
fake Graph: each lookup, and each failure turned into a clear answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import graph_config
from approvals.directory import DirectoryUnavailable, RepliesStatus
from bot.graph_client import graph_client, graph_credential
from bot.graph_directory import GraphDirectory
from tests.e2e.fake_graph import FakeGraph, chat_of
from tests.e2e.graph_support import LEDGER_GROUP, NESTOR, fake_directory, graph_settings
from tests.e2e.teams import ADELE, MEGAN


@pytest.fixture
async def graph(tmp_path: Path) -> AsyncIterator[FakeGraph]:
    fake = await FakeGraph().start(tmp_path)
    fake_directory(fake)
    yield fake
    await fake.close()


@pytest.fixture
async def directory(graph: FakeGraph, tmp_path: Path,
                    sqlite_url: str) -> AsyncIterator[GraphDirectory]:
    config = graph_config(graph_settings(sqlite_url, tmp_path, graph))
    credential = graph_credential(config)
    found = GraphDirectory(graph_client(config, credential), "catalog-app-id")
    yield found
    await found.close()
    await credential.close()


async def test_a_person_by_upn_or_by_a_mail_that_is_not_the_upn(
    graph: FakeGraph, directory: GraphDirectory
) -> None:
    graph.add_user("oid-p", "Patti Fernandez", "patti@contoso.com",
                   "pattif@contoso.onmicrosoft.com")
    by_upn = await directory.find_person("pattif@contoso.onmicrosoft.com")
    by_mail = await directory.find_person("patti@contoso.com")
    assert by_upn == by_mail and by_mail is not None and by_mail.name == "Patti Fernandez"
    assert graph.called("/users")[-1].query["$filter"] == "mail eq 'patti@contoso.com'"
    assert len(graph.token_requests) == 1  # one client-credentials token, then reused
    assert graph.token_requests[0]["client_id"] == "signoff-app"


async def test_missing_people_groups_and_managers_are_none(directory: GraphDirectory) -> None:
    assert await directory.find_person("ghost@contoso.com") is None
    assert await directory.group_members("no-such-group") is None
    assert await directory.manager_of(ADELE.aad) is None


async def test_group_members_across_pages(directory: GraphDirectory) -> None:
    members = await directory.group_members(LEDGER_GROUP)
    assert [m.name for m in members or ()] == ["Nestor Wilke"]


async def test_scheduled_automatic_replies_in_utc(graph: FakeGraph,
                                                   directory: GraphDirectory) -> None:
    until = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    graph.away(MEGAN.aad, until=until)
    replies = await directory.automatic_replies(MEGAN.aad)
    assert replies is not None and replies.status is RepliesStatus.SCHEDULED
    assert replies.until == until
    off = await directory.automatic_replies(ADELE.aad)
    assert off is not None and not off.away_at(until)


async def test_a_mailbox_graph_may_not_read_is_unknown_not_an_outage(
    graph: FakeGraph, directory: GraphDirectory
) -> None:
    graph.fail(403, match=lambda c: "mailboxSettings" in c.path)
    assert await directory.automatic_replies(MEGAN.aad) is None


@pytest.mark.parametrize(("status", "retry_after", "expected"), [
    (429, "7", 7.0), (503, None, 30.0), (500, None, None), (401, None, None),
])
async def test_throttling_and_errors_become_directory_unavailable(
    graph: FakeGraph, directory: GraphDirectory, status: int, retry_after: str | None,
    expected: float | None,
) -> None:
    graph.fail(status, retry_after=retry_after)
    with pytest.raises(DirectoryUnavailable) as error:
        await directory.manager_of(MEGAN.aad)
    assert error.value.retry_after == expected
    assert f"HTTP {status}" in error.value.reason
    assert await directory.manager_of(MEGAN.aad) is not None  # one failure, then fine


async def test_an_unreachable_graph_is_directory_unavailable(
    graph: FakeGraph, directory: GraphDirectory
) -> None:
    await graph.close()
    with pytest.raises(DirectoryUnavailable, match="Graph unreachable"):
        await directory.find_person("meganb@contoso.com")


async def test_installing_the_app_twice_gives_the_same_chat(
    graph: FakeGraph, directory: GraphDirectory
) -> None:
    assert await directory.personal_chat(NESTOR.aad) == chat_of(NESTOR.aad)
    assert await directory.personal_chat(NESTOR.aad) == chat_of(NESTOR.aad)  # 409 Conflict
    assert len(graph.installed[NESTOR.aad]) == 1
    assert await directory.personal_chat("no-such-user") is None
