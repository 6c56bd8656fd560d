"""`signoff audit verify` and `signoff audit checkpoint` as an operator runs them: a real
process on the database, reading its output and exit code."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.uow import uow_factory
from tests.integration.audit_history import history_catalog, seed_history
from tests.integration.support import FixedClock
from tests.integration.tampering import tamper
from tests.signoff_cli import signoff


@pytest.fixture
async def seeded(engine: AsyncEngine, clock: FixedClock) -> AsyncIterator[AsyncEngine]:
    await seed_history(engine, uow_factory(engine, clock), history_catalog(), clock)
    yield engine


async def test_verify_names_the_verified_head(seeded: AsyncEngine, database_url: str,
                                              tmp_path: Path) -> None:
    run = await signoff(database_url, tmp_path, "audit", "verify")

    assert run.code == 0, run
    assert run.out.startswith("Audit chain verified: 11 events; head event 11 at "
                              "2026-03-09T13:50:15.123456+00:00, hash ")


async def test_verify_names_the_edited_event_and_fails(seeded: AsyncEngine, database_url: str,
                                                       tmp_path: Path) -> None:
    await tamper(seeded, "UPDATE audit_events SET outcome = 'refused' WHERE id = 8")

    run = await signoff(database_url, tmp_path, "audit", "verify")

    assert run.code == 1, run
    assert run.out.splitlines()[0] == (
        "Audit chain BROKEN at event 8 (2026-03-02T13:40:15.123456+00:00): edited")
    assert "event 8 (decision.reject) was edited" in run.out
    assert "7 events before it verified; the last good one: event 7" in run.out


async def test_a_saved_checkpoint_catches_the_newest_events_deleted(
    seeded: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    printed = await signoff(database_url, tmp_path, "audit", "checkpoint")
    as_json = await signoff(database_url, tmp_path, "audit", "checkpoint", "--json")
    (tmp_path / "checkpoint.txt").write_text(printed.out)
    (tmp_path / "checkpoint.json").write_text(as_json.out)
    head = json.loads(as_json.out)
    await tamper(seeded, "DELETE FROM audit_events WHERE id >= 10")

    plain = await signoff(database_url, tmp_path, "audit", "verify")
    runs = [await signoff(database_url, tmp_path, "audit", "verify", "--checkpoint", given)
            for given in ("checkpoint.txt", "checkpoint.json", head["hash"])]

    assert (printed.code, as_json.code) == (0, 0)
    assert printed.out.splitlines()[:2] == ["event: 11", "count: 11"]
    assert head["event_id"] == 11 and head["at"] == "2026-03-09T13:50:15.123456+00:00"
    assert plain.code == 0, "without a checkpoint the shortened chain still holds"
    for run in runs:
        assert run.code == 1, run
        assert "checkpoint_missing" in run.out
        assert "the newest stored event is 9" in run.out
    assert "BROKEN at event 11 (2026-03-09T13:50:15.123456+00:00)" in runs[0].out
    assert "BROKEN at the checkpoint" in runs[2].out  # a bare hash: its event id is not known


async def test_a_checkpoint_still_in_place_passes(seeded: AsyncEngine, database_url: str,
                                                  tmp_path: Path) -> None:
    saved = await signoff(database_url, tmp_path, "audit", "checkpoint", "--json")
    (tmp_path / "head.json").write_text(saved.out)

    run = await signoff(database_url, tmp_path, "audit", "verify", "--checkpoint", "head.json")

    assert run.code == 0, run
    assert f"Checkpoint {json.loads(saved.out)['hash']} found in the chain." in run.out


async def test_bad_checkpoints_get_a_clear_answer(seeded: AsyncEngine, database_url: str,
                                                  tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("{}")
    missing = await signoff(database_url, tmp_path, "audit", "verify", "--checkpoint", "nope")
    empty = await signoff(database_url, tmp_path, "audit", "verify", "--checkpoint",
                          "empty.json")

    assert missing.code == empty.code == 2
    assert "neither a 64-digit hex hash nor a readable file" in missing.err
    assert 'JSON without a 64-digit hex "hash"' in empty.err


async def test_post_queues_the_checkpoint_for_the_configured_chat(
    seeded: AsyncEngine, database_url: str, tmp_path: Path
) -> None:
    unset = await signoff(database_url, tmp_path, "audit", "checkpoint", "--post")
    posted = await signoff(database_url, tmp_path, "audit", "checkpoint", "--post",
                           SIGNOFF_CHECKPOINT_CHAT="19:audit@thread.v2")
    async with seeded.connect() as connection:
        queued = (await connection.execute(text(
            "SELECT recipient_id, kind, detail FROM outbox WHERE kind = 'audit_checkpoint'"
        ))).all()
        last = (await connection.execute(text(
            "SELECT action, actor_id, detail FROM audit_events ORDER BY id DESC LIMIT 1"
        ))).one()
    after = await signoff(database_url, tmp_path, "audit", "verify")

    assert unset.code == 2 and "SIGNOFF_CHECKPOINT_CHAT" in unset.err
    assert posted.code == 0, posted
    [(recipient, kind, detail)] = queued
    assert (recipient, kind) == ("chat:19:audit@thread.v2", "audit_checkpoint")
    assert json.loads(detail)["event_id"] == "11"
    assert last.action == "audit.checkpoint_posted" and last.actor_id == "cli"
    assert json.loads(last.detail)["chat"] == "19:audit@thread.v2"
    assert after.code == 0 and "12 events; head event 12" in after.out


@pytest.mark.parametrize("command", [
    ("audit", "verify"), ("audit", "checkpoint"),
    ("evidence", "--from", "2026-03-01", "--to", "2026-03-31"),
])
async def test_a_database_that_cannot_be_read_gets_one_line_and_exit_code_3(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    never_migrated = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    refused = "postgresql+asyncpg://signoff@127.0.0.1:9/signoff"  # nothing listens on port 9

    runs = [await signoff(url, tmp_path, *command) for url in (never_migrated, refused)]

    for run in runs:
        assert run.code == 3, run.err
        assert run.err.startswith(f"signoff {command[0]}") and run.err.count("\n") == 1
        assert "the database could not be read" in run.err and "Traceback" not in run.err
    assert not (tmp_path / "evidence-2026-03-01-to-2026-03-31").exists()
