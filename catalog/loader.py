"""Read a catalog YAML file and validate it as a whole."""

from __future__ import annotations

from pathlib import Path

import yaml

from approvals.catalog import Catalog, CatalogError, build_catalog

DEMO_CATALOG = Path(__file__).with_name("demo.yaml")


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The catalog at `path` (the demo catalog when None); CatalogError lists every problem."""
    file = Path(path) if path else DEMO_CATALOG
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError([f"{file}: cannot be read ({exc.strerror})"]) from exc
    except UnicodeDecodeError as exc:
        raise CatalogError([f"{file}: not UTF-8 text ({exc.reason})"]) from exc
    except yaml.YAMLError as exc:
        raise CatalogError([f"{file}: not valid YAML ({exc})"]) from exc
    if data is None:  # an empty or truncated file must not replace a good catalog on reload
        raise CatalogError([f"{file}: is empty; it must list people, teams and assets"])
    try:
        return build_catalog(data)
    except CatalogError as exc:
        raise CatalogError([f"{file}: {p}" for p in exc.problems]) from exc
