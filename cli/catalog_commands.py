"""`signoff catalog validate|import|export|diff`: the ownership catalog, from files to the database.

The catalog in use is the newest snapshot imported into the database; before the first import
it is the file at SIGNOFF_CATALOG (or the demo catalog). A running bot notices a new snapshot
within seconds and switches to it without a restart.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from approvals.catalog import Catalog, CatalogError
from approvals.catalog_import import CatalogRecord, import_catalog
from approvals.policies import Policy
from approvals.policy_file import PolicyError
from approvals.ports import SystemClock
from approvals.rerouting import OPEN_STATES, Reroute, plan_reroute
from catalog.diff import describe, diff_catalogs
from catalog.export import catalog_yaml
from catalog.importers import FORMATS, ReadCatalog, catalog_from_data, read_catalog
from catalog.loader import load_catalog
from catalog.policy_loader import load_policies
from settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("catalog", help="validate, import, export or diff the "
                                   "ownership catalog")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, func, text in (
        ("validate", validate, "check a catalog file; every problem with its file and line"),
        ("import", import_, "make a catalog file the one in use (atomic, audited)"),
        ("diff", diff, "show what importing a catalog file would change"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        _file_arguments(command)
        command.set_defaults(func=func)
    commands.choices["import"].add_argument(
        "--by", help="who imports, for the audit log (default: the OS user)")
    export = commands.add_parser("export", help="write the catalog in use as YAML")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.set_defaults(func=export_)


def _file_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", help="catalog file: Signoff YAML, CSV, or Backstage "
                         "catalog-info.yaml")
    command.add_argument("--format", choices=FORMATS,
                         help="the file's format (default: from its name and content)")
    command.add_argument("--people", help="CSV only: people.csv, or a YAML file with people "
                         "and teams (default: people.csv beside the file)")
    command.add_argument("--teams", help="CSV only: teams.csv (default: teams.csv beside the "
                         "file)")


def _out(*lines: str) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def _err(*lines: str) -> None:
    sys.stderr.write("".join(f"{line}\n" for line in lines))


def _read(args: argparse.Namespace, settings: Settings) -> tuple[ReadCatalog, Policy] | None:
    """The file as a valid catalog with the policy checked against it; else None, every
    problem written to standard error."""
    try:
        read = read_catalog(args.file, args.format, args.people, args.teams,
                            by_email=settings.graph_enabled)
    except CatalogError as error:
        _err(*error.problems, f"{len(error.problems)} problem(s): {args.file} is not valid")
        return None
    try:
        policy = load_policies(settings.policies_path, read.catalog)
    except PolicyError as error:
        _err(*error.problems, f"the policy does not fit {args.file}: fix one or the other")
        return None
    return read, policy


async def validate(args: argparse.Namespace, settings: Settings) -> int:
    checked = _read(args, settings)
    if checked is None:
        return 1
    read = checked[0]
    counts = read.counts()
    _out(f"{read.source}: valid {read.format} catalog: {counts['people']} people, "
         f"{counts['teams']} teams, {counts['assets']} assets")
    return 0


async def current_catalog(settings: Settings) -> tuple[Catalog, str]:
    """The catalog in use and where it comes from: the newest snapshot, else the file."""
    from storage.engine import create_engine
    from storage.migrate import migrate

    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        return await catalog_in_use(engine, settings)
    finally:
        await engine.dispose()


async def catalog_in_use(engine: AsyncEngine, settings: Settings) -> tuple[Catalog, str]:
    """`current_catalog` on an engine already open (and a database already migrated)."""
    from storage.catalog_snapshots import CatalogSnapshotStore

    newest = await CatalogSnapshotStore(engine).newest()
    if newest is not None:
        return catalog_from_data(newest.data, settings.graph_enabled), (
            f"snapshot {newest.id} ({newest.record.source}, imported by "
            f"{newest.record.imported_by} at {newest.created_at:%Y-%m-%d %H:%M} UTC)")
    path = settings.catalog_path
    return load_catalog(path, settings.graph_enabled), f"file {path or 'demo catalog'}"


async def _current_or(settings: Settings, new: Catalog) -> tuple[Catalog, str]:
    """The catalog in use; when its file is not valid (nothing was imported yet), the new one
    stands in for it, so an import can still replace a broken file."""
    try:
        return await current_catalog(settings)
    except CatalogError as error:
        _err(*error.problems, "the catalog file in use is not valid: comparing with nothing")
        return new, "an invalid file"


async def diff(args: argparse.Namespace, settings: Settings) -> int:
    checked = _read(args, settings)
    if checked is None:
        return 1
    read, policy = checked
    before, where = await _current_or(settings, read.catalog)
    _out(f"From the catalog in use ({where}) to {read.source}:",
         *describe(diff_catalogs(before, read.catalog), before, read.catalog))
    moves = await _planned_moves(settings, before, read.catalog, policy)
    _out(*moves or ["No open request would move."])
    return 0


async def _planned_moves(settings: Settings, before: Catalog, after: Catalog,
                         policy: Policy) -> list[str]:
    from storage.engine import create_engine
    from storage.uow import uow_factory

    engine = create_engine(settings.database_url)
    try:
        async with uow_factory(engine)() as uow:
            requests = await uow.requests.list_in_states(OPEN_STATES)
    finally:
        await engine.dispose()
    now = SystemClock().now()
    lines = []
    for request in requests:
        plan = plan_reroute(before, after, policy, request, now)
        if isinstance(plan, Reroute):
            lines.append(f"> {_moved(plan, before, after)}")
        elif plan is not None:
            lines.append(f"! {plan.request_id} stays with its deciders: {plan.reason}")
    return lines


def _moved(plan: Reroute, before: Catalog, after: Catalog) -> str:
    old = ", ".join(before.display(p) for p in plan.before.deciders)
    new = ", ".join(after.display(p) for p in plan.after.deciders)
    return f"{plan.after.id} ({plan.after.asset_name}) moves from {old} to {new}"


async def import_(args: argparse.Namespace, settings: Settings) -> int:
    from storage.engine import create_engine
    from storage.uow import uow_factory

    checked = _read(args, settings)
    if checked is None:
        return 1
    read, policy = checked
    before, where = await _current_or(settings, read.catalog)
    by = args.by or getpass.getuser()
    record = _record(read, by)
    engine = create_engine(settings.database_url)
    try:
        done = await import_catalog(uow_factory(engine)(), before, read.catalog, policy,
                                    SystemClock(), record)
    finally:
        await engine.dispose()
    counts = read.counts()
    _out(f"Imported {read.source} ({read.format}, sha256 {read.sha256[:12]}) as catalog "
         f"snapshot {done.snapshot_id} for {by}: {counts['people']} people, "
         f"{counts['teams']} teams, {counts['assets']} assets (was: {where}).",
         *describe(diff_catalogs(before, read.catalog), before, read.catalog),
         *(f"> {_moved(r, before, read.catalog)}" for r in done.rerouted),
         *(f"! {k.request_id} stays with its deciders: {k.reason}" for k in done.kept))
    return 0


def _record(read: ReadCatalog, by: str) -> CatalogRecord:
    return CatalogRecord(
        imported_by=by, source=str(Path(read.source).resolve()), format=read.format,
        sha256=read.sha256, counts=read.counts(),
        files={str(Path(f).resolve()): h for f, h in read.files.items()})


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")


async def export_(args: argparse.Namespace, settings: Settings) -> int:
    try:
        catalog, where = await current_catalog(settings)
    except CatalogError as error:
        _err(*error.problems, "nothing was imported yet and the catalog file is not valid")
        return 1
    text = catalog_yaml(catalog, f"Signoff catalog exported from {where}")
    if args.output:
        _write(args.output, text)
        _err(f"wrote {args.output}: {len(catalog.assets)} assets ({where})")
    else:
        sys.stdout.write(text)
    return 0
