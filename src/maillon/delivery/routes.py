"""Delivery routes: options at checkout, zones and slots, click & collect, route plans and
sheets, couriers and the micro-warehouse what-if."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.responses import JSONResponse

from maillon.core import clock
from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, IdPath, JobAccepted, Page, PageDep, allow
from maillon.delivery import eta, service
from maillon.delivery.model import StopStatus
from maillon.delivery.schemas import (
    AssignmentCreate,
    AssignmentRead,
    AssignRead,
    AvailabilityUpdate,
    BookingCreate,
    BookingRead,
    CarrierOptionRead,
    CollectCreate,
    CollectLineRead,
    CollectLink,
    CollectOptionRead,
    CollectRead,
    CourierCreate,
    CourierRead,
    JobCreate,
    JobRead,
    OptionsCreate,
    OptionsRead,
    PlanCreate,
    PlanRead,
    RelayPointRead,
    ReplanCreate,
    SlotGenerationCreate,
    SlotRead,
    StopRead,
    StoreRead,
    StoreUpdate,
    SweepRead,
    TemplateCreate,
    TemplateRead,
    VehiclePlanRead,
    WhatIfCreate,
    WhatIfRead,
    ZoneCreate,
    ZoneRead,
    ZoneUpdate,
    hhmm,
    minutes,
)
from maillon.delivery.service import collect, courier_jobs, lastmile, route_jobs, what_if
from maillon.delivery.tables import (
    CollectReservation,
    CollectStore,
    Courier,
    CourierJob,
    DeliverySlot,
    DeliverySlotBooking,
    DeliveryZone,
    RoutePlan,
    RouteStop,
)
from maillon.inventory.tables import Warehouse
from maillon.orders.choice import DeliveryMethod
from maillon.orders.model import order_number
from maillon.orders.schemas import DeliveryChoiceCreate, RelayPointCreate, SlotCreate
from maillon.shipping import rates
from maillon.shipping.methods import method_of_kind

router = APIRouter(prefix="/api/v1/delivery", tags=["delivery"])
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Desk = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]
Anyone = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT, Role.PICKER))]
Code = Annotated[str, Path(min_length=1, max_length=40)]


def slot_read(slot: DeliverySlot) -> SlotRead:
    """Return the response model of a slot."""
    return SlotRead(
        id=slot.id,
        zone=slot.zone.code,
        day=slot.day,
        start=hhmm(slot.start_min),
        end=hhmm(slot.end_min),
        capacity=slot.capacity,
        booked=slot.booked,
        remaining=max(0, slot.capacity - slot.booked),
        fee_cents=slot.fee_cents,
    )


def _carrier(o: service.CarrierOption) -> CarrierOptionRead:
    choice = DeliveryChoiceCreate(
        method=method_of_kind(rates.ServiceKind(o.kind)),
        carrier=o.carrier,
        service=o.service,
        promised_on=o.delivery_date,
        price_cents=o.price_cents,
    )
    return CarrierOptionRead(**o.__dict__, choice=choice)


def _relay_choice(r: service.RelayOption) -> DeliveryChoiceCreate:
    return DeliveryChoiceCreate(
        method=DeliveryMethod.RELAY_POINT,
        carrier=r.near.point.network,
        service=r.option.service,
        relay_point=RelayPointCreate(carrier=r.near.point.network, id=r.near.point.id),
        promised_on=r.option.delivery_date,
        price_cents=r.option.price_cents,
    )


def _slot_option(slot: DeliverySlot) -> SlotRead:
    read = slot_read(slot)
    read.choice = DeliveryChoiceCreate(
        method=DeliveryMethod.APPOINTMENT,
        slot=SlotCreate(id=slot.id),
        promised_on=slot.day,
        price_cents=slot.fee_cents,
    )
    return read


@router.post("/options", response_model=OptionsRead)
def post_options(body: OptionsCreate, db: DbDep, _: Desk) -> OptionsRead:
    """Delivery options for a cart and an address: home, express, relay points, click &
    collect and appointment slots, with prices and promised dates."""
    parcel = None
    if body.parcel is not None:
        parcel = rates.RateParcel(**body.parcel.model_dump())
    with db.reader() as session:
        got = service.delivery_options(
            session=session,
            country=body.country,
            postcode=body.postcode,
            city=body.city,
            lines=[(x.sku, x.quantity) for x in body.lines],
            parcel=parcel,
            ordered_at=body.ordered_at,
            relay_limit=body.relay_limit,
        )
        slots = [_slot_option(s) for s in got.slots]
    return OptionsRead(
        postcode=got.postcode,
        city=got.city,
        country=got.country,
        lat=got.lat,
        lon=got.lon,
        weight_g=got.weight_g,
        zone=got.zone,
        home=[_carrier(o) for o in got.home],
        express=[_carrier(o) for o in got.express],
        relay_points=[
            RelayPointRead(
                id=r.near.point.id,
                network=r.near.point.network,
                name=r.near.point.name,
                address=r.near.point.address,
                postcode=r.near.point.postcode,
                city=r.near.point.city,
                lat=r.near.point.lat,
                lon=r.near.point.lon,
                opening_hours=r.near.point.opening_hours,
                distance_km=r.near.distance_km,
                price_cents=r.option.price_cents,
                service=r.option.service,
                service_name=r.option.name,
                delivery_date=r.option.delivery_date,
                choice=_relay_choice(r),
            )
            for r in got.relay
        ],
        click_and_collect=[
            CollectOptionRead(
                store=c.warehouse.code,
                name=c.warehouse.name,
                address=_address(c.warehouse),
                distance_km=c.distance_km,
                ready_at=c.ready_at,
                opening_hours=c.store.opening_hours,
                choice=DeliveryChoiceCreate(
                    method=DeliveryMethod.CLICK_COLLECT,
                    store=c.warehouse.code,
                    promised_on=c.ready_at.astimezone(service.LOCAL_TZ).date(),
                    price_cents=0,
                ),
            )
            for c in got.collect
        ],
        slots=slots,
    )


def _address(wh: Warehouse) -> str:
    return ", ".join(x for x in (wh.address_line, f"{wh.postcode} {wh.city}".strip()) if x)


# ---------------------------------------------------------------------- zones and slots


def zone_read(zone: DeliveryZone) -> ZoneRead:
    """Return the response model of a zone."""
    return ZoneRead(
        id=zone.id,
        code=zone.code,
        name=zone.name,
        country=zone.country,
        prefixes=list(zone.prefixes),
        templates=[
            TemplateRead(
                id=t.id,
                weekday=t.weekday,
                start=hhmm(t.start_min),
                end=hhmm(t.end_min),
                capacity=t.capacity,
                fee_cents=t.fee_cents,
            )
            for t in zone.templates
        ],
    )


@router.post("/zones", status_code=status.HTTP_201_CREATED, response_model=ZoneRead)
def create_zone(body: ZoneCreate, db: DbDep, _: Operator) -> ZoneRead:
    """Add a delivery zone (postal-code prefixes served by our own vans)."""
    with db.transaction() as session:
        zone = service.create_zone(
            session=session,
            code=body.code,
            name=body.name,
            country=body.country,
            prefixes=body.prefixes,
        )
        return zone_read(zone)


@router.get("/zones", response_model=list[ZoneRead])
def list_zones(db: DbDep, _: Anyone) -> list[ZoneRead]:
    """Every delivery zone with its weekly windows."""
    with db.reader() as session:
        return [zone_read(z) for z in service.list_zones(session=session)]


@router.get("/zones/{zone_id}", response_model=ZoneRead)
def get_zone(zone_id: IdPath, db: DbDep, _: Anyone) -> ZoneRead:
    """One zone."""
    with db.reader() as session:
        return zone_read(service.get_zone(session=session, zone_id=zone_id))


@router.patch("/zones/{zone_id}", response_model=ZoneRead)
def patch_zone(zone_id: IdPath, body: ZoneUpdate, db: DbDep, _: Operator) -> ZoneRead:
    """Rename a zone or replace its prefixes."""
    with db.transaction() as session:
        zone = service.update_zone(
            session=session, zone_id=zone_id, name=body.name, prefixes=body.prefixes
        )
        return zone_read(zone)


@router.delete("/zones/{zone_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_zone(zone_id: IdPath, db: DbDep, _: Operator) -> Response:
    """Delete a zone with its windows and slots (409 if a slot was ever booked)."""
    with db.transaction() as session:
        service.delete_zone(session=session, zone_id=zone_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/zones/{zone_id}/templates", status_code=status.HTTP_201_CREATED, response_model=ZoneRead
)
def add_template(zone_id: IdPath, body: TemplateCreate, db: DbDep, _: Operator) -> ZoneRead:
    """Add a weekly window (weekday, start, end, capacity, fee) to a zone."""
    with db.transaction() as session:
        service.add_template(
            session=session,
            zone_id=zone_id,
            weekday=body.weekday,
            start_min=minutes(body.start),
            end_min=minutes(body.end),
            capacity=body.capacity,
            fee_cents=body.fee_cents,
        )
        return zone_read(service.get_zone(session=session, zone_id=zone_id))


@router.delete("/slot-templates/{template_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_template(template_id: IdPath, db: DbDep, _: Operator) -> Response:
    """Delete a weekly window (slots already generated stay)."""
    with db.transaction() as session:
        service.delete_template(session=session, template_id=template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/slots/generate", response_model=dict[str, int])
def generate_slots(body: SlotGenerationCreate, db: DbDep, _: Operator) -> dict[str, int]:
    """Create the slots of the next days from the zones' windows (existing slots kept);
    returns the new slots per zone."""
    with db.transaction() as session:
        return service.generate_zone_slots(
            session=session, days=body.days, first_day=body.first_day
        )


@router.get("/slots", response_model=Page[SlotRead])
def list_slots(
    db: DbDep,
    _: Anyone,
    page: PageDep,
    zone_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    available: bool = False,
) -> Page[SlotRead]:
    """Slots by day and time, optionally of one zone, a date range, or with room left."""
    with db.reader() as session:
        rows, total = service.list_slots(
            session=session,
            zone_id=zone_id,
            day_from=date_from,
            day_to=date_to,
            available_only=available,
            limit=page.limit,
            offset=page.offset,
        )
        return Page(
            items=[slot_read(s) for s in rows], total=total, limit=page.limit, offset=page.offset
        )


def booking_read(booking: DeliverySlotBooking) -> BookingRead:
    """Return the response model of a booking."""
    return BookingRead(
        id=booking.id,
        order=order_number(booking.order_id),
        status=booking.status,
        slot=slot_read(booking.slot),
        created_at=booking.created_at,
    )


@router.post(
    "/slots/{slot_id}/book", status_code=status.HTTP_201_CREATED, response_model=BookingRead
)
def book_slot(slot_id: IdPath, body: BookingCreate, db: DbDep, who: Desk) -> BookingRead:
    """Book an order's delivery in a slot (409 when full); the customer is told."""
    with db.transaction() as session:
        booking = service.book_slot(
            session=session, slot_id=slot_id, number=body.order, actor=who.actor
        )
        return booking_read(booking)


@router.post("/slot-bookings/{booking_id}/cancel", response_model=BookingRead)
def cancel_booking(booking_id: IdPath, db: DbDep, _: Desk) -> BookingRead:
    """Cancel a booking and free its place."""
    with db.transaction() as session:
        return booking_read(service.cancel_booking(session=session, booking_id=booking_id))


# ---------------------------------------------------------------------- click & collect


def store_read(store: CollectStore, wh: Warehouse) -> StoreRead:
    """Return the response model of a store."""
    return StoreRead(
        code=wh.code,
        name=wh.name,
        address=_address(wh),
        opening_hours=store.opening_hours,
        ready_after_hours=store.ready_after_hours,
        hold_days=store.hold_days,
        active=store.active,
    )


@router.put("/stores/{code}", response_model=StoreRead)
def put_store(code: Code, body: StoreUpdate, db: DbDep, _: Operator) -> StoreRead:
    """Make a warehouse a click & collect store (or update it)."""
    with db.transaction() as session:
        store, wh = collect.set_store(
            session=session,
            warehouse_code=code,
            opening_hours=body.opening_hours,
            ready_after_hours=body.ready_after_hours,
            hold_days=body.hold_days,
            active=body.active,
        )
        return store_read(store, wh)


@router.get("/stores", response_model=list[StoreRead])
def list_stores(db: DbDep, _: Anyone) -> list[StoreRead]:
    """Every click & collect store."""
    with db.reader() as session:
        return [store_read(s, w) for s, w in collect.list_stores(session=session)]


def collect_read(row: CollectReservation, store: str) -> CollectRead:
    """Return the response model of a reservation."""
    return CollectRead(
        token=row.token,
        store=store,
        status=row.status,
        email=row.email,
        ready_at=row.ready_at,
        expires_at=row.expires_at,
        order=None if row.order_id is None else order_number(row.order_id),
        lines=[CollectLineRead(sku=x.sku, quantity=x.quantity) for x in row.lines],
    )


@router.post("/collect", status_code=status.HTTP_201_CREATED, response_model=CollectRead)
def reserve_collect(body: CollectCreate, db: DbDep, who: Desk) -> CollectRead:
    """Reserve a cart in a store for click & collect (409 naming the short lines)."""
    with db.transaction() as session:
        row = collect.reserve_collect(
            session=session,
            store_code=body.store,
            lines=[(x.sku, x.quantity) for x in body.lines],
            email=body.email,
            name=body.name,
            reference=body.reference,
            actor=who.actor,
        )
        if body.order is not None:
            row = collect.link_order(
                session=session, token=row.token, number=body.order, actor=who.actor
            )
        return collect_read(row, body.store)


def _close(token: str, db: DbDep, who: Principal, collected: bool) -> CollectRead:
    with db.transaction() as session:
        row = collect.close_reservation(
            session=session, token=token, collected=collected, actor=who.actor
        )
        wh = session.get(Warehouse, row.warehouse_id)
        return collect_read(row, wh.code if wh else "")


Token = Annotated[str, Path(min_length=1, max_length=40)]


@router.get("/collect/{token}", response_model=CollectRead)
def get_collect(token: Token, db: DbDep, _: Anyone) -> CollectRead:
    """A click & collect reservation (the store's screen when the customer comes)."""
    with db.reader() as session:
        row = collect.get_reservation(session=session, token=token)
        wh = session.get(Warehouse, row.warehouse_id)
        return collect_read(row, wh.code if wh else "")


@router.post("/collect/{token}/order", response_model=CollectRead)
def link_collect_order(token: Token, body: CollectLink, db: DbDep, who: Desk) -> CollectRead:
    """Link the order placed with this click & collect option (same SKUs and quantities)."""
    with db.transaction() as session:
        row = collect.link_order(session=session, token=token, number=body.order, actor=who.actor)
        wh = session.get(Warehouse, row.warehouse_id)
        return collect_read(row, wh.code if wh else "")


@router.post("/collect/sweep", response_model=SweepRead)
def sweep_collect(db: DbDep, _: Operator) -> SweepRead:
    """Release the reservations nobody collected in time (safe to run concurrently)."""
    return SweepRead(released=collect.sweep_expired(db))


@router.post("/collect/{token}/collected", response_model=CollectRead)
def collected(token: Token, db: DbDep, who: Anyone) -> CollectRead:
    """The customer collected the reservation: its units leave the store."""
    return _close(token, db, who, True)


@router.post("/collect/{token}/release", response_model=CollectRead)
def release(token: Token, db: DbDep, who: Desk) -> CollectRead:
    """Give a reservation's units back to stock (not collected)."""
    return _close(token, db, who, False)


# ------------------------------------------------------------------------ route plans


def _t(seconds: int | None) -> str | None:
    return None if seconds is None else hhmm(seconds // 60)


def stop_read(s: RouteStop) -> StopRead:
    """Return the response model of a stop, with the ETA window told to its customer."""
    told = s.eta_from_s is not None and s.eta_to_s is not None
    return StopRead(
        key=s.stop_key,
        order=None if s.order_id is None else order_number(s.order_id),
        vehicle=s.vehicle,
        sequence=s.sequence,
        status=s.status,
        name=s.name,
        address=s.address,
        lat=s.lat,
        lon=s.lon,
        parcels=s.parcels,
        weight_kg=s.weight_kg,
        window=None
        if s.tw_start is None and s.tw_end is None
        else f"{_t(s.tw_start or 0)}-{_t(s.tw_end) or ''}",
        eta=_t(s.eta_s),
        departure=_t(s.departure_s),
        service_start=_t(s.start_s),
        eta_window=eta.format_window((s.eta_from_s or 0, s.eta_to_s or 0)) if told else None,
    )


def plan_read(plan: RoutePlan, warehouse: str) -> PlanRead:
    """Return the response model of a plan."""
    stops = sorted(plan.stops, key=lambda s: (s.vehicle or "~", s.sequence, s.id))
    return PlanRead(
        id=plan.id,
        warehouse=warehouse,
        date=plan.day,
        revision=plan.revision,
        travel=plan.travel,
        feasible=plan.feasible,
        total_distance_km=round(plan.total_distance_m / 1000, 2),
        total_duration_min=round(plan.total_duration_s / 60, 1),
        vehicles=[
            VehiclePlanRead(
                id=v["id"],
                driver=str(v.get("driver") or ""),
                shift=f"{_t(v['shift_start'])}-{_t(v['shift_end'])}",
                start=_t(v.get("start_time")),
                end=_t(v.get("end_time")),
                distance_km=None if "distance_m" not in v else round(v["distance_m"] / 1000, 2),
                stops=sum(1 for s in plan.stops if s.vehicle == v["id"]),
            )
            for v in plan.vehicles
        ],
        stops=[stop_read(s) for s in stops],
        unassigned=[s.stop_key for s in stops if s.status == StopStatus.UNASSIGNED],
    )


@router.post("/routes/plan", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted)
def plan_routes(body: PlanCreate, db: DbDep, who: Operator) -> JobAccepted:
    """Have the worker tier plan the day's last-mile routes (PyVRP) from a depot and store
    them. The input is checked at once (422/404 naming the field); the answer (202) names
    the job to follow at ``url``, whose ``result.plan`` is the plan (``GET /routes/{id}``)."""
    vehicles = [
        lastmile.VehicleSpec(
            id=v.id,
            capacity_parcels=v.capacity_parcels,
            capacity_kg=v.capacity_kg,
            shift_start=minutes(v.shift_start) * 60,
            shift_end=minutes(v.shift_end) * 60,
            driver=v.driver,
        )
        for v in body.vehicles
    ]
    with db.transaction() as session:
        job = route_jobs.request_plan(
            session=session,
            warehouse_code=body.warehouse,
            day=body.date,
            vehicles=vehicles,
            numbers=body.orders,
            service_s=body.service_minutes * 60,
            travel=body.travel,
            time_limit=body.time_limit,
            requested_by=who.actor,
        )
        return JobAccepted.of(job.id, job.status)


@router.get("/routes/{plan_id}", response_model=PlanRead)
def get_plan(plan_id: IdPath, db: DbDep, _: Anyone) -> PlanRead:
    """A route plan with its vehicles and stops."""
    with db.reader() as session:
        plan = lastmile.get_plan(session=session, plan_id=plan_id)
        return plan_read(plan, lastmile.plan_warehouse(session=session, plan=plan).code)


@router.post(
    "/routes/{plan_id}/replan", status_code=status.HTTP_202_ACCEPTED, response_model=JobAccepted
)
def replan(plan_id: IdPath, body: ReplanCreate, db: DbDep, who: Operator) -> JobAccepted:
    """Have the worker tier re-plan the rest of the day with new orders: delivered stops
    stay, vehicles leave from where they are (given, or taken from the plan at ``at``, by
    default the time of this request). Checked at once; the answer (202) names the job."""
    now_s = minutes(body.at) * 60 if body.at is not None else service.seconds_of_day(clock.now())
    with db.transaction() as session:
        job = route_jobs.request_replan(
            session=session,
            plan_id=plan_id,
            now_s=now_s,
            numbers=body.orders,
            positions=[lastmile.Position(p.vehicle, p.lat, p.lon) for p in body.positions],
            served=body.served,
            service_s=body.service_minutes * 60,
            time_limit=body.time_limit,
            requested_by=who.actor,
        )
        return JobAccepted.of(job.id, job.status)


VehicleQuery = Annotated[
    str | None, Query(min_length=1, max_length=40, description="one vehicle's id")
]


@router.get("/routes/{plan_id}/stops", response_model=list[StopRead])
def plan_stops(
    plan_id: IdPath, db: DbDep, _: Anyone, vehicle: VehicleQuery = None
) -> list[StopRead]:
    """A plan's stops in visiting order with their ETA and the window told to the customer
    (one vehicle's with ``vehicle``)."""
    with db.reader() as session:
        stops = lastmile.plan_stops(session=session, plan_id=plan_id, vehicle=vehicle)
        return [stop_read(s) for s in stops]


@router.get("/routes/{plan_id}/sheets.pdf")
def route_sheets(plan_id: IdPath, db: DbDep, _: Anyone, vehicle: VehicleQuery = None) -> Response:
    """The drivers' route sheets (one PDF, a sheet per vehicle; one van's with ``vehicle``)."""
    with db.reader() as session:
        pdf = lastmile.route_sheets_pdf(session=session, plan_id=plan_id, vehicle=vehicle)
    name = f"route-sheets-{plan_id}" + (f"-{vehicle}" if vehicle else "")
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


# ------------------------------------------------------------------------------ couriers


def courier_read(c: Courier) -> CourierRead:
    """Return the response model of a courier."""
    return CourierRead(
        code=c.code,
        name=c.name,
        phone=c.phone,
        lat=c.lat,
        lon=c.lon,
        available_from=c.available_from,
        available_until=c.available_until,
        active=c.active,
    )


@router.post("/couriers", status_code=status.HTTP_201_CREATED, response_model=CourierRead)
def create_courier(body: CourierCreate, db: DbDep, _: Operator) -> CourierRead:
    """Register a courier with their availability window and position."""
    with db.transaction() as session:
        return courier_read(courier_jobs.create_courier(session=session, **body.model_dump()))


@router.get("/couriers", response_model=list[CourierRead])
def list_couriers(db: DbDep, _: Anyone) -> list[CourierRead]:
    """Every courier."""
    with db.reader() as session:
        return [courier_read(c) for c in courier_jobs.list_couriers(session=session)]


@router.patch("/couriers/{code}", response_model=CourierRead)
def patch_courier(code: Code, body: AvailabilityUpdate, db: DbDep, _: Operator) -> CourierRead:
    """Update a courier's availability (and position)."""
    with db.transaction() as session:
        return courier_read(
            courier_jobs.set_availability(session=session, code=code, **body.model_dump())
        )


def job_read(j: CourierJob, couriers: dict[int, str]) -> JobRead:
    """Return the response model of a job."""
    return JobRead(
        id=j.id,
        reference=j.reference,
        order=None if j.order_id is None else order_number(j.order_id),
        status=j.status,
        pickup_name=j.pickup_name,
        drop_name=j.drop_name,
        ready_at=j.ready_at,
        deadline_at=j.deadline_at,
        courier=None if j.courier_id is None else couriers.get(j.courier_id),
        pickup_eta=j.pickup_eta,
        drop_eta=j.drop_eta,
    )


@router.post("/courier-jobs", status_code=status.HTTP_201_CREATED, response_model=JobRead)
def create_job(body: JobCreate, db: DbDep, _: Operator) -> JobRead:
    """Add a same-day job (pick-up at a warehouse or a point, drop at an order's address)."""
    with db.transaction() as session:
        job = courier_jobs.create_job(
            session=session,
            ready_at=body.ready_at,
            deadline_at=body.deadline_at,
            pickup_warehouse=body.pickup_warehouse,
            pickup=None if body.pickup is None else (body.pickup.lat, body.pickup.lon),
            number=body.order,
            drop=None if body.drop is None else (body.drop.lat, body.drop.lon),
            reference=body.reference,
        )
        return job_read(job, {})


@router.get("/courier-jobs", response_model=list[JobRead])
def list_jobs(
    db: DbDep,
    _: Anyone,
    status_filter: Annotated[
        str | None, Query(alias="status", pattern="^(open|assigned|delivered|cancelled)$")
    ] = None,
) -> list[JobRead]:
    """Same-day jobs by deadline."""
    with db.reader() as session:
        names = {c.id: c.code for c in courier_jobs.list_couriers(session=session)}
        jobs = courier_jobs.list_jobs(session=session, status=status_filter)
        return [job_read(j, names) for j in jobs]


@router.post("/couriers/assign", response_model=AssignRead)
def assign(body: AssignmentCreate, db: DbDep, _: Operator) -> AssignRead:
    """Assign the open jobs to the free couriers: most jobs on time, then least travel."""
    with db.transaction() as session:
        at = body.at or clock.now()
        result, _couriers, jobs = courier_jobs.assign_couriers(session=session, at=at)
        return AssignRead(
            assignments=[
                AssignmentRead(
                    job=int(a.job_id),
                    courier=a.courier_id,
                    pickup_eta=at + dt.timedelta(seconds=a.pickup_at),
                    drop_eta=at + dt.timedelta(seconds=a.drop_at),
                    travel_min=round(a.travel_s / 60, 1),
                )
                for a in result.assignments
            ],
            unassigned_jobs=[jobs[j].id for j in result.unassigned_jobs],
            idle_couriers=list(result.idle_couriers),
            total_travel_min=round(result.total_travel_s / 60, 1),
        )


# ----------------------------------------------------------------------------- what-if


@router.post(
    "/what-if",
    response_model=WhatIfRead,
    responses={202: {"model": JobAccepted, "description": "vrp: solved by the worker tier"}},
)
def post_what_if(body: WhatIfCreate, db: DbDep, who: Operator) -> WhatIfRead | JSONResponse:
    """Last-mile from the central warehouse vs from candidate micro-warehouses, on the
    order history (or given points): km, hours and cost a day, and the chart's data.
    ``approx`` answers at once (200); ``vrp`` solves the routes (up to ``time_limit`` seconds
    a site): its input is checked at once, then the worker tier solves it (202, the job to
    follow at ``url``, whose ``result`` is this same answer)."""
    args = body.model_dump(mode="json", exclude={"points"})
    args["service_s"] = args.pop("service_seconds")
    args["points"] = None if body.points is None else [(p.lat, p.lon) for p in body.points]
    if body.mode == "vrp":
        with db.transaction() as session:
            job = what_if.request_vrp(session=session, args=args, requested_by=who.actor)
            accepted = JobAccepted.of(job.id, job.status)
        return JSONResponse(accepted.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    with db.reader() as session:
        return WhatIfRead(**what_if.answer(session=session, **args))
