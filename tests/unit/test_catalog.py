"""The ownership catalog: validation as a whole, lookups, and the demo catalog."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from approvals.catalog import Catalog, CatalogError, build_catalog
from approvals.errors import UnknownAsset
from approvals.model import Tier
from catalog.loader import DEMO_CATALOG, load_catalog

from .fakes import AAD, catalog_data, small_catalog

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground"


def refused(data: Any) -> list[str]:
    with pytest.raises(CatalogError) as error:
        build_catalog(data)
    assert error.value.problems, "a CatalogError must name at least one problem"
    for problem in error.value.problems:
        assert problem in str(error.value)
    return error.value.problems


def only(problems: list[str], pattern: str) -> str:
    [match] = [p for p in problems if re.search(pattern, p)]
    return match


# --- validation ---------------------------------------------------------------------------------


def test_the_small_catalog_is_valid() -> None:
    catalog = small_catalog()

    assert set(catalog.people) == {"megan", "adele", "alex", "outsider"}
    assert catalog.teams["payments-team"].members == ("megan", "adele")
    assert catalog.assets["kv-payments"].tier is Tier.CRITICAL
    assert catalog.assets["sandbox"].backup is None


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    data = catalog_data()
    data["people"].append({"id": "megan", "name": "Megan Again", "email": "m2@example.com",
                           "aad_object_id": "00000000-0000-0000-0000-000000000777"})
    data["people"][1]["manager"] = "nobody"
    data["teams"][0]["members"].append("ghost")
    data["assets"][0]["owner"] = "mallory"
    data["assets"][1]["aliases"] = ["ledger", "pay-api"]
    del data["assets"][2]["owner"]
    data["assets"][3]["tier"] = "urgent"

    problems = refused(data)

    assert len(problems) == 7
    assert "people[4]" in only(problems, "duplicate person id 'megan'")
    assert "people.adele.manager" in only(problems, "unknown person 'nobody'")
    assert "teams.payments-team.members" in only(problems, "'ghost'")
    assert "assets.payments-api.owner" in only(problems, "'mallory'")
    assert "assets.payments-api" in only(problems, "alias 'pay-api' already used")
    assert only(problems, "alias 'pay-api'").startswith("assets.ledger-db")
    assert only(problems, "missing owner").startswith("assets.kv-payments")
    assert "assets.sandbox.tier" in only(problems, "'urgent'")


@pytest.mark.parametrize(("break_it", "place", "what"), [
    (lambda d: d["teams"][0]["members"].append("ghost"),
     "teams.payments-team.members", "unknown person 'ghost'"),
    (lambda d: d["assets"][0].update(owner="mallory"),
     "assets.payments-api.owner", "unknown person or team 'mallory'"),
    (lambda d: d["assets"][0].update(backup="mallory"),
     "assets.payments-api.backup", "unknown person 'mallory'"),
    (lambda d: d["assets"][0].update(team="no-such-team"),
     "assets.payments-api.team", "unknown team 'no-such-team'"),
    (lambda d: d["assets"][3].update(aliases=["PAYMENTS"]),
     "assets.sandbox", "alias 'PAYMENTS' already used by assets.payments-api"),
    (lambda d: d["assets"].append({"name": "payments-api", "owner": "megan"}),
     "assets.payments-api", "'payments-api' already used"),
    (lambda d: d["assets"][3].pop("owner"), "assets.sandbox", "missing owner"),
    (lambda d: d["assets"][3].update(owner=""), "assets.sandbox", "missing owner"),
    (lambda d: d["assets"][2].update(tier="extreme"), "assets.kv-payments.tier", "'extreme'"),
    (lambda d: d["people"].append(dict(d["people"][0])), "people[4]", "duplicate person id"),
    (lambda d: d["people"][0].update(manager="lynne"), "people.megan.manager", "'lynne'"),
    (lambda d: d["people"][0].pop("aad_object_id"), "people[0] (megan)", "aad_object_id"),
    (lambda d: d["people"][1].update(aad_object_id=AAD["megan"].upper()),
     "people.adele", "duplicate aad_object_id"),
    (lambda d: d["teams"].append({"id": "alex", "members": ["alex"]}),
     "teams[1]", "duplicate id 'alex'"),
    (lambda d: d["teams"].append({"id": "empty-team", "members": []}),
     "teams.empty-team", "has no members"),
])
def test_each_problem_names_its_place(break_it: Any, place: str, what: str) -> None:
    data = catalog_data()
    break_it(data)

    problems = refused(data)

    assert any(place in p and what in p for p in problems), problems


def test_a_catalog_that_is_not_a_mapping_is_refused() -> None:
    assert refused(["people", "assets"]) == [
        "catalog: the top level must be a mapping with people, teams, assets"]


def test_tier_defaults_to_medium_and_is_case_insensitive() -> None:
    data = catalog_data()
    data["assets"][0]["tier"] = "CRITICAL"
    del data["assets"][3]["tier"]

    catalog = build_catalog(data)

    assert catalog.assets["payments-api"].tier is Tier.CRITICAL
    assert catalog.assets["sandbox"].tier is Tier.MEDIUM


# --- lookups ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "found"), [
    ("payments-api", "payments-api"),
    ("Payments-API", "payments-api"),
    ("pay-api", "payments-api"),
    ("PAYMENTS", "payments-api"),
    ("paymnets-api", "payments-api"),
    ("payments api", "payments-api"),
    ("'ledger-db'", "ledger-db"),
    ("ledgr", "ledger-db"),
    ("kv-payment", "kv-payments"),
])
def test_an_asset_is_found_by_name_alias_case_or_small_typo(typed: str, found: str) -> None:
    assert small_catalog().find_asset(typed).name == found


@pytest.mark.parametrize("typed", ["payments-web", "payments-prod-api", "vault", "sandboxes-prod"])
def test_another_name_is_unknown_not_guessed(typed: str) -> None:
    """Guessing wrong would send an exception to the wrong asset's owner."""
    with pytest.raises(UnknownAsset) as unknown:
        small_catalog().find_asset(typed)

    assert unknown.value.name == typed


def test_an_unknown_asset_comes_with_the_closest_names() -> None:
    with pytest.raises(UnknownAsset) as unknown:
        small_catalog().find_asset("payments-web")

    assert unknown.value.suggestions[0] == "payments-api"
    assert len(unknown.value.suggestions) <= 3
    assert len(set(unknown.value.suggestions)) == len(unknown.value.suggestions)


def test_a_typo_close_to_two_assets_is_not_guessed() -> None:
    data = catalog_data()
    data["assets"].append({"name": "payments-app", "owner": "alex"})
    catalog = build_catalog(data)

    with pytest.raises(UnknownAsset) as unknown:
        catalog.find_asset("payments-apq")

    assert {"payments-api", "payments-app"} <= set(unknown.value.suggestions)


def test_people_are_found_by_object_id_handle_email_or_name() -> None:
    catalog = small_catalog()

    assert catalog.person_by_aad(AAD["megan"].upper()) == catalog.people["megan"]
    assert catalog.person_by_aad("ffffffff-0000-0000-0000-000000000000") is None
    found = [catalog.find_person(t) for t in ("megan", "@Megan", "megan@example.com",
                                               "Megan Bowen")]
    assert {p.id for p in found if p} == {"megan"} and None not in found
    assert catalog.find_person("nobody") is None


def test_a_team_owner_stands_for_its_members() -> None:
    catalog = small_catalog()

    assert catalog.members_of("payments-team") == ("megan", "adele")
    assert catalog.members_of("megan") == ("megan",)
    assert catalog.display("payments-team") == "Payments Platform"
    assert catalog.display("megan") == "Megan Bowen"
    assert sorted(a.name for a in catalog.assets_owned_by("adele")) == [
        "kv-payments", "ledger-db", "payments-api"]
    assert [a.name for a in catalog.assets_owned_by("alex")] == ["sandbox"]
    assert catalog.assets_owned_by("outsider") == []


# --- the loader ---------------------------------------------------------------------------------


def test_a_missing_file_is_refused_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    with pytest.raises(CatalogError) as error:
        load_catalog(missing)

    [problem] = error.value.problems
    assert str(missing) in problem and "cannot be read" in problem


def test_invalid_yaml_is_refused_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("people:\n  - id: megan\n   name: [unclosed\n", encoding="utf-8")

    with pytest.raises(CatalogError) as error:
        load_catalog(bad)

    [problem] = error.value.problems
    assert str(bad) in problem and "not valid YAML" in problem


@pytest.mark.parametrize(("content", "why"), [
    (b"", "is empty"), (b"# only a comment\n", "is empty"), (b"\xff\xfe\x00binary", "UTF-8"),
])
def test_an_empty_or_unreadable_file_is_refused(tmp_path: Path, content: bytes, why: str) -> None:
    """An empty or truncated file must not replace a good catalog on reload."""
    file = tmp_path / "catalog.yaml"
    file.write_bytes(content)

    with pytest.raises(CatalogError) as error:
        load_catalog(file)

    [problem] = error.value.problems
    assert problem.startswith(str(file)) and why in problem


def test_the_loader_prefixes_every_problem_with_the_file(tmp_path: Path) -> None:
    file = tmp_path / "catalog.yaml"
    file.write_text(
        "people: []\nassets:\n  - name: a\n    owner: ghost\n  - name: b\n", encoding="utf-8")

    with pytest.raises(CatalogError) as error:
        load_catalog(file)

    assert error.value.problems == [
        f"{file}:3: assets.a.owner: unknown person or team 'ghost'",
        f"{file}:5: assets.b: missing owner",
    ]


# --- the demo catalog ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog()


def test_the_demo_catalog_is_the_default_and_loads(demo: Catalog) -> None:
    assert load_catalog(DEMO_CATALOG) == demo
    assert len(demo.assets) >= 15


@pytest.mark.parametrize("kind", [
    "azure-subscription", "azure-resource-group", "azure-storage-account", "azure-key-vault",
    "azure-openai-deployment", "azure-kubernetes-service", "m365-conditional-access-policy",
    "m365-exchange-transport-rule",
])
def test_the_demo_catalog_covers_the_common_asset_kinds(demo: Catalog, kind: str) -> None:
    assert any(a.kind == kind for a in demo.assets.values())


def test_the_demo_catalog_lets_every_playground_user_play_a_part(demo: Catalog) -> None:
    names = {p.name for p in demo.people.values()}
    assert names == {"Alex Wilber", "Megan Bowen", "Adele Vance", "Isaiah Langer",
                     "Patti Fernandez", "Lynne Robbins"}
    assert any(a.tier is Tier.CRITICAL for a in demo.assets.values())
    assert any(a.owner in demo.teams for a in demo.assets.values())
    # Alex, the Playground's default user, can request on assets he does not own.
    assert any("alex" not in demo.members_of(a.owner) for a in demo.assets.values())


def _playground_users() -> dict[str, tuple[str, str]]:
    """Name -> (aadObjectId, email) of the Playground's mock users, read from its bundle."""
    bundle = (PLAYGROUND / "dist" / "index.js").read_text(encoding="utf-8", errors="replace")
    start = bundle.index("currentUser:")
    # The default config is YAML inside a JS string literal: undo the escaping and parse it.
    text = bundle[start:bundle.index("personalChat:", start)]
    config = yaml.safe_load(text.replace("\\n", "\n").replace('\\"', '"'))
    users = [config["currentUser"], *config["users"]]
    return {str(u["name"]): (str(u["aadObjectId"]), str(u["email"])) for u in users}


@pytest.mark.skipif(not (PLAYGROUND / "dist" / "index.js").exists(),
                    reason="npm @microsoft/m365agentsplayground not installed (make node)")
def test_the_demo_people_are_the_playgrounds_mock_users(demo: Catalog) -> None:
    users = _playground_users()

    assert len(users) == 6, users
    assert {p.name: (p.aad_object_id, p.email) for p in demo.people.values()} == users


def test_what_a_person_owns_alone_through_a_team_and_as_backup() -> None:
    from approvals.errors import UnknownPerson
    from approvals.queries import what_person_owns
    from catalog.loader import load_catalog

    catalog = load_catalog()
    megan = what_person_owns(catalog, "Megan Bowen")
    assert "payments-api" in [a.name for a in megan.owns]
    assert "rg-payments-prod" in [a.name for a in megan.backs_up]
    isaiah = what_person_owns(catalog, "isaiah")
    assert "aks-platform-dev" in [a.name for a in isaiah.owns]  # owned by platform-team
    with pytest.raises(UnknownPerson):
        what_person_owns(catalog, "nobody")
