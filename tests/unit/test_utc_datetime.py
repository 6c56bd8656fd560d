"""UTCDateTime binds a time on SQLite in one step (storage/sqltypes.py): the text must be what
process_bind_param followed by SQLAlchemy's own DATETIME processor writes, for every time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.types import TypeDecorator

from storage.sqltypes import UTCDateTime

SQLITE = SQLiteDialect_pysqlite()
FAST = UTCDateTime()._cached_bind_processor(SQLITE)  # what statements use
# What TypeDecorator composes: our process_bind_param, then SQLite's DATETIME processor.
STOCK = TypeDecorator.bind_processor(UTCDateTime().dialect_impl(SQLITE), SQLITE)

zones = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)),
                  st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59))
aware = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                     timezones=st.one_of(st.just(UTC), zones))


@given(aware)
def test_the_one_step_text_is_sqlalchemys_text(value: datetime) -> None:
    assert FAST is not None and STOCK is not None
    assert FAST(value) == STOCK(value)


def test_none_stays_none_and_a_naive_time_is_refused_alike() -> None:
    assert FAST is not None and STOCK is not None
    assert FAST(None) is None and STOCK(None) is None
    naive = datetime(2026, 11, 27, 10, 0)
    for processor in (FAST, STOCK):
        with pytest.raises(ValueError, match="naive datetime"):
            processor(naive)
    assert FAST(datetime(2026, 11, 27, 10, 0, tzinfo=UTC)) == "2026-11-27 10:00:00.000000"
