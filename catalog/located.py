"""Parsed entries that remember where they were read (`file:line`), for problems that say so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from catalog.yaml_file import UnreadableFile

# libyaml when present: a 100,000-asset catalog parses several times faster.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Located(dict[str, Any]):
    """A mapping read from a file, with `origin` = "file:line" of its first line."""

    origin: str | None = None

    @classmethod
    def at(cls, origin: str, items: dict[str, Any] | None = None) -> Located:
        entry = cls(items or {})
        entry.origin = origin
        return entry


def origin_of(entry: Any) -> str | None:
    """Where an entry was read, if it says (see `approvals.catalog.build_catalog`)."""
    return getattr(entry, "origin", None)


class _LocatingLoader(_Base):  # type: ignore[misc]
    label = ""


def _mapping(loader: _LocatingLoader, node: yaml.MappingNode) -> Iterator[Located]:
    entry = Located.at(f"{loader.label}:{node.start_mark.line + 1}")
    yield entry
    entry.update(loader.construct_mapping(node))


_LocatingLoader.add_constructor("tag:yaml.org,2002:map", _mapping)


def read_documents(file: Path, text: str | None = None) -> list[Any]:
    """Every YAML document of the file, mappings as `Located`; UnreadableFile says why not."""
    return [document for _, document in read_numbered_documents(file, text)]


def read_numbered_documents(file: Path, text: str | None = None) -> list[tuple[int, Any]]:
    """(first line, document) of every YAML document of the file, mappings as `Located`."""
    if text is None:
        text = read_text(file)
    loader = _LocatingLoader(text)
    loader.label = str(file)
    try:
        documents = []
        while loader.check_node():
            node = loader.get_node()
            documents.append((node.start_mark.line + 1, loader.construct_document(node)))
        return documents
    except yaml.YAMLError as exc:
        raise UnreadableFile(f"{file}: not valid YAML ({exc})") from exc
    finally:
        loader.dispose()


def read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UnreadableFile(f"{file}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{file}: not UTF-8 text ({exc.reason})") from exc
