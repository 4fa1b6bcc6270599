"""Alembic environment: runs on the connection Maillon hands it, or on the configured URL."""

from __future__ import annotations

from alembic import context

from maillon.bootstrap import load_tables
from maillon.core.db import Base, Database, UtcDateTime

load_tables()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection (SQLite runs in batch mode for ALTERs)."""
    connection = config.attributes.get("connection")
    if connection is None:
        db = Database(config.get_main_option("sqlalchemy.url") or "")
        with db.engine.connect() as conn:
            _run(conn)
        db.dispose()
    else:
        _run(connection)


def render_item(type_: str, obj: object, _autogen_context: object) -> str | bool:
    """Write Maillon's column types as plain SQLAlchemy types in migrations."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
