"""What every command module shares: the console, the ``--db`` option, opening the database
and printing errors."""

from __future__ import annotations

import json
from contextlib import ExitStack
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from rich.console import Console

from maillon.core.db import Database
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.settings import load_settings

console = Console()

DbOption = Annotated[str | None, typer.Option("--db", help="database URL or SQLite file path")]
ACTOR = "cli"
_cleanup: ContextVar[ExitStack | None] = ContextVar("maillon_cli_cleanup", default=None)


def open_db(url: str | None, *, migrate: bool = True) -> Database:
    """Return the database for ``url`` (or the default), with its schema up to date."""
    from maillon.bootstrap import assemble
    from maillon.core.migrate import upgrade

    assemble()
    try:
        db = Database(load_settings(url).database_url)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--db") from None
    stack = _cleanup.get()
    if stack is not None:
        stack.callback(db.dispose)
    if migrate:
        upgrade(db)
    return db


def fail(exc: MaillonError) -> NoReturn:
    """Print an error the way users read it and exit 1."""
    console.print(f"[red]error:[/red] {exc.message}")
    raise typer.Exit(1)


def read_document(path: Path) -> Any:
    """Return the YAML or JSON document in ``path``. Raises ValidationError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(FieldError("file", f"cannot read {path}: {exc.strerror}")) from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(FieldError("file", f"{path} is not valid: {exc}")) from None
