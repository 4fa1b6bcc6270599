"""Migrations build exactly the schema the code declares; the database enforces invariants."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from maillon.core.db import Base, Database


def test_migrations_match_the_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_database_refuses_negative_stock(seeded: Database) -> None:
    with pytest.raises(IntegrityError), seeded.transaction() as s:
        s.execute(text("UPDATE stock_levels SET reserved = on_hand + 1"))
