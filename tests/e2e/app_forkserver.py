"""A fork server for the real app: imports Signoff once, then forks a fresh app process on demand.

    python -m tests.e2e.app_forkserver

Importing the app costs seconds (botbuilder, sqlalchemy, alembic); forking a process that has
already imported it costs milliseconds, so a test can SIGKILL and restart the app a hundred
times. Each child is a real OS process that builds everything after the fork, exactly as
`app.main()` does (settings -> create_app -> web.run_app), on its own port and database.

Protocol, one line each way:
    spawn PORT DATABASE_URL LEASE_SECONDS [CATALOG]  ->  pid PID
    exit                                    ->  (the server exits; running children are left)
It says `ready` once the imports are done. Children's output goes to the server's stderr.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
from datetime import timedelta

from aiohttp import web

import app as signoff_app
from bot.workers import WorkerOptions
from settings import Settings


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_child(port: int, database_url: str, lease_seconds: float, catalog: str | None) -> None:
    """What `python app.py` does, with the outbox/job lease shortened for the test."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # the server's commands are not for us
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(process)d %(levelname)s %(name)s %(message)s")
    settings = Settings(database_url=database_url, port=port, app_id="", catalog_path=catalog)
    application = signoff_app.create_app(
        settings, workers=WorkerOptions(lease=timedelta(seconds=lease_seconds)))
    web.run_app(application, host="127.0.0.1", port=port, print=None, access_log=None)


def warm() -> None:
    """Do once, before any fork, what every fresh process would do first and slowly: build
    the app and migrate a scratch database (Alembic's scripts), build every kind of card."""
    from cards.catalog_of_examples import example_cards
    from storage.migrate import migrate

    example_cards()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{scratch}/warm.db"
        signoff_app.create_app(Settings(database_url=url, app_id=""))
        asyncio.run(migrate(url))


def main() -> None:
    warm()
    # A forked child inherits only the calling thread: nothing may be running besides it. The
    # warm-up's SQLite commit thread is shut down without waiting: let it end first (seen once
    # still in the list, "stopped", when the assertion ran).
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout=10)
    assert threading.active_count() == 1, threading.enumerate()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    say("ready")
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "exit":
            return
        if words[0] != "spawn":
            say(f"error unknown command {words[0]}")
            continue
        port, database_url, lease = int(words[1]), words[2], float(words[3])
        catalog = words[4] if len(words) > 4 else None
        pid = os.fork()
        if pid == 0:
            try:
                run_child(port, database_url, lease, catalog)
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        say(f"pid {pid}")


if __name__ == "__main__":
    main()
