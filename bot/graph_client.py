"""The msgraph-sdk client from settings: an app-only credential (client secret or certificate)
and Graph's base URL, with the SDK's retry turned off (throttling is handled by the caller)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import CertificateCredential, ClientSecretCredential
from kiota_http.middleware.options import RetryHandlerOption
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

from settings import Settings

DEFAULT_SCOPE = "https://graph.microsoft.com/.default"


def graph_credential(settings: Settings) -> AsyncTokenCredential:
    """Client credentials of the Signoff app registration (a certificate when one is given)."""
    options: dict[str, Any] = {"authority": settings.graph_authority}
    if settings.graph_ca_file:  # a private CA in front of the token endpoint (tests, proxies)
        options["connection_verify"] = settings.graph_ca_file
    if settings.graph_certificate_path:
        return CertificateCredential(settings.graph_tenant_id, settings.graph_client_id,
                                     settings.graph_certificate_path, **options)
    return ClientSecretCredential(settings.graph_tenant_id, settings.graph_client_id,
                                  settings.graph_client_secret, **options)


def graph_client(settings: Settings, credential: AsyncTokenCredential) -> GraphServiceClient:
    base = urlsplit(settings.graph_base_url)
    scope = f"https://{base.hostname}/.default" if base.scheme == "https" else DEFAULT_SCOPE
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[scope], allowed_hosts=[base.hostname or ""])
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(base_url=settings.graph_base_url.rstrip("/"),
                                 timeout=settings.graph_timeout_seconds),
        options={RetryHandlerOption.get_key(): RetryHandlerOption(max_retries=0,
                                                                    should_retry=False)},
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = settings.graph_base_url.rstrip("/")  # httpx appends a slash to its own
    return GraphServiceClient(request_adapter=adapter)
