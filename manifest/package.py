"""Build the Teams app package: build/signoff-teams-app.zip (standard library only).

The zip holds manifest.json and the two icons at its root. The bot id in the committed manifest is
a placeholder; it is replaced by the ``MicrosoftAppId`` environment variable (the Azure Bot
Service app id) or, when that is unset, by the zero GUID for local use.

    python -m manifest.package [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MANIFEST = HERE / "manifest.json"
DEFAULT_OUTPUT = ROOT / "build" / "signoff-teams-app.zip"
LOCAL_BOT_ID = "00000000-0000-0000-0000-000000000000"
APP_ID_ENV = "MicrosoftAppId"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# A fixed timestamp keeps the zip byte-for-byte reproducible.
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def bot_id_from_env(env: Mapping[str, str] | None = None) -> str:
    """The bot's Microsoft App Id from the environment, or the zero GUID when it is unset."""
    value = (os.environ if env is None else env).get(APP_ID_ENV, "").strip()
    if not value:
        log.warning("%s is not set: packaging with the local bot id %s", APP_ID_ENV, LOCAL_BOT_ID)
        return LOCAL_BOT_ID
    if not _GUID.match(value):
        raise ValueError(f"{APP_ID_ENV} must be a GUID, got {value!r}")
    return value


def render_manifest(bot_id: str, source: Path = MANIFEST) -> dict[str, Any]:
    """The manifest with every bot's botId set to `bot_id`."""
    manifest: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    for bot in manifest.get("bots", []):
        bot["botId"] = bot_id
    return manifest


def icon_files(manifest: Mapping[str, Any], directory: Path = HERE) -> list[Path]:
    """The icon files the manifest names, checked to exist."""
    paths = [directory / name for name in manifest["icons"].values()]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"icons missing (run python -m manifest.icons): {missing}")
    return paths


def build_package(output: Path = DEFAULT_OUTPUT, bot_id: str | None = None) -> Path:
    """Write the app package zip to `output` and return its path."""
    manifest = render_manifest(bot_id or bot_id_from_env())
    output.parent.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[str, bytes]] = [
        ("manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()),
    ]
    entries += [(path.name, path.read_bytes()) for path in icon_files(manifest)]
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    log.info("wrote %s", output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Teams app package zip.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="zip file to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        path = build_package(args.output)
    except (ValueError, FileNotFoundError) as exc:
        log.error("%s", exc)
        return 2
    print(path)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
