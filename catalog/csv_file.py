"""Catalog CSV files: assets (one a row), and optionally people and teams beside them.

assets.csv   asset,aliases,kind,owner,backup,team,tier,tags    (asset and owner required)
people.csv   id,name,email,aad_object_id,manager                (id defaults to the email)
teams.csv    id,name,members,group                             (group: an Entra group object id)
Lists (aliases, tags, members) are separated by ";". A person may be named by their catalog id
or by their email/UPN (owner, backup, manager, members); an owner may also be a team id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from catalog.located import Located, read_text

ASSET_COLUMNS = ("asset", "aliases", "kind", "owner", "backup", "team", "tier", "tags")
PEOPLE_COLUMNS = ("id", "name", "email", "aad_object_id", "manager")
TEAM_COLUMNS = ("id", "name", "members", "group")
LIST_SEPARATOR = ";"


def split_list(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]


def read_rows(file: Path, columns: tuple[str, ...], required: tuple[str, ...],
              problems: list[str], text: str | None = None) -> Iterator[Located]:
    """The file's rows as mappings of the known columns, each remembering its line, one at a
    time (a large file is never held twice); a header with an unknown, repeated or missing
    column is a problem (a typo must not lose a column)."""
    reader = csv.reader(io.StringIO(read_text(file) if text is None else text))
    header = [h.strip().lower() for h in next(reader, [])]
    if not any(header):
        problems.append(f"{file}:1: is empty; the header must name the columns "
                        f"{', '.join(columns)}")
        return
    bad = [h for h in header if h not in columns]
    repeated = sorted({h for h in header if header.count(h) > 1})
    missing = [c for c in required if c not in header]
    for what, names in (("unknown column", bad), ("repeated column", repeated),
                        ("missing column", missing)):
        if names:
            problems.append(f"{file}:1: {what} {', '.join(map(repr, names))} (the columns are "
                            f"{', '.join(columns)})")
    if bad or repeated or missing:
        return
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            problems.append(f"{file}:{start}: {len(cells)} cells for {len(header)} columns (a "
                            "list inside a cell is separated by ';', not ',')")
            continue
        yield Located.at(f"{file}:{start}", {h: c.strip()
                                              for h, c in zip(header, cells, strict=False)})


def read_csv_catalog(assets_file: Path, people_file: Path | None = None,
                     teams_file: Path | None = None,
                     directory: Mapping[str, Any] | None = None) -> tuple[dict[str, Any],
                                                                          list[str]]:
    """The catalog data of an assets CSV, with people and teams from their CSV files or from
    `directory` (parsed data with people and teams sections); and the problems found reading."""
    problems: list[str] = []
    people: list[Any] = []
    teams: list[Any] = []
    if directory is not None:
        people = list(_section(directory, "people"))
        teams = list(_section(directory, "teams"))
    if people_file is not None:
        people += [_person(r) for r in read_rows(people_file, PEOPLE_COLUMNS, ("email",),
                                                 problems)]
    if teams_file is not None:
        teams += [_team(r) for r in read_rows(teams_file, TEAM_COLUMNS, ("id",), problems)]
    assets = [_asset(r) for r in read_rows(assets_file, ASSET_COLUMNS, ("asset", "owner"),
                                           problems)]
    data = {"people": people, "teams": teams, "assets": assets}
    resolve_emails(data)
    return data, problems


def _section(data: Mapping[str, Any], name: str) -> Iterable[Any]:
    value = data.get(name) if isinstance(data, Mapping) else None
    return value if isinstance(value, list) else []


def _person(row: Located) -> Located:
    return Located.at(row.origin or "", {
        "id": row.get("id") or row.get("email"), "name": row.get("name"),
        "email": row.get("email"), "aad_object_id": row.get("aad_object_id"),
        "manager": row.get("manager") or None,
    })


def _team(row: Located) -> Located:
    return Located.at(row.origin or "", {
        "id": row.get("id"), "name": row.get("name") or row.get("id"),
        "members": split_list(row.get("members", "")), "group": row.get("group") or None,
    })


def _asset(row: Located) -> Located:
    return Located.at(row.origin or "", {
        "name": row.get("asset"), "aliases": split_list(row.get("aliases", "")),
        "kind": row.get("kind") or None, "owner": row.get("owner"),
        "backup": row.get("backup") or None, "team": row.get("team") or None,
        "tier": row.get("tier") or None, "tags": split_list(row.get("tags", "")),
    })


def resolve_emails(data: dict[str, Any]) -> None:
    """Owners, backups, managers and members named by email/UPN become catalog person ids
    (an unknown email stays as written, so validation reports it)."""
    ids: dict[str, str] = {}
    for p in data["people"]:
        if isinstance(p, Mapping) and p.get("email") and p.get("id"):
            ids.setdefault(str(p["email"]).lower(), str(p["id"]))

    def person(name: Any) -> Any:
        if isinstance(name, str) and "@" in name:
            return ids.get(name.strip().lower(), name)
        return name

    for p in data["people"]:
        if isinstance(p, dict) and p.get("manager"):
            p["manager"] = person(p["manager"])
    for t in data["teams"]:
        if isinstance(t, dict) and isinstance(t.get("members"), list):
            t["members"] = [person(m) for m in t["members"]]
    for a in data["assets"]:
        if isinstance(a, dict):
            a["owner"], a["backup"] = person(a.get("owner")), person(a.get("backup"))
