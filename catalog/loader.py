"""Read a catalog YAML file and validate it as a whole."""

from __future__ import annotations

from pathlib import Path

from approvals.catalog import Catalog, CatalogError, build_catalog
from catalog.search import RapidfuzzRanker
from catalog.yaml_file import UnreadableFile, read_yaml

DEMO_CATALOG = Path(__file__).with_name("demo.yaml")


def load_catalog(path: str | Path | None = None, by_email: bool = False) -> Catalog:
    """The catalog at `path` (the demo catalog when None); CatalogError lists every problem.
    `by_email`: people may be named by email alone (a directory resolves them)."""
    file = Path(path) if path else DEMO_CATALOG
    try:
        data = read_yaml(file, "it must list people, teams and assets")
    except UnreadableFile as exc:
        raise CatalogError([exc.problem]) from exc
    try:
        return build_catalog(data, RapidfuzzRanker(), by_email=by_email)
    except CatalogError as exc:
        raise CatalogError([f"{file}: {p}" for p in exc.problems]) from exc
