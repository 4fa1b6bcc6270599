"""Console page of acquisition: the conversion funnel over a period, overall or by device,
channel or landing page, drawn with Plotly and tabled beneath. The page calls
:mod:`maillon.acquisition.service`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from maillon.acquisition import service as acquisition
from maillon.acquisition.funnel import BREAKDOWNS, FunnelReport
from maillon.core import clock
from maillon.core.errors import MaillonError
from maillon.core.users import ConsoleUser
from maillon.web.console import (
    OperatorPage,
    console_router,
    database,
    language,
    on_refusal,
    render,
)
from maillon.web.i18n import translator

router = console_router()


def _parse_day(value: str, name: str) -> date:
    """Return the date ``YYYY-MM-DD`` of a form field. Raises ValueError naming it."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{name}: a date as YYYY-MM-DD") from None


STEP_LABELS = {
    "visit": "Visit",
    "product_view": "Product view",
    "add_to_cart": "Add to cart",
    "purchase": "Purchase",
}
CHART_GROUPS = 6


def _step_label(name: str, t: Callable[[str], str]) -> str:
    """Return the words of a funnel step (``checkout_2`` is "Checkout step 2")."""
    if name.startswith("checkout_"):
        return f"{t('Checkout step')} {name.removeprefix('checkout_')}"
    return t(STEP_LABELS.get(name, name))


def _report_view(report: FunnelReport, t: Callable[[str], str]) -> dict[str, Any]:
    return {
        "sessions": report.sessions,
        "purchases": report.purchases,
        "conversion": report.conversion_rate,
        "cart_sessions": report.cart_sessions,
        "abandoned_carts": report.abandoned_carts,
        "cart_abandonment": report.cart_abandonment_rate,
        "abandoned_value": round(report.abandoned_cart_value),
        "steps": [
            {
                "name": s.name,
                "label": _step_label(s.name, t),
                "sessions": s.sessions,
                "conversion": s.conversion,
                "abandonment": s.abandonment,
                "from_start": s.from_start,
            }
            for s in report.steps
        ],
    }


AcqFrom = Annotated[str, Query(alias="from", max_length=10)]
AcqTo = Annotated[str, Query(alias="to", max_length=10)]
AcqBy = Annotated[str, Query(max_length=20)]
AcqSteps = Annotated[str, Query(max_length=2)]


def _funnel_form(start: str, end: str, by: str, checkout_steps: str) -> dict[str, str]:
    """The funnel form's values, the last 30 days by default."""
    today = clock.now().date()
    return {
        "from": start or (today - timedelta(days=29)).isoformat(),
        "to": end or today.isoformat(),
        "by": by,
        "checkout_steps": checkout_steps or "3",
    }


@router.get("/acquisition", response_class=HTMLResponse)
def acquisition_page(
    request: Request,
    user: OperatorPage,
    start: AcqFrom = "",
    end: AcqTo = "",
    by: AcqBy = "",
    checkout_steps: AcqSteps = "3",
) -> Response:
    """The funnel form; the funnel itself loads from ``/acquisition/funnel`` (an htmx fragment:
    on months of storefront events it can take seconds)."""
    form = _funnel_form(start, end, by, checkout_steps)
    error = None
    try:
        _parse_day(form["from"], "from")
        _parse_day(form["to"], "to")
    except ValueError as exc:
        error = str(exc)
    return render(
        request,
        "acquisition.html",
        user,
        status_code=422 if error else 200,
        form=form,
        query=urlencode(form),
        breakdowns=BREAKDOWNS,
        error=error,
    )


def _funnel_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The refusal in the fragment (status 200, so that htmx swaps it in)."""
    form = _funnel_form(
        values.get("from", ""),
        values.get("to", ""),
        values.get("by", ""),
        values.get("checkout_steps", "3"),
    )
    return render(request, "_acquisition_funnel.html", user, error=exc.message, form=form)


@router.get("/acquisition/funnel", response_class=HTMLResponse)
@on_refusal(_funnel_refused)
def acquisition_funnel(
    request: Request,
    user: OperatorPage,
    start: AcqFrom = "",
    end: AcqTo = "",
    by: AcqBy = "",
    checkout_steps: AcqSteps = "3",
) -> Response:
    """The funnel over ``[from, to]`` (whole days, UTC), overall or by device / channel /
    landing page, with conversion, abandonment and cart value (an htmx fragment). A refused
    input is shown in the fragment (status 200, so that htmx swaps it in)."""
    form = _funnel_form(start, end, by, checkout_steps)
    try:
        first = _parse_day(form["from"], "from")
        last = _parse_day(form["to"], "to")
    except ValueError as exc:
        return render(request, "_acquisition_funnel.html", user, error=str(exc), form=form)
    steps = int(form["checkout_steps"]) if form["checkout_steps"].isdigit() else -1
    with database(request).reader() as session:
        result = acquisition.funnel(
            session=session,
            start=datetime.combine(first, time(0), tzinfo=UTC),
            end=datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC),
            by=by or None,
            checkout_steps=steps,
        )
    t = translator(language(request, user))
    overall = _report_view(result.overall, t)
    groups = [{"key": g.key, **_report_view(g.report, t)} for g in result.groups]
    shown = groups[:CHART_GROUPS] or [{"key": t("All sessions"), **overall}]
    chart = {
        "steps": [s["label"] for s in overall["steps"]],
        "series": [
            {"name": g["key"] or "-", "x": [s["sessions"] for s in g["steps"]]} for g in shown
        ],
    }
    return render(
        request,
        "_acquisition_funnel.html",
        user,
        error=None,
        form=form,
        overall=overall,
        groups=groups,
        chart=chart,
    )
