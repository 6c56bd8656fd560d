"""`signoff catalog ...` as an administrator runs it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from approvals import services
from approvals.model import Actor, RequestDraft, RequestKind, Risk, Source
from catalog.importers import read_catalog
from catalog.loader import load_catalog
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "catalog" / "examples"
ALEX = Actor("00000000-0000-0000-0000-0000000000020", "Alex Wilber")


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SIGNOFF_CATALOG", raising=False)
    monkeypatch.delenv("SIGNOFF_POLICIES", raising=False)
    return database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["catalog", *argv])
    out, err = capsys.readouterr()
    return code, out, err


async def _submit(url: str) -> None:
    from approvals.ports import SystemClock
    from storage.engine import create_engine
    from storage.migrate import migrate
    from storage.uow import uow_factory

    await migrate(url)
    engine = create_engine(url)
    clock = SystemClock()
    draft = RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name="payments-api", title="Open the firewall",
        justification="Vendor callback", risk=Risk.LOW, controls="allow-list",
        expires_on=(clock.now() + timedelta(days=10)).date())
    try:
        await services.submit_request(uow_factory(engine)(), load_catalog(), clock, draft,
                                      ALEX, Source())
    finally:
        await engine.dispose()


def payments_to_patti(folder: Path) -> Path:
    """The example CSV with payments-api handed to Patti, and no team behind it."""
    for name in ("people.csv", "teams.csv"):
        shutil.copy(EXAMPLES / name, folder / name)
    lines = (EXAMPLES / "assets.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = "payments-api,payments;pay-api,azure-app-service,pattif@example.com,"\
               "adelev@example.com,,high,pci"
    (folder / "assets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "assets.csv"


def test_validate_says_valid_or_lists_every_problem_and_fails(
        env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(EXAMPLES / "catalog-info.yaml"))
    assert code == 0 and "valid backstage catalog: 6 people, 5 teams, 17 assets" in out

    broken = ROOT / "tests" / "catalogs" / "csv-broken" / "assets.csv"
    code, out, err = run(capsys, "validate", str(broken))
    assert code == 1 and out == ""
    problems = err.splitlines()[:-1]
    assert len(problems) == 9 and all(p.startswith(str(broken.parent)) for p in problems)
    assert f"{broken}:6: assets.ghost-app.owner: unknown person or team" in err
    assert err.splitlines()[-1].startswith("9 problem(s)")


def test_diff_import_export_move_a_pending_request_and_round_trip(
        env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    asyncio.run(_submit(env))
    changed = payments_to_patti(tmp_path)

    code, out, _ = run(capsys, "diff", str(changed))
    assert code == 0
    assert "~ asset payments-api: owner Megan Bowen -> Patti Fernandez; team Payments " \
           "Platform -> none" in out
    assert "> EXC-1 (payments-api) moves from Megan Bowen, Adele Vance to Patti Fernandez, " \
           "Adele Vance" in out

    code, out, _ = run(capsys, "import", str(changed), "--by", "jdoe")
    assert code == 0 and "as catalog snapshot 1 for jdoe" in out and "> EXC-1" in out

    code, out, _ = run(capsys, "diff", str(changed))
    assert "No change." in out and "No open request would move." in out

    exported = tmp_path / "exported.yaml"
    code, _, err = run(capsys, "export", "-o", str(exported))
    assert code == 0 and "16 assets (snapshot 1 (" in err
    assert read_catalog(exported).catalog == read_catalog(changed).catalog


def test_an_invalid_import_changes_nothing(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "import", str(EXAMPLES / "catalog-info.yaml"), "--by", "jdoe")
    assert code == 0

    code, _, err = run(capsys, "import", str(ROOT / "tests" / "catalogs" / "broken.yaml"))
    assert code == 1 and "broken.yaml:13: assets.ledger-db.owner" in err

    code, out, _ = run(capsys, "export")
    assert "payments-platform" in out  # still the Backstage import, snapshot 1
    assert out.startswith("# Signoff catalog exported from snapshot 1")


def test_an_import_replaces_a_catalog_file_that_is_not_valid(
        env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_CATALOG", str(ROOT / "tests" / "catalogs" / "broken.yaml"))
    code, _, err = run(capsys, "export")
    assert code == 1 and "broken.yaml:18: assets.orphan: missing owner" in err

    code, out, err = run(capsys, "import", str(EXAMPLES / "assets.csv"), "--by", "jdoe")

    assert code == 0 and "as catalog snapshot 1" in out
    assert "the catalog file in use is not valid" in err
    assert run(capsys, "export")[0] == 0
