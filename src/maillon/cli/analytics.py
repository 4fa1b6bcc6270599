"""``maillon kpi``: the figures of the whole chain."""

from __future__ import annotations

from maillon.cli.common import DbOption, console, open_db


def kpi(db: DbOption = None) -> None:
    """Print the KPI summary."""
    from maillon.analytics.service import kpi_summary
    from maillon.demo.report import print_kpis

    database = open_db(db)
    with database.reader() as session:
        print_kpis(console, kpi_summary(session=session))
