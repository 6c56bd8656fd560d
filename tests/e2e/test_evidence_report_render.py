"""The evidence report in a real browser (headless Chromium): it loads from the file alone,
asks for nothing over the network, and renders."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from cli.evidence_commands import run_evidence
from settings import Settings
from storage.engine import create_engine
from storage.migrate import migrate
from storage.uow import uow_factory
from tests.integration.audit_history import history_catalog, seed_history
from tests.integration.support import FixedClock

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")
NODE = shutil.which("node")
ready = pytest.mark.skipif(
    not (CHROMIUM and NODE and (ROOT / "node_modules" / "playwright-core").is_dir()),
    reason="needs node, npm playwright-core (make node) and Debian chromium",
)


@ready
async def test_the_report_renders_offline_in_chromium(sqlite_url: str, tmp_path: Path) -> None:
    await migrate(sqlite_url)
    engine = create_engine(sqlite_url)
    clock = FixedClock()
    try:
        await seed_history(engine, uow_factory(engine, clock), history_catalog(), clock)
    finally:
        await engine.dispose()
    args = argparse.Namespace(start=date(2026, 3, 1), end=date(2026, 3, 31), asset=None,
                              out=tmp_path)
    assert await run_evidence(args, Settings(database_url=sqlite_url)) == 0
    assert NODE is not None and CHROMIUM is not None

    process = await asyncio.create_subprocess_exec(
        NODE, str(ROOT / "tools" / "html_screenshot.js"), str(tmp_path / "report.html"),
        str(tmp_path / "report.png"), "1100", CHROMIUM,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["blocked"] == []
    assert result["height"] > 1000  # four requests with their timelines
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
