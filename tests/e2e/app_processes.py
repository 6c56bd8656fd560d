"""Real app processes for fault tests: started through the fork server, killed with SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def until(done: Callable[[], bool | Awaitable[bool]], seconds: float = 60.0,
                every: float = 0.01) -> None:
    """Wait for another process to reach a state: there is no event to await across processes,
    so look again every `every` seconds, for at most `seconds`."""
    async with asyncio.timeout(seconds):
        while True:
            result = done()
            if result if isinstance(result, bool) else await result:
                return
            await asyncio.sleep(every)


@dataclass
class AppProcess:
    pid: int
    port: int
    started_in: float  # seconds from spawn to the first healthy /healthz

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages_url(self) -> str:
        return self.url + "/api/messages"

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)


async def healthz(session: aiohttp.ClientSession, url: str) -> int | None:
    """/healthz's status, or None when nothing answers."""
    try:
        async with session.get(url + "/healthz", timeout=aiohttp.ClientTimeout(total=10)) as r:
            return r.status
    except (aiohttp.ClientError, TimeoutError):
        return None


class ForkServer:
    """Drives tests.e2e.app_forkserver: one import of the app, a fresh process per `spawn`."""

    def __init__(self, process: asyncio.subprocess.Process, session: aiohttp.ClientSession):
        self._process = process
        self._session = session
        self.children: list[AppProcess] = []

    async def spawn(self, database_url: str, port: int | None = None,
                    lease_seconds: float = 300.0, catalog: Path | None = None) -> AppProcess:
        """A new app process on `port`, returned once its /healthz answers 200."""
        assert self._process.stdin is not None and self._process.stdout is not None
        port = port or free_port()
        begun = time.perf_counter()
        command = f"spawn {port} {database_url} {lease_seconds} {catalog or ''}".strip()
        self._process.stdin.write(command.encode() + b"\n")
        await self._process.stdin.drain()
        said = (await self._process.stdout.readline()).decode().split()
        assert said[:1] == ["pid"], said
        pid = int(said[1])

        async def healthy() -> bool:
            assert alive(pid), "the app process died while starting (see its log)"
            return await healthz(self._session, f"http://127.0.0.1:{port}") == 200

        await until(healthy)
        child = AppProcess(pid, port, time.perf_counter() - begun)
        self.children.append(child)
        return child

    async def kill(self, child: AppProcess) -> None:
        """SIGKILL, and wait until the process is gone (its port is free again)."""
        child.kill()
        await until(lambda: not alive(child.pid), seconds=10, every=0.002)


@asynccontextmanager
async def fork_server(session: aiohttp.ClientSession, log: IO[bytes]) -> AsyncIterator[ForkServer]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.app_forkserver", cwd=ROOT, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log,
    )
    server = ForkServer(process, session)
    try:
        assert process.stdout is not None
        async with asyncio.timeout(120):
            assert (await process.stdout.readline()).decode().strip() == "ready"
        yield server
    finally:
        for child in server.children:
            if alive(child.pid):
                child.kill()
        if process.returncode is None:
            process.kill()
        await process.wait()
