"""Graph credentials are all or nothing, and never a placeholder secret."""

from __future__ import annotations

import pytest

from settings import Settings


def test_without_a_graph_client_id_the_catalog_is_the_directory() -> None:
    assert not Settings(_env_file=None).graph_enabled  # type: ignore[call-arg]


@pytest.mark.parametrize(("fields", "problem"), [
    ({"graph_client_id": "app"}, "SIGNOFF_GRAPH_TENANT_ID"),
    ({"graph_client_id": "app", "graph_tenant_id": "t"}, "SIGNOFF_GRAPH_CLIENT_SECRET"),
    ({"graph_client_id": "app", "graph_tenant_id": "t", "graph_client_secret": "changeme"},
     "placeholder"),
])
def test_incomplete_graph_credentials_are_refused_with_what_is_missing(
    fields: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        Settings(_env_file=None, **fields)  # type: ignore[call-arg]


@pytest.mark.parametrize("credential", [{"graph_client_secret": "a-real-secret-value"},
                                        {"graph_certificate_path": "/etc/signoff/graph.pem"}])
def test_a_secret_or_a_certificate_turns_graph_on(credential: dict[str, str]) -> None:
    settings = Settings(_env_file=None, graph_client_id="app", graph_tenant_id="t",  # type: ignore[call-arg]
                        **credential)
    assert settings.graph_enabled
