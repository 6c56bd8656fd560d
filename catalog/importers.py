"""One entry point for every catalog format: native YAML, CSV, Backstage `catalog-info.yaml`.

Each format is read into the native layout (people, teams, assets; entries remember their
`file:line`) and validated as a whole by `approvals.catalog.build_catalog`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from approvals.catalog import Catalog, CatalogError, build_catalog
from catalog.backstage import read_backstage
from catalog.csv_file import read_csv_catalog
from catalog.located import origin_of, read_documents, read_text
from catalog.search import RapidfuzzRanker
from catalog.yaml_file import UnreadableFile

FORMATS = ("yaml", "csv", "backstage")
PEOPLE_CSV = "people.csv"
TEAMS_CSV = "teams.csv"


@dataclass(frozen=True)
class ReadCatalog:
    """A valid catalog and what it was read from: the files with their sha256, the format."""

    catalog: Catalog
    format: str
    files: dict[str, str]  # path -> sha256 of its bytes, the main file first
    entities: dict[str, int] = field(default_factory=dict)  # Backstage kinds read

    @property
    def source(self) -> str:
        return next(iter(self.files))

    @property
    def sha256(self) -> str:
        return self.files[self.source]

    def counts(self) -> dict[str, int]:
        c = self.catalog
        return {"people": len(c.people), "teams": len(c.teams), "assets": len(c.assets)}


def detect_format(file: Path, text: str) -> str:
    """csv by extension; Backstage when a document has apiVersion and kind; else native YAML."""
    if file.suffix.lower() == ".csv":
        return "csv"
    head = text[:4096]
    if file.name.startswith("catalog-info") or ("apiVersion:" in head and "kind:" in head):
        return "backstage"
    return "yaml"


def catalog_from_data(data: Mapping[str, Any], by_email: bool = False) -> Catalog:
    """A catalog from data in the native layout (a stored snapshot), with the bot's fuzzy
    asset search."""
    return build_catalog(data, RapidfuzzRanker(), by_email=by_email)


def read_catalog(path: str | Path, fmt: str | None = None, people: str | Path | None = None,
                 teams: str | Path | None = None, by_email: bool = False) -> ReadCatalog:
    """The catalog in `path`; CatalogError lists every problem, each with its file and line.
    A CSV takes its people and teams from `people` (people.csv, or a YAML file with people and
    teams sections) and `teams`, else from people.csv and teams.csv beside it. `by_email`:
    people may be named by email alone (Microsoft Graph gives their name and object id)."""
    file = Path(path)
    try:
        text = read_text(file)
        fmt = fmt or detect_format(file, text)
        data, problems, entities, extra = _read(file, text, fmt, people, teams)
    except UnreadableFile as exc:
        raise CatalogError([exc.problem]) from exc
    catalog: Catalog | None = None
    try:
        catalog = build_catalog(data, RapidfuzzRanker(), by_email=by_email, origin=origin_of)
    except CatalogError as exc:
        problems += exc.problems
    if catalog is not None and not catalog.assets and not problems:
        problems.append(f"{file}: has no assets; an empty catalog would leave every request "
                        "without an owner")
    if problems or catalog is None:
        read = (str(file), *(str(f) for f in extra))
        placed = [p if p.startswith(read) else f"{file}: {p}" for p in problems]
        raise CatalogError(sorted(placed, key=_file_and_line))
    files = {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in (file, *extra)}
    return ReadCatalog(catalog, fmt, files, entities)


def _read(file: Path, text: str, fmt: str, people: str | Path | None,
          teams: str | Path | None) -> tuple[Any, list[str], dict[str, int], list[Path]]:
    if fmt == "backstage":
        data, problems, entities = read_backstage(file, text)
        return data, problems, entities, []
    if fmt == "csv":
        return _read_csv(file, text, people, teams)
    if fmt != "yaml":
        raise UnreadableFile(f"{file}: unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    documents = [d for d in read_documents(file, text) if d is not None]
    if not documents:
        raise UnreadableFile(f"{file}: is empty; it must list people, teams and assets")
    if len(documents) > 1:
        raise UnreadableFile(f"{file}: has {len(documents)} YAML documents; a Signoff catalog "
                             "has one (use --format backstage for catalog-info.yaml files)")
    return documents[0], [], {}, []


def _read_csv(file: Path, text: str, people: str | Path | None, teams: str | Path | None
              ) -> tuple[Any, list[str], dict[str, int], list[Path]]:
    people_file = Path(people) if people else _beside(file, PEOPLE_CSV)
    teams_file = Path(teams) if teams else _beside(file, TEAMS_CSV)
    directory: Mapping[str, Any] | None = None
    if people_file is not None and people_file.suffix.lower() in (".yaml", ".yml"):
        [directory] = [d for d in read_documents(people_file) if d is not None] or [{}]
    data, problems = read_csv_catalog(
        file, people_file if directory is None else None, teams_file, directory)
    if not data["people"] and not problems:
        problems.append(f"{file}: no people: give --people (people.csv, or a YAML file with "
                        f"people and teams) or put {PEOPLE_CSV} beside it")
    return data, problems, {}, [f for f in (people_file, teams_file) if f is not None]


def _file_and_line(problem: str) -> tuple[str, int]:
    """Problems in file order: `path:line: ...` sorts by path, then line."""
    found = _PLACE.match(problem)
    return (found[1], int(found[2])) if found else (problem.split(":", 1)[0], 0)


_PLACE = re.compile(r"^(.*?):(\d+): ")


def _beside(file: Path, name: str) -> Path | None:
    candidate = file.with_name(name)
    return candidate if candidate.exists() and candidate != file else None
