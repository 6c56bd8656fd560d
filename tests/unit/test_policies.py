"""Who may decide, and what a request may ask for."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from approvals.catalog import Catalog, build_catalog
from approvals.errors import ExpiryTooLate, InvalidRequest, NoDecider
from approvals.model import Asset, DecisionRule, RequestDraft, RequestKind, Risk, Tier
from approvals.policies import (
    DEFAULT_POLICY,
    MAX_TEXT,
    MAX_TITLE,
    OWNER_BACKUP_OR_TEAM,
    validate_draft,
)
from approvals.policy_file import build_policy
from approvals.staffing import deciders_now, staff

from .fakes import catalog_data, small_catalog

TODAY = date(2025, 3, 3)
CATALOG = small_catalog()


def draft(**changes: object) -> RequestDraft:
    base = RequestDraft(
        kind=RequestKind.EXCEPTION, asset_name="payments-api", title="Open port 443",
        justification="Vendor needs it", risk=Risk.LOW, expires_on=TODAY + timedelta(days=7),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def deciders_for(catalog: Catalog, asset: Asset, requester: str | None) -> tuple[str, ...]:
    """Who decides under the default rule: any one of owner, backup or the owning team."""
    steps = staff(catalog, asset, OWNER_BACKUP_OR_TEAM, requester or "")
    return deciders_now(DecisionRule.ANY, steps, requester or "")


def problems_of(d: RequestDraft, asset: str = "payments-api") -> dict[str, str]:
    with pytest.raises(InvalidRequest) as invalid:
        validate_draft(d, CATALOG.assets[asset], TODAY, DEFAULT_POLICY)
    return invalid.value.problems


# --- the default deciders --------------------------------------------------------------------


@pytest.mark.parametrize(("asset", "requester", "deciders"), [
    ("payments-api", "alex", ("megan", "adele")),
    ("payments-api", None, ("megan", "adele")),
    ("payments-api", "megan", ("adele",)),
    ("payments-api", "adele", ("megan",)),
    ("ledger-db", "alex", ("megan", "adele")),
    ("ledger-db", "megan", ("adele",)),
    ("sandbox", "megan", ("alex",)),
])
def test_the_owner_comes_first_then_the_backup_never_the_requester(
    asset: str, requester: str | None, deciders: tuple[str, ...]
) -> None:
    assert deciders_for(CATALOG, CATALOG.assets[asset], requester) == deciders


def test_a_backup_who_is_also_a_team_member_is_listed_once() -> None:
    data = catalog_data()
    data["assets"][1]["backup"] = "adele"  # ledger-db, owned by megan and adele's team
    catalog = build_catalog(data)

    assert deciders_for(catalog, catalog.assets["ledger-db"], "alex") == ("megan", "adele")


def test_an_owner_without_a_backup_cannot_request_on_their_own_asset() -> None:
    with pytest.raises(NoDecider) as refused:
        deciders_for(CATALOG, CATALOG.assets["sandbox"], "alex")

    assert "sandbox" in str(refused.value) and "backup" in str(refused.value)


# --- validate_draft -----------------------------------------------------------------------------


def test_a_complete_exception_is_valid() -> None:
    validate_draft(draft(), CATALOG.assets["payments-api"], TODAY, DEFAULT_POLICY)


@pytest.mark.parametrize(("tier", "days"), [
    (Tier.LOW, 90), (Tier.MEDIUM, 90), (Tier.HIGH, 90), (Tier.CRITICAL, 30)])
def test_the_default_policy_limits_exceptions_by_tier(tier: Tier, days: int) -> None:
    assert DEFAULT_POLICY.max_days(tier) == days


@pytest.mark.parametrize(("asset", "limit"), [("payments-api", 90), ("kv-payments", 30)])
def test_the_expiry_may_reach_the_limit_but_not_pass_it(asset: str, limit: int) -> None:
    validate_draft(draft(expires_on=TODAY + timedelta(days=limit)), CATALOG.assets[asset],
                   TODAY, DEFAULT_POLICY)
    with pytest.raises(ExpiryTooLate) as too_late:
        validate_draft(draft(expires_on=TODAY + timedelta(days=limit + 1)),
                       CATALOG.assets[asset], TODAY, DEFAULT_POLICY)

    assert (too_late.value.max_days, too_late.value.latest) == (
        limit, TODAY + timedelta(days=limit))
    assert str(limit) in too_late.value.problems["expires_on"]


def test_a_stricter_policy_is_honoured() -> None:
    policy = build_policy({"exception": {"max_duration": "10d"},
                           "tiers": {"critical": {"exception": {"max_duration": "3d"}}}})

    with pytest.raises(ExpiryTooLate) as too_late:
        validate_draft(draft(expires_on=TODAY + timedelta(days=4)), CATALOG.assets["kv-payments"],
                       TODAY, policy)

    assert too_late.value.max_days == 3


@pytest.mark.parametrize("expires_on", [TODAY, TODAY - timedelta(days=1)])
def test_the_expiry_must_be_after_today(expires_on: date) -> None:
    assert "future" in problems_of(draft(expires_on=expires_on))["expires_on"]


def test_the_other_problems_come_before_the_expiry_limit() -> None:
    """A draft with a blank title and a far expiry reports the blank title, not only the limit."""
    problems = problems_of(draft(title="", expires_on=TODAY + timedelta(days=365)))

    assert set(problems) == {"title"}


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "   "}, "title"),
    ({"title": "x" * (MAX_TITLE + 1)}, "title"),
    ({"justification": ""}, "justification"),
    ({"justification": "x" * (MAX_TEXT + 1)}, "justification"),
    ({"controls": "x" * (MAX_TEXT + 1)}, "controls"),
    ({"risk": None}, "risk"),
    ({"expires_on": None}, "expires_on"),
])
def test_each_missing_or_oversized_field_is_named(changes: dict[str, object], field: str) -> None:
    assert set(problems_of(draft(**changes))) == {field}


def test_a_rollback_needs_a_reference_and_what_it_rolls_back_not_an_expiry() -> None:
    rollback = draft(kind=RequestKind.ROLLBACK, risk=None, expires_on=None,
                     change_ref="INC-77", rollback_of="config change 12")
    validate_draft(rollback, CATALOG.assets["kv-payments"], TODAY, DEFAULT_POLICY)

    problems = problems_of(replace(rollback, change_ref="", rollback_of="  "))

    assert set(problems) == {"change_ref", "rollback_of"}

