"""``maillon care``: after-sales: tickets, SLAs, intents and the FAQ assistant."""

from __future__ import annotations

import typer

care_app = typer.Typer(
    help="After-sales: tickets, SLAs, intents and the FAQ assistant.", no_args_is_help=True
)
