"""`signoff migrate`: bring the database at DATABASE_URL to the newest schema (Alembic), as
the bot does at start; run it as the role that owns the tables (docs/readme/audit.md).

Exit codes: 0 migrated (or nothing to do); 1 Alembic refused (e.g. a newer Signoff migrated
the database); 3 the database could not be reached or read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from settings import Settings

OK, REFUSED, UNREADABLE = 0, 1, 3


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate", help="migrate the database at DATABASE_URL to the newest schema")
    parser.set_defaults(func=run_migrate)


async def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from storage.command_engine import MigrationRefused, migrate_to_head
    from storage.engine import DatabaseUnavailable
    from storage.migrate import head_revision

    try:
        revision = await migrate_to_head(settings.database_url)
    except MigrationRefused as error:
        print(f"signoff migrate: {error}", file=sys.stderr)  # noqa: T201
        return REFUSED
    except DatabaseUnavailable as error:
        print(f"signoff migrate: {error}", file=sys.stderr)  # noqa: T201
        return UNREADABLE
    newest = "the newest" if revision == head_revision() else f"not {head_revision()}"
    print(f"The database is at revision {revision} ({newest}).")  # noqa: T201
    return OK
