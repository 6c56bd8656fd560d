"""Render Adaptive Cards to PNG files, the way Teams roughly shows them.

Uses the official renderer (npm adaptivecards) in headless Chromium driven by playwright-core
(tools/screenshot.js). The browser is the system Chromium (`apt-get install -y chromium`);
nothing is downloaded.

    python -m tools.render_cards OUTDIR               # every card in cards.catalog_of_examples
    python -m tools.render_cards OUTDIR a.json b.json # only these card files

From Python: ``render_cards({"name": card_dict}, Path("docs/cards"))`` returns the written paths.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "screenshot.js"
CHROMIUM = Path("/usr/bin/chromium")
CATALOG_MODULE = "cards.catalog_of_examples"

Card = Mapping[str, Any]


class RenderError(RuntimeError):
    """Rendering failed; the message says which cards and why."""


def screenshots_available(chromium: Path = CHROMIUM, root: Path = ROOT) -> str | None:
    """None when cards can be rendered to PNG here; otherwise the reason they cannot."""
    if shutil.which("node") is None:
        return "node is not installed"
    for package in ("adaptivecards", "playwright-core"):
        if not (root / "node_modules" / package / "package.json").is_file():
            return f"npm package {package} is not installed: run `make node`"
    if not chromium.is_file():
        return f"{chromium} is missing: apt-get install -y chromium"
    return None


def file_name(name: str) -> str:
    """A safe PNG file name for a card name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "card"
    return f"{stem}.png"


def render_cards(
    cards: Mapping[str, Card],
    outdir: Path,
    *,
    width: int = 450,
    scale: float = 2,
    chromium: Path = CHROMIUM,
    timeout: float = 180,
) -> list[Path]:
    """Render each named card to OUTDIR/<name>.png and return the files written."""
    reason = screenshots_available(chromium)
    if reason is not None:
        raise RenderError(reason)
    outdir = outdir.resolve()
    jobs = [
        {"name": name, "file": str(outdir / file_name(name)), "card": card}
        for name, card in cards.items()
    ]
    if not jobs:
        return []
    job = {"cards": jobs, "width": width, "scale": scale, "chromium": str(chromium)}
    with tempfile.TemporaryDirectory(prefix="signoff-render-") as tmp:
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        node = shutil.which("node") or "node"
        proc = subprocess.run(
            [node, str(SCRIPT), str(job_file)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode not in (0, 1) or not lines:
        raise RenderError(f"screenshot.js failed ({proc.returncode}): {proc.stderr.strip()}")
    result = json.loads(lines[-1])
    if result["errors"]:
        detail = "; ".join(f"{name}: {msg}" for name, msg in result["errors"].items())
        raise RenderError(f"cards not rendered: {detail}")
    written = [Path(p) for p in result["written"]]
    log.info("rendered %d card(s) into %s", len(written), outdir)
    return written


def catalog_cards() -> dict[str, Card] | None:
    """The example cards from cards.catalog_of_examples, or None when it cannot be imported."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        module = importlib.import_module(CATALOG_MODULE)
        cards: dict[str, Card] = module.example_cards()
    except (ImportError, AttributeError) as exc:
        log.warning("cannot use %s.example_cards(): %s", CATALOG_MODULE, exc)
        return None
    return cards


def cards_from_files(paths: list[Path]) -> dict[str, Card]:
    """Cards read from JSON files, named after the file stem."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in paths}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render Adaptive Cards to PNG (Teams-like).")
    parser.add_argument("outdir", type=Path, help="directory for the PNG files")
    parser.add_argument("files", nargs="*", type=Path, help="card JSON files (fallback)")
    parser.add_argument("--width", type=int, default=450, help="card width in CSS pixels")
    parser.add_argument("--scale", type=float, default=2, help="device pixel ratio")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    cards = cards_from_files(args.files) if args.files else catalog_cards()
    if cards is None:
        log.error("no card catalog (%s) and no card files given", CATALOG_MODULE)
        return 2
    try:
        written = render_cards(cards, args.outdir, width=args.width, scale=args.scale)
    except RenderError as exc:
        log.error("%s", exc)
        return 1
    for path in written:
        print(path)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
