"""``maillon delivery``: delivery options, last-mile routes and couriers."""

from __future__ import annotations

import typer

delivery_app = typer.Typer(
    help="Delivery: options at checkout, last-mile routes, route sheets and couriers.",
    no_args_is_help=True,
)
