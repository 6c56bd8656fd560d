"""Read a catalog file (native YAML, CSV or Backstage) and validate it as a whole."""

from __future__ import annotations

from pathlib import Path

from approvals.catalog import Catalog
from catalog.importers import read_catalog

DEMO_CATALOG = Path(__file__).with_name("demo.yaml")


def load_catalog(path: str | Path | None = None, by_email: bool = False) -> Catalog:
    """The catalog at `path` (the demo catalog when None); CatalogError lists every problem.
    `by_email`: people may be named by email alone (a directory resolves them)."""
    return read_catalog(Path(path) if path else DEMO_CATALOG, by_email=by_email).catalog
