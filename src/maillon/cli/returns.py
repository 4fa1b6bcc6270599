"""``maillon returns``: returns: RMAs, inspection, refunds and the tamper-evident record."""

from __future__ import annotations

import typer

returns_app = typer.Typer(
    help="Returns: RMAs, inspection, refunds and the tamper-evident record.", no_args_is_help=True
)
