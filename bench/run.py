"""`make bench`: Signoff's real HTTP endpoint under load, side by side with a stock echo bot.

Everything runs on 127.0.0.1, each part in its own process so that each one's CPU is its own:

- the fake Bot Connector (bench/fake_connector.py), the serviceUrl of every activity;
- Signoff itself, `python app.py` in local mode (no MicrosoftAppId) on a fresh SQLite file;
- the baseline, a stock botbuilder echo bot (bench/echo_bot.py);
- the load client, wrk with the Lua scripts in bench/wrk/ (bench/loadgen.py where wrk is
  missing: `apt-get install wrk`).

For each concurrency (1, 8, 32) it measures, one after the other, so that the noise of the
machine hits all three alike:

- echo      a message to the echo bot, which replies once;
- who-owns  a `who owns kv-payments-prod` message to Signoff (an ownership card with the
            asset's open requests, sent back through the connector);
- decision  Megan clicks Approve on a pending request's card: each click decides a different
            request (compare-and-set, decision row, audit event), updates her card in place
            (PUT) and notifies the requester (POST).

Each cell is one load run of warm-up + measurement seconds at a fixed concurrency (a closed
loop: a new request as soon as one is answered). Requests/s and the bot's CPU are counted in
the measured window only, where turns end (the connector sees each reply or card update);
p50/p99 are the load client's over the whole run. The whole sequence runs `--rounds` times
and the best round of each cell is reported (a busy machine only ever slows a run down).
Before measuring, Alex and Megan have each talked to the bot (decisions reach them in their
stored 1:1 chats) and every message user has sent one message (steady-state turns).

It prints requests/s, p50 and p99 latency, errors (HTTP status > 399, socket errors and
timeouts, turns that failed in the bot, clicks past the seeded requests), the throughput
ratio to the echo bot at the same concurrency and the bot's CPU time per request; then it
checks that every click decided exactly one request, that the audit chain still verifies,
and that the bot's log has no "database is locked". Ratios between processes run side by
side are the result: absolute numbers depend on the machine. Nothing here is a pass/fail
test. `--stock-connectors` runs Signoff with botbuilder's connector client per turn instead
of bot/connectors.py, for a before/after comparison.

    python -m bench.run [--duration 5] [--warmup 1] [--rounds 2] [--concurrency 1,8,32]
                        [--scenarios echo,who-owns,decision] [--json out.json] [--keep]

BENCH_PROFILE=/tmp/bot.prof profiles Signoff with cProfile over each measured window (the
last one is kept; read it with pstats). cProfile slows the bot about twice and splits a
coroutine's time at each await: compare self times, and measure the speed without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.activities import ALEX, MEGAN, USERS_PER_WORKER, bench_user_message, message
from bench.seed import seed_pending

ROOT = Path(__file__).resolve().parent.parent
LUA_DIR = Path(__file__).resolve().parent / "wrk"
WHO_OWNS = "who owns kv-payments-prod"
WHO_OWNS_OPEN_REQUESTS = 2
SCENARIOS = ("echo", "who-owns", "decision")
LOCKED = "database is locked"
TURN_FAILED = "turn failed"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Cell:
    scenario: str
    concurrency: int
    requests: int = 0
    seconds: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    http_errors: int = 0
    socket_errors: int = 0
    failed_turns: int = 0
    locked: int = 0
    overrun: int = 0
    bot_cpu: float = 0.0
    cpu_ms_per_request: float = 0.0
    connections_per_turn: float = 0.0  # new TCP connections to the connector per turn
    ratio: float | None = None
    round: int = 1
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the load client's report

    @property
    def errors(self) -> int:
        return self.http_errors + self.socket_errors + self.failed_turns + self.overrun


@dataclass
class Run:
    client: str
    rounds: int
    cells: list[Cell] = field(default_factory=list)  # every measurement
    checks: dict[str, Any] = field(default_factory=dict)

    def best(self) -> list[Cell]:
        """Per scenario and concurrency, the round with the most requests/s (noise only ever
        slows a run down), with its ratio to the best echo run at that concurrency."""
        best: dict[tuple[str, int], Cell] = {}
        for cell in self.cells:
            key = (cell.scenario, cell.concurrency)
            if key not in best or cell.rps > best[key].rps:
                best[key] = cell
        for (_, concurrency), cell in best.items():
            echo = best.get(("echo", concurrency))
            cell.ratio = cell.rps / echo.rps if echo is not None and echo.rps else None
        return sorted(best.values(), key=lambda c: (c.concurrency, SCENARIOS.index(c.scenario)))


class Proc:
    """A child process in its own session, with its output in a log file; always killed."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def log_text(self, offset: int = 0) -> str:
        self._log_file.flush()
        with self.log.open("rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def log_size(self) -> int:
        self._log_file.flush()
        return self.log.stat().st_size

    def stop(self) -> None:
        if self.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)
        self._log_file.close()


def _say(text: str, stream: Any = None) -> None:
    stream = stream or sys.stdout
    stream.write(text + "\n")
    stream.flush()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: Proc, timeout: float = 60.0, method: str = "GET",
               body: bytes | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited early:\n{proc.log_text()[-3000:]}")
        try:
            request = urllib.request.Request(url, data=body, method=method,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not answer at {url} within {timeout:.0f} s")


def _post_json(url: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MicrosoftApp", "SIGNOFF_", "DATABASE_URL", "PORT"))}
    env.update(PYTHONUNBUFFERED="1", MicrosoftAppId="", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


class Load:
    """wrk when installed, else bench/loadgen.py; both print one `BENCH {...}` line at the end."""

    def __init__(self, client: str) -> None:
        self.client = client

    def start(self, url: str, scenario: str, concurrency: int, seconds: int,
              env: dict[str, str]) -> subprocess.Popen[str]:
        kind = "decision" if scenario == "decision" else "message"
        threads = 1 if concurrency == 1 else 2
        full_env = {**os.environ, **env, "BENCH_LUA_DIR": str(LUA_DIR),
                    "BENCH_THREADS": str(threads)}
        if self.client == "wrk":
            argv = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s",
                    "--timeout", "10s", "-s", str(LUA_DIR / f"{kind}.lua"), url]
        else:
            argv = [sys.executable, "-m", "bench.loadgen", url, "--scenario", kind,
                    "--concurrency", str(concurrency), "--duration", str(seconds)]
        return subprocess.Popen(argv, env=full_env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)

    @staticmethod
    def finish(popen: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
        try:
            out, err = popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            popen.kill()
            out, err = popen.communicate()
        for line in out.splitlines():
            if line.startswith("BENCH "):
                result: dict[str, Any] = json.loads(line[6:])
                return result
        raise RuntimeError(f"load client failed ({popen.returncode}):\n{out}\n{err}")


@dataclass
class Snapshot:
    at: float
    calls: dict[str, int]
    cpu: float
    log_offset: int
    decisions: int = 0

    @staticmethod
    def take(service_url: str, target: Proc, database_url: str | None = None) -> Snapshot:
        return Snapshot(time.monotonic(), _stats(service_url), target.cpu_seconds(),
                        target.log_size(), _decisions(database_url) if database_url else 0)


def _decisions(database_url: str) -> int:
    """Decisions recorded so far: where a decision turn ends (its messages to Teams go later,
    through the outbox relay and Teams' per-chat rate limits)."""
    path = database_url.split(":///", 1)[1]
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return int(connection.execute("SELECT count(*) FROM decisions").fetchone()[0])


# Signoff as `python app.py` would run it, except that bot/connectors.py's reuse of connector
# clients is replaced by botbuilder's stock authentication (a client per turn): --stock-connectors.
STOCK_CONNECTORS = (
    "import runpy, sys\n"
    "import bot.connectors\n"
    "from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication as Stock\n"
    "class Unchanged(Stock):\n"
    "    async def close(self): pass\n"
    "bot.connectors.ReusingBotFrameworkAuthentication = Unchanged\n"
    "sys.argv = ['app.py']\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


PROFILED = (
    "import cProfile, os, runpy, signal, sys\n"
    "profile = cProfile.Profile()\n"
    "signal.signal(signal.SIGUSR1, lambda *_: profile.enable())\n"
    "def dump(*_):\n"
    "    profile.disable(); profile.dump_stats(os.environ['BENCH_PROFILE'])\n"
    "signal.signal(signal.SIGUSR2, dump)\n"
    "sys.argv = ['app.py']\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


@contextmanager
def _processes(workdir: Path, database_url: str,
               stock_connectors: bool = False) -> Iterator[dict[str, Any]]:
    procs: list[Proc] = []
    try:
        connector_port = _free_port()
        connector = Proc("fake connector", [sys.executable, "-m", "bench.fake_connector",
                                            "--port", str(connector_port)],
                         _child_env(), workdir / "connector.log")
        procs.append(connector)
        service_url = f"http://127.0.0.1:{connector_port}/"
        _wait_http(service_url + "stats", connector)

        signoff_port = _free_port()
        argv = ([sys.executable, "-c", STOCK_CONNECTORS] if stock_connectors
                else [sys.executable, str(ROOT / "app.py")])
        if os.environ.get("BENCH_PROFILE"):
            argv = [sys.executable, "-c", PROFILED]
        signoff = Proc("Signoff", argv,
                       _child_env(PORT=str(signoff_port), DATABASE_URL=database_url),
                       workdir / "signoff.log")
        procs.append(signoff)
        _wait_http(f"http://127.0.0.1:{signoff_port}/healthz", signoff)

        echo_port = _free_port()
        echo = Proc("echo bot", [sys.executable, "-m", "bench.echo_bot"],
                    _child_env(PORT=str(echo_port)), workdir / "echo.log")
        procs.append(echo)
        echo_url = f"http://127.0.0.1:{echo_port}/api/messages"
        _wait_http(echo_url, echo, method="POST",
                   body=json.dumps(message(ALEX, "hi", service_url)).encode())
        yield {
            "service_url": service_url, "connector": connector, "signoff": signoff,
            "echo": echo, "echo_url": echo_url,
            "signoff_url": f"http://127.0.0.1:{signoff_port}/api/messages",
        }
    finally:
        for proc in reversed(procs):
            proc.stop()


def _stats(service_url: str) -> dict[str, int]:
    with urllib.request.urlopen(service_url + "stats", timeout=10) as response:
        counts: dict[str, int] = json.loads(response.read())
        return counts


def _settle(service_url: str, quiet: float = 0.5, limit: float = 60.0) -> None:
    """Wait until the connector has seen no call for `quiet` seconds."""
    deadline = time.monotonic() + limit
    last = _stats(service_url)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = _stats(service_url)
        if now == last:
            return
        last = now


def _db_checks(database_url: str) -> dict[str, Any]:
    import sqlite3

    from sqlalchemy.engine import make_url

    path = make_url(database_url).database
    assert path
    with sqlite3.connect(path) as db:
        approved = db.execute(
            "SELECT count(*) FROM requests WHERE asset_name='payments-api' "
            "AND state IN ('approved', 'active')"
        ).fetchone()[0]
        decisions = db.execute(
            "SELECT count(*) FROM decisions d JOIN requests r ON r.id = d.request_id "
            "WHERE r.asset_name='payments-api'").fetchone()[0]
        twice = db.execute(
            "SELECT count(*) FROM (SELECT request_id FROM decisions GROUP BY request_id "
            "HAVING count(*) > 1)").fetchone()[0]
        audited = db.execute(
            "SELECT count(*) FROM audit_events WHERE action='decision.approve' AND outcome='ok'"
        ).fetchone()[0]
        outbox = dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    return {"approved": approved, "decision_rows": decisions, "decided_twice": twice,
            "approve_audit_events": audited, "outbox": outbox}


async def _verify_chain(database_url: str) -> int | None:
    """The id of the first audit event that does not fit the chain, or None if it holds."""
    from storage.audit_chain import SqlAuditChain
    from storage.engine import create_engine

    engine = create_engine(database_url)
    try:
        broken = (await SqlAuditChain(engine).verify()).broken
        return broken.event_id if broken is not None else None
    finally:
        await engine.dispose()


def _measure(load: Load, url: str, scenario: str, concurrency: int, warmup: float,
             duration: float, env: dict[str, str], service_url: str, target: Proc,
             database_url: str | None = None) -> Cell:
    """One load run of warmup + duration seconds. Throughput and CPU come from the measured
    window only, counted where the turns end: each echo or who-owns turn sends one reply to
    the connector, each decision writes one decision row. Latency percentiles are the load
    client's over the whole run; errors count the whole run."""
    seconds = max(1, math.ceil(warmup + duration))
    popen = load.start(url, scenario, concurrency, seconds, env)
    time.sleep(warmup)
    db = database_url if scenario == "decision" else None
    first = Snapshot.take(service_url, target, db)
    if os.environ.get("BENCH_PROFILE"):
        os.kill(target.pid, signal.SIGUSR1)
    time.sleep(duration)
    if os.environ.get("BENCH_PROFILE"):
        os.kill(target.pid, signal.SIGUSR2)
    last = Snapshot.take(service_url, target, db)
    raw = load.finish(popen, timeout=seconds + 60)
    _settle(service_url)  # requests the client abandoned in flight still finish, unmeasured
    if scenario == "decision":
        turns = last.decisions - first.decisions
    else:
        turns = last.calls.get("send", 0) - first.calls.get("send", 0)
    window = last.at - first.at
    cpu = last.cpu - first.cpu
    text = target.log_text(first.log_offset)
    return Cell(
        scenario=scenario, concurrency=concurrency, requests=turns, seconds=window,
        rps=turns / window, p50_ms=raw["p50_us"] / 1000, p99_ms=raw["p99_us"] / 1000,
        http_errors=raw["status"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        overrun=raw.get("overrun", 0),
        failed_turns=text.count("[on_turn_error]" if scenario == "echo" else TURN_FAILED),
        locked=text.count(LOCKED), bot_cpu=cpu / window * 100,
        cpu_ms_per_request=cpu * 1000 / turns if turns else 0.0,
        connections_per_turn=(
            (last.calls.get("connections", 0) - first.calls.get("connections", 0)) / turns
            if turns else 0.0),
        raw=raw,
    )


def _prime_users(signoff_url: str, service_url: str) -> None:
    """Every user of the message scenario talks to the bot once before it is measured, so the
    measured turns are steady-state ones (a first message also stores the sender's chat)."""
    from concurrent.futures import ThreadPoolExecutor

    def send(worker_user: tuple[int, int]) -> int:
        body = bench_user_message(worker_user[0], worker_user[1], WHO_OWNS, service_url)
        request = urllib.request.Request(signoff_url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)

    users = [(w, u) for w in range(2) for u in range(USERS_PER_WORKER)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, users))
    if any(status >= 300 for status in statuses):
        raise RuntimeError(f"priming the message users failed: {sorted(set(statuses))}")


def bench(duration: float, warmup: float, concurrencies: list[int], scenarios: list[str],
          client: str, keep: bool, rounds: int = 1, stock_connectors: bool = False) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="signoff-bench-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    run = Run(client=client, rounds=rounds)
    load = Load(client)
    from storage.migrate import migrate

    asyncio.run(migrate(database_url))
    clicks = {"answered": 0, "sent": 0, "seeded": 0}
    try:
        with _processes(workdir, database_url, stock_connectors) as p:
            service_url: str = p["service_url"]
            signoff: Proc = p["signoff"]
            # Alex and Megan have talked to the bot: their 1:1 chats are known, so decisions
            # reach them with continue_conversation (no new conversation per click).
            for user in (ALEX, MEGAN):
                assert _post_json(p["signoff_url"], message(user, "hi", service_url)) < 300
            asyncio.run(seed_pending(database_url, service_url, WHO_OWNS_OPEN_REQUESTS,
                                     asset_name="kv-payments-prod"))
            if "who-owns" in scenarios:
                _prime_users(p["signoff_url"], service_url)
            rates: dict[tuple[str, int], float] = {}
            for round_no, concurrency, scenario in (
                (r, c, s) for r in range(1, rounds + 1) for c in concurrencies for s in scenarios
            ):
                url = p["echo_url"] if scenario == "echo" else p["signoff_url"]
                env = {"BENCH_SERVICE_URL": service_url, "BENCH_TEXT": WHO_OWNS}
                if scenario == "decision":
                    # Enough pending requests for every click to be a real decision: a guess
                    # from the fastest turns measured so far, with room to spare.
                    guess = max([700.0] + [r * 1.6 for (s, _), r in rates.items()
                                            if s in ("decision", "who-owns")])
                    ids = asyncio.run(seed_pending(
                        database_url, service_url,
                        math.ceil(guess * (warmup + duration + 1) * 1.3) + 50))
                    clicks["seeded"] += len(ids)
                    env.update(BENCH_FIRST=ids[0].split("-")[1],
                               BENCH_LAST=ids[-1].split("-")[1])
                target: Proc = p["echo"] if scenario == "echo" else signoff
                cell = _measure(load, url, scenario, concurrency, warmup, duration, env,
                                service_url, target, database_url)
                cell.round = round_no
                if scenario == "decision":
                    clicks["answered"] += cell.raw["requests"] - cell.raw["status"]
                    clicks["sent"] += cell.raw["sent"]
                rates[(scenario, concurrency)] = max(cell.rps,
                                                     rates.get((scenario, concurrency), 0.0))
                run.cells.append(cell)
                _say(_row(cell, rounds > 1))
            run.checks = {
                "clicks": clicks, "connector_calls": _stats(service_url),
                **_db_checks(database_url),
                "audit_chain_breaks_at": asyncio.run(_verify_chain(database_url)),
                "database_is_locked_in_log": signoff.log_text().count(LOCKED),
                "failed_turns_in_log": signoff.log_text().count(TURN_FAILED),
                "workdir": str(workdir) if keep else None,
            }
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return run


HEADER = (f"{'scenario':<9} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'vs echo':>7} {'bot CPU':>7} {'CPU ms/req':>10} {'TCP/req':>7}")


def _row(cell: Cell, show_round: bool = False) -> str:
    ratio = f"{cell.ratio:.2f}x" if cell.ratio is not None else "-"
    row = (f"{cell.scenario:<9} {cell.concurrency:>4} {cell.rps:>8.1f} {cell.p50_ms:>8.1f} "
           f"{cell.p99_ms:>8.1f} {cell.errors:>6} {ratio:>7} {cell.bot_cpu:>6.0f}% "
           f"{cell.cpu_ms_per_request:>10.1f} {cell.connections_per_turn:>7.2f}")
    return row + (f"  (round {cell.round})" if show_round else "")


def report(run: Run) -> str:
    best_of = f"best of {run.rounds} rounds; " if run.rounds > 1 else ""
    if run.checks.get("stock_connectors"):
        best_of = "STOCK connector clients (--stock-connectors); " + best_of
    lines = ["", f"Signoff vs the stock echo bot ({best_of}load client: {run.client}; "
             f"{os.cpu_count()} CPUs; load average now {os.getloadavg()[0]:.2f}; "
             "loopback, SQLite)", HEADER]
    lines += [_row(c) for c in run.best()]
    c = run.checks
    clicks = c.get("clicks", {})
    breaks = c.get("audit_chain_breaks_at")
    chain = "intact" if breaks is None else f"BROKEN at event {breaks}"
    lines += [
        "",
        "errors = HTTP status > 399 + socket errors/timeouts + turns that failed in the bot "
        "+ clicks past the seeded requests; vs echo = req/s ratio at the same concurrency;",
        "bot CPU = the bot process's CPU use while measured (100% = one core); CPU ms/req = "
        "its CPU time per request (less sensitive to a busy machine than req/s); TCP/req = "
        "connections it opened to the connector per request.",
        f"decisions: {c.get('approved')} requests approved, {c.get('decision_rows')} decision "
        f"rows, {c.get('approve_audit_events')} approve audit events, "
        f"{c.get('decided_twice')} decided twice; clicks answered {clicks.get('answered')}, "
        f"sent {clicks.get('sent')} (a click in flight when the client stops still decides).",
        f"audit chain: {chain}; "
        f"connector calls: {c.get('connector_calls')}",
        f"outbox at the end: {c.get('outbox')} (every decision queues the requester's notice "
        "and a card refresh; the relay keeps Teams' limits, 60 per 30 s per chat: here every "
        "notice goes to Alex's one chat, so most wait: "
        "the decision figures hold the queueing and the relay's claims, not the deliveries)",
        f"\"database is locked\" in the bot's log: {c.get('database_is_locked_in_log')}; "
        f"failed turns: {c.get('failed_turns_in_log')}",
    ]
    if c.get("workdir"):
        lines.append(f"logs and database kept in {c['workdir']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per cell")
    parser.add_argument("--rounds", type=int, default=2,
                        help="measure every cell this many times, report the best")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--stock-connectors", action="store_true",
                        help="run Signoff with botbuilder's stock connector client per turn "
                        "instead of bot/connectors.py (a before/after comparison)")
    parser.add_argument("--keep", action="store_true", help="keep the logs and the database")
    args = parser.parse_args()
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
        if client == "python":
            _say("wrk not found (apt-get install wrk): using the slower Python load client",
                 sys.stderr)
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    concurrencies = [int(c) for c in args.concurrency.split(",") if c]
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        _say(f"note: the machine is busy before the run (load average {load_before:.2f}): "
             "numbers will be noisy, ratios less so", sys.stderr)
    _say(HEADER)
    run = bench(args.duration, args.warmup, concurrencies, scenarios, client, args.keep,
                args.rounds, args.stock_connectors)
    run.checks["stock_connectors"] = args.stock_connectors
    _say(report(run))
    if args.json:
        args.json.write_text(json.dumps(
            {"client": run.client, "rounds": run.rounds,
             "best": [asdict(c) | {"errors": c.errors} for c in run.best()],
             "cells": [asdict(c) | {"errors": c.errors} for c in run.cells],
             "checks": run.checks}, indent=2))


if __name__ == "__main__":
    main()
