"""The Teams app manifest against Microsoft's schema, and the app package built from it.

The schema comes from npm @microsoft/app-manifest (installed by `make node`); without it the schema
tests are skipped. Validation is offline: any `$ref` that leaves the schema file is refused.
"""

from __future__ import annotations

import importlib
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

ROOT = Path(__file__).resolve().parents[2]
icons = importlib.import_module("manifest.icons")
MANIFEST_DIR = ROOT / "manifest"
SCHEMAS = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
COMMANDS = {
    "help",
    "who owns",
    "request exception",
    "request rollback",
    "status",
    "my requests",
    "my approvals",
    "withdraw",
    "revoke",
    "renew",
    "delegate",
    "what does",
}
SCOPES = {"personal", "groupChat", "team"}
BOT_ID = "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def load_manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MANIFEST_DIR / "manifest.json").read_text("utf-8"))
    return data


def _refuse_remote(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # never fetch: the test must not touch the network


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMAS.is_dir():
        pytest.skip(f"Teams manifest schemas not installed ({SCHEMAS} missing): run `make node`")
    version = load_manifest()["manifestVersion"]
    path = SCHEMAS / f"v{version}" / "MicrosoftTeams.schema.json"
    assert path.is_file(), f"no schema for manifestVersion {version} in {SCHEMAS}"
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def schema_errors(schema: dict[str, Any], manifest: dict[str, Any]) -> list[str]:
    validator = Draft4Validator(schema, registry=Registry(retrieve=_refuse_remote))
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def png_info(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA rows of an 8-bit RGBA, unfiltered PNG (what manifest.icons writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert (depth, colour_type) == (8, 6), "expected 8-bit RGBA"
    raw, stride = zlib.decompress(idat), width * 4 + 1
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows), "expected filter type 0 on every row"
    return width, height, [row[1:] for row in rows]


def test_manifest_is_valid_against_the_official_schema(schema: dict[str, Any]) -> None:
    assert schema_errors(schema, load_manifest()) == []


def test_manifest_version_matches_schema(schema: dict[str, Any]) -> None:
    manifest = load_manifest()
    # draft-04 ignores "const", so check it here
    version = manifest["manifestVersion"]
    assert schema["properties"]["manifestVersion"].get("const", version) == version
    assert f"/v{version}/" in manifest["$schema"]


def test_schema_validation_catches_a_broken_manifest(schema: dict[str, Any]) -> None:
    manifest = load_manifest()
    manifest["bots"][0]["botId"] = "not-a-guid"
    del manifest["developer"]["privacyUrl"]
    errors = schema_errors(schema, manifest)
    assert any("bots/0/botId" in e for e in errors), errors
    assert any("privacyUrl" in e for e in errors), errors


def test_bot_scopes_and_command_lists() -> None:
    (bot,) = load_manifest()["bots"]
    assert set(bot["scopes"]) == SCOPES
    listed = {scope for cl in bot["commandLists"] for scope in cl["scopes"]}
    assert listed == SCOPES
    for command_list in bot["commandLists"]:
        titles = {c["title"] for c in command_list["commands"]}
        assert titles == COMMANDS, command_list["scopes"]
        for command in command_list["commands"]:
            assert 0 < len(command["title"]) <= 32
            assert 0 < len(command["description"]) <= 128


def test_committed_icons_match_the_generator() -> None:
    generators = {icons.COLOR_FILE: icons.color_icon, icons.OUTLINE_FILE: icons.outline_icon}
    for name, make in generators.items():
        committed = png_info((MANIFEST_DIR / name).read_bytes())
        assert committed == png_info(make()), f"{name} is stale: run python -m manifest.icons"


def test_package_builds_a_zip_with_manifest_and_icons(tmp_path: Path) -> None:
    output = tmp_path / "app.zip"
    env = {**os.environ, "MicrosoftAppId": BOT_ID}
    result = subprocess.run(
        [sys.executable, "-m", "manifest.package", "--output", str(output)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    with zipfile.ZipFile(output) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(zf.read("manifest.json"))
        color, outline = zf.read("color.png"), zf.read("outline.png")

    assert packaged["bots"][0]["botId"] == BOT_ID
    assert packaged["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert png_info(color)[:2] == (192, 192)
    width, height, rows = png_info(outline)
    assert (width, height) == (32, 32)
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    assert all(p[:3] == b"\xff\xff\xff" for p in pixels), "outline icon must be white only"
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)


def test_package_refuses_a_bot_id_that_is_not_a_guid(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "manifest.package", "--output", str(tmp_path / "app.zip")],
        cwd=ROOT,
        env={**os.environ, "MicrosoftAppId": "my-bot"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "GUID" in result.stderr
    assert not (tmp_path / "app.zip").exists()
