"""Production mode (MicrosoftAppId set) refuses to start without what it needs, in one line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app import main
from settings import Settings

TENANT = "00000000-0000-0000-0000-0000000000001"
ENV = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId",
       "SIGNOFF_ALLOWED_TENANTS", "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL",
       "TO_CHANNEL_FROM_BOT_LOGIN_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env file
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MicrosoftAppPassword": "", "SIGNOFF_ALLOWED_TENANTS": TENANT}, "MicrosoftAppPassword"),
        ({"MicrosoftAppPassword": "changeme", "SIGNOFF_ALLOWED_TENANTS": TENANT},
         "MicrosoftAppPassword is empty or a placeholder"),
        ({"MicrosoftAppPassword": "a-real-secret"}, "SIGNOFF_ALLOWED_TENANTS is empty"),
        ({"MicrosoftAppPassword": "a-real-secret", "SIGNOFF_ALLOWED_TENANTS": TENANT,
          "MicrosoftAppType": "SingleTenant"}, "MicrosoftAppTenantId is empty"),
        ({"SIGNOFF_ALLOWED_TENANTS": TENANT, "MicrosoftAppType": "UserAssignedMSI"},
         "MicrosoftAppTenantId is empty"),
        ({"MicrosoftAppPassword": "a-real-secret", "SIGNOFF_ALLOWED_TENANTS": TENANT,
          "MicrosoftAppType": "Anonymous"}, "MicrosoftAppType 'Anonymous'"),
        ({"MicrosoftAppPassword": "a-real-secret", "SIGNOFF_ALLOWED_TENANTS": TENANT,
          "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": "http://keys.example/metadata"},
         "must be an https URL"),
        ({"MicrosoftAppPassword": "a-real-secret", "SIGNOFF_ALLOWED_TENANTS": TENANT,
          "TO_CHANNEL_FROM_BOT_LOGIN_URL": "http://127.0.0.1:9/adfs"},
         "TO_CHANNEL_FROM_BOT_LOGIN_URL must be an https URL"),
    ],
    ids=["no-password", "placeholder-password", "no-tenants", "single-tenant-no-tenant-id",
         "msi-no-tenant-id", "unknown-app-type", "plain-http-metadata",
         "plain-http-login"],
)
def test_main_exits_with_one_line_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    env: dict[str, str], says: str,
) -> None:
    monkeypatch.setenv("MicrosoftAppId", "5f0c1d2e-0000-4000-8000-00000000b07")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with caplog.at_level(logging.ERROR, logger="signoff"), pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    [record] = [r for r in caplog.records if r.name == "signoff"]
    line = record.getMessage()
    assert "\n" not in line
    assert line.startswith("Signoff did not start: ")
    assert says in line and "production mode" in line


def test_every_problem_is_named_on_the_same_line() -> None:
    with pytest.raises(ValueError, match="MicrosoftAppPassword.*; SIGNOFF_ALLOWED_TENANTS"):
        Settings(app_id="some-app")


def test_complete_production_settings_and_local_mode_start() -> None:
    production = Settings(app_id="some-app", app_password="a-real-secret",
                          allowed_tenants=f"{TENANT}, 11111111-2222-3333-4444-555555555555")
    assert not production.local_mode and len(production.tenants) == 2
    assert Settings(app_type="SingleTenant", app_id="", app_password="").local_mode
    loopback = Settings(app_id="some-app", app_password="a-real-secret", allowed_tenants=TENANT,
                        openid_metadata_url="http://127.0.0.1:9/metadata")
    assert loopback.openid_metadata_url.startswith("http://127.0.0.1")
