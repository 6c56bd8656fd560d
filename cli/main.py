"""Entry point of the `signoff` command: one sub-command group per module, registered below.

Each group module exposes `register(subparsers)`, adding its parser and setting `func`, an
`async (args, settings) -> int` returning the process exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

# Module names under cli/, e.g. "catalog_commands".
GROUPS: list[str] = [
    "audit_commands", "evidence_commands", "catalog_commands", "migrate_commands",
]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="signoff", description="Signoff administration")
    subparsers = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(f"cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from settings import Settings, one_line

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as error:
        print(f"signoff: {one_line(error)}", file=sys.stderr)  # noqa: T201
        return 2
    code: int = asyncio.run(args.func(args, settings))
    return code


if __name__ == "__main__":
    sys.exit(main())
