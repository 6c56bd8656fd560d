"""The real app with its relay and scheduler under the test's control, and people it can reach."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp.test_utils import TestServer

from app import DEPS, WORKERS, create_app
from approvals.ports import Clock, Notification
from bot.deps import BotDeps
from bot.workers import WorkerOptions, Workers
from settings import Settings
from tests.e2e.chats import chat_fields
from tests.e2e.teams import User
from tests.e2e.text_delivery import text_delivery


@dataclass
class RunningApp:
    server: TestServer
    workers: Workers
    deps: BotDeps

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def queue(self, *notifications: Notification) -> None:
        """Commit messages to the outbox as a state change would (this rings the workers)."""
        async with self.deps.uow_factory() as uow:
            for notification in notifications:
                await uow.outbox.add(notification)
            await uow.commit()

    async def outbox_row(self, key: str) -> Any:
        return await self.workers.relay.store.queue.row(key)


@asynccontextmanager
async def running_app(database_url: str, clock: Clock, **options: Any
                      ) -> AsyncIterator[RunningApp]:
    """The app on loopback; its workers run only when the test calls them, unless
    `background=True` is passed. Messages go out as plain text (whatever app.py renders)."""
    options.setdefault("background", False)
    options.setdefault("deliver", text_delivery)
    app = create_app(Settings(database_url=database_url), clock=clock,
                     workers=WorkerOptions(**options))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield RunningApp(server, app[WORKERS], app[DEPS])
    finally:
        await server.close()


async def remember_chats(running: RunningApp, service_url: str, *users: User) -> None:
    async with running.deps.uow_factory() as uow:
        for user in users:
            await uow.conversations.upsert(**chat_fields(user, service_url))
        await uow.commit()


def message(key: str, to: User, at: datetime, text: str | None = None) -> Notification:
    """A reminder to a demo-catalog person (recipient ids are catalog handles)."""
    return Notification(key=key, request_id="EXC-1", recipient_id=to.key, kind="reminder",
                        created_at=at, detail={"text": text or key})
