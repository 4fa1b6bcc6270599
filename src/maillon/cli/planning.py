"""``maillon plan``: planning: demand history, forecasts, policies and replenishment."""

from __future__ import annotations

import typer

plan_app = typer.Typer(
    help="Planning: demand history, forecasts, policies and replenishment.", no_args_is_help=True
)
