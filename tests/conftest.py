"""Shared fixtures: a freshly migrated database per test, on SQLite or PostgreSQL.

By default each test gets its own SQLite file, copied from one migrated template. When
``MAILLON_TEST_DATABASE_URL`` names a PostgreSQL server (``make test`` starts one), each test
that uses a database gets its own there, created from a migrated template database, and the
tests that use none are left out (they have run on SQLite).

The suite runs on several processes (pytest-xdist, ``make test`` uses two): each worker is a
pytest session of its own, so it builds its own template (in its own temporary folder, or as a
PostgreSQL database named after the worker), and nothing here is shared between workers but
the PostgreSQL server, where every name is unique.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.rich_utils
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import create_engine, text

from maillon.app import create_app
from maillon.bootstrap import assemble
from maillon.cli.common import console as cli_console
from maillon.core import jobs, outbox
from maillon.core.db import Database
from maillon.core.migrate import upgrade
from maillon.core.settings import normalise_url
from tests.helpers import seed_basic
from tests.helpers.database import api_key
from tests.helpers.servers import maillon_serve

PG_URL = os.environ.get("MAILLON_TEST_DATABASE_URL")
settings.register_profile("maillon", deadline=None)
settings.load_profile("maillon")
"""No per-example deadline for property tests (a test's own ``@settings`` still wins): they
check results, not speed, and a machine busy with other workers can make any example slow."""

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
"""The xdist worker running this session (``gw0``, ``gw1``...), ``main`` without xdist."""


def pytest_report_header() -> str:
    return f"maillon test database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite files'}"


CLI_WIDTH = 500
"""The width of the CLI's output in tests: wider than any message, temporary path included."""


@pytest.fixture(autouse=True)
def _no_engine_left_installed() -> Iterator[None]:
    """A test that installs the worker engine (it wakes jobs and nudges the outbox after each
    commit, process-wide) leaves none behind for the next test."""
    yield
    jobs.wake_with(None)
    outbox.nudge_with(None)


@pytest.fixture(autouse=True, scope="session")
def _wide_cli_output() -> Iterator[None]:
    """Print the CLI's output on one fixed, wide console, so no test depends on the width.

    Rich wraps at the terminal's width (``COLUMNS``, the tty, else 80), read when a console is
    made: a message naming a temporary path broke where that path's length decided ("is not
    \\nvalid"), and a narrow terminal broke more. The CLI prints through one module-level
    console, Typer its usage errors through consoles it makes with ``MAX_WIDTH``; both are
    set here, not ``COLUMNS``, which would also stretch pytest's own report."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli_console, "width", CLI_WIDTH)
        mp.setattr(typer.rich_utils, "MAX_WIDTH", CLI_WIDTH)
        yield


@pytest.fixture(autouse=True, scope="session")
def _own_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep what a command writes to the data folder (default SQLite file, fraud model cards)
    in this worker's temporary folder, not in the user's, where workers would share it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAILLON_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        yield


DATABASE_FIXTURES = frozenset({"_template", "db_url", "db"})
"""A test that uses one of these (directly or through another fixture) reads a database."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, run only the tests that use a database: the others (pure logic, about
    two thirds of the suite) do not depend on it, and ``make test`` has just run them on SQLite.
    ``MAILLON_TEST_ALL_ON_PG=1`` runs everything on PostgreSQL anyway."""
    if not PG_URL or os.environ.get("MAILLON_TEST_ALL_ON_PG") == "1":
        return
    keep, drop = [], []
    for item in items:
        uses = DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        (keep if uses else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assemble()
    if PG_URL:
        admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
        name = f"maillon_tpl_{WORKER}_{uuid.uuid4().hex[:8]}"  # one per worker and run
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        base = normalise_url(PG_URL).rsplit("/", 1)[0]
        db = Database(f"{base}/{name}")
        upgrade(db)
        db.dispose()
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        yield str(path)


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a freshly migrated, empty database for this test."""
    if PG_URL:
        admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
        name = f"maillon_t_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_template}"'))
        yield f"{normalise_url(PG_URL).rsplit('/', 1)[0]}/{name}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path / "maillon.db"
        shutil.copy(_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """The test's database."""
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def seeded(db: Database) -> Database:
    """The test's database with two warehouses, products, stock and a carrier."""
    seed_basic(db)
    return db


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    """An HTTP client on the app bound to the test's database."""
    with TestClient(create_app(db)) as c:
        yield c


@pytest.fixture
def keys(db: Database) -> dict[str, str]:
    """One API key per role, as Authorization headers."""
    return {role: api_key(db, role) for role in ("admin", "operator", "picker", "agent")}


@pytest.fixture
def auth(keys: dict[str, str]) -> dict[str, dict[str, str]]:
    """Authorization headers per role."""
    return {role: {"Authorization": f"Bearer {k}"} for role, k in keys.items()}


@pytest.fixture
def live_server(db_url: str, tmp_path: Path) -> Iterator[str]:
    """The console and API served by ``maillon serve`` in its own process on a free port;
    yields its base URL."""
    with maillon_serve(db_url, tmp_path / "server.log") as base:
        yield base
