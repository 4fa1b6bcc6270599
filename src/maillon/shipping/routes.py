"""Shipping routes: carriers, rate shopping, promises, packing, shipping, labels, manifests,
tracking events and carrier webhooks, delays, claims and scorecards."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from maillon.core import clock
from maillon.core.auth import KeyCache, Principal, Role, authenticate, require_role
from maillon.core.db import Database
from maillon.core.errors import (
    AuthenticationError,
    FieldError,
    PermissionDenied,
    ValidationError,
)
from maillon.core.http import ANY_ROLE, DbDep, IdPath, allow, bearer_key
from maillon.orders import service as orders
from maillon.orders.routes import full_order_read
from maillon.orders.schemas import OrderRead
from maillon.orders.schemas import ParcelRead as OrderParcel
from maillon.orders.tables import Order
from maillon.shipping import rates, service
from maillon.shipping.schemas import (
    CarrierAccountRead,
    CarrierAccountSet,
    CarrierCreate,
    CarrierRead,
    ClaimCreate,
    ClaimRead,
    DelayRead,
    DestinationCreate,
    DetectDelaysRead,
    ExclusionRead,
    IgnoredRead,
    PackCreate,
    ParcelRead,
    PrintCreate,
    PromiseAccuracyRead,
    PromiseCreate,
    PromisesRead,
    QuoteRead,
    RateQuoteCreate,
    RatesRead,
    ScorecardRead,
    ScorecardsRead,
    ServicePromiseRead,
    ShipCreate,
    ShipmentParcelRead,
    ShipmentRead,
    TrackingEventCreate,
    TrackingEventRead,
    WebhookRead,
)
from maillon.shipping.service import accounts, documents, follow_up, history, printing, quoting
from maillon.shipping.tables import WEBHOOK_SIGNATURE_HEADER, Shipment
from maillon.warehouse.service import packing_flow

router = APIRouter(tags=["shipping"])
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]
Anyone = Annotated[Principal, Depends(allow(*ANY_ROLE))]
Desk = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]
Admin = Annotated[Principal, Depends(allow())]
PDF = "application/pdf"
ZPL = "application/zpl"


@router.post("/api/v1/carriers", status_code=status.HTTP_201_CREATED, response_model=CarrierRead)
def create_carrier(body: CarrierCreate, db: DbDep, _: Operator) -> CarrierRead:
    """Add a carrier."""
    with db.transaction() as session:
        return CarrierRead.model_validate(
            service.create_carrier(session=session, **body.model_dump())
        )


@router.get("/api/v1/carriers", response_model=list[CarrierRead])
def list_carriers(
    db: DbDep, _: Annotated[Principal, Depends(allow(*ANY_ROLE))]
) -> list[CarrierRead]:
    """List carriers."""
    with db.reader() as session:
        return [CarrierRead.model_validate(c) for c in service.list_carriers(session=session)]


@router.post("/api/v1/orders/{number}/pack", response_model=OrderRead)
def pack(number: str, body: PackCreate, db: DbDep, who: Floor) -> OrderRead:
    """Pack a picked order into parcels (each with an SSCC)."""
    parcels = None
    if body.parcels is not None:
        parcels = [packing_flow.ClosedParcel(**p.model_dump()) for p in body.parcels]
    with db.transaction() as session:
        packing_flow.finish_packing(
            session=session, number=number, parcels=parcels, actor=who.actor
        )
        return full_order_read(session, orders.get_order(session=session, number=number))


@router.post("/api/v1/orders/{number}/ship", response_model=OrderRead)
def ship(number: str, body: ShipCreate, db: DbDep, who: Operator) -> OrderRead:
    """Hand a packed order to a carrier: tracking numbers, stock out, customer told."""
    with db.transaction() as session:
        service.ship_order(
            session=session,
            number=number,
            carrier_code=body.carrier,
            service_code=body.service,
            policy=rates.ShoppingPolicy(objective=rates.Objective(body.policy)),
            actor=who.actor,
        )
        return full_order_read(session, orders.get_order(session=session, number=number))


@router.post("/api/v1/orders/{number}/deliver", response_model=OrderRead)
def deliver(number: str, db: DbDep, who: Operator) -> OrderRead:
    """Confirm delivery by hand (carriers normally report it through tracking events)."""
    with db.transaction() as session:
        follow_up.mark_delivered(session=session, number=number, actor=who.actor)
        return full_order_read(session, orders.get_order(session=session, number=number))


@router.post(
    "/api/v1/tracking/events", status_code=status.HTTP_201_CREATED, response_model=TrackingEventRead
)
def tracking_event(
    body: TrackingEventCreate, db: DbDep, who: Operator, response: Response
) -> TrackingEventRead:
    """Receive a carrier event; replays answer 200 and change nothing."""
    with db.transaction() as session:
        row, created = follow_up.record_tracking_event(
            session=session, event=follow_up.TrackingInput(**body.model_dump()), actor=who.actor
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return TrackingEventRead(
            event_id=row.event_id, status=row.status, occurred_at=row.occurred_at, created=created
        )


def account_read(view: accounts.AccountView) -> CarrierAccountRead:
    """The API's view of a carrier's account (never a secret)."""
    return CarrierAccountRead(
        carrier=view.carrier,
        name=view.name,
        mode=view.mode.value,
        connector=view.connector,
        connector_title=view.connector_title,
        credentials_set=list(view.credential_keys),
        missing_credentials=list(view.missing_credentials),
        base_url=view.base_url,
        label_format=view.label_format.value,
        options=view.options,
        capabilities=sorted(c.value for c in view.capabilities),
        disabled=view.disabled,
    )


@router.get("/api/v1/carrier-accounts", response_model=list[CarrierAccountRead])
def list_carrier_accounts(db: DbDep, _: Admin) -> list[CarrierAccountRead]:
    """Every carrier with its mode (sandbox, live, rate card only) and what it can do."""
    with db.reader() as session:
        return [account_read(v) for v in accounts.account_views(session=session)]


@router.put("/api/v1/carrier-accounts/{carrier}", response_model=CarrierAccountRead)
def set_carrier_account(
    carrier: str, body: CarrierAccountSet, db: DbDep, who: Admin
) -> CarrierAccountRead:
    """Add or change a carrier's API account (credentials stored encrypted)."""
    with db.transaction() as session:
        accounts.set_account(
            session=session, carrier_code=carrier, actor=who.actor, **body.model_dump()
        )
        [view] = accounts.account_views(session=session, carrier_code=carrier)
        return account_read(view)


@router.post("/api/v1/carrier-accounts/{carrier}/disable", response_model=CarrierAccountRead)
def disable_carrier_account(carrier: str, db: DbDep, who: Admin) -> CarrierAccountRead:
    """Put a carrier back on its rate card (its account is kept)."""
    with db.transaction() as session:
        accounts.disable_account(session=session, carrier_code=carrier, actor=who.actor)
        [view] = accounts.account_views(session=session, carrier_code=carrier)
        return account_read(view)


@router.post("/api/v1/shipping/carriers/sync", response_model=list[CarrierRead])
def sync_carriers(db: DbDep, _: Operator) -> list[CarrierRead]:
    """Create the carriers of the rate cards that are missing; return the new ones."""
    with db.transaction() as session:
        return [CarrierRead.model_validate(c) for c in service.sync_carriers(session=session)]


def _quote_read(rank: int, q: rates.Quote) -> QuoteRead:
    return QuoteRead(
        rank=rank,
        carrier=q.carrier,
        service=q.service,
        service_name=q.service_name,
        kind=q.kind.value,
        zone=q.zone,
        total_cents=q.total_cents,
        breakdown=q.breakdown(),
        transit_days=q.transit_days,
        ship_date=q.promise.ship_date if q.promise else None,
        delivery_date=q.promise.delivery_date if q.promise else None,
        on_time_rate=q.on_time_rate,
        on_time_samples=q.on_time_samples,
        expected_days=q.expected_days,
        value_cents=q.value_cents,
        explanation=q.explain(),
    )


@router.post("/api/v1/shipping/rates", response_model=RatesRead)
def shop_rates(body: RateQuoteCreate, db: DbDep, _: Anyone) -> RatesRead:
    """Rank the carriers' services for an order or a parcel under a policy, explained."""
    parcel = destination = None
    if body.parcel is not None:
        parcel = quoting.make_parcel(**body.parcel.model_dump())
    if body.destination is not None:
        destination = quoting.make_destination(**body.destination.model_dump())
    policy = rates.ShoppingPolicy(
        objective=rates.Objective(body.policy),
        value_of_day_cents=body.value_of_day_cents,
        kinds=frozenset(rates.ServiceKind(k) for k in body.kinds) if body.kinds else None,
    )
    with db.reader() as session:
        shop = quoting.shop_rates(
            session=session,
            order_number=body.order,
            parcel=parcel,
            destination=destination,
            policy=policy,
            ordered_at=body.ordered_at,
            carriers=body.carriers,
        )
    result = shop.result
    quotes = [_quote_read(k, q) for k, q in enumerate(result.quotes, start=1)]
    return RatesRead(
        policy=policy.objective.value,
        order=shop.order,
        parcel=ParcelRead(
            weight_g=shop.parcel.weight_g,
            length_mm=shop.parcel.length_mm,
            width_mm=shop.parcel.width_mm,
            height_mm=shop.parcel.height_mm,
            declared_value_cents=shop.parcel.declared_value_cents,
        ),
        destination=DestinationCreate(
            country=shop.destination.country, postcode=shop.destination.postal_code
        ),
        chosen=quotes[0] if quotes else None,
        explanation=result.reason,
        quotes=quotes,
        excluded=[
            ExclusionRead(
                carrier=e.carrier, service=e.service, reason=e.reason.value, detail=e.detail
            )
            for e in result.excluded
        ],
    )


@router.post("/api/v1/shipping/promise", response_model=PromisesRead)
def promise(body: PromiseCreate, db: DbDep, _: Anyone) -> PromisesRead:
    """Return the ship and delivery dates of each service for an order placed now."""
    destination = quoting.make_destination(country=body.country, postcode=body.postcode, field="")
    at = body.ordered_at or clock.now()
    with db.reader() as session:
        options = quoting.promise_options(
            session=session,
            destination=destination,
            ordered_at=at,
            carrier=body.carrier,
            service=body.service,
        )
    return PromisesRead(
        ordered_at=at,
        options=[
            ServicePromiseRead(
                carrier=o.carrier,
                service=o.service,
                service_name=o.service_name,
                kind=o.kind.value,
                zone=o.zone,
                ship_date=o.promise.ship_date,
                delivery_date=o.promise.delivery_date,
                transit_days=o.promise.transit_days,
                cutoff=o.promise.cutoff,
                missed_cutoff=o.promise.missed_cutoff,
                on_time_rate=round(o.on_time_rate, 4),
                on_time_samples=o.on_time_samples,
            )
            for o in options
        ],
    )


def _shipment_read(session: Any, shipment: Shipment) -> ShipmentRead:
    order = orders.get_order(session=session, number=str(shipment.order_id))
    return ShipmentRead(
        id=shipment.id,
        order=order.number,
        warehouse_id=shipment.warehouse_id,
        carrier=shipment.carrier.code if shipment.carrier else None,
        status=shipment.status,
        service_code=shipment.service_code,
        zone=shipment.zone,
        quoted_cents=shipment.quoted_cents,
        quoted_source=shipment.quoted_source,
        promised_on=shipment.promised_on,
        carrier_due_on=shipment.carrier_due_on,
        packed_at=shipment.packed_at,
        shipped_at=shipment.shipped_at,
        delivered_at=shipment.delivered_at,
        delay_flagged_at=shipment.delay_flagged_at,
        delay_reason=shipment.delay_reason,
        parcels=[ShipmentParcelRead.model_validate(p) for p in shipment.parcels],
    )


@router.get("/api/v1/shipments/{shipment_id}", response_model=ShipmentRead)
def get_shipment(shipment_id: IdPath, db: DbDep, _: Anyone) -> ShipmentRead:
    """Return a shipment with its service, cost, promise and parcels."""
    with db.reader() as session:
        shipment = follow_up.get_shipment(session=session, shipment_id=shipment_id)
        return _shipment_read(session, shipment)


@router.get("/api/v1/parcels/{sscc}/label.pdf", response_class=Response)
def parcel_label(
    sscc: Annotated[str, Path(pattern=r"^[0-9]{18}$", description="the parcel's SSCC-18")],
    db: DbDep,
    _: Floor,
) -> Response:
    """Return a parcel's 10x15 cm label (GS1-128 SSCC and tracking barcodes) as a PDF."""
    with db.reader() as session:
        content = documents.parcel_label(session=session, sscc=sscc)
    return Response(
        content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="label-{sscc}.pdf"'},
    )


@router.get("/api/v1/shipments/{shipment_id}/labels.pdf", response_class=Response)
def shipment_labels(shipment_id: IdPath, db: DbDep, _: Floor) -> Response:
    """Return the labels of a shipment's parcels in one PDF (a 10x15 cm page each)."""
    with db.reader() as session:
        content = documents.shipment_labels(session=session, shipment_id=shipment_id)
    return Response(
        content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="shipment-{shipment_id}-labels.pdf"'},
    )


@router.post(
    "/api/v1/shipping/print",
    response_class=Response,
    responses={
        200: {
            "content": {PDF: {}, ZPL: {}},
            "description": "the labels (and packing slips) as one PDF or one ZPL stream",
        }
    },
)
def print_labels(body: PrintCreate, db: DbDep, who: Floor) -> Response:
    """Print labels in batch (at most 200 shipments): one PDF, or one ZPL stream for a Zebra
    thermal printer; the shipments are recorded as printed. 404 for an unknown shipment or
    order, 409 for carrier labels that exist only in the other format, 422 beyond 200."""
    if body.today and body.day is not None:
        raise ValidationError(FieldError("day", "give today or a day, not both"))
    day = printing.local_today() if body.today else body.day
    selection = printing.Selection(
        shipment_ids=tuple(body.shipment_ids),
        orders=tuple(body.orders),
        day=day,
        carrier=body.carrier,
    )
    with db.transaction() as session:
        batch = printing.print_batch(
            session=session,
            selection=selection,
            fmt=body.format,
            with_slips=body.with_slips,
            actor=who.actor,
        )
    return Response(
        batch.content,
        media_type=batch.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{batch.filename}"',
            "X-Maillon-Shipments": ",".join(map(str, batch.shipment_ids)),
        },
    )


@router.get("/api/v1/shipping/manifests", response_class=Response)
def manifest(
    db: DbDep,
    _: Operator,
    carrier: Annotated[str, Query(min_length=1, max_length=30)],
    date: Annotated[dt.date, Query(description="hand-over day (Europe/Paris)")],
    format: Annotated[Literal["csv", "pdf"], Query()] = "csv",
    warehouse: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
) -> Response:
    """Return a carrier's daily manifest (the parcels handed over that day) as CSV or PDF."""
    with db.reader() as session:
        content, media_type, name = documents.manifest_document(
            session=session, carrier_code=carrier, day=date, fmt=format, warehouse_code=warehouse
        )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _webhook_actor(
    db: Database,
    carrier: str,
    raw: bytes,
    signature: str | None,
    key: str | None,
    cache: KeyCache | None,
) -> str:
    """Return who posts a carrier webhook: an operator key (manual replays) or the carrier,
    by the HMAC signature of the body with its secret. Raises AuthenticationError (401)
    naming the signature header, PermissionDenied, NotFound (carrier)."""
    if key is not None:
        try:
            with db.reader() as session:
                principal = authenticate(session=session, raw_key=key, cache=cache)
            require_role(principal, Role.OPERATOR)
            return str(principal.actor)
        except (AuthenticationError, PermissionDenied):
            if signature is None:
                raise
    with db.reader() as session:
        found = service.get_carrier(session=session, code=carrier)
        if found.webhook_signature_ok(raw, signature):
            return f"webhook:{found.code}"
    if signature is None:
        raise AuthenticationError(
            f"send {WEBHOOK_SIGNATURE_HEADER}: sha256=<HMAC-SHA256 of the body with the "
            f"carrier's webhook secret>, or an operator key"
        )
    raise AuthenticationError(
        f"{WEBHOOK_SIGNATURE_HEADER} does not match the body signed with {carrier}'s webhook secret"
    )


def _receive(db: Database, carrier: str, raw: bytes, actor: str) -> follow_up.WebhookResult:
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationError(FieldError("body", "is not JSON")) from None
    with db.transaction() as session:
        return follow_up.receive_webhook(
            session=session, carrier_code=carrier, body=body, actor=actor
        )


@router.post(
    "/api/v1/shipping/webhooks/{carrier}",
    response_model=WebhookRead,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": {}}}, "required": True}
    },
)
async def carrier_webhook(
    carrier: Annotated[str, Path(min_length=1, max_length=30)],
    request: Request,
    db: DbDep,
    signature: Annotated[
        str | None,
        Header(
            alias=WEBHOOK_SIGNATURE_HEADER,
            description="sha256=<hex HMAC-SHA256 of the raw body with the carrier's secret>",
        ),
    ] = None,
    authorization: Annotated[
        str | None, Header(description="Bearer <operator key> for manual replays")
    ] = None,
) -> WebhookRead:
    """Receive a carrier's tracking events in its own format (idempotent, any order).

    The carrier signs the raw body with its webhook secret (``maillon shipping
    webhook-secret``) in ``X-Maillon-Signature``; an operator key is accepted instead for
    manual replays. 401 names the header when neither is good.
    """
    raw = await request.body()
    key = bearer_key(authorization, request)
    cache = getattr(request.app.state, "key_cache", None)
    actor = await run_in_threadpool(_webhook_actor, db, carrier, raw, signature, key, cache)
    result = await run_in_threadpool(_receive, db, carrier, raw, actor)
    return WebhookRead(
        carrier=result.carrier,
        received=result.received,
        created=result.created,
        replayed=result.replayed,
        ignored=[IgnoredRead(index=i.index, code=i.code, reason=i.reason) for i in result.ignored],
    )


@router.post("/api/v1/shipping/detect-delays", response_model=DetectDelaysRead)
def detect_delays(db: DbDep, who: Operator) -> DetectDelaysRead:
    """Notify late shipments and carrier exceptions once (customer notice + after-sales)."""
    with db.transaction() as session:
        notices = follow_up.detect_delays(session=session, actor=who.actor)
    return DetectDelaysRead(
        notified=len(notices),
        notices=[
            DelayRead(shipment_id=n.shipment_id, order=n.order_number, kind=n.kind, reason=n.reason)
            for n in notices
        ],
    )


@router.post(
    "/api/v1/shipments/{shipment_id}/claims",
    status_code=status.HTTP_201_CREATED,
    response_model=ClaimRead,
)
def add_claim(shipment_id: IdPath, body: ClaimCreate, db: DbDep, who: Desk) -> ClaimRead:
    """Record a damage or loss claim against the shipment's carrier."""
    with db.transaction() as session:
        claim = follow_up.add_claim(
            session=session, shipment_id=shipment_id, actor=who.actor, **body.model_dump()
        )
        return ClaimRead.model_validate(claim)


@router.get("/api/v1/shipments/{shipment_id}/claims", response_model=list[ClaimRead])
def list_claims(shipment_id: IdPath, db: DbDep, _: Desk) -> list[ClaimRead]:
    """Return a shipment's claims."""
    with db.reader() as session:
        return [
            ClaimRead.model_validate(c)
            for c in follow_up.claims_of(session=session, shipment_id=shipment_id)
        ]


@router.get("/api/v1/shipping/scorecards", response_model=ScorecardsRead)
def scorecards(
    db: DbDep,
    _: Desk,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
) -> ScorecardsRead:
    """Per carrier and zone: on-time %, transit spread, exceptions, claims, promise accuracy.

    The period is the hand-over days ``from``-``to`` (Europe/Paris), by default the last 30.
    """
    today = clock.now().date()
    end = date_to or today
    start = date_from or end - dt.timedelta(days=29)
    with db.reader() as session:
        rows = history.carrier_scorecards(session=session, day_from=start, day_to=end)
    return ScorecardsRead(
        date_from=start,
        date_to=end,
        rows=[
            ScorecardRead(
                carrier=r.carrier,
                zone=r.zone,
                shipments=r.shipments,
                delivered=r.delivered,
                on_time=r.on_time,
                on_time_rate=r.on_time_rate,
                transit_p50_days=r.transit_p50,
                transit_p90_days=r.transit_p90,
                transit_max_days=r.transit_max,
                exceptions=r.exceptions,
                damage_claims=r.damage_claims,
                loss_claims=r.loss_claims,
                claims_cents=r.claims_cents,
                promise_accuracy=PromiseAccuracyRead(
                    compared=r.promise.count,
                    on_time=r.promise.on_time,
                    on_time_rate=r.promise.on_time_rate,
                    mean_days_late=r.promise.mean_days_late,
                    max_days_late=r.promise.max_days_late,
                ),
            )
            for r in rows
        ],
    )


def order_parcels(session: Session, order: Order) -> list[OrderParcel]:
    """The parcels of ``order``'s shipments, as the order's API answer shows them."""
    return [
        OrderParcel(
            sscc=p.sscc, tracking_number=p.tracking_number, weight_g=p.weight_g, status=p.status
        )
        for x in service.shipments_of(session=session, order=order)
        for p in x.parcels
    ]
