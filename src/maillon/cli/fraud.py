"""``maillon fraud``: fraud scoring: review queue, training and the model card."""

from __future__ import annotations

import typer

fraud_app = typer.Typer(
    help="Fraud scoring: review queue, training and the model card.", no_args_is_help=True
)
