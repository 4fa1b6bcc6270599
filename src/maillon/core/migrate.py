"""Builds and upgrades the schema with Alembic (never ``create_all``)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from maillon.core.db import Database


def alembic_config(db: Database) -> Config:
    """Return an Alembic config pointing at Maillon's migrations and ``db``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("maillon") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Upgrade the database schema to ``revision`` (default: the newest).

    On SQLite, altering a table means rebuilding it, which foreign keys forbid while they are
    enforced; as SQLite's documentation prescribes, enforcement is switched off for the
    migration (outside any transaction) and every reference is checked afterwards.
    Raises RuntimeError if the migrated data breaks a foreign key (nothing is committed then).
    """
    cfg = alembic_config(db)
    with db.engine.connect() as connection:
        raw = connection.connection.driver_connection if db.is_sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
                if raw is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
