"""Who may decide and what a request may ask for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from approvals.catalog import Catalog
from approvals.errors import ExpiryTooLate, InvalidRequest, NoDecider
from approvals.model import Asset, RequestDraft, RequestKind, Tier

MAX_TEXT = 2000
MAX_TITLE = 200


@dataclass(frozen=True)
class Policy:
    max_exception_days: int = 90
    max_exception_days_critical: int = 30

    def max_days(self, tier: Tier) -> int:
        """An exception lasts at most 90 days, 30 for tier critical (by default)."""
        if tier is Tier.CRITICAL:
            return self.max_exception_days_critical
        return self.max_exception_days


DEFAULT_POLICY = Policy()


def deciders_for(catalog: Catalog, asset: Asset, requester_id: str | None) -> tuple[str, ...]:
    """Owner (or owning team's members) first, then the backup; never the requester."""
    ordered: list[str] = []
    for pid in (*catalog.members_of(asset.owner), *((asset.backup,) if asset.backup else ())):
        if pid != requester_id and pid not in ordered:
            ordered.append(pid)
    if not ordered:
        raise NoDecider(
            f"{asset.name} has no decider other than you: ask its owner to name a backup "
            "in the catalog"
        )
    return tuple(ordered)


def validate_draft(draft: RequestDraft, asset: Asset, today: date, policy: Policy) -> None:
    """A request needs a title and a justification; an exception, a future expiry within policy."""
    problems: dict[str, str] = {}
    if not draft.title.strip():
        problems["title"] = "a title is required"
    elif len(draft.title) > MAX_TITLE:
        problems["title"] = f"at most {MAX_TITLE} characters"
    if not draft.justification.strip():
        problems["justification"] = "a justification is required"
    for name in ("justification", "controls", "change_ref", "rollback_of"):
        if len(getattr(draft, name)) > MAX_TEXT:
            problems[name] = f"at most {MAX_TEXT} characters"
    if draft.kind is RequestKind.EXCEPTION:
        if draft.risk is None:
            problems["risk"] = "choose a risk level"
        if draft.expires_on is None:
            problems["expires_on"] = "an expiry date is required"
        elif draft.expires_on <= today:
            problems["expires_on"] = "the expiry date must be in the future"
    else:
        if not draft.change_ref.strip():
            problems["change_ref"] = "a change or incident reference is required"
        if not draft.rollback_of.strip():
            problems["rollback_of"] = "say what is rolled back"
    if problems:
        raise InvalidRequest(problems)
    if draft.kind is RequestKind.EXCEPTION and draft.expires_on is not None:
        max_days = policy.max_days(asset.tier)
        latest = today + timedelta(days=max_days)
        if draft.expires_on > latest:
            raise ExpiryTooLate(draft.expires_on, latest, max_days)
