"""A catalog change reaches the running bot without a restart: an import (another process)
or an edited SIGNOFF_CATALOG file. Pending requests move to their new owner, the old card says
where it went, and an invalid catalog is refused while the last good one keeps serving."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from app import LIVE_CATALOG
from approvals.catalog import Catalog, build_catalog, catalog_to_data
from approvals.catalog_import import CatalogRecord, import_catalog
from approvals.policies import DEFAULT_POLICY
from catalog.loader import DEMO_CATALOG, load_catalog
from settings import Settings
from storage.engine import create_engine
from storage.uow import uow_factory
from tests.e2e.conftest import BotProcess, SteppingClock, stored, verbs
from tests.e2e.fake_connector import FakeConnector
from tests.e2e.teams import ALEX, ISAIAH, MEGAN, TeamsClient
from tests.e2e.test_exception_flow import submit_exception

PAYMENTS_API = ("  - name: payments-api\n    aliases: [payments, pay-api]\n"
                "    kind: azure-app-service\n    owner: megan\n    backup: adele\n"
                "    team: payments-team\n")


@pytest.fixture
def app_database_url(database_url: str) -> str:
    """The import test runs on SQLite and on PostgreSQL."""
    return database_url


def to_isaiah(catalog: Catalog) -> Catalog:
    data = catalog_to_data(catalog)
    [asset] = [a for a in data["assets"] if a["name"] == "payments-api"]
    asset.update(owner="isaiah")
    del asset["backup"], asset["team"]
    return build_catalog(data)


def write(file: Path, text: str, stamp: int) -> None:
    """Write, with an mtime of its own (two writes in one clock tick look alike)."""
    file.write_text(text, encoding="utf-8")
    os.utime(file, ns=(stamp * 10**9, stamp * 10**9))


async def assert_moved_to_isaiah(teams: TeamsClient, connector: FakeConnector, why: str) -> None:
    isaiah_card = connector.sent_to(ISAIAH.personal_conversation)[-1]
    assert "EXC-1" in isaiah_card.card_text and "decision.approve" in verbs(isaiah_card.cards[0])
    megan_card = [c for c in connector.updates()
                  if c.conversation_id == MEGAN.personal_conversation][-1]
    assert "Moved to someone else" in megan_card.card_text
    assert "Isaiah Langer" in megan_card.card_text and why in megan_card.card_text
    assert verbs(megan_card.cards[0]) == []
    told = connector.sent_to(ALEX.personal_conversation)[-1].body.get("text", "")
    assert told.startswith("EXC-1 now goes to Isaiah Langer: the ownership catalog changed")

    refused = await teams.click(MEGAN, "decision.approve", {"requestId": "EXC-1"})
    assert "Only Isaiah Langer can decide EXC-1" in str(refused)
    decided = await teams.click(ISAIAH, "decision.approve", {"requestId": "EXC-1"})
    assert "approved" in str(decided).lower()


async def test_an_import_by_another_process_moves_the_pending_request(
        teams: TeamsClient, connector: FakeConnector, bot_process: BotProcess,
        app_database_url: str, clock: SteppingClock) -> None:
    await teams.say(MEGAN, "hi")
    await teams.say(ISAIAH, "hi")
    await submit_exception(teams, connector)
    assert "EXC-1" in connector.sent_to(MEGAN.personal_conversation)[-1].card_text

    # `signoff catalog import` in another process: its engine, its transaction
    engine = create_engine(app_database_url)
    try:
        record = CatalogRecord(imported_by="jdoe", source="catalog.csv", format="csv",
                               sha256="0" * 64)
        await import_catalog(uow_factory(engine)(), load_catalog(), to_isaiah(load_catalog()),
                             DEFAULT_POLICY, clock, record)
    finally:
        await engine.dispose()
    # The relay picks up the import's messages before the periodic check has run: it switches
    # to the snapshot the messages name first.
    await bot_process.settle()

    assert bot_process.app[LIVE_CATALOG].snapshot_id == 1
    await assert_moved_to_isaiah(teams, connector, "catalog import by jdoe")
    await teams.say(ALEX, "who owns payments-api")
    assert "Isaiah Langer" in connector.sent_to(ALEX.personal_conversation)[-1].card_text


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    file = tmp_path / "catalog.yaml"
    write(file, DEMO_CATALOG.read_text(encoding="utf-8"), 1_000)
    return file


@pytest.fixture
async def file_teams(catalog_file: Path, sqlite_url: str, clock: SteppingClock,
                     connector: FakeConnector) -> AsyncIterator[tuple[TeamsClient, BotProcess]]:
    process = BotProcess(Settings(database_url=sqlite_url, catalog_path=str(catalog_file)),
                         clock)
    url = await process.start()
    try:
        async with aiohttp.ClientSession() as session:
            yield TeamsClient(url, connector.url, session, settle=process.settle), process
    finally:
        await process.stop()


async def test_an_edited_file_is_used_at_once_and_an_invalid_one_is_refused(
        file_teams: tuple[TeamsClient, BotProcess], connector: FakeConnector,
        catalog_file: Path, sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    teams, process = file_teams
    live = process.app[LIVE_CATALOG]
    await teams.say(MEGAN, "hi")
    await teams.say(ISAIAH, "hi")
    await submit_exception(teams, connector)
    demo = DEMO_CATALOG.read_text(encoding="utf-8")

    caplog.set_level(logging.INFO, logger="signoff.catalog")
    write(catalog_file, demo.replace("    owner: megan\n    backup: adele\n    team: payments",
                                     "    owner: mallory\n    backup: adele\n    team: payments",
                                     1), 2_000)
    assert await live.check() is False
    refusals = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert refusals[0] == (f"catalog file {catalog_file} refused: {catalog_file}:52: "
                           "assets.payments-api.owner: unknown person or team 'mallory'")
    assert refusals[-1].endswith("still using the last good catalog")
    assert await live.check() is False and len(caplog.records) == len(refusals), "logged once"
    await teams.say(ALEX, "who owns payments-api")
    assert "Megan Bowen" in connector.sent_to(ALEX.personal_conversation)[-1].card_text

    write(catalog_file, demo.replace(PAYMENTS_API, PAYMENTS_API.replace(
        "owner: megan\n    backup: adele\n    team: payments-team\n", "owner: isaiah\n")),
          3_000)
    assert await live.check() is True
    await process.settle()

    await assert_moved_to_isaiah(teams, connector, f"catalog file {catalog_file} changed")
    _, events = await stored(sqlite_url, "EXC-1")
    rerouted = [e for e in events if e.action == "request.rerouted"]
    assert [(e.actor_id, e.detail["from"], e.detail["to"]) for e in rerouted] == [
        ("signoff", "megan, adele", "isaiah")]
    assert await live.check() is False, "nothing changed since"
