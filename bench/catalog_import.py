"""Catalog import at scale: generate a catalog of 100,000 assets (with people and teams), then
measure, for each file format, parsing + validation, the database write of the import (one
transaction: the snapshot and its audit event), loading the newest snapshot back (what a
running bot does when it switches), and the peak memory of the process.

Each format runs in a child process of its own, so its peak resident memory (ru_maxrss) is its
own; `--tracemalloc` also reports the peak of Python allocations (and slows parsing down).
Name lookups by exact name and alias are timed too (p50/p99). Not a test: nothing passes or
fails, the figures depend on the machine.

    python -m bench.catalog_import [--assets 100000] [--formats yaml,csv,backstage]
                                   [--database-url URL] [--tracemalloc] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import yaml

TIERS = ("low", "medium", "high", "critical")
KINDS = ("azure-app-service", "azure-storage-account", "azure-key-vault", "azure-sql-database",
         "azure-kubernetes-service", "azure-subscription")


def generate(assets: int, seed: int = 7) -> dict[str, list[dict[str, Any]]]:
    """One person per 20 assets, one team of 5 per 100; owners alternate people and teams."""
    rnd = random.Random(seed)
    n_people, n_teams = max(10, assets // 20), max(2, assets // 100)
    people = [{"id": f"p{i}", "name": f"Person {i}", "email": f"p{i}@example.com",
               "aad_object_id": f"00000000-0000-4000-8000-{i:012d}",
               **({"manager": f"p{i // 10}"} if i >= 10 else {})} for i in range(n_people)]
    teams = [{"id": f"team-{t}", "name": f"Team {t}",
              "members": [f"p{(t * 5 + k) % n_people}" for k in range(5)]}
             for t in range(n_teams)]
    rows = []
    for a in range(assets):
        owner = f"team-{a % n_teams}" if a % 3 == 0 else f"p{rnd.randrange(n_people)}"
        rows.append({"name": f"asset-{a:06d}", "aliases": [f"a{a}", f"svc-{a:06d}"],
                     "kind": KINDS[a % len(KINDS)], "owner": owner,
                     "backup": f"p{rnd.randrange(n_people)}", "team": f"team-{a % n_teams}",
                     "tier": TIERS[a % 4], "tags": ["bench", f"zone-{a % 7}"]})
    return {"people": people, "teams": teams, "assets": rows}


def write_files(data: dict[str, Any], folder: Path, formats: list[str]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    if "yaml" in formats:
        files["yaml"] = folder / "catalog.yaml"
        with files["yaml"].open("w", encoding="utf-8") as out:
            yaml.dump(data, out, Dumper=dumper, sort_keys=False)
    if "csv" in formats:
        files["csv"] = folder / "assets.csv"
        with files["csv"].open("w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["asset", "aliases", "kind", "owner", "backup", "team", "tier", "tags"])
            for a in data["assets"]:
                w.writerow([a["name"], ";".join(a["aliases"]), a["kind"], a["owner"],
                            a["backup"], a["team"], a["tier"], ";".join(a["tags"])])
        with (folder / "people.csv").open("w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["id", "name", "email", "aad_object_id", "manager"])
            for p in data["people"]:
                w.writerow([p["id"], p["name"], p["email"], p["aad_object_id"],
                            p.get("manager", "")])
        with (folder / "teams.csv").open("w", newline="", encoding="utf-8") as out:
            w = csv.writer(out)
            w.writerow(["id", "name", "members"])
            for t in data["teams"]:
                w.writerow([t["id"], t["name"], ";".join(t["members"])])
    if "backstage" in formats:
        files["backstage"] = folder / "catalog-info.yaml"
        yaml.dump_all(_backstage(data), files["backstage"].open("w", encoding="utf-8"),
                      Dumper=dumper, sort_keys=False)
    return files


def _backstage(data: dict[str, Any]) -> Any:
    v = "backstage.io/v1alpha1"
    for p in data["people"]:
        yield {"apiVersion": v, "kind": "User", "metadata": {"name": p["id"], "annotations": {
            "graph.microsoft.com/user-id": p["aad_object_id"]}},
            "spec": {"profile": {"displayName": p["name"], "email": p["email"]}}}
    for t in data["teams"]:
        yield {"apiVersion": v, "kind": "Group", "metadata": {"name": t["id"]},
               "spec": {"type": "team", "children": [], "members": t["members"]}}
    for a in data["assets"]:
        owner = f"group:{a['owner']}" if a["owner"].startswith("team-") else f"user:{a['owner']}"
        yield {"apiVersion": v, "kind": "Component", "metadata": {
            "name": a["name"], "tags": a["tags"], "annotations": {
                "signoff/tier": a["tier"], "signoff/aliases": ";".join(a["aliases"]),
                "signoff/backup": f"user:{a['backup']}"}},
            "spec": {"type": a["kind"], "lifecycle": "production", "owner": owner}}


def measure(fmt: str, file: str, database_url: str, trace: bool) -> dict[str, Any]:
    """In a child process: parse + validate, the import transaction, the load back."""
    from approvals.catalog import build_catalog
    from approvals.catalog_import import CatalogRecord, import_catalog
    from approvals.policies import DEFAULT_POLICY
    from approvals.ports import SystemClock
    from catalog.importers import read_catalog
    from storage.catalog_snapshots import CatalogSnapshotStore
    from storage.engine import create_engine
    from storage.migrate import migrate
    from storage.uow import uow_factory

    if trace:
        tracemalloc.start()
    base_rss = _rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    read = read_catalog(file, fmt)
    parse, parse_cpu = time.perf_counter() - t0, time.process_time() - c0
    catalog = read.catalog

    async def write_and_load() -> tuple[float, float, float]:
        await migrate(database_url)
        engine = create_engine(database_url)
        try:
            record = CatalogRecord("bench", file, fmt, read.sha256, read.counts())
            t1, c1 = time.perf_counter(), time.process_time()
            await import_catalog(uow_factory(engine)(), catalog, catalog, DEFAULT_POLICY,
                                 SystemClock(), record)
            write, write_cpu = time.perf_counter() - t1, time.process_time() - c1
            t2 = time.perf_counter()
            stored = await CatalogSnapshotStore(engine).newest()
            assert stored is not None and build_catalog(stored.data) == catalog
            return write, write_cpu, time.perf_counter() - t2
        finally:
            await engine.dispose()

    write, write_cpu, load = asyncio.run(write_and_load())
    lookups = _lookups(catalog)
    result = {"format": fmt, "file_mb": os.path.getsize(file) / 2**20, **read.counts(),
              "parse_validate_s": parse, "parse_validate_cpu_s": parse_cpu,
              "db_write_s": write, "db_write_cpu_s": write_cpu, "load_snapshot_s": load,
              "peak_rss_mb": _rss_mb(), "rss_before_mb": base_rss, **lookups}
    if trace:
        result["peak_python_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    return result


def _lookups(catalog: Any, n: int = 20_000) -> dict[str, float]:
    names = list(catalog.assets)
    rnd = random.Random(3)
    keys = [rnd.choice(names) if i % 2 else f"a{names.index(rnd.choice(names[:1000]))}"
            for i in range(n)]
    times = []
    for key in keys:
        t = time.perf_counter_ns()
        catalog.find_asset(key)
        times.append(time.perf_counter_ns() - t)
    q = statistics.quantiles(times, n=100)
    return {"lookup_p50_us": q[49] / 1000, "lookup_p99_us": q[98] / 1000}


def _rss_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux keeps that across exec, so a
    spawned child would report its parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_switch(database_url: str) -> dict[str, float]:
    """In a fresh child process, what a running bot does on a new snapshot: read the newest
    one and build the catalog; its time and the memory it adds to a process with the bot's
    modules loaded."""
    import app  # noqa: F401 - the bot's modules, as in the running bot
    from catalog.importers import catalog_from_data
    from storage.catalog_snapshots import CatalogSnapshotStore
    from storage.engine import create_engine

    async def load() -> Any:
        engine = create_engine(database_url)
        try:
            stored = await CatalogSnapshotStore(engine).newest()
            assert stored is not None
            return catalog_from_data(stored.data)
        finally:
            await engine.dispose()

    before = _rss_now_mb()
    t = time.perf_counter()
    catalog = asyncio.run(load())
    took = time.perf_counter() - t
    return {"switch_s": took, "rss_modules_mb": before, "rss_with_catalog_mb": _rss_now_mb(),
            "peak_rss_mb": _rss_mb(), "assets": float(len(catalog.assets))}


def _rss_now_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child(args: tuple[str, str, str, bool], out: Any) -> None:
    out.send(measure(*args))


def _switch_child(url: str, out: Any) -> None:
    out.send(measure_switch(url))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--formats", default="yaml,csv,backstage")
    parser.add_argument("--database-url", help="default: a fresh SQLite file per format")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--keep", help="write the generated files here and keep them (files "
                        "already there are used again)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    folder = Path(args.keep or tempfile.mkdtemp(prefix="signoff-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    names = {"yaml": "catalog.yaml", "csv": "assets.csv", "backstage": "catalog-info.yaml"}
    files = {f: folder / names[f] for f in formats}
    if args.keep and all(f.exists() for f in files.values()):
        sys.stdout.write(f"using the files in {folder}\n")
    else:
        files = write_files(generate(args.assets), folder, formats)
        sys.stdout.write(f"generated {args.assets} assets in {time.perf_counter() - t:.1f} s "
                         f"({folder})\n")
    for db in folder.glob("bench-*.db*"):
        db.unlink()
    context = multiprocessing.get_context("spawn")
    results = []
    for fmt, file in files.items():
        url = args.database_url or f"sqlite+aiosqlite:///{folder / f'bench-{fmt}.db'}"
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_child, args=((fmt, str(file), url, args.tracemalloc),
                                                     send))
        child.start()
        results.append(receive.recv())
        child.join()
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_switch_child, args=(url, send))
        child.start()
        results[-1]["switch"] = receive.recv()
        child.join()
    load = os.getloadavg()[0]
    sys.stdout.write(f"load average {load:.1f} on {os.cpu_count()} CPUs; seconds are wall "
                     "(CPU of the process)\n")
    sys.stdout.flush()
    sys.stdout.write(f"{'format':<10}{'file MB':>8}{'assets':>8}{'parse+validate s':>19}"
                     f"{'DB write s':>15}{'load back s':>12}{'peak RSS MB':>12}"
                     f"{'lookup p50/p99 us':>19}\n")
    for r in results:
        parse = f"{r['parse_validate_s']:.1f} ({r['parse_validate_cpu_s']:.1f})"
        write = f"{r['db_write_s']:.2f} ({r['db_write_cpu_s']:.2f})"
        sys.stdout.write(
            f"{r['format']:<10}{r['file_mb']:>8.1f}{r['assets']:>8}{parse:>19}{write:>15}"
            f"{r['load_snapshot_s']:>12.2f}{r['peak_rss_mb']:>12.0f}"
            f"{r['lookup_p50_us']:>10.1f}/{r['lookup_p99_us']:<8.1f}"
            + (f" python peak {r['peak_python_mb']:.0f} MB" if "peak_python_mb" in r else "")
            + "\n")
    for r in results:
        w = r["switch"]
        sys.stdout.write(
            f"bot switching to the {r['format']} snapshot: {w['switch_s']:.1f} s; resident "
            f"memory {w['rss_modules_mb']:.0f} MB with the bot's modules, "
            f"{w['rss_with_catalog_mb']:.0f} MB with the catalog (peak "
            f"{w['peak_rss_mb']:.0f} MB)\n")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
