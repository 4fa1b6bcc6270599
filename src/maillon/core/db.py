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

from collections.abc import Iterator, Sequence
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
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
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


def insert_now(session: Session, objects: Sequence[Any]) -> None:
    """Insert new ``objects`` of one mapped class now, in one ``INSERT ... RETURNING``, and
    make them persistent in ``session``, as ``session.add`` and a flush would, without the
    unit of work's bookkeeping: on the order intake a flush cost several times its statement.

    Each object's columns are those set on it; a column left unset takes its scalar default,
    else NULL, else what the database gives (read back by the same statement). Foreign keys
    must be set as columns: relationships are not followed, and pending objects of the session
    are not flushed first. Raises ValueError for objects of different classes or with
    different columns set, or a column left unset whose default is computed.
    """
    if not objects:
        return
    cls = type(objects[0])
    mapper = sa_inspect(cls)
    table = mapper.local_table
    rows: list[dict[str, Any]] = []
    for obj in objects:
        if type(obj) is not cls:
            raise ValueError(f"insert_now takes objects of one class, not {cls} and {type(obj)}")
        state = obj.__dict__
        row: dict[str, Any] = {}
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            if prop.key in state:
                row[column.key] = state[prop.key]
            elif column.default is not None:
                if not column.default.is_scalar:
                    raise ValueError(f"{cls.__name__}.{prop.key} must be set (computed default)")
                row[column.key] = column.default.arg  # type: ignore[attr-defined]
            elif column.nullable and not column.primary_key and column.server_default is None:
                row[column.key] = None
        rows.append(row)
    keys = tuple(rows[0])
    if any(tuple(row) != keys for row in rows):
        raise ValueError(f"the {cls.__name__} objects must have the same columns set")
    statement = _INSERTS_NOW.get((table, keys))
    if statement is None:
        returned = [c for c in table.columns if c.key not in keys] or list(table.primary_key)
        statement = insert(table).returning(*returned, sort_by_parameter_order=True)
        _INSERTS_NOW[(table, keys)] = statement
    result = session.connection().execute(statement, rows if len(rows) > 1 else rows[0])
    attribute = {prop.columns[0].key: prop.key for prop in mapper.column_attrs}
    for obj, row, back in zip(objects, rows, result.mappings(), strict=True):
        for key, value in (*row.items(), *back.items()):
            obj.__dict__[attribute[key]] = value
        make_transient_to_detached(obj)
        session.add(obj)


_INSERTS_NOW: dict[tuple[Table, tuple[str, ...]], Any] = {}


def insert_pending(session: Session, *classes: type) -> None:
    """Insert the pending objects of ``classes`` now with :func:`insert_now`: one statement a
    class, in the order given, each class's objects in the order they were added. For rows
    a use case accumulates (timeline events, outbox messages) whose foreign keys are set as
    columns; other pending objects stay for the next flush."""
    for cls in classes:
        pending = [obj for obj in session.new if type(obj) is cls]
        for obj in pending:
            session.expunge(obj)
        insert_now(session, pending)


def utc_day(dialect: str, column: Any) -> Any:
    """SQL for the UTC calendar day of a :class:`UtcDateTime` column, read back as a ``date``
    (``dialect``: the session's, e.g. ``session.get_bind().dialect.name``)."""
    if dialect == "sqlite":
        return func.date(column, type_=Date)  # stored as UTC text
    return cast(func.timezone("UTC", column), Date)
