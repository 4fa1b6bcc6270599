"""``maillon shipping``: shipping: carriers, rates, labels, manifests and tracking."""

from __future__ import annotations

import typer

shipping_app = typer.Typer(
    help="Shipping: carriers, rates, labels, manifests and tracking.", no_args_is_help=True
)
