"""Changing the audit table as only a superuser or its owner can: triggers off, change, on."""

from __future__ import annotations

import importlib

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

APPEND_ONLY = importlib.import_module("storage.migrations.versions.0007_audit_append_only")


async def tamper(engine: AsyncEngine, *statements: str) -> None:
    """Run statements as someone who may switch the triggers off (superuser or owner)."""
    async with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            await connection.execute(text(
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            for statement in APPEND_ONLY.SQLITE_DOWN:
                await connection.execute(text(statement))
        for statement in statements:
            await connection.execute(text(statement))
        if postgres:
            await connection.execute(text(
                "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        else:
            for statement in APPEND_ONLY.SQLITE_UP:
                await connection.execute(text(statement))
