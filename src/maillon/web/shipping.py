"""Console pages of shipping: rate comparison, recent shipments with their label and public
tracking links, shipping a packed order, the day's manifests, late shipments, carrier
scorecards, and the public tracking page.

``/shipping`` compares the carriers' services for a parcel (an htmx fragment, also a page of
its own without JavaScript), lists recent shipments, ships a packed order, links the day's
manifests, shows late shipments and loads the carrier scorecards (a fragment: they read a month
of shipments). Everything goes through :mod:`maillon.shipping.service` and
:mod:`maillon.shipping.queries`; a bad input comes back in the page (``role="alert"``), never
as a server error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import ErrorCollector, MaillonError, NotFound, ValidationError
from maillon.core.users import ConsoleUser
from maillon.orders import service as orders
from maillon.orders.model import order_number
from maillon.shipping import queries, rates
from maillon.shipping import service as shipping
from maillon.shipping.model import ShipmentStatus
from maillon.shipping.promise import PARIS_TZ
from maillon.shipping.service import documents, history, printing, quoting
from maillon.shipping.tables import Shipment
from maillon.web.console import (
    FloorForm,
    FloorPage,
    OperatorForm,
    OperatorPage,
    console_router,
    database,
    error_page,
    is_htmx,
    on_refusal,
    parse_day,
    problem,
    render,
)

router = console_router()

PAGE = 30
LATE_LIMIT = 20
SHIPMENT_STATUSES = ("packed", "shipped", "delivered", "exception")
POLICIES = ("best_value", "cheapest", "fastest")
PDF = "application/pdf"
DAY_ERROR = "day: a date such as 2026-11-02"

# What the rate form starts with: a shoebox to Lyon.
RATE_DEFAULTS = {
    "country": "FR",
    "postcode": "69002",
    "weight_g": "1000",
    "length_mm": "300",
    "width_mm": "200",
    "height_mm": "150",
    "policy": "best_value",
}
RATE_FIELDS = tuple(RATE_DEFAULTS)

Text = Annotated[str, Query(max_length=40)]


def _local_today() -> dt.date:
    return clock.now().astimezone(ZoneInfo(PARIS_TZ)).date()


# ------------------------------------------------------------------------- rate comparison


@dataclass(frozen=True)
class RateComparison:
    """The services ranked for the rate form, or the error of its input."""

    form: dict[str, str]
    rows: list[dict[str, Any]]
    reason: str = ""
    excluded: tuple[rates.Exclusion, ...] = ()
    error: str | None = None


def _whole(errors: ErrorCollector, form: Mapping[str, str], name: str) -> int:
    value = form.get(name, "").strip()
    if not value.lstrip("-").isdigit():
        errors.add(name, "must be a whole number")
        return 0
    return int(value)


def compare_rates(*, session: Session, form: Mapping[str, str]) -> RateComparison:
    """Return the services able to carry the form's parcel to its destination, ranked by its
    policy (cost, promised date, on-time rate, explanation). Raises ValidationError,
    NotFound (the input's error)."""
    values = _rate_form(form)
    errors = ErrorCollector()
    dims = {k: _whole(errors, values, k) for k in RATE_FIELDS[2:6]}
    if values["policy"] not in POLICIES:
        errors.add("policy", "use best_value, cheapest or fastest")
    errors.raise_if_any()
    destination = quoting.make_destination(
        country=values["country"], postcode=values["postcode"], field=""
    )
    parcel = quoting.make_parcel(**dims, field="")
    result = quoting.quote_options(
        session=session,
        parcel=parcel,
        destination=destination,
        policy=rates.ShoppingPolicy(objective=rates.Objective(values["policy"])),
    )
    rows = [
        {
            "rank": k,
            "carrier": q.carrier,
            "service": q.service,
            "name": q.service_name,
            "kind": q.kind.value,
            "zone": q.zone,
            "total_cents": q.total_cents,
            "ship_date": q.promise.ship_date if q.promise else None,
            "delivery_date": q.promise.delivery_date if q.promise else None,
            "on_time_pct": None if q.on_time_rate is None else round(100 * q.on_time_rate, 1),
            "samples": q.on_time_samples,
            "explanation": q.explain(),
        }
        for k, q in enumerate(result.quotes, start=1)
    ]
    return RateComparison(values, rows, result.reason, result.excluded)


def _rate_form(form: Mapping[str, str]) -> dict[str, str]:
    """The rate form's fields, trimmed (missing ones empty)."""
    return {k: (form.get(k) or "").strip() for k in RATE_FIELDS}


def _rates_view(request: Request, user: ConsoleUser, comparison: RateComparison) -> Response:
    """The ranked services (an htmx fragment; a page of its own otherwise)."""
    if is_htmx(request):
        return render(request, "_shipping_rates.html", user, comparison=comparison)
    return render(
        request,
        "shipping_rates.html",
        user,
        comparison=comparison,
        rate_form=comparison.form,
        policies=POLICIES,
        status_code=422 if comparison.error else 200,
    )


def _rates_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The rate form with its input's error."""
    return _rates_view(request, user, RateComparison(_rate_form(values), [], error=problem(exc)))


@router.get("/shipping/rates", response_class=HTMLResponse)
@on_refusal(_rates_refused)
def rates_fragment(
    request: Request,
    user: OperatorPage,
    country: Text = "",
    postcode: Text = "",
    weight_g: Text = "",
    length_mm: Text = "",
    width_mm: Text = "",
    height_mm: Text = "",
    policy: Text = "",
) -> Response:
    """The ranked services for a parcel (an htmx fragment; a page of its own otherwise)."""
    form = {
        "country": country,
        "postcode": postcode,
        "weight_g": weight_g,
        "length_mm": length_mm,
        "width_mm": width_mm,
        "height_mm": height_mm,
        "policy": policy,
    }
    with database(request).reader() as session:
        comparison = compare_rates(session=session, form=form)
    return _rates_view(request, user, comparison)


# ------------------------------------------------------------------------------ shipping


def _shipment_row(shipment: Shipment, postcode: str) -> dict[str, Any]:
    numbers = [p.tracking_number for p in shipment.parcels if p.tracking_number]
    return {
        "id": shipment.id,
        "order": order_number(shipment.order_id),
        "carrier": shipment.carrier.code if shipment.carrier else "",
        "carrier_name": shipment.carrier.name if shipment.carrier else "",
        "service": shipment.service_code or "",
        "zone": shipment.zone or "",
        "status": shipment.status,
        "quoted_cents": shipment.quoted_cents,
        "shipped_at": shipment.shipped_at,
        "promised_on": shipment.promised_on,
        "delay_reason": shipment.delay_reason or "",
        "parcels": len(shipment.parcels),
        "tracking": [
            {"number": n, "href": "/track?" + urlencode({"number": n, "postcode": postcode})}
            for n in numbers
        ],
        "label": f"/shipping/shipments/{shipment.id}/labels.pdf" if numbers else None,
    }


def recent_shipments(
    *, session: Session, carrier: str | None, status: str | None, page: int
) -> tuple[list[dict[str, Any]], bool]:
    """Return one page of shipments, newest first, and whether there is a next page."""
    rows = queries.recent_shipments(
        session=session, carrier=carrier, status=status, limit=PAGE + 1, offset=(page - 1) * PAGE
    )
    return [_shipment_row(s, pc) for s, pc in rows[:PAGE]], len(rows) > PAGE


def late_shipments(*, session: Session, today: dt.date) -> list[dict[str, Any]]:
    """Return the shipments in trouble (:func:`maillon.shipping.queries.late_shipments`, at
    most :data:`LATE_LIMIT`), each with the reason it is late."""
    out = []
    for shipment, postcode in queries.late_shipments(
        session=session, today=today, limit=LATE_LIMIT
    ):
        row = _shipment_row(shipment, postcode)
        if not row["delay_reason"]:
            if shipment.status == ShipmentStatus.EXCEPTION:
                row["delay_reason"] = "carrier exception"
            elif shipment.promised_on is not None:
                row["delay_reason"] = f"promised for {shipment.promised_on:%d/%m/%Y}"
        out.append(row)
    return out


def manifests_of_day(*, session: Session, day: dt.date) -> list[dict[str, Any]]:
    """Return each carrier with the parcels handed over on ``day`` and its manifest links."""
    start, end = history.local_day_bounds(day, day)
    counts = queries.parcels_per_carrier(session=session, start=start, end=end)
    out = []
    for carrier in shipping.list_carriers(session=session):
        link = "/shipping/manifest?" + urlencode({"carrier": carrier.code, "date": day.isoformat()})
        out.append(
            {
                "code": carrier.code,
                "name": carrier.name,
                "parcels": int(counts.get(carrier.id, 0)),
                "pdf": f"{link}&format=pdf",
                "csv": f"{link}&format=csv",
            }
        )
    return out


def shipped_result(*, session: Session, number: str) -> dict[str, Any] | None:
    """Return an order's shipments with tracking and label links (None: unknown order)."""
    try:
        order = orders.get_order(session=session, number=number)
    except NotFound:
        return None
    shipments = shipping.shipments_of(session=session, order=order)
    return {
        "order": order.number,
        "shipments": [_shipment_row(s, order.ship_postcode) for s in shipments if s.carrier],
    }


@router.get("/shipping", response_class=HTMLResponse)
def shipping_page(
    request: Request,
    user: OperatorPage,
    carrier: Annotated[str, Query(max_length=30)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    day: Annotated[str, Query(max_length=20)] = "",
    shipped: Annotated[str, Query(max_length=20)] = "",
    error: Annotated[str, Query(max_length=300)] = "",
    number: Annotated[str, Query(max_length=20)] = "",
    print_error: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """Rates, recent shipments, the ship form, today's manifests, late shipments and the
    carrier scorecards (loaded as a fragment)."""
    today = _local_today()
    when = parse_day(day) if day else today
    day_error = DAY_ERROR if when is None else None
    when = when or today
    with database(request).reader() as session:
        carriers = [(c.code, c.name) for c in shipping.list_carriers(session=session)]
        rows, has_next = recent_shipments(
            session=session,
            carrier=carrier or None,
            status=status if status in SHIPMENT_STATUSES else None,
            page=page,
        )
        late = late_shipments(session=session, today=today)
        manifests = manifests_of_day(session=session, day=when)
        result = shipped_result(session=session, number=shipped) if shipped else None
        ready = [order_number(oid) for oid in queries.packed_order_ids(session=session)]
    filters = {"carrier": carrier, "status": status}
    return render(
        request,
        "shipping.html",
        user,
        carriers=carriers,
        statuses_shipment=SHIPMENT_STATUSES,
        shipments=rows,
        page=page,
        has_next=has_next,
        filters=filters,
        query=lambda p: urlencode({**filters, "page": p}),
        late=late,
        manifests=manifests,
        day=when,
        day_error=day_error,
        rate_form=RATE_DEFAULTS,
        policies=POLICIES,
        comparison=None,
        result=result,
        ship_error=error or None,
        number=number or shipped,
        ready=sorted(set(ready)),
        print_error=print_error or None,
        max_batch=printing.MAX_BATCH,
    )


def _ship_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The ship form's refusal: on the shipping page, or in the htmx fragment."""
    error = problem(exc)
    if not is_htmx(request):
        number = values.get("number", "").strip()
        target = "/shipping?" + urlencode({"error": error[:300], "number": number[:20]})
        return RedirectResponse(target, status_code=303)
    return render(request, "_shipping_shipped.html", user, result=None, ship_error=error)


@router.post("/shipping/ship", response_class=HTMLResponse)
@on_refusal(_ship_refused)
def ship_order(
    request: Request,
    user: OperatorForm,
    number: Annotated[str, Form(max_length=20)] = "",
    carrier: Annotated[str, Form(max_length=30)] = "",
    policy: Annotated[str, Form(max_length=20)] = "best_value",
) -> Response:
    """Hand a packed order to a carrier; show its tracking numbers and label link."""
    number = number.strip()
    db = database(request)
    if not number:
        raise ValidationError("order: give the number of a packed order")
    if policy not in POLICIES:
        raise ValidationError("policy: use best_value, cheapest or fastest")
    with db.transaction() as session:
        shipping.ship_order(
            session=session,
            number=number,
            carrier_code=carrier or None,
            policy=rates.ShoppingPolicy(objective=rates.Objective(policy)),
            actor=user.principal.actor,
        )
    if not is_htmx(request):
        return RedirectResponse(f"/shipping?shipped={quote(number)}", status_code=303)
    with db.reader() as session:
        result = shipped_result(session=session, number=number)
    return render(request, "_shipping_shipped.html", user, result=result, ship_error=None)


@router.get("/shipping/shipments/{shipment_id}/labels.pdf")
@on_refusal(error_page)
def shipment_labels(request: Request, _user: FloorPage, shipment_id: int) -> Response:
    """The labels of a shipment's parcels (one PDF, a 10x15 cm page per parcel)."""
    with database(request).reader() as session:
        content = documents.shipment_labels(session=session, shipment_id=shipment_id)
    return Response(
        content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="shipment-{shipment_id}-labels.pdf"'},
    )


def _print_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The print form's refusal, said on the shipping page."""
    target = "/shipping?" + urlencode({"print_error": problem(exc)[:300]}) + "#print-h"
    return RedirectResponse(target, status_code=303)


@router.post("/shipping/print")
@on_refusal(_print_refused)
async def print_labels(request: Request, user: FloorForm) -> Response:
    """Print the ticked shipments' labels (or everything shipped today not printed yet) in one
    PDF or one ZPL stream, with their packing slips when asked; they are recorded as printed."""
    form = await request.form()
    ids = []
    for raw in form.getlist("shipment_ids")[: printing.MAX_BATCH + 1]:
        if not str(raw).isdigit() or len(str(raw)) > 9:
            raise ValidationError("shipment_ids: whole numbers")
        ids.append(int(str(raw)))
    which = str(form.get("which") or "selected")
    selection = printing.Selection(
        shipment_ids=tuple(ids) if which == "selected" else (),
        day=printing.local_today() if which == "today" else None,
    )
    fmt = str(form.get("format") or "pdf")[:5]
    with_slips = bool(form.get("with_slips"))
    with database(request).transaction() as session:
        batch = printing.print_batch(
            session=session,
            selection=selection,
            fmt=fmt,
            with_slips=with_slips,
            actor=user.principal.actor,
        )
    return Response(
        batch.content,
        media_type=batch.media_type,
        headers={"Content-Disposition": f'attachment; filename="{batch.filename}"'},
    )


@router.get("/shipping/manifest")
@on_refusal(error_page)
def manifest(
    request: Request,
    _user: OperatorPage,
    carrier: Annotated[str, Query(min_length=1, max_length=30)],
    date: Annotated[dt.date, Query()],
    format: Annotated[Literal["csv", "pdf"], Query()] = "pdf",
) -> Response:
    """A carrier's manifest of the parcels handed over on ``date`` (PDF or CSV)."""
    with database(request).reader() as session:
        content, media_type, name = documents.manifest_document(
            session=session, carrier_code=carrier, day=date, fmt=format
        )
    disposition = "inline" if format == "pdf" else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


def scorecard_figures(*, session: Session, days: int) -> dict[str, Any]:
    """Return the carrier scorecards of the last ``days`` days as table rows and the
    on-time % per carrier (x) and zone (one bar series each) for the chart."""
    end = _local_today()
    start = end - dt.timedelta(days=days - 1)
    cards = history.carrier_scorecards(session=session, day_from=start, day_to=end)
    carriers = sorted({r.carrier for r in cards})
    zones = sorted({r.zone for r in cards}, key=lambda z: (z != "*", z))
    by_key = {(r.carrier, r.zone): r for r in cards}
    series = [
        {
            "name": "all zones" if zone == "*" else zone,
            "x": carriers,
            "y": [
                None
                if (r := by_key.get((c, zone))) is None or r.on_time_rate is None
                else round(100 * r.on_time_rate, 1)
                for c in carriers
            ],
        }
        for zone in zones
    ]
    return {"start": start, "end": end, "rows": cards, "series": series}


@router.get("/shipping/scorecards", response_class=HTMLResponse)
def scorecards_fragment(
    request: Request, user: OperatorPage, days: Annotated[int, Query(ge=1, le=90)] = 30
) -> Response:
    """Carrier scorecards over the last ``days`` days: a table and an on-time bar chart (an
    htmx fragment)."""
    with database(request).reader() as session:
        figures = scorecard_figures(session=session, days=days)
    return render(request, "_shipping_scorecards.html", user, days=days, **figures)


# ------------------------------------------------------------------------------ tracking

NO_PARCEL = "No parcel matches this tracking number and postal code."


def _track_view(
    request: Request, number: str, postcode: str, result: Any = None, error: str | None = None
) -> Response:
    return render(
        request,
        "track.html",
        None,
        status_code=404 if error else 200,
        result=result,
        error=error,
        number=number,
        postcode=postcode,
    )


def _track_refused(
    request: Request, _user: ConsoleUser | None, _exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """Unknown parcel or wrong postal code: one answer for both, so nothing leaks."""
    return _track_view(
        request, values.get("number", ""), values.get("postcode", ""), error=NO_PARCEL
    )


@router.get("/track", response_class=HTMLResponse)
@on_refusal(_track_refused)
def track_page(
    request: Request,
    number: Annotated[str | None, Query(max_length=40)] = None,
    postcode: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    """The public tracking page: a parcel's events, for whoever knows its number and postal
    code (no sign-in)."""
    result = None
    if number and postcode:
        with database(request).reader() as session:
            result = shipping.public_tracking(
                session=session, tracking_number=number, postcode=postcode
            )
    return _track_view(request, number or "", postcode or "", result=result)
