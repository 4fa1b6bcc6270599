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


def test_upgrade_keeps_existing_orders(tmp_path: object, db_url: str) -> None:
    """Migrating a database that already holds orders keeps them (SQLite rebuilds tables)."""
    from sqlalchemy import text as sql

    from maillon.core.migrate import upgrade

    if not db_url.startswith("sqlite"):
        db = Database(db_url)  # PostgreSQL: same check on a fresh schema at 0001
        with db.engine.begin() as conn:
            conn.execute(sql("DROP SCHEMA public CASCADE"))
            conn.execute(sql("CREATE SCHEMA public"))
    else:
        from pathlib import Path

        path = Path(str(tmp_path)) / "old.db"
        db = Database(f"sqlite:///{path}")
    upgrade(db, "0001")
    with db.engine.begin() as conn:
        conn.execute(
            sql(
                "INSERT INTO customers (id, email, name, phone, created_at) "
                "VALUES (1, 'a@b.fr', 'A', '', '2026-11-01 10:00:00')"
            )
        )
        conn.execute(
            sql(
                "INSERT INTO orders (id, channel, external_id, customer_id, status, currency, "
                "total_cents, ship_name, ship_line1, ship_line2, ship_postcode, ship_city, "
                "ship_country, ship_phone, note, created_at, updated_at) VALUES (1, 'api', 'X', 1, "
                "'confirmed', 'EUR', 100, 'A', '1 rue', '', '69002', 'Lyon', 'FR', '', '', "
                "'2026-11-01 10:00:00', '2026-11-01 10:00:00')"
            )
        )
    upgrade(db)
    with db.engine.connect() as conn:
        assert conn.execute(sql("SELECT count(*) FROM orders")).scalar() == 1
        assert conn.execute(sql("SELECT address_id FROM orders")).scalar() is None
    db.dispose()
