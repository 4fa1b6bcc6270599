"""Database helpers for tests: an API key for a role, the row count of every table (to prove a
request wrote nothing), and the statements a block of code sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select

from maillon.core.auth import create_key
from maillon.core.db import Base, Database


def api_key(db: Database, role: str) -> str:
    """Create an API key of ``role``; return its secret."""
    with db.transaction() as session:
        _row, raw = create_key(session=session, role=role, name=f"test {role}")
    return raw


def row_counts(db: Database) -> dict[str, int]:
    """Return the number of rows in every table (to prove a request wrote nothing)."""
    with db.reader() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
