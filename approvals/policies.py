"""What policy sets per asset tier and request kind, and what a request may ask for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from approvals.errors import ExpiryTooLate, InvalidRequest
from approvals.hidden_text import hidden_characters_problem
from approvals.model import Asset, DecisionRule, RequestDraft, RequestKind, Tier

MAX_TEXT = 2000
MAX_TITLE = 200

# Roles a step or an escalation names; "team:<id>" names a catalog team, and an escalation
# may also name "channel:<name>", a leadership channel or chat the relay knows by that name.
ROLES = ("owner", "backup", "team", "manager")
TEAM_PREFIX = "team:"
CHANNEL_PREFIX = "channel:"


@dataclass(frozen=True)
class Deciders:
    """Who must decide: one step filled by any of its roles (`any`), every step (`all`), or
    every step in order (`sequence`). A step lists the roles that may fill it."""

    rule: DecisionRule
    steps: tuple[tuple[str, ...], ...]


OWNER_BACKUP_OR_TEAM = Deciders(DecisionRule.ANY, (("owner", "backup", "team"),))


@dataclass(frozen=True)
class Rules:
    """The settings for one asset tier and request kind."""

    deciders: Deciders = OWNER_BACKUP_OR_TEAM
    deadline: timedelta = timedelta(days=3)
    remind_every: timedelta | None = timedelta(days=1)  # counted back from the deadline
    escalate_every: timedelta = timedelta(days=1)  # between the steps of the chain
    escalation: tuple[str, ...] = ("backup", "manager")
    # Exceptions
    max_duration: timedelta = timedelta(days=90)
    max_renewals: int = 2
    review_every: timedelta | None = None
    expiry_reminders: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=1))
    # Emergency rollbacks
    review_within: timedelta = timedelta(hours=24)
    review_remind_every: timedelta | None = timedelta(hours=8)

    @property
    def max_days(self) -> int:
        return self.max_duration.days

    def window(self, emergency_review: bool) -> tuple[timedelta, timedelta | None]:
        """The time to decide and the reminder cadence, of a decision or of an emergency review."""
        if emergency_review:
            return self.review_within, self.review_remind_every
        return self.deadline, self.remind_every


ROLLBACK_RULES = Rules(
    deadline=timedelta(hours=4), remind_every=timedelta(hours=1),
    escalate_every=timedelta(hours=1),
)


def builtin_rules() -> dict[tuple[Tier, RequestKind], Rules]:
    """Without a file: any of owner, backup, team decides in 3 d (rollback: 4 h); 90 d max."""
    table: dict[tuple[Tier, RequestKind], Rules] = {}
    for tier in Tier:
        days = 30 if tier is Tier.CRITICAL else 90
        table[(tier, RequestKind.EXCEPTION)] = Rules(max_duration=timedelta(days=days))
        table[(tier, RequestKind.ROLLBACK)] = ROLLBACK_RULES
    return table


@dataclass(frozen=True)
class Policy:
    """The rules of every asset tier and request kind (see `approvals.policy_file`)."""

    rules: Mapping[tuple[Tier, RequestKind], Rules] = field(default_factory=builtin_rules)

    def rules_for(self, tier: Tier, kind: RequestKind) -> Rules:
        return self.rules[(tier, kind)]

    def max_days(self, tier: Tier) -> int:
        """An exception lasts at most this many days (90, 30 for tier critical, by default)."""
        return self.rules_for(tier, RequestKind.EXCEPTION).max_days


DEFAULT_POLICY = Policy()


def validate_draft(draft: RequestDraft, asset: Asset, today: date, policy: Policy) -> None:
    """A request needs a title and a justification, all its text visible; an exception, a future
    expiry within policy."""
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
    for name in ("title", "justification", "controls", "change_ref", "rollback_of"):
        hidden = hidden_characters_problem(getattr(draft, name))
        if hidden is not None and name not in problems:
            problems[name] = f"{hidden}; they were taken out: check the text and submit again"
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
