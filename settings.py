"""Signoff's settings: one object read from the environment and a `.env` file."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_TYPES = ("multitenant", "singletenant", "userassignedmsi")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
PLACEHOLDERS = {"", "changeme", "change-me", "changethis", "secret", "password", "xxx", "todo"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    port: int = Field(3978, validation_alias=AliasChoices("PORT", "port"))
    host: str = Field("", validation_alias=AliasChoices("SIGNOFF_HOST", "host"))
    database_url: str = Field(
        "sqlite+aiosqlite:///./var/signoff.db",
        validation_alias=AliasChoices("DATABASE_URL", "database_url"),
    )
    catalog_path: str | None = Field(
        None, validation_alias=AliasChoices("SIGNOFF_CATALOG", "catalog_path")
    )
    policies_path: str | None = Field(
        None, validation_alias=AliasChoices("SIGNOFF_POLICIES", "policies_path")
    )
    channels: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_CHANNELS", "channels")
    )  # "leadership=19:abc@thread.tacv2,security=19:def@thread.v2": policy channel -> chat id
    checkpoint_chat: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_CHECKPOINT_CHAT", "checkpoint_chat")
    )  # Teams conversation id `signoff audit checkpoint --post` posts the chain's head to
    app_id: str = Field("", validation_alias=AliasChoices("MicrosoftAppId", "app_id"))
    app_password: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppPassword", "app_password")
    )
    app_type: str = Field(
        "MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "app_type")
    )
    app_tenant_id: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppTenantId", "app_tenant_id")
    )
    allowed_tenants: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_ALLOWED_TENANTS", "allowed_tenants")
    )
    # Where the Bot Framework channel publishes its token signing keys, and the issuer of its
    # tokens: the public cloud's, unless a test points them at a stub on loopback.
    openid_metadata_url: str = Field(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias=AliasChoices("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
                                      "openid_metadata_url"),
    )
    token_issuer: str = Field(
        "https://api.botframework.com",
        validation_alias=AliasChoices("TO_BOT_FROM_CHANNEL_TOKEN_ISSUER", "token_issuer"),
    )
    # Where the bot gets its own Entra token for outbound calls (MSAL's authority).
    login_url: str = Field(
        "https://login.microsoftonline.com/botframework.com",
        validation_alias=AliasChoices("TO_CHANNEL_FROM_BOT_LOGIN_URL", "login_url"),
    )
    signing_keys_timeout: float = Field(
        5.0, gt=0,
        validation_alias=AliasChoices("SIGNOFF_SIGNING_KEYS_TIMEOUT", "signing_keys_timeout"),
    )  # seconds a request may wait for the channel's signing keys before it gets 503
    max_body_bytes: int = Field(
        256 * 1024, validation_alias=AliasChoices("SIGNOFF_MAX_BODY_BYTES", "max_body_bytes")
    )
    # The HTTP access log (bot/access_log.py): problems (400 and more, or slow), all, or off.
    access_log: Literal["problems", "all", "off"] = Field(
        "problems", validation_alias=AliasChoices("SIGNOFF_ACCESS_LOG", "access_log"))

    # Microsoft Graph (the directory): an app registration with application permissions; see
    # docs/graph.md. Unset: the catalog alone is the directory.
    graph_tenant_id: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_GRAPH_TENANT_ID", "graph_tenant_id"))
    graph_client_id: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_GRAPH_CLIENT_ID", "graph_client_id"))
    graph_client_secret: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_GRAPH_CLIENT_SECRET", "graph_client_secret"))
    graph_certificate_path: str = Field("", validation_alias=AliasChoices(
        "SIGNOFF_GRAPH_CERTIFICATE_PATH", "graph_certificate_path"))
    graph_base_url: str = Field("https://graph.microsoft.com/v1.0", validation_alias=AliasChoices(
        "SIGNOFF_GRAPH_BASE_URL", "graph_base_url"))
    graph_authority: str = Field("https://login.microsoftonline.com", validation_alias=AliasChoices(
        "SIGNOFF_GRAPH_AUTHORITY", "graph_authority"))
    graph_ca_file: str = Field(
        "", validation_alias=AliasChoices("SIGNOFF_GRAPH_CA_FILE", "graph_ca_file"))
    graph_cache_minutes: float = Field(
        15.0, validation_alias=AliasChoices("SIGNOFF_GRAPH_CACHE_MINUTES", "graph_cache_minutes"))
    graph_timeout_seconds: float = Field(10.0, validation_alias=AliasChoices(
        "SIGNOFF_GRAPH_TIMEOUT_SECONDS", "graph_timeout_seconds"))
    graph_deadline_seconds: float = Field(5.0, validation_alias=AliasChoices(
        "SIGNOFF_GRAPH_DEADLINE_SECONDS", "graph_deadline_seconds"))
    teams_app_catalog_id: str = Field("", validation_alias=AliasChoices(
        "SIGNOFF_TEAMS_APP_CATALOG_ID", "teams_app_catalog_id"))

    @property
    def graph_enabled(self) -> bool:
        """Graph credentials are configured: Microsoft Graph is the directory."""
        return bool(self.graph_client_id)

    @model_validator(mode="after")
    def _graph_credentials_complete(self) -> Settings:
        if not self.graph_client_id:
            return self
        if not self.graph_tenant_id:
            raise ValueError("SIGNOFF_GRAPH_CLIENT_ID is set but SIGNOFF_GRAPH_TENANT_ID is not")
        secret = self.graph_client_secret.strip().lower()
        if not self.graph_certificate_path and secret in PLACEHOLDERS:
            raise ValueError(
                "SIGNOFF_GRAPH_CLIENT_ID is set but neither SIGNOFF_GRAPH_CLIENT_SECRET (a real "
                "secret, not a placeholder) nor SIGNOFF_GRAPH_CERTIFICATE_PATH is")
        return self

    @property
    def local_mode(self) -> bool:
        """No app id: authentication is off and the bot listens on loopback only."""
        return not self.app_id

    @property
    def bind_host(self) -> str:
        if self.local_mode:
            return "127.0.0.1"
        return self.host or "0.0.0.0"

    @property
    def channel_ids(self) -> dict[str, str]:
        """Policy channel names (`channel:<name>`) to Teams conversation ids."""
        pairs = (item.split("=", 1) for item in self.channels.split(",") if "=" in item)
        return {name.strip(): conversation.strip() for name, conversation in pairs}

    @property
    def tenants(self) -> frozenset[str]:
        return frozenset(t.strip().lower() for t in self.allowed_tenants.split(",") if t.strip())

    @model_validator(mode="after")
    def _refuse_incomplete_production(self) -> Settings:
        """Production mode starts only with everything it needs: one line naming what is not."""
        if self.app_id:
            missing = self.production_problems()
            if missing:
                raise ValueError(
                    "MicrosoftAppId is set (production mode) but " + "; ".join(missing)
                    + " (or unset MicrosoftAppId for local mode)"
                )
        return self

    def production_problems(self) -> list[str]:
        problems: list[str] = []
        app_type = self.app_type.strip().lower()
        if app_type not in APP_TYPES:
            problems.append(f"MicrosoftAppType {self.app_type!r} is not MultiTenant, "
                            "SingleTenant or UserAssignedMSI")
        if app_type != "userassignedmsi" and self.app_password.strip().lower() in PLACEHOLDERS:
            problems.append("MicrosoftAppPassword is empty or a placeholder: set the bot's "
                            "real client secret")
        if app_type in ("singletenant", "userassignedmsi") and not self.app_tenant_id.strip():
            problems.append(f"MicrosoftAppTenantId is empty, and {self.app_type} needs it")
        if not self.tenants:
            problems.append("SIGNOFF_ALLOWED_TENANTS is empty: list the Entra tenant ids "
                            "allowed to use the bot")
        url = urlsplit(self.openid_metadata_url)
        if url.scheme != "https" and not (url.scheme == "http" and url.hostname in LOOPBACK_HOSTS):
            problems.append("TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL must be an https URL")
        if urlsplit(self.login_url).scheme != "https":
            problems.append("TO_CHANNEL_FROM_BOT_LOGIN_URL must be an https URL")
        return problems


def one_line(error: ValueError) -> str:
    """A settings error as one line: pydantic's own text spans several."""
    if isinstance(error, ValidationError):
        messages = [str(e.get("msg", "")).removeprefix("Value error, ") for e in error.errors()]
        located = [
            f"{'.'.join(str(p) for p in e['loc'])}: {m}" if e.get("loc") else m
            for e, m in zip(error.errors(), messages, strict=True)
        ]
        return "; ".join(located)
    return " ".join(str(error).split())
