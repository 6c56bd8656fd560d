"""A closed-loop HTTP load generator in Python, used only where wrk is not installed.

It sends what bench/wrk/*.lua send, keeps `--concurrency` requests in flight over keep-alive
connections for `--duration` seconds, and prints the same `BENCH {...}` line as the wrk
scripts. It costs far more CPU than wrk, on the same cores as the bots: prefer wrk
(`apt-get install wrk`). Ratios against the echo bot stay comparable, absolute numbers do not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

import aiohttp

from bench.activities import USERS_PER_WORKER, approve_click, bench_user_message


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


async def _run(url: str, scenario: str, concurrency: int, duration: float) -> dict[str, object]:
    service_url = os.environ["BENCH_SERVICE_URL"]
    text = os.environ.get("BENCH_TEXT", "who owns payments-api")
    first = int(os.environ.get("BENCH_FIRST", "1"))
    last = int(os.environ.get("BENCH_LAST", "0"))
    share = (last - first + 1) // concurrency if scenario == "decision" else 0
    latencies: list[float] = []
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    counters = {"sent": 0, "overrun": 0}
    deadline = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    headers = {"Content-Type": "application/json"}

    async def worker(index: int, session: aiohttp.ClientSession) -> None:
        next_id, last_id, sent = first + index * share, first + (index + 1) * share - 1, 0
        while time.perf_counter() < deadline:
            if scenario == "decision":
                if next_id > last_id:
                    counters["overrun"] += 1
                    body = approve_click(f"EXC-{next_id}", service_url)
                else:
                    body = approve_click(f"EXC-{next_id}", service_url)
                    next_id += 1
            else:
                body = bench_user_message(index, sent % USERS_PER_WORKER, text, service_url)
            sent += 1
            counters["sent"] += 1
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status > 399:
                        errors["status"] += 1
            except TimeoutError:
                errors["timeout"] += 1
                continue
            except aiohttp.ClientConnectorError:
                errors["connect"] += 1
                continue
            except aiohttp.ClientError:
                errors["read"] += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(i, session) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    us = [v * 1e6 for v in latencies]
    return {
        "requests": len(us), "duration_us": int(elapsed * 1e6), **errors,
        "p50_us": int(_percentile(us, 50)), "p90_us": int(_percentile(us, 90)),
        "p99_us": int(_percentile(us, 99)), "max_us": int(us[-1]) if us else 0,
        "mean_us": sum(us) / len(us) if us else 0.0, **counters,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--scenario", choices=("message", "decision"), required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    args = parser.parse_args()
    result = asyncio.run(_run(args.url, args.scenario, args.concurrency, args.duration))
    sys.stdout.write("BENCH " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
