"""Test doubles and data for the integration suite (no I/O here)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from approvals.catalog import Catalog, build_catalog
from approvals.model import Actor, Request, RequestKind, Risk

START = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


class FixedClock:
    """Time stands still until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def aad(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:013d}"


def person(pid: str, name: str, n: int) -> dict[str, str]:
    return {"id": pid, "name": name, "email": f"{pid}@example.com", "aad_object_id": aad(n)}


def make_catalog() -> Catalog:
    return build_catalog({
        "people": [
            person("alice", "Alice Requester", 1),
            person("owen", "Owen Owner", 2),
            person("bea", "Bea Backup", 3),
            person("olly", "Olly Outsider", 4),
        ],
        "assets": [
            {"name": "payments-api", "aliases": ["pay-api"], "kind": "azure-app-service",
             "owner": "owen", "backup": "bea", "tier": "high"},
            {"name": "ledger-db", "kind": "azure-sql", "owner": "bea", "tier": "critical"},
        ],
    })


ALICE = Actor(aad(1), "Alice Requester")
OWEN = Actor(aad(2), "Owen Owner")
BEA = Actor(aad(3), "Bea Backup")


def exception_request(
    request_id: str, at: datetime, *, asset: str = "payments-api", requester: str = "alice",
    deciders: tuple[str, ...] = ("owen", "bea"),
) -> Request:
    return Request(
        id=request_id, kind=RequestKind.EXCEPTION, asset_name=asset,
        title="Allow public network access", justification="Vendor needs a callback",
        requester_id=requester, requester_name="Alice Requester", deciders=deciders,
        created_at=at, updated_at=at, risk=Risk.MEDIUM, controls="IP allow-list",
        expires_on=date(2026, 3, 16),
    )
