"""Child process of test_kill_between_commit_and_delivery: commits a request together with the
message it owes Megan, says so on stdout, then hangs until the test SIGKILLs it.

    python -m tests.e2e.commit_then_hang DATABASE_URL SERVICE_URL NOW MOMENT

MOMENT `committed`: killed right after the commit, before any relay saw the message.
MOMENT `claimed`: a relay here claimed the message and was about to send it when killed.
Run again on the same database it replays the same state change: the request is already there
and the message's key is already queued, so nothing new is written.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from approvals.model import AuditEvent, Source
from approvals.ports import Notification
from storage.engine import create_engine
from storage.migrate import migrate
from storage.outbox import OutboxStore
from storage.uow import uow_factory
from tests.e2e.chats import chat_fields
from tests.e2e.teams import MEGAN
from tests.integration.support import FixedClock, exception_request

KEY = "EXC-1:v1:approval:megan"


async def main(database_url: str, service_url: str, now: datetime, moment: str) -> None:
    await migrate(database_url)
    engine = create_engine(database_url)
    uows = uow_factory(engine, FixedClock(now))
    async with uows() as uow:
        await uow.conversations.upsert(**chat_fields(MEGAN, service_url))
        fresh = await uow.requests.get("EXC-1") is None
        if fresh:
            await uow.requests.add(exception_request("EXC-1", now, deciders=("megan",)))
        await uow.outbox.add(Notification(
            key=KEY, request_id="EXC-1", recipient_id="megan", kind="approval",
            created_at=now, detail={"text": "EXC-1 needs your decision"}))
        if fresh:  # the audit append is the transaction's last write
            await uow.audit.append(AuditEvent(
                action="request.submitted", outcome="ok", actor_id="alice", actor_name="Alice",
                at=now, request_id="EXC-1", source=Source("msteams", "a:personal-alex", "in-1")))
        await uow.commit()
    if moment == "claimed":
        claimed = await OutboxStore(engine).claim_due_messages(now, 10, "child-relay")
        assert [m.notification.key for m in claimed] == [KEY], claimed
    sys.stdout.write(moment + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()  # the delivery that never happens


if __name__ == "__main__":
    url, service, at, when = sys.argv[1:5]
    asyncio.run(main(url, service, datetime.fromisoformat(at), when))
