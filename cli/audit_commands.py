"""`signoff audit verify` and `signoff audit checkpoint`: the tamper evidence of the audit trail.

Exit codes: 0 the chain holds (and the checkpoint is in it); 1 it does not; 2 bad input or
configuration; 3 the database could not be read.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from approvals.audit_chain import ChainBreak, ChainReport, Checkpoint, checkpoint_of, utc_iso
from approvals.model import AuditEvent, Source
from approvals.notifications import AUDIT_CHECKPOINT, CHAT_PREFIX
from approvals.ports import Notification, SystemClock
from settings import Settings

OK, BROKEN, BAD_INPUT, UNREADABLE = 0, 1, 2, 3
HASH = re.compile(r"\b[0-9a-f]{64}\b")


class CheckpointUnreadable(ValueError):
    pass


def register(subparsers: Any) -> None:
    audit = subparsers.add_parser("audit", help="verify the audit trail's hash chain")
    commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = commands.add_parser(
        "verify", help="walk the chain and name the first event that does not fit")
    verify.add_argument(
        "--checkpoint", metavar="HASH_OR_FILE",
        help="a published head hash (64 hex digits), or a file `audit checkpoint` wrote: "
             "catches a later deletion of the newest events")
    verify.set_defaults(func=run_verify)
    checkpoint = commands.add_parser(
        "checkpoint", help="print the chain's head (event id, count, hash, time) to publish")
    checkpoint.add_argument("--json", action="store_true", help="print it as JSON")
    checkpoint.add_argument(
        "--post", action="store_true",
        help="also post it to the chat named by SIGNOFF_CHECKPOINT_CHAT (the bot's relay "
             "delivers it)")
    checkpoint.set_defaults(func=run_checkpoint)


def parse_checkpoint(value: str) -> Checkpoint:
    """A bare hash, or a file holding `audit checkpoint` output (JSON or text)."""
    text = value.strip()
    if HASH.fullmatch(text.lower()):
        return Checkpoint(text.lower())
    path = Path(value)
    if not path.is_file():
        raise CheckpointUnreadable(
            f"--checkpoint {value!r} is neither a 64-digit hex hash nor a readable file")
    content = path.read_text(encoding="utf-8")
    try:
        data = json.loads(content)
    except ValueError:
        return _checkpoint_from_text(path, content)
    if not isinstance(data, dict) or not HASH.fullmatch(str(data.get("hash", ""))):
        raise CheckpointUnreadable(f"{path}: JSON without a 64-digit hex \"hash\"")
    at = data.get("at")
    return Checkpoint(
        data["hash"], _int_or_none(data.get("event_id")), _int_or_none(data.get("count")),
        datetime.fromisoformat(at) if isinstance(at, str) else None)


def _checkpoint_from_text(path: Path, content: str) -> Checkpoint:
    hashes = HASH.findall(content.lower())
    if len(hashes) != 1:
        raise CheckpointUnreadable(f"{path}: expected one 64-digit hex hash, found {len(hashes)}")
    fields = dict(re.findall(r"^\s*(event|count|at):\s*(\S+)\s*$", content, re.MULTILINE))
    return Checkpoint(
        hashes[0], _int_or_none(fields.get("event")), _int_or_none(fields.get("count")),
        datetime.fromisoformat(fields["at"]) if "at" in fields else None)


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def describe_checkpoint(checkpoint: Checkpoint) -> str:
    at = utc_iso(checkpoint.at) if checkpoint.at else "-"
    return (f"event: {checkpoint.event_id}\ncount: {checkpoint.count}\n"
            f"hash:  {checkpoint.hash}\nat:    {at}")


def describe_report(report: ChainReport, late: ChainBreak | None = None) -> str:
    """What `audit verify` prints: the verified head, or the first event that does not fit."""
    broken = report.broken or late
    if broken is None:
        if report.head is None:
            return "Audit chain verified: no events yet."
        return (f"Audit chain verified: {report.count} events; head event {report.head.id} "
                f"at {utc_iso(report.head.at)}, hash {report.head.hash}")
    where = f"event {broken.event_id}" if broken.event_id is not None else "the checkpoint"
    when = f" ({utc_iso(broken.at)})" if broken.at else ""
    good = (f"event {report.head.id}, hash {report.head.hash}" if report.head is not None
            else "none")
    return (f"Audit chain BROKEN at {where}{when}: {broken.kind.value}\n"
            f"  {broken.explanation}\n"
            f"  {report.count} events before it verified; the last good one: {good}")


async def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    try:
        checkpoint = parse_checkpoint(args.checkpoint) if args.checkpoint else None
    except (CheckpointUnreadable, OSError) as error:
        print(f"signoff audit verify: {error}", file=sys.stderr)  # noqa: T201
        return BAD_INPUT
    from storage.audit_chain import SqlAuditChain
    from storage.command_engine import command_engine
    from storage.engine import DatabaseUnavailable

    try:
        async with command_engine(settings.database_url) as engine:
            chain = SqlAuditChain(engine)
            if checkpoint is None:
                report, late = await chain.verify(), None
            else:
                report, late = await chain.verify_against(checkpoint)
    except DatabaseUnavailable as error:
        print(f"signoff audit verify: {error}", file=sys.stderr)  # noqa: T201
        return UNREADABLE
    print(describe_report(report, late))  # noqa: T201
    if checkpoint is not None and report.intact and late is None:
        print(f"Checkpoint {checkpoint.hash} found in the chain.")  # noqa: T201
    return OK if report.intact and late is None else BROKEN


async def run_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    if args.post and not settings.checkpoint_chat:
        print("signoff audit checkpoint: --post needs SIGNOFF_CHECKPOINT_CHAT=<Teams "  # noqa: T201
              "conversation id> (the chat the bot posts checkpoints to)", file=sys.stderr)
        return BAD_INPUT
    from storage.audit_chain import SqlAuditChain
    from storage.command_engine import command_engine
    from storage.engine import DatabaseUnavailable

    try:
        async with command_engine(settings.database_url) as engine:
            report = await SqlAuditChain(engine).verify()
            checkpoint = checkpoint_of(report)
            if checkpoint is None:
                print(describe_report(report), file=sys.stderr)  # noqa: T201
                print("signoff audit checkpoint: nothing to checkpoint: the chain is empty "  # noqa: T201
                      "or broken", file=sys.stderr)
                return BROKEN if report.broken else BAD_INPUT
            if args.post:
                await post_checkpoint(engine, checkpoint, settings.checkpoint_chat)
    except DatabaseUnavailable as error:
        print(f"signoff audit checkpoint: {error}", file=sys.stderr)  # noqa: T201
        return UNREADABLE
    if args.json:
        print(json.dumps(checkpoint.as_json(), indent=2))  # noqa: T201
    else:
        print(describe_checkpoint(checkpoint))  # noqa: T201
    if args.post:
        print(f"Queued for chat {settings.checkpoint_chat}: the bot's relay posts it.",  # noqa: T201
              file=sys.stderr)
    return OK


async def post_checkpoint(engine: Any, checkpoint: Checkpoint, chat: str) -> None:
    """Queue the checkpoint in the outbox for the bot's relay, and audit that it was published
    (the audit append is the transaction's last write)."""
    from storage.uow import uow_factory

    clock = SystemClock()
    now = clock.now()
    detail = {k: "" if v is None else str(v) for k, v in checkpoint.as_json().items()}
    async with uow_factory(engine, clock)() as uow:
        await uow.outbox.add(Notification(
            key=f"{AUDIT_CHECKPOINT}:{checkpoint.event_id}:{checkpoint.hash[:16]}:{chat}",
            request_id="", recipient_id=f"{CHAT_PREFIX}{chat}", kind=AUDIT_CHECKPOINT,
            created_at=now, detail=detail,
        ))
        await uow.audit.append(AuditEvent(
            action="audit.checkpoint_posted", outcome="ok", actor_id="cli",
            actor_name=_operator(), at=now, source=Source(channel="cli"),
            detail={**detail, "chat": chat},
        ))
        await uow.commit()


def _operator() -> str:
    """Who ran the command, as the operating system knows them."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
