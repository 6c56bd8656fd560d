"""An activity delivered twice acts once: Teams retries a click or a submit it got no answer to."""

from __future__ import annotations

from datetime import datetime

from approvals.errors import AlreadyDone
from approvals.model import Source
from approvals.ports import UnitOfWork


async def act_once(uow: UnitOfWork, source: Source, request_id: str, action: str,
                   now: datetime) -> None:
    """Record the activity in the transaction of its effect; a second delivery is AlreadyDone."""
    if not source.activity_id:
        return  # nothing identifies a redelivery
    earlier = await uow.activities.record(source, request_id, action, now)
    if earlier is not None:
        raise AlreadyDone(earlier, action)
