"""The msgraph-sdk client from settings: an app-only credential (client secret or certificate)
and Graph's base URL, with the SDK's retry turned off (throttling is handled by the caller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import CertificateCredential, ClientSecretCredential
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

DEFAULT_SCOPE = "https://graph.microsoft.com/.default"


@dataclass(frozen=True)
class GraphConfig:
    """The SIGNOFF_GRAPH_* settings (see settings.py and docs/graph.md)."""

    tenant_id: str
    client_id: str
    client_secret: str = ""
    certificate_path: str = ""
    base_url: str = "https://graph.microsoft.com/v1.0"
    authority: str = "https://login.microsoftonline.com"
    ca_file: str = ""
    timeout_seconds: float = 10.0


def graph_credential(config: GraphConfig) -> AsyncTokenCredential:
    """Client credentials of the Signoff app registration (a certificate when one is given)."""
    options: dict[str, Any] = {"authority": config.authority}
    if config.ca_file:  # a private CA in front of the token endpoint (tests, proxies)
        options["connection_verify"] = config.ca_file
    if config.certificate_path:
        return CertificateCredential(config.tenant_id, config.client_id,
                                     config.certificate_path, **options)
    return ClientSecretCredential(config.tenant_id, config.client_id,
                                  config.client_secret, **options)


def graph_client(config: GraphConfig, credential: AsyncTokenCredential) -> GraphServiceClient:
    base = urlsplit(config.base_url)
    scope = f"https://{base.hostname}/.default" if base.scheme == "https" else DEFAULT_SCOPE
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[scope], allowed_hosts=[base.hostname or ""])
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(base_url=config.base_url.rstrip("/"),
                                 timeout=config.timeout_seconds),
        options={RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0,
                                                                    should_retry=False)},
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = config.base_url.rstrip("/")  # httpx appends a slash to its own
    return GraphServiceClient(request_adapter=adapter)
