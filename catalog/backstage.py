"""Backstage catalog files (`catalog-info.yaml`, one entity per YAML document) as catalog data.

User -> person, Group -> team, Component / System / Resource -> asset. `spec.owner` is an
entity reference (`group:default/payments`, `user:megan`, or a bare name, which Backstage reads
as a group). People and teams outside the `default` namespace get ids `<namespace>/<name>`.
Signoff reads a few annotations of its own: `signoff/tier`, `signoff/backup` (a user),
`signoff/team` (a group), `signoff/aliases` (";"-separated) and, on a User,
`signoff/manager`; the Entra object id comes from `graph.microsoft.com/user-id` (as Backstage's
Microsoft Graph provider writes it) or `signoff/aad-object-id`, and a Group's Entra group from
`graph.microsoft.com/group-id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from catalog.csv_file import split_list
from catalog.located import Located, origin_of, read_numbered_documents

ASSET_KINDS = ("component", "system", "resource")
AAD_ANNOTATIONS = ("graph.microsoft.com/user-id", "signoff/aad-object-id")
GROUP_ANNOTATION = "graph.microsoft.com/group-id"  # an Entra group: Graph lists its members


def parse_ref(ref: Any, default_kind: str) -> tuple[str, str] | None:
    """(kind, catalog id) of an entity reference `[kind:][namespace/]name`, or None."""
    if not isinstance(ref, str) or not ref.strip():
        return None
    text = ref.strip()
    kind, _, rest = text.rpartition(":") if ":" in text else (default_kind, "", text)
    namespace, _, name = rest.rpartition("/")
    namespace = namespace.lower() or "default"
    entity_id = name if namespace == "default" else f"{namespace}/{name}"
    return kind.strip().lower() or default_kind, entity_id


def read_backstage(file: Path, text: str | None = None) -> tuple[dict[str, Any], list[str],
                                                                 dict[str, int]]:
    """Catalog data from the file's entities, the problems met, and how many of each kind."""
    problems: list[str] = []
    counts: dict[str, int] = {}
    people: dict[str, Located] = {}
    teams: dict[str, Located] = {}
    assets: list[Located] = []
    memberships: list[tuple[str, str, str | None]] = []  # (group id, user id, origin)
    for line, doc in read_numbered_documents(file, text):
        if doc is None:
            continue
        where = origin_of(doc) or f"{file}:{line}"
        if not isinstance(doc, Mapping) or not isinstance(doc.get("kind"), str):
            problems.append(f"{where}: not a Backstage entity (no kind)")
            continue
        kind = doc["kind"].lower()
        counts[kind] = counts.get(kind, 0) + 1
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
        spec = doc.get("spec") if isinstance(doc.get("spec"), Mapping) else {}
        ref = parse_ref(_name(meta), kind)
        if kind not in (*ASSET_KINDS, "user", "group"):
            continue  # API, Domain, Location, Template...: nothing Signoff routes to
        if ref is None:
            problems.append(f"{where}: {doc['kind']} without metadata.name")
            continue
        entity_id = ref[1]
        annotations = _mapping(meta.get("annotations"))
        if kind == "user":
            people[entity_id] = _person(where, entity_id, meta, spec, annotations)
            for group in _list(spec.get("memberOf")):
                group_ref = parse_ref(group, "group")
                if group_ref:
                    memberships.append((group_ref[1], entity_id, where))
        elif kind == "group":
            teams[entity_id] = _team(where, entity_id, meta, spec)
            for member in _list(spec.get("members")):
                member_ref = parse_ref(member, "user")
                if member_ref:
                    memberships.append((entity_id, member_ref[1], where))
        else:
            assets.append(_asset(where, entity_id, kind, meta, spec, annotations, problems))
    for group_id, user_id, where in memberships:
        team = teams.get(group_id)
        if team is None:
            problems.append(f"{where}: memberOf/members names {group_id!r}, which is not a "
                            "Group in this file")
        elif user_id not in team["members"]:
            team["members"].append(user_id)
    for asset in assets:
        if asset["team"] == asset["owner"] and asset["team"] not in teams:
            asset["team"] = None  # taken from an unknown owner, which is reported once
    return {"people": list(people.values()), "teams": list(teams.values()),
            "assets": assets}, problems, counts


def _person(where: str, pid: str, meta: Mapping[str, Any], spec: Mapping[str, Any],
            annotations: Mapping[str, Any]) -> Located:
    profile = _mapping(spec.get("profile"))
    manager = parse_ref(annotations.get("signoff/manager"), "user")
    return Located.at(where, {
        "id": pid, "name": profile.get("displayName") or meta.get("title") or pid,
        "email": profile.get("email"),
        "aad_object_id": next((annotations[a] for a in AAD_ANNOTATIONS if annotations.get(a)),
                              None),
        "manager": manager[1] if manager else None,
    })


def _team(where: str, tid: str, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> Located:
    profile = _mapping(spec.get("profile"))
    annotations = _mapping(meta.get("annotations"))
    return Located.at(where, {
        "id": tid, "name": profile.get("displayName") or meta.get("title") or tid,
        "members": [], "group": annotations.get(GROUP_ANNOTATION) or None,
    })


def _asset(where: str, name: str, kind: str, meta: Mapping[str, Any], spec: Mapping[str, Any],
           annotations: Mapping[str, Any], problems: list[str]) -> Located:
    owner = parse_ref(spec.get("owner"), "group")
    if owner is not None and owner[0] not in ("user", "group"):
        problems.append(f"{where}: assets.{name}.owner: {spec.get('owner')!r} is a "
                        f"{owner[0]}; an owner is a user or a group")
        owner = None
    team = parse_ref(annotations.get("signoff/team"), "group")
    backup = parse_ref(annotations.get("signoff/backup"), "user")
    title = meta.get("title")
    aliases = [str(title)] if title and str(title).lower() != name.lower() else []
    aliases += split_list(str(annotations.get("signoff/aliases", "")).replace(",", ";"))
    labels = _mapping(meta.get("labels"))
    return Located.at(where, {
        "name": name, "aliases": aliases, "kind": spec.get("type") or kind,
        "owner": owner[1] if owner else None,
        "team": team[1] if team else (owner[1] if owner and owner[0] == "group" else None),
        "backup": backup[1] if backup else None,
        "tier": annotations.get("signoff/tier") or labels.get("tier"),
        "tags": [str(t) for t in _list(meta.get("tags"))],
    })


def _name(meta: Mapping[str, Any]) -> str | None:
    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    namespace = meta.get("namespace")
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
