"""The live catalog: a newer snapshot or an edited file is taken when valid, refused (and logged
once) when not; the last good catalog keeps serving. Checks are called directly: no sleeping."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from approvals.catalog import Catalog, build_catalog, catalog_to_data
from approvals.catalog_import import CatalogRecord
from approvals.policy_file import PolicyError
from catalog.live import LiveCatalog, Switch
from catalog.loader import DEMO_CATALOG

from .fakes import catalog_data, small_catalog


@dataclass
class Stored:
    id: int
    data: dict[str, Any]
    record: CatalogRecord = field(default_factory=lambda: CatalogRecord("jdoe", "x.csv", "csv",
                                                                        "0" * 64))


class FakeSnapshots:
    def __init__(self) -> None:
        self.rows: list[Stored] = []
        self.reads = 0

    async def newest_id(self) -> int | None:
        return self.rows[-1].id if self.rows else None

    async def newest(self) -> Stored | None:
        self.reads += 1
        return self.rows[-1] if self.rows else None


def without_sandbox() -> dict[str, Any]:
    data = catalog_data()
    data["assets"] = [a for a in data["assets"] if a["name"] != "sandbox"]
    return data


@pytest.fixture
def switches() -> list[Switch]:
    return []


def live(switches: list[Switch], snapshots: FakeSnapshots, file: Path | None = None,
         refuse: str | None = None) -> LiveCatalog:
    def accept(catalog: Catalog) -> None:
        if refuse and refuse in catalog.assets:
            raise PolicyError([f"policies: {refuse} is not allowed"])

    async def on_switch(change: Switch) -> None:
        switches.append(change)

    return LiveCatalog(small_catalog(), file, snapshots, accept, on_switch)


async def test_a_newer_snapshot_is_taken_once(switches: list[Switch]) -> None:
    snapshots = FakeSnapshots()
    current = live(switches, snapshots)
    assert await current.check() is False and snapshots.reads == 0

    snapshots.rows.append(Stored(1, without_sandbox()))
    assert await current.check() is True
    assert await current.check() is False and snapshots.reads == 1, "only max(id) after that"

    assert "sandbox" not in current.catalog.assets and current.snapshot_id == 1
    [change] = switches
    assert (change.from_file, "sandbox" in change.before.assets) == (False, True)
    assert change.reason == "catalog snapshot 1 (x.csv, imported by jdoe)"


async def test_a_refused_snapshot_is_logged_once_and_the_last_good_one_stays(
        switches: list[Switch], caplog: pytest.LogCaptureFixture) -> None:
    snapshots = FakeSnapshots()
    current = live(switches, snapshots, refuse="ledger-db")
    snapshots.rows.append(Stored(1, catalog_data()))

    assert await current.check() is False
    assert await current.check() is False

    assert [r.getMessage() for r in caplog.records] == [
        "catalog snapshot 1 (x.csv, imported by jdoe) refused: policies: ledger-db is not "
        "allowed",
        "catalog snapshot 1 (x.csv, imported by jdoe) refused (1 problem(s)); still using the "
        "last good catalog",
    ]
    assert current.catalog == small_catalog() and current.snapshot_id is None
    snapshots.rows.append(Stored(2, {**without_sandbox(), "assets": [
        a for a in without_sandbox()["assets"] if a["name"] != "ledger-db"]}))
    assert await current.check() is True and current.snapshot_id == 2


async def test_a_file_is_watched_only_while_there_is_no_snapshot(
        switches: list[Switch], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import yaml

    file = tmp_path / "catalog.yaml"
    file.write_text(yaml.safe_dump(catalog_data()), encoding="utf-8")
    os.utime(file, ns=(1, 1))
    snapshots = FakeSnapshots()
    current = live(switches, snapshots, file)
    caplog.set_level(logging.INFO, logger="signoff.catalog")

    file.write_text("", encoding="utf-8")  # a truncated write must not wipe the catalog
    os.utime(file, ns=(2, 2))
    assert await current.check() is False
    assert f"{file}: is empty" in caplog.records[0].getMessage()

    file.write_text(yaml.safe_dump(without_sandbox()), encoding="utf-8")
    os.utime(file, ns=(3, 3))
    assert await current.check() is True and switches[-1].from_file
    assert switches[-1].reason.startswith(f"catalog file {file} changed (sha256 ")

    snapshots.rows.append(Stored(1, catalog_to_data(build_catalog(catalog_data()))))
    file.write_text(DEMO_CATALOG.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(file, ns=(4, 4))
    assert await current.check() is True
    assert current.catalog == small_catalog(), "the snapshot, not the file"


async def test_a_switch_whose_follow_up_failed_is_followed_up_at_the_next_check(
        tmp_path: Path) -> None:
    snapshots = FakeSnapshots()
    calls: list[str] = []

    async def on_switch(change: Switch) -> None:
        calls.append(change.reason)
        if len(calls) == 1:
            raise ConnectionError("database down")

    current = LiveCatalog(small_catalog(), None, snapshots, lambda c: None, on_switch)
    snapshots.rows.append(Stored(1, without_sandbox()))
    with pytest.raises(ConnectionError):
        await current.check()
    assert "sandbox" not in current.catalog.assets, "the new catalog is in use already"

    assert await current.check() is False
    assert len(calls) == 2 and calls[0] == calls[1]
    assert await current.check() is False and len(calls) == 2
