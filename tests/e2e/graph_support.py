"""A catalog that leans on Microsoft Graph, the fake Graph that knows its people, and the app
started with Graph credentials (the real msgraph-sdk and azure-identity against the fakes)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from settings import Settings
from tests.e2e.fake_graph import FakeGraph
from tests.e2e.teams import ADELE, ALEX, ISAIAH, MEGAN, User

NESTOR = User("nestor", "Nestor Wilke", "00000000-0000-0000-0000-0000000000030")  # Graph only
LYNNE = User("lynne", "Lynne Robbins", "00000000-0000-0000-0000-0000000000025")
TEAMS_APP = "0f3c9d7e-signoff-catalog-app"
PAYMENTS_GROUP = "11111111-aaaa-4bbb-8ccc-000000000001"
LEDGER_GROUP = "11111111-aaaa-4bbb-8ccc-000000000002"

# Megan is named by email alone; the payments and ledger teams are Entra groups (the ledger
# team lists Adele in the file, for when Graph cannot be asked).
CATALOG = f"""
people:
  - {{id: alex, name: Alex Wilber, email: alexw@contoso.com, aad_object_id: {ALEX.aad}}}
  - {{id: megan, email: meganb@contoso.com}}
  - {{id: adele, name: Adele Vance, email: adelev@contoso.com, aad_object_id: {ADELE.aad}}}
  - {{id: lynne, name: Lynne Robbins, email: lynner@contoso.com, aad_object_id: {LYNNE.aad}}}
  - {{id: isaiah, name: Isaiah Langer, email: isaiahl@contoso.com,
     aad_object_id: {ISAIAH.aad}}}
teams:
  - {{id: payments-team, name: Payments Platform, group: {PAYMENTS_GROUP}}}
  - {{id: ledger-team, name: Ledger, group: {LEDGER_GROUP}, members: [adele]}}
  - {{id: security-team, name: Security, members: [lynne, isaiah]}}
assets:
  - {{name: payments-api, kind: azure-app-service, owner: megan, backup: adele,
     team: payments-team, tier: high}}
  - {{name: ledger-db, kind: azure-sql, owner: ledger-team, tier: high}}
  - {{name: ghost-app, kind: azure-app-service, owner: ghost@contoso.com, tier: low}}
"""


def fake_directory(graph: FakeGraph) -> None:
    """Entra ID as the tests see it: the Teams users, plus Nestor whom the catalog never names."""
    for person, mail in ((ALEX, "alexw@contoso.com"), (MEGAN, "meganb@contoso.com"),
                         (ADELE, "adelev@contoso.com"), (LYNNE, "lynner@contoso.com"),
                         (ISAIAH, "isaiahl@contoso.com"), (NESTOR, "nestorw@contoso.com")):
        graph.add_user(person.aad, person.name, mail)
    graph.groups[PAYMENTS_GROUP] = [MEGAN.aad, ADELE.aad, NESTOR.aad]
    graph.groups[LEDGER_GROUP] = [NESTOR.aad]
    graph.managers[MEGAN.aad] = LYNNE.aad


def graph_settings(database_url: str, tmp_path: Path, graph: FakeGraph,
                   teams_app: str = TEAMS_APP) -> Settings:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(CATALOG)
    return Settings(
        database_url=database_url, catalog_path=str(catalog),
        graph_tenant_id="00000000-0000-0000-0000-0000000000001", graph_client_id="signoff-app",
        graph_client_secret="a-real-looking-secret", graph_base_url=graph.base_url,
        graph_authority=graph.authority, graph_ca_file=graph.ca_file,
        teams_app_catalog_id=teams_app,
        graph_deadline_seconds=300, graph_timeout_seconds=60,  # a loaded machine is no outage
    )


AWAY_UNTIL_DAYS = timedelta(days=4, hours=6, minutes=58)  # from the tests' 10:02: 17:00 on Dec 1
