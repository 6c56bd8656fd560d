"""`signoff evidence --from DATE --to DATE [--asset NAME] [--out DIR]`: every request made in
the period with its decisions, reminders, escalations and state changes, and the delegations
that moved or routed them, as CSV, JSON and an HTML report, each stating the audit chain's
verification result.

Exit codes: 0 written and the chain verified; 1 written but the chain is broken; 2 bad input;
3 the database could not be read.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from approvals.catalog import Catalog, CatalogError
from approvals.evidence import chain_result, delegations_affecting, timeline
from approvals.ports import SystemClock
from cli.evidence_document import (
    DELEGATION_COLUMNS,
    TIMELINE_COLUMNS,
    EvidenceExport,
    chain_sentence,
    delegation_rows,
    document,
    summary,
    timeline_row,
)
from cli.evidence_report import render_report
from settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

OK, BROKEN, BAD_INPUT, UNREADABLE = 0, 1, 2, 3
FILES = ("requests.csv", "timeline.csv", "delegations.csv", "evidence.json", "report.html")
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evidence", help="export requests, decisions and the audit chain's state for auditors")
    parser.add_argument("--from", dest="start", required=True, type=_day, metavar="DATE",
                        help="first UTC day (YYYY-MM-DD) of requests to include")
    parser.add_argument("--to", dest="end", required=True, type=_day, metavar="DATE",
                        help="last UTC day (YYYY-MM-DD) of requests to include")
    parser.add_argument("--asset", help="only this asset's requests (its catalog name)")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where to write the files (default: ./evidence-FROM-to-TO)")
    parser.set_defaults(func=run_evidence)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-31") from None


async def run_evidence(args: argparse.Namespace, settings: Settings) -> int:
    if args.end < args.start:
        print(f"signoff evidence: --to {args.end} is before --from {args.start}",  # noqa: T201
              file=sys.stderr)
        return BAD_INPUT
    out: Path = args.out or Path(f"evidence-{args.start}-to-{args.end}")
    if _is_a_file(out):
        print(f"signoff evidence: --out {out} is a file, not a directory",  # noqa: T201
              file=sys.stderr)
        return BAD_INPUT
    from storage.audit_chain import SqlAuditChain
    from storage.command_engine import command_engine
    from storage.engine import DatabaseUnavailable
    from storage.evidence import SqlEvidenceReader

    start = datetime.combine(args.start, time(), UTC)
    end = datetime.combine(args.end + timedelta(days=1), time(), UTC)
    try:
        async with command_engine(settings.database_url) as engine:
            catalog = await _catalog(engine, settings)
            asset = _asset_name(catalog, args.asset)
            requests, delegation_events = await SqlEvidenceReader(engine).gather(
                start, end, asset)
            chain = chain_result(await SqlAuditChain(engine).verify())
    except DatabaseUnavailable as error:
        print(f"signoff evidence: {error}", file=sys.stderr)  # noqa: T201
        return UNREADABLE
    export = EvidenceExport(args.start, args.end, asset, SystemClock().now(), chain,
                            requests, _names(catalog),
                            delegations_affecting(requests, delegation_events))
    write_export(export, out)
    print(f"Wrote {len(requests)} request(s) to {out}/ ({', '.join(FILES)}, SHA256SUMS)")  # noqa: T201
    print(chain_sentence(chain))  # noqa: T201
    return OK if chain.verified else BROKEN


def _is_a_file(path: Path) -> bool:
    return path.exists() and not path.is_dir()


def write_export(export: EvidenceExport, out: Path) -> None:
    """The five files and a SHA256SUMS of them, in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    chain = export.chain
    summaries = [summary(e) for e in export.requests]
    entries = [timeline_row(t, export.names) for e in export.requests
               for t in timeline(e, chain)]
    delegations = [row for d in export.delegations for row in delegation_rows(d, chain)]
    _write_csv(out / "requests.csv", list(summaries[0]) if summaries else ["request_id"],
               summaries)
    _write_csv(out / "timeline.csv", list(TIMELINE_COLUMNS), entries)
    _write_csv(out / "delegations.csv", list(DELEGATION_COLUMNS), delegations)
    (out / "evidence.json").write_text(
        json.dumps(document(export), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.html").write_text(render_report(export), encoding="utf-8")
    sums = [f"{hashlib.sha256((out / name).read_bytes()).hexdigest()}  {name}" for name in FILES]
    (out / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        # The chain statement heads no CSV: a CSV holds one table; evidence.json states it.
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(value: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote before it."""
    return f"'{value}" if value.startswith(FORMULA_START) else value


async def _catalog(engine: AsyncEngine, settings: Settings) -> Catalog | None:
    """The catalog in use (the newest import, else the file), for display names and aliases;
    None if it will not load (the export does not need it: the records carry names)."""
    from cli.catalog_commands import catalog_in_use

    try:
        return (await catalog_in_use(engine, settings))[0]
    except CatalogError:
        return None


def _names(catalog: Catalog | None) -> dict[str, str]:
    if catalog is None:
        return {}
    return {person_id: catalog.display(person_id) for person_id in catalog.people}


def _asset_name(catalog: Catalog | None, given: str | None) -> str | None:
    """The asset's catalog name when `given` is its name or an alias (any case), else as given
    (an asset that left the catalog still has its stored requests)."""
    if given is None or catalog is None:
        return given
    assert catalog.asset_index is not None  # built with the catalog
    found = catalog.asset_index.by_key.get(given.strip().lower())
    return found.name if found is not None else given.strip()
