"""Catalog imports: native YAML, CSV and Backstage files, good and broken, with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from approvals.catalog import Catalog, CatalogError, build_catalog, catalog_to_data
from catalog.importers import read_catalog
from catalog.loader import DEMO_CATALOG, load_catalog

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "catalog" / "examples"
SAMPLES = ROOT / "tests" / "catalogs"


def problems_of(path: Path, **options: str) -> list[str]:
    with pytest.raises(CatalogError) as error:
        read_catalog(path, **options)  # type: ignore[arg-type]
    return error.value.problems


def same_people_and_teams(a: Catalog, b: Catalog) -> None:
    assert a.people == b.people
    assert {t.id: (t.name, set(t.members)) for t in a.teams.values()} == {
        t.id: (t.name, set(t.members)) for t in b.teams.values()}


@pytest.fixture(scope="module")
def demo() -> Catalog:
    return load_catalog()


# --- good files ---------------------------------------------------------------------------------


def test_the_csv_example_is_the_demo_catalog(demo: Catalog) -> None:
    read = read_catalog(EXAMPLES / "assets.csv")

    assert read.format == "csv"
    same_people_and_teams(read.catalog, demo)
    assert read.catalog.assets == demo.assets
    # people.csv and teams.csv beside it were read, and their hashes recorded
    assert [Path(f).name for f in read.files] == ["assets.csv", "people.csv", "teams.csv"]
    assert all(len(h) == 64 for h in read.files.values())


def test_the_backstage_example_is_the_demo_catalog_plus_a_system(demo: Catalog) -> None:
    read = read_catalog(EXAMPLES / "catalog-info.yaml")

    assert read.format == "backstage"
    same_people_and_teams(read.catalog, demo)
    assert {n: a for n, a in read.catalog.assets.items() if n in demo.assets} == demo.assets
    system = read.catalog.assets["payments-platform"]
    assert (system.owner, system.team, system.kind) == ("payments-team", "payments-team",
                                                        "system")
    assert system.aliases == ("Payments platform",)  # metadata.title
    assert read.entities == {"user": 6, "group": 5, "component": 4, "resource": 12, "system": 1}


def test_the_native_yaml_records_its_format_and_hash(demo: Catalog) -> None:
    read = read_catalog(DEMO_CATALOG)

    assert (read.format, read.catalog, read.counts()) == (
        "yaml", demo, {"people": 6, "teams": 5, "assets": 16})
    assert read.source == str(DEMO_CATALOG) and len(read.sha256) == 64


def test_the_export_reads_back_as_the_same_catalog(demo: Catalog) -> None:
    assert build_catalog(catalog_to_data(demo)) == demo


def test_csv_people_may_come_from_a_yaml_file(tmp_path: Path, demo: Catalog) -> None:
    assets = tmp_path / "assets.csv"
    assets.write_text((EXAMPLES / "assets.csv").read_text(encoding="utf-8"), encoding="utf-8")

    read = read_catalog(assets, people=DEMO_CATALOG)

    same_people_and_teams(read.catalog, demo)
    assert read.catalog.assets == demo.assets


def test_a_csv_owner_may_be_an_id_an_email_in_any_case_or_a_team(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(
        "id,name,email,aad_object_id\n"
        "megan,Megan Bowen,meganb@example.com,00000000-0000-0000-0000-000000000021\n"
        ",Adele Vance,adelev@example.com,00000000-0000-0000-0000-000000000022\n",
        encoding="utf-8")
    (tmp_path / "teams.csv").write_text("id,members\npay,megan;ADELEV@example.com\n",
                                        encoding="utf-8")
    (tmp_path / "a.csv").write_text(
        "Asset , Owner,backup,tags\n"
        "one,megan,AdeleV@Example.com, pci ; prod \n\n"
        "two,MEGANB@example.com,,\n"
        "three,pay,,\n", encoding="utf-8")

    catalog = read_catalog(tmp_path / "a.csv").catalog

    assert catalog.assets["one"].backup == "adelev@example.com"  # no id: the email is the id
    assert catalog.assets["one"].tags == ("pci", "prod")
    assert catalog.assets["two"].owner == "megan"
    assert catalog.teams["pay"].members == ("megan", "adelev@example.com")
    assert catalog.person_by_email("ADELEV@example.com") == catalog.people["adelev@example.com"]


# --- broken files: every problem, with its file and line ----------------------------------------


def test_a_broken_csv_names_every_problem_with_file_and_line() -> None:
    folder = SAMPLES / "csv-broken"
    assets, people, teams = (str(folder / n) for n in ("assets.csv", "people.csv", "teams.csv"))

    assert problems_of(folder / "assets.csv") == [
        f"{assets}:3: assets.ledger-db: name or alias 'pay-api' already used by "
        f"assets.payments-api ({assets}:2)",
        f"{assets}:4: assets.payments-api: name or alias 'payments-api' already used by "
        f"assets.payments-api ({assets}:2)",
        f"{assets}:5: assets.orphan-vault: missing owner",
        f"{assets}:6: assets.ghost-app.owner: unknown person or team 'mallory@example.com'",
        f"{assets}:7: assets.night-shift-vm.owner: team 'night-shift' has no members, so "
        "nobody can decide",
        f"{assets}:8: assets.sandbox.tier: 'extreme' is not one of low, medium, high, critical",
        f"{assets}:9: 9 cells for 8 columns (a list inside a cell is separated by ';', not ',')",
        f"{people}:2: people.megan.manager: unknown person 'lynne@example.com'",
        f"{teams}:3: teams.night-shift: has no members (and no Entra group to list them)",
    ]


def test_a_csv_header_with_a_typo_is_refused_before_any_row() -> None:
    file = SAMPLES / "csv-header" / "assets.csv"

    problems = problems_of(file, people=str(DEMO_CATALOG))

    assert [p.split(" (the columns")[0] for p in problems] == [
        f"{file}:1: unknown column 'alias', 'onwer'",
        f"{file}:1: repeated column 'tier'",
        f"{file}:1: missing column 'owner'",
    ]


def test_a_csv_without_people_says_where_to_put_them(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("asset,owner\none,megan\n", encoding="utf-8")

    problems = problems_of(tmp_path / "a.csv")

    assert any("no people: give --people" in p for p in problems)


def test_a_broken_backstage_file_names_every_problem_with_its_line() -> None:
    file = SAMPLES / "broken-catalog-info.yaml"

    assert problems_of(file) == [
        f"{file}:2: memberOf/members names 'no-such-group', which is not a Group in this file",
        f"{file}:14: people[1] (nomail): missing email (or configure Microsoft Graph to look "
        "people up by email: SIGNOFF_GRAPH_*)",
        f"{file}:32: teams.empty-team: has no members (and no Entra group to list them)",
        f"{file}:49: assets.payments-api: name or alias 'payments-api' already used by "
        f"assets.payments-api ({file}:40)",
        f"{file}:58: assets.ledger-db.owner: unknown person or team 'finance'",
        f"{file}:66: assets.night-batch.owner: team 'empty-team' has no members, so nobody can "
        "decide",
        f"{file}:74: assets.unowned-app: missing owner",
        f"{file}:82: assets.odd-owner.owner: 'component:default/payments-api' is a component; "
        "an owner is a user or a group",
        f"{file}:82: assets.odd-owner: missing owner",
        f"{file}:89: Component without metadata.name",
        f"{file}:96: not a Backstage entity (no kind)",
    ]


def test_a_broken_native_yaml_names_every_problem_with_its_line() -> None:
    file = SAMPLES / "broken.yaml"

    assert problems_of(file) == [
        f"{file}:2: people.megan.manager: unknown person 'lynne'",
        f"{file}:8: teams.hollow: has no members (and no Entra group to list them)",
        f"{file}:13: assets.ledger-db.owner: unknown person or team 'mallory'",
        f"{file}:13: assets.ledger-db: name or alias 'payments-api' already used by "
        f"assets.payments-api ({file}:11)",
        f"{file}:16: assets.night-batch.owner: team 'hollow' has no members, so nobody can "
        "decide",
        f"{file}:18: assets.orphan: missing owner",
    ]


@pytest.mark.parametrize(("name", "content", "why"), [
    ("empty.csv", "", "is empty; the header must name the columns"),
    ("none.yaml", "people: []\nteams: []\nassets: []\n", "has no assets"),
    ("two.yaml", "people: []\n---\nassets: []\n", "has 2 YAML documents"),
    ("bad.yaml", "assets: [unclosed\n", "not valid YAML"),
])
def test_empty_and_unreadable_files_are_refused(tmp_path: Path, name: str, content: str,
                                                why: str) -> None:
    file = tmp_path / name
    file.write_text(content, encoding="utf-8")

    problems = problems_of(file, people=str(DEMO_CATALOG))

    assert any(p.startswith(str(file)) and why in p for p in problems), problems


def test_backstage_refs_take_namespaces_and_default_kinds() -> None:
    from catalog.backstage import parse_ref

    assert parse_ref("group:default/payments", "group") == ("group", "payments")
    assert parse_ref("user:megan", "group") == ("user", "megan")
    assert parse_ref("payments", "group") == ("group", "payments")
    assert parse_ref("Group:Finance/ledger-team", "user") == ("group", "finance/ledger-team")
    assert parse_ref("", "group") is None


def test_with_graph_an_owner_may_be_an_email_alone_and_a_team_an_entra_group(
        tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("email\nmeganb@example.com\n", encoding="utf-8")
    (tmp_path / "teams.csv").write_text(
        "id,group\nsre,6f1c0a9b-0000-4000-8000-000000000001\n", encoding="utf-8")
    (tmp_path / "a.csv").write_text("asset,owner,backup\none,newcomer@example.com,"
                                    "meganb@example.com\ntwo,sre,\n", encoding="utf-8")

    with pytest.raises(CatalogError):
        read_catalog(tmp_path / "a.csv")  # offline, a person needs a name and an object id
    catalog = read_catalog(tmp_path / "a.csv", by_email=True).catalog

    assert catalog.people["newcomer@example.com"].aad_object_id == ""  # Graph resolves it
    assert [p.email for p in catalog.unresolved] == ["meganb@example.com",
                                                     "newcomer@example.com"]
    assert catalog.teams["sre"].group_id == "6f1c0a9b-0000-4000-8000-000000000001"
    assert build_catalog(catalog_to_data(catalog), by_email=True) == catalog
