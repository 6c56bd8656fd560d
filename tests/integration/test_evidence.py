"""`signoff evidence` on a history made through the services, on SQLite and PostgreSQL: what
an auditor receives, read back from the files."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from approvals import services
from approvals.model import Actor, Source
from cli.evidence_commands import run_evidence
from settings import Settings
from storage.uow import uow_factory
from tests.integration.audit_history import (
    ALICE,
    OWEN,
    exception,
    history_catalog,
    seed_history,
)
from tests.integration.support import FixedClock, aad
from tests.integration.tampering import tamper
from tests.signoff_cli import signoff


@pytest.fixture
async def seeded(engine: AsyncEngine, clock: FixedClock) -> AsyncIterator[AsyncEngine]:
    await seed_history(engine, uow_factory(engine, clock), history_catalog(), clock)
    yield engine


async def export(database_url: str, out: Path, start: str, end: str,
                 asset: str | None = None) -> int:
    args = argparse.Namespace(start=date.fromisoformat(start), end=date.fromisoformat(end),
                              asset=asset, out=out)
    return await run_evidence(args, Settings(database_url=database_url))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def rows_of(timeline: list[dict[str, str]], request_id: str) -> list[tuple[str, ...]]:
    return [(r["what"], r["actor_id"], r["state_from"], r["state_to"], r["comment"])
            for r in timeline if r["request_id"] == request_id]


async def test_the_month_exported_as_csv_json_and_html(
    seeded: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "march"
    code = await export(database_url, out, "2026-03-01", "2026-03-31")
    async with seeded.connect() as connection:
        newest = (await connection.execute(text(
            "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1"))).one()

    requests = read_csv(out / "requests.csv")
    timeline = read_csv(out / "timeline.csv")
    document: dict[str, Any] = json.loads((out / "evidence.json").read_text("utf-8"))
    html = (out / "report.html").read_text("utf-8")

    assert code == 0
    assert [r["request_id"] for r in requests] == ["EXC-1", "EXC-2", "EXC-3", "RBK-1"]
    assert requests[0]["decided_by"] == "Owen Owner" and requests[0]["state"] == "active"
    assert requests[0]["decided_at"] == "2026-03-02T12:30:15.123456+00:00"
    assert requests[1]["reminders"] == "2" and requests[1]["escalations"] == "1"
    assert requests[2]["title"] == "'=cmd|' /C calc'!A0 skip TLS"  # no formula in a spreadsheet
    assert rows_of(timeline, "EXC-1") == [
        ("submitted", "alice", "", "pending", ""),
        ("asked for information", "owen", "pending", "info_requested", "Which vendor?"),
        ("answered the question", "alice", "info_requested", "pending", "Contoso"),
        ("approved", "owen", "pending", "active", "ok for 14 days"),
    ]
    assert rows_of(timeline, "EXC-2") == [
        ("submitted", "alice", "", "pending", ""),
        ("reminder to decide to bea", "signoff", "", "", ""),
        ("reminder to decide to bea", "signoff", "", "", ""),
        ("escalated: Bea Backup \u2192 Mona Manager", "signoff", "", "", ""),
    ]
    escalated = [r for r in timeline if r["request_id"] == "EXC-2"][-1]
    assert (escalated["deciders_from"], escalated["deciders_to"]) == (
        "Bea Backup", "Mona Manager")
    assert rows_of(timeline, "EXC-3")[1:] == [
        ("tried: approved (refused: SelfDecision)", "alice", "", "", ""),
        ("rejected", "bea", "pending", "rejected", "too risky"),
    ]
    assert all(r["at"].endswith("+00:00") for r in timeline)
    assert {r["chain"] for r in timeline if r["source"] != "message"} == {"verified"}

    chain = document["chain"]
    assert chain["verified"] is True and chain["events"] == 11
    assert (chain["head_event_id"], chain["head_hash"]) == (newest.id, newest.hash)
    exc1 = document["requests"][0]
    assert [d["outcome"] for d in exc1["decisions"]] == ["need_info", "approve"]
    assert [n["text"] for n in exc1["notes"]] == ["Which vendor?", "Contoso"]
    assert exc1["request"]["justification"] == "Vendor <b>callback</b> & test"
    exc2 = document["requests"][1]
    assert [m["kind"] for m in exc2["messages"]] == ["reminder", "reminder"]
    assert exc2["audit_events"][-1]["detail"]["to_role"] == "manager"

    assert "Let &lt;script&gt;x&lt;/script&gt; in" in html and "<script" not in html
    assert "Vendor &lt;b&gt;callback&lt;/b&gt; &amp; test" in html
    assert f"Audit chain verified: 11 events; head event {newest.id}" in html
    for line in (out / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


async def test_one_asset_and_a_shorter_period(seeded: AsyncEngine, database_url: str,
                                              tmp_path: Path) -> None:
    ledger = await export(database_url, tmp_path / "a", "2026-03-01", "2026-03-31", "ledger-db")
    first_week = await export(database_url, tmp_path / "b", "2026-03-01", "2026-03-08")
    one_day = await export(database_url, tmp_path / "c", "2026-03-09", "2026-03-09")
    before = await export(database_url, tmp_path / "d", "2026-02-01", "2026-03-01")
    alias = await export(database_url, tmp_path / "e", "2026-03-01", "2026-03-31", "PAY-API")

    def ids(folder: str) -> list[str]:
        return [r["request_id"] for r in read_csv(tmp_path / folder / "requests.csv")]

    assert (ledger, first_week, one_day, before, alias) == (0, 0, 0, 0, 0)
    assert ids("e") == ["EXC-1", "EXC-3", "RBK-1"]  # an alias in the (demo) catalog
    assert ids("a") == ["EXC-2"]
    assert ids("b") == ["EXC-1", "EXC-2", "EXC-3"]
    assert ids("c") == ["RBK-1"]
    assert ids("d") == [] and "No requests in this period." in (
        tmp_path / "d" / "report.html").read_text()


async def test_a_broken_chain_is_stated_in_every_file(seeded: AsyncEngine, database_url: str,
                                                      tmp_path: Path) -> None:
    await tamper(seeded, "UPDATE audit_events SET actor_name = 'Someone Else' WHERE id = 9")

    code = await export(database_url, tmp_path, "2026-03-01", "2026-03-31")

    document = json.loads((tmp_path / "evidence.json").read_text("utf-8"))
    timeline = read_csv(tmp_path / "timeline.csv")
    html = (tmp_path / "report.html").read_text("utf-8")
    assert code == 1
    assert document["chain"]["verified"] is False
    assert (document["chain"]["broken_event_id"], document["chain"]["broken_kind"]) == (
        9, "edited")
    marks = {int(r["source"].split()[-1]): r["chain"] for r in timeline
             if r["source"].startswith("audit event")}
    assert {i for i, mark in marks.items() if mark == "after the break"} == {9, 10, 11}
    assert "Audit chain BROKEN at event 9 (edited)" in html
    assert "audit event 9 (not verified)" in html


async def test_the_command_refuses_a_period_that_ends_before_it_starts(
    seeded: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    backwards = await export(database_url, tmp_path, "2026-03-31", "2026-03-01")
    not_a_date = await signoff(database_url, tmp_path, "evidence", "--from", "March",
                               "--to", "2026-03-31")

    assert backwards == 2 and not (tmp_path / "evidence.json").exists()
    assert not_a_date.code == 2 and "'March' is not a date like 2026-03-31" in not_a_date.err


async def test_delegations_that_moved_or_routed_requests_are_in_every_file(
    seeded: AsyncEngine, database_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    """Owen delegates to Bea: his undecided EXC-4 moves to her, EXC-5 goes to her from the
    start; `delegation off` brings both back. Mona's delegation touches no exported request."""
    catalog, uows = history_catalog(), uow_factory(seeded, clock)
    clock.advance(days=1)
    exc4 = await services.submit_request(uows(), catalog, clock,
                                         exception("payments-api", "Open port 8443", clock),
                                         ALICE, Source(activity_id="d1"))
    clock.advance(hours=1)
    await services.start_delegation(uows(), catalog, clock, OWEN, "bea",
                                    clock.now().date() + timedelta(days=5), Source())
    clock.advance(hours=1)
    exc5 = await services.submit_request(uows(), catalog, clock,
                                         exception("payments-api", "Open port 8444", clock),
                                         ALICE, Source(activity_id="d2"))
    await services.start_delegation(uows(), catalog, clock, Actor(aad(5), "Mona Manager"),
                                    "owen", clock.now().date() + timedelta(days=2), Source())
    clock.advance(hours=1)
    await services.end_delegation(uows(), catalog, clock, OWEN, Source())

    code = await export(database_url, tmp_path, "2026-03-01", "2026-03-31", "payments-api")

    timeline = read_csv(tmp_path / "timeline.csv")
    delegations = read_csv(tmp_path / "delegations.csv")
    document = json.loads((tmp_path / "evidence.json").read_text("utf-8"))
    html = (tmp_path / "report.html").read_text("utf-8")
    assert code == 0
    moves = [(r["what"], r["state_from"], r["state_to"], r["deciders_from"], r["deciders_to"])
             for r in timeline if r["request_id"] == exc4.id][1:]
    assert moves == [
        ("re-routed by a delegation: Owen Owner \u2192 Bea Backup", "", "", "Owen Owner",
         "Bea Backup"),
        ("re-routed by a delegation: Bea Backup \u2192 Owen Owner", "", "", "Bea Backup",
         "Owen Owner"),
    ]
    owens = [d for d in document["delegations"] if d["delegator_id"] == "owen"]
    assert [d["delegator_id"] for d in document["delegations"]] == ["owen"]  # not Mona's
    assert owens[0]["requests_in_export"] == [exc4.id, exc5.id]
    assert [e["action"] for e in owens[0]["audit_events"]] == [
        "delegation.started", "delegation.ended"]
    assert [(r["what"], r["delegator_id"], r["delegator_name"], r["delegate_id"],
             r["delegate_name"], r["requests_moved"], r["requests_in_export"], r["chain"])
            for r in delegations] == [
        ("delegation started", "owen", "Owen Owner", "bea", "Bea Backup", exc4.id,
         f"{exc4.id}, {exc5.id}", "verified"),
        ("delegation ended", "owen", "Owen Owner", "bea", "Bea Backup",
         f"{exc4.id}, {exc5.id}", f"{exc4.id}, {exc5.id}", "verified"),
    ]
    assert "<h2>Delegations in the period</h2>" in html
    assert "Owen Owner \u2192 Bea Backup" in html and "Mona Manager \u2192" not in html
