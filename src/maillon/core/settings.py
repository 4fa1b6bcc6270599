"""Where Maillon keeps its data and which database it talks to, and the environment
variables other packages read their settings from.

Nothing here runs at import time: call :func:`load_settings` where a process starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir


@dataclass(frozen=True)
class Settings:
    """Process-wide settings, resolved once at start-up."""

    database_url: str
    data_dir: Path


def default_data_dir() -> Path:
    """Return the data folder: ``MAILLON_DATA_DIR`` or the user's data folder."""
    env = os.environ.get("MAILLON_DATA_DIR")
    return Path(env) if env else Path(user_data_dir("maillon", appauthor=False))


def normalise_url(url: str) -> str:
    """Return ``url`` with the driver Maillon uses (psycopg 3 for PostgreSQL).

    A bare file path is taken as an SQLite file. Raises ValueError for an unsupported scheme.
    """
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("postgresql+psycopg", "sqlite", "sqlite+pysqlite"):
        return url
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")


def load_settings(database_url: str | None = None) -> Settings:
    """Return settings: ``database_url`` if given, else ``MAILLON_DATABASE_URL``, else SQLite.

    The default SQLite file lives in the data folder, which is created if missing.
    """
    data_dir = default_data_dir()
    url = database_url or os.environ.get("MAILLON_DATABASE_URL")
    if not url:
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'maillon.db'}"
    return Settings(database_url=normalise_url(url), data_dir=data_dir)


def environment_values(names: Iterable[str]) -> dict[str, str]:
    """Return the environment variables ``names`` that are set, by name: the settings a
    package reads beyond these (it names its own variables and parses their values), read at
    the time of the call."""
    return {name: os.environ[name] for name in names if name in os.environ}
