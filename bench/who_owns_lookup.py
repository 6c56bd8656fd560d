"""How fast "who owns X" finds an asset in a catalog of 100,000 assets (a benchmark, not a test).

    python -m bench.who_owns_lookup [--assets 100000] [--queries 2000]

Builds a synthetic catalog (people, teams, assets with aliases, tags and kinds), then times
`Catalog.search` for a mix of what people type: exact names, aliases, typos, a word several
assets share, and names that match nothing. Prints build time, memory and p50/p99 per kind.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from approvals.catalog import Catalog, build_catalog
from catalog.search import RapidfuzzRanker

KINDS = ["azure-app-service", "azure-key-vault", "azure-storage-account", "aks-cluster",
         "azure-sql-database", "azure-subscription", "m365-setting"]
WORDS = ["payments", "ledger", "orders", "billing", "search", "identity", "catalog", "inventory",
         "shipping", "pricing", "reports", "gateway", "notify", "audit", "profile", "session"]
ENVIRONMENTS = ["prod", "dev", "test", "stage", "dr"]


def synthetic_catalog(assets: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    people = [{"id": f"p{i}", "name": f"Person {i}", "email": f"p{i}@example.com",
               "aad_object_id": f"00000000-0000-0000-0000-{i:012d}"} for i in range(2000)]
    teams = [{"id": f"team-{i}", "name": f"Team {i}",
              "members": [f"p{(i * 7 + k) % 2000}" for k in range(4)]} for i in range(200)]
    rows = []
    for i in range(assets):
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{i}-{rng.choice(ENVIRONMENTS)}"
        rows.append({
            "name": name, "aliases": [f"svc{i}"], "kind": rng.choice(KINDS),
            "owner": f"p{rng.randrange(2000)}" if i % 3 else f"team-{rng.randrange(200)}",
            "backup": f"p{rng.randrange(2000)}", "tier": rng.choice(["low", "medium", "high"]),
            "tags": [rng.choice(WORDS)],
        })
    return {"people": people, "teams": teams, "assets": rows}


def typo(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name) - 1)
    return name[:i] + name[i + 1:]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_queries(catalog: Catalog, queries: list[str]) -> list[float]:
    took = []
    for query in queries:
        start = time.perf_counter()
        catalog.search(query)
        took.append((time.perf_counter() - start) * 1000)
    return took


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    data = synthetic_catalog(args.assets)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    catalog = build_catalog(data, RapidfuzzRanker())
    built = time.perf_counter() - start
    start = time.perf_counter()
    catalog.search("warm-up: the ranker processes every key once")
    warmed = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    say(f"catalog of {len(catalog.assets):,} assets: validated and indexed in {built:.2f} s, "
        f"first fuzzy query {warmed * 1000:.0f} ms, peak RSS grew {grown:.0f} MiB")
    rng = random.Random(11)
    names = list(catalog.assets)
    n = args.queries
    mixes: dict[str, Callable[[], str]] = {
        "exact name": lambda: rng.choice(names),
        "alias": lambda: f"svc{rng.randrange(len(names))}",
        "typo": lambda: typo(rng.choice(names), rng),
        "shared word": lambda: rng.choice(WORDS),
        "no match": lambda: f"zq{rng.randrange(10**6)}xv",
    }
    for label, make in mixes.items():
        count = n if label in ("exact name", "alias") else max(20, n // 20)
        took = time_queries(catalog, [make() for _ in range(count)])
        say(f"{label:12} n={count:5}  p50 {statistics.median(took):8.3f} ms  "
            f"p99 {percentile(took, 0.99):8.3f} ms")


if __name__ == "__main__":
    main()
