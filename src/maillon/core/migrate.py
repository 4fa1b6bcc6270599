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
    """Upgrade the database schema to ``revision`` (default: the newest)."""
    cfg = alembic_config(db)
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
