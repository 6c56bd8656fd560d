"""Fixtures of the integration suite; databases come from tests/conftest.py."""

from __future__ import annotations

import pytest

from approvals.catalog import Catalog
from tests.integration.support import FixedClock, make_catalog


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def catalog() -> Catalog:
    return make_catalog()
