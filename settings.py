"""Signoff's settings: one object read from the environment and a `.env` file."""

from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    max_body_bytes: int = Field(
        256 * 1024, validation_alias=AliasChoices("SIGNOFF_MAX_BODY_BYTES", "max_body_bytes")
    )

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
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.app_id and self.app_type.lower() != "userassignedmsi":
            if self.app_password.strip().lower() in PLACEHOLDERS:
                raise ValueError(
                    "MicrosoftAppId is set but MicrosoftAppPassword is empty or a placeholder: "
                    "set the bot's real client secret, or unset MicrosoftAppId for local mode"
                )
        return self
