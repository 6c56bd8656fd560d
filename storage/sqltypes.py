"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps it in `timestamptz`. SQLite has no time zone type, so the value is stored
    as naive UTC text and given its UTC zone back when read. Naive input is refused: a time
    without a zone is a bug at its source.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given for a UTC column")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, process_bind_param and SQLite's DATETIME text in one step: the same
        text (naive UTC, microseconds always written), in half the time. A decision binds
        about 25 times."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def utc_text(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.utcoffset() is None:
                raise ValueError(f"naive datetime {value.isoformat()} given for a UTC column")
            # "YYYY-MM-DD HH:MM:SS.ffffff+00:00" without its offset (the year has 4 digits)
            return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]

        return utc_text

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
