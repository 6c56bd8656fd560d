"""Value types of the domain. Standard library only."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime

SIGNOFF = ("signoff", "Signoff")  # (id, name) of the actor when the bot itself acts (jobs)


class Tier(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class RequestKind(enum.StrEnum):
    EXCEPTION = "exception"
    ROLLBACK = "rollback"

    @property
    def prefix(self) -> str:
        return "EXC" if self is RequestKind.EXCEPTION else "RBK"


class State(enum.StrEnum):
    PENDING = "pending"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    ACTIVE = "active"
    LAPSED = "lapsed"
    REVOKED = "revoked"
    APPROVED_PENDING_REVIEW = "approved_pending_review"

    @property
    def is_open(self) -> bool:
        """Open requests still wait for someone to act."""
        return self in (State.PENDING, State.INFO_REQUESTED, State.APPROVED_PENDING_REVIEW)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Outcome(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    NEED_INFO = "need_info"

    @property
    def past_tense(self) -> str:
        return {"approve": "approved", "reject": "rejected", "need_info": "asked for info"}[
            self.value
        ]


class DecisionRule(enum.StrEnum):
    """How the steps of a request are filled: one step by any of its people, every step in any
    order, or every step in order."""

    ANY = "any"
    ALL = "all"
    SEQUENCE = "sequence"


class Risk(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str  # mail or user principal name
    aad_object_id: str  # "" until the directory resolves a person named by email alone
    manager: str | None = None


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    members: tuple[str, ...]
    group_id: str | None = None  # an Entra group: the directory lists the members


@dataclass(frozen=True)
class Asset:
    name: str
    kind: str
    owner: str
    tier: Tier
    aliases: tuple[str, ...] = ()
    backup: str | None = None
    team: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actor:
    """Who acts, as the authenticated activity says (never as card data says)."""

    aad_object_id: str
    name: str
    person_id: str | None = None


@dataclass(frozen=True)
class Source:
    """Where an action came from, for the audit trail."""

    channel: str = "msteams"
    conversation_id: str | None = None
    activity_id: str | None = None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    decider_id: str
    decider_name: str
    decided_at: datetime
    comment: str = ""
    # A delegate deciding for the person who delegated to them (see approvals.routing)
    on_behalf_id: str = ""
    on_behalf_name: str = ""


@dataclass(frozen=True)
class Note:
    """A question from a decider or an answer from the requester."""

    author_id: str
    author_name: str
    text: str
    at: datetime
    kind: str  # "question" | "answer"


@dataclass(frozen=True)
class Step:
    """One approval a request needs: the role it stands for (alternatives joined by " or "),
    the people who may give it, and who gave it."""

    role: str
    eligible: tuple[str, ...]
    approved_by: str | None = None

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.role.split(" or "))


@dataclass(frozen=True)
class RequestDraft:
    """What a requester filled in; validated by `policies.validate_draft`."""

    kind: RequestKind
    asset_name: str
    title: str
    justification: str
    risk: Risk | None = None
    controls: str = ""
    expires_on: date | None = None
    change_ref: str = ""
    rollback_of: str = ""
    emergency: bool = False


@dataclass(frozen=True)
class Request:
    id: str
    kind: RequestKind
    asset_name: str
    title: str
    justification: str
    requester_id: str
    requester_name: str
    deciders: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    state: State = State.PENDING
    version: int = 1
    risk: Risk | None = None
    controls: str = ""
    expires_on: date | None = None
    change_ref: str = ""
    rollback_of: str = ""
    emergency: bool = False
    decisions: tuple[Decision, ...] = field(default_factory=tuple)
    notes: tuple[Note, ...] = field(default_factory=tuple)
    # Who must decide (policy): the steps to fill and how. `deciders` is who may act now.
    rule: DecisionRule = DecisionRule.ANY
    steps: tuple[Step, ...] = field(default_factory=tuple)
    # When the next escalation falls due (the decision or review deadline, then each step
    # of the escalation chain), and how many steps of the chain were taken.
    due_at: datetime | None = None
    escalation_level: int = 0
    # Delegations in force on this request: (delegator, delegate) pairs; the delegate decides
    # in the delegator's place (approvals.routing).
    stand_ins: tuple[tuple[str, str], ...] = ()
    # A renewal asks to extend the exception it `renews`; a review asks its owner to keep or
    # revoke the exception it `reviews`. Each is a request of its own, with its own decisions.
    renews: str = ""
    reviews: str = ""

    @property
    def routed_to(self) -> str:
        return self.deciders[0]

    @property
    def final_decision(self) -> Decision | None:
        """The approval or rejection that closed the request; None while it is open."""
        if self.state.is_open:
            return None
        for d in reversed(self.decisions):
            if d.outcome is not Outcome.NEED_INFO:
                return d
        return None

    @property
    def linked_to(self) -> str:
        """The exception a renewal or review is about; "" for an ordinary request."""
        return self.renews or self.reviews

    def evolve(self, **changes: object) -> Request:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AuditEvent:
    action: str
    outcome: str
    actor_id: str
    actor_name: str
    at: datetime
    request_id: str | None = None
    source: Source = field(default_factory=Source)
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Delegation:
    """A person's decisions go to a delegate from `starts_at` until `ends_at` (the end of the
    `until` day, UTC), unless ended earlier (`ended_at`)."""

    id: str
    delegator_id: str
    delegate_id: str
    starts_at: datetime
    until: date
    ends_at: datetime
    created_by: str
    ended_at: datetime | None = None
    ended_by: str = ""

    def runs_at(self, moment: datetime) -> bool:
        return self.ended_at is None and self.starts_at <= moment < self.ends_at
