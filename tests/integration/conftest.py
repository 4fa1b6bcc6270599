"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from maillon.core.db import Database
from tests.helpers.planning import seed_history


@pytest.fixture
def history(seeded: Database) -> Database:
    """ACME sells MUG-01 (MOQ 10, packs of 5) and LAMP-02; ten days of one mug a day."""
    return seed_history(seeded)
