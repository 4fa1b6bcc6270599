"""Database engine, declarative base and the unit of work.

One use case is one transaction: :meth:`Database.transaction` opens it, the service functions
work inside it with the session they are given and never commit, and the block commits on
success or rolls back on any exception.

On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so two writers queue on the
database lock instead of failing when one upgrades from reading to writing; the file runs in
WAL mode so readers never wait for writers. On PostgreSQL, transactions are READ COMMITTED and
stock is taken with conditional updates, which re-check their condition after a row lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Engine,
    MetaData,
    Table,
    cast,
    create_engine,
    event,
    func,
    insert,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import FromClause
from sqlalchemy.types import TypeDecorator

from maillon.core.settings import normalise_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone).

    Naive datetimes are refused on write, so no local time slips in unnoticed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC time is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("maillon_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """An engine plus the two ways to use it: a write transaction or a read session."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size * 6
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._write = sessionmaker(
            bind=self.engine.execution_options(maillon_write=True), expire_on_commit=False
        )
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is an SQLite file."""
        return self.url.startswith("sqlite")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Yield a session inside one write transaction: commit on success, roll back on error."""
        with self._write() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """Yield a session for reading; closing it rolls back anything written, and the
        objects read stay usable (detached, not expired) after the block."""
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def insert_rows(session: Session, table: FromClause, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (same keys each) into ``table`` as one multi-row INSERT.

    Executed as an executemany of an ``INSERT ... RETURNING``, which SQLAlchemy sends as one
    ``VALUES (...), (...)`` statement per batch ("insertmanyvalues") from a compiled form it
    caches; ``insert(table).values(rows)`` would compile anew at every call, and a plain
    executemany is one statement a row on PostgreSQL.
    """
    assert isinstance(table, Table), "a mapped class's __table__"
    if rows:
        statement = _INSERTS.get(table)
        if statement is None:
            statement = _INSERTS[table] = insert(table).returning(*table.primary_key.columns)
        session.execute(statement, rows)


_INSERTS: dict[Table, Any] = {}
"""The statements of :func:`insert_rows`, built once per table (building one costs more than
sending it)."""


def utc_day(dialect: str, column: Any) -> Any:
    """SQL for the UTC calendar day of a :class:`UtcDateTime` column, read back as a ``date``
    (``dialect``: the session's, e.g. ``session.get_bind().dialect.name``)."""
    if dialect == "sqlite":
        return func.date(column, type_=Date)  # stored as UTC text
    return cast(func.timezone("UTC", column), Date)
