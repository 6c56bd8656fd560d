"""The messages a change owes people, queued in the change's own transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from approvals.model import Request
from approvals.ports import Notification, UnitOfWork

# Kinds of notification (what the relay renders).
APPROVAL = "approval"  # an approval card to a decider
REVIEW = "review"  # an emergency rollback's review card to a decider
EMERGENCY = "emergency"  # an owner who does not review is told an emergency rollback happened
DECIDED = "decided"  # the requester: approved or rejected
QUESTION = "question"  # the requester: a decider asks for information
ANSWERED = "answered"  # the deciders: the requester answered
REMINDER = "reminder"  # the deciders: the deadline nears
ESCALATED = "escalated"  # the requester: the request went to more people
ESCALATION = "escalation"  # a leadership channel: a request is overdue at the end of the chain
WITHDRAWN = "withdrawn"  # the deciders: the requester withdrew the request
EXPIRY_REMINDER = "expiry_reminder"  # requester and owner: an exception ends soon
LAPSED = "lapsed"  # requester and owner: an exception ended
REVOKED = "revoked"  # requester and owner: an exception was ended early
REFRESH_CARDS = "refresh_cards"  # every card already sent about the request: update it
EVERY_CARD = "*"  # the recipient of REFRESH_CARDS
AUDIT_CHECKPOINT = "audit_checkpoint"  # a chat: the audit chain's head, to keep as evidence
CHAT_PREFIX = "chat:"  # a recipient that is a Teams conversation id (no request, no person)


def key_of(request: Request, kind: str, recipient_id: str) -> str:
    """One message per request version, kind and recipient: `EXC-4:v3:decided:alex`."""
    return f"{request.id}:v{request.version}:{kind}:{recipient_id}"


async def notify(
    uow: UnitOfWork, request: Request, kind: str, recipients: Iterable[str], now: datetime,
    detail: Mapping[str, str] | None = None, tag: str | None = None,
) -> None:
    """Queue `kind` once per recipient and version; `tag` tells two of a kind apart (reminder-2)."""
    base = {"state": request.state.value, "version": str(request.version)}
    for recipient in dict.fromkeys(recipients):
        await uow.outbox.add(Notification(
            key=key_of(request, tag or kind, recipient), request_id=request.id,
            recipient_id=recipient, kind=kind, created_at=now, detail={**base, **(detail or {})},
        ))


async def refresh_cards(uow: UnitOfWork, request: Request, now: datetime) -> None:
    """Every card already sent about the request shows its new state."""
    await notify(uow, request, REFRESH_CARDS, [EVERY_CARD], now)
