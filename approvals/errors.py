"""Errors the domain raises; the bot turns each into a clear message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from approvals.model import Decision, State


class DomainError(Exception):
    """Base of every rule violation the user can be told about."""


class UnknownAsset(DomainError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        super().__init__(f"no asset named {name!r}")
        self.name = name
        self.suggestions = suggestions


class AmbiguousAsset(UnknownAsset):
    """A name several assets answer to: the person picks one."""

    def __init__(self, name: str, choices: list[AssetChoice], matched: int) -> None:
        super().__init__(name, [c.name for c in choices])
        self.choices = choices
        self.matched = matched


@dataclass(frozen=True)
class AssetChoice:
    name: str
    kind: str
    owner: str  # display name of the owner (person or team)


class UnknownRequest(DomainError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"no request {request_id}")
        self.request_id = request_id


class UnknownPerson(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no person named {name!r} in the catalog")
        self.name = name


class InvalidRequest(DomainError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class ExpiryTooLate(InvalidRequest):
    def __init__(self, requested: date, latest: date, max_days: int) -> None:
        super().__init__(
            {"expires_on": f"{requested.isoformat()} is after the policy maximum of "
             f"{max_days} days ({latest.isoformat()})"}
        )
        self.latest = latest
        self.max_days = max_days


class NoDecider(DomainError):
    """Nobody but the requester could decide: the request is refused."""


class NotADecider(DomainError):
    def __init__(self, request_id: str, who_can: list[str]) -> None:
        super().__init__(f"you may not decide {request_id}")
        self.request_id = request_id
        self.who_can = who_can


class SelfDecision(NotADecider):
    """The requester tried to decide their own request."""


class NotAllowed(DomainError):
    """An action the current state or the actor's role does not permit."""


class OneStepEach(NotAllowed):
    """A person who already approved one step of a request tried to fill another."""

    def __init__(self, request_id: str, role: str, who_can: list[str]) -> None:
        super().__init__(
            f"you already approved {request_id} as {role}; one person gives one approval, so "
            f"someone else must give the next ({', '.join(who_can) or 'nobody yet'})"
        )
        self.request_id = request_id
        self.who_can = who_can


class NotYourTurn(NotAllowed):
    """A step of a sequence was approved before the steps that come first."""

    def __init__(self, request_id: str, waiting_for: str, who_can: list[str]) -> None:
        super().__init__(
            f"{request_id} waits for the {waiting_for} approval first "
            f"({', '.join(who_can)}); you are asked after it"
        )
        self.request_id = request_id
        self.who_can = who_can


class AlreadyDecided(DomainError):
    def __init__(self, request_id: str, state: State, decision: Decision | None) -> None:
        super().__init__(f"{request_id} is already {state.label}")
        self.request_id = request_id
        self.state = state
        self.decision = decision


class ConcurrentUpdate(DomainError):
    """The request changed under us (compare-and-set on version lost)."""
