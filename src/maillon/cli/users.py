"""``maillon users``: the people who sign in to the console."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from maillon.cli.common import DbOption, console, fail, open_db
from maillon.core.errors import MaillonError

users_app = typer.Typer(help="Console users (username, password, role).", no_args_is_help=True)


@users_app.command("create")
def create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, operator, picker or agent")],
    name: Annotated[str, typer.Option(help="the name shown in the console")] = "",
    language: Annotated[str | None, typer.Option(help="fr or en (default: the browser's)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create a user; the password is asked for (or read from standard input)."""
    from maillon.core.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            console.print("[red]error:[/red] password: the two entries differ")
            raise typer.Exit(1)
    database = open_db(db)
    try:
        with database.transaction() as session:
            user = create_user(
                session=session,
                username=username,
                password=password,
                role=role,
                display_name=name,
                language=language,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(f"created user {user.username} ({user.role})")


@users_app.command("list")
def list_(db: DbOption = None) -> None:
    """List the users."""
    from maillon.core.users import list_users

    database = open_db(db)
    with database.reader() as session:
        users = list_users(session=session)
    table = Table("username", "name", "role", "language", "active", "last sign-in")
    for u in users:
        table.add_row(
            u.username,
            u.display_name,
            u.role,
            u.language or "",
            "yes" if u.active else "no",
            u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "",
        )
    console.print(table)


@users_app.command("disable")
def disable(username: str, db: DbOption = None) -> None:
    """Disable a user and end their sessions."""
    from maillon.core.users import set_active

    database = open_db(db)
    try:
        with database.transaction() as session:
            set_active(session=session, username=username, active=False)
    except MaillonError as exc:
        fail(exc)
    console.print(f"disabled {username}")
