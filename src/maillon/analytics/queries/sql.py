"""SQL expressions the KPI queries share, written once for SQLite and PostgreSQL: durations
in seconds, quarter-hour buckets, UTC days, months and period labels, the constant label of
an unsplit table and the GROUP BY that leaves it out."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Date, Integer, case, cast, func, literal_column

from maillon.core.db import utc_day

QUARTER_HOUR = 900.0
NONE_LABEL = "(none)"
ALL = literal_column("'all'")
"""The label of the one row of a table not split by a dimension."""


def group_cols(*columns: Any) -> list[Any]:
    """The GROUP BY columns but the constant ``'all'`` (PostgreSQL refuses a constant there)."""
    return [c for c in columns if c is not ALL]


def seconds(dialect: str, later: Any, earlier: Any) -> Any:
    """SQL for ``later - earlier`` in seconds on this dialect."""
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def bucket(dialect: str, duration: Any) -> Any:
    """SQL for the 15-minute bucket index of a duration in seconds."""
    width = literal_column("900.0")  # inline, so SELECT and GROUP BY hold the same expression
    if dialect == "sqlite":
        return cast(duration / width, Integer)
    return func.floor(duration / width)


def period(dialect: str, column: Any, by: str) -> Any:
    """SQL for the day / ISO week / month label of a timestamp (UTC)."""
    if dialect == "sqlite":
        fmt = {"day": "%Y-%m-%d", "week": "%Y-W%W", "month": "%Y-%m"}[by]
        return func.strftime(fmt, column)
    fmt = {"day": "YYYY-MM-DD", "week": 'IYYY-"W"IW', "month": "YYYY-MM"}[by]
    return func.to_char(func.timezone("UTC", column), fmt)


def day_period(dialect: str, day: Any, by: str) -> Any:
    """SQL for the day / week / month label of a UTC day, the same as :func:`period` gives
    for the timestamps of that day."""
    if dialect == "sqlite":
        fmt = {"day": "%Y-%m-%d", "week": "%Y-W%W", "month": "%Y-%m"}[by]
        return func.strftime(fmt, day)
    fmt = {"day": "YYYY-MM-DD", "week": 'IYYY-"W"IW', "month": "YYYY-MM"}[by]
    return func.to_char(day, fmt)


def as_bool(condition: Any) -> Any:
    return cast(case((condition, 1), else_=0), Boolean)


def epoch(dialect: str, column: Any) -> Any:
    """SQL for a timestamp as seconds since 1970 (UTC)."""
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


def greatest(dialect: str, a: Any, b: Any) -> Any:
    return func.max(a, b) if dialect == "sqlite" else func.greatest(a, b)


def day_of(dialect: str, column: Any) -> Any:
    """SQL for the UTC day of a timestamp (as :func:`period` buckets it by day)."""
    return utc_day(dialect, column)


def month_of(dialect: str, column: Any) -> Any:
    """SQL for the first day of the UTC calendar month of a timestamp."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-01", column, type_=Date)
    return cast(func.date_trunc("month", func.timezone("UTC", column)), Date)
