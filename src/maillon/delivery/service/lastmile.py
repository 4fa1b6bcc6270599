"""Last-mile use cases: route plans (plan, re-plan during the day, drivers' route sheets)
and the micro-warehouse what-if. Same-day couriers are in
:mod:`maillon.delivery.service.courier_jobs`.

Like :mod:`maillon.delivery.service` (options at checkout, slots, click & collect), each
function works inside the caller's transaction and never commits. Route times are seconds
since local midnight (:data:`~maillon.delivery.service.LOCAL_TZ`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import (
    Conflict,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.delivery import eta, microhubs, routing, sheets
from maillon.delivery.model import BookingStatus, StopStatus
from maillon.delivery.relay import distance_km
from maillon.delivery.service import active_booking, warehouse_point
from maillon.delivery.tables import (
    DeliverySlot,
    DeliverySlotBooking,
    RoutePlan,
    RouteStop,
)
from maillon.delivery.travel import HaversineTravel, LatLon, OsrmTravel, TravelProvider
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus, order_number
from maillon.orders.service import timeline
from maillon.orders.tables import Order
from maillon.warehouse import service as warehouse_service

OSRM_URL_ENV = "MAILLON_OSRM_URL"
# Leaving a stop unserved costs this (in metres driven). It must stay below PyVRP's largest
# penalty for an excess load or a late arrival (100,000 a unit by default), or the search
# prefers breaking a capacity or a window to dropping a stop: a stop is dropped when serving
# it costs more than ~40 km of detour (80 km for the customers already promised today).
UNSERVED_PENALTY = 40_000
PROMISED_PENALTY = 80_000
MAX_STOPS = 500
MAX_VEHICLES = 50


# ------------------------------------------------------------------------ route plans


@dataclass(frozen=True)
class VehicleSpec:
    """A vehicle of a plan: capacities (None: unlimited), shift (local seconds), driver."""

    id: str
    capacity_parcels: int | None
    capacity_kg: float | None
    shift_start: int
    shift_end: int
    driver: str = ""


def travel_provider(name: str) -> TravelProvider:
    """Return the matrix provider ``haversine`` or ``osrm`` (at ``$MAILLON_OSRM_URL``).

    Raises ValidationError naming ``travel`` for another name or OSRM without a URL.
    """
    if name == "haversine":
        return HaversineTravel()
    if name == "osrm":
        url = os.environ.get(OSRM_URL_ENV, "")
        if not url:
            raise ValidationError(FieldError("travel", f"set {OSRM_URL_ENV} to use OSRM"))
        return OsrmTravel(url)
    raise ValidationError(FieldError("travel", "use haversine or osrm"))


def get_plan(*, session: Session, plan_id: int) -> RoutePlan:
    """Return a route plan. Raises NotFound."""
    plan = session.get(RoutePlan, plan_id)
    if plan is None:
        raise NotFound("route plan", plan_id, field="plan_id")
    return plan


def plan_warehouse(*, session: Session, plan: RoutePlan) -> Warehouse:
    """Return the depot of a plan."""
    wh = session.get(Warehouse, plan.warehouse_id)
    assert wh is not None  # a foreign key
    return wh


def _order_stop(
    session: Session, number: str, day: dt.date, field: str, service_s: int
) -> RouteStop:
    order = orders.get_order(session=session, number=number, field=field)
    if order.status in (OrderStatus.CANCELLED.value, OrderStatus.DELIVERED.value):
        raise ValidationError(FieldError(field, f"order {order.number} is {order.status}"))
    if order.ship_lat is None or order.ship_lon is None:
        raise ValidationError(
            FieldError(field, f"order {order.number}'s address has no coordinates")
        )
    tw_start = tw_end = None
    booking = active_booking(session=session, order_id=order.id)
    if booking is not None and booking.slot.day == day:
        tw_start, tw_end = booking.slot.start_min * 60, booking.slot.end_min * 60
    weight_g, _ = warehouse_service.order_weight_volume(session=session, order=order)
    address = ", ".join(
        x
        for x in (order.ship_line1, order.ship_line2, f"{order.ship_postcode} {order.ship_city}")
        if x
    )
    return RouteStop(
        stop_key=order.number,
        order_id=order.id,
        status=StopStatus.PLANNED.value,
        name=order.ship_name,
        address=address,
        phone=order.ship_phone,
        lat=order.ship_lat,
        lon=order.ship_lon,
        parcels=1,
        weight_kg=weight_g / 1000,
        tw_start=tw_start,
        tw_end=tw_end,
        service_s=service_s,
    )


def booked_orders(*, session: Session, day: dt.date) -> list[str]:
    """Return the numbers of the orders with a home delivery booked on ``day``, by window."""
    rows = session.execute(
        select(DeliverySlotBooking.order_id)
        .join(DeliverySlot, DeliverySlot.id == DeliverySlotBooking.slot_id)
        .where(DeliverySlot.day == day, DeliverySlotBooking.status == BookingStatus.BOOKED)
        .order_by(DeliverySlot.start_min, DeliverySlotBooking.order_id)
    ).all()
    return [order_number(r[0]) for r in rows]


def _vehicles(specs: Sequence[VehicleSpec]) -> tuple[routing.Vehicle, ...]:
    errors = ErrorCollector()
    out = []
    for i, v in enumerate(specs):
        try:
            out.append(
                routing.Vehicle(
                    id=v.id,
                    capacity_parcels=v.capacity_parcels,
                    capacity_kg=v.capacity_kg,
                    shift_start=v.shift_start,
                    shift_end=v.shift_end,
                )
            )
        except ValueError as exc:
            errors.add(f"vehicles.{i}", str(exc))
    if len({v.id for v in specs}) != len(specs):
        errors.add("vehicles", "vehicle ids must be unique")
    errors.raise_if_any()
    return tuple(out)


def _routing_stop(stop: RouteStop, location: int, penalty: int = UNSERVED_PENALTY) -> routing.Stop:
    return routing.Stop(
        id=stop.stop_key,
        location=location,
        parcels=stop.parcels,
        weight_kg=stop.weight_kg,
        tw_start=stop.tw_start or 0,
        tw_end=stop.tw_end,
        service_time=stop.service_s,
        penalty=penalty,
    )


def _apply_result(
    plan: RoutePlan, result: routing.RoutingResult, served_upto: dict[str, int]
) -> None:
    """Write a solver result into the plan's stops and vehicles (served stops stay)."""
    by_key = {s.stop_key: s for s in plan.stops}
    routed: set[str] = set()
    info = {v["id"]: dict(v) for v in plan.vehicles}
    for route in result.routes:
        seq = served_upto.get(route.vehicle_id, 0)
        for visit in route.visits:
            stop = by_key[visit.stop_id]
            seq += 1
            stop.vehicle = route.vehicle_id
            stop.sequence = seq
            stop.status = StopStatus.PLANNED.value
            stop.eta_s, stop.start_s, stop.departure_s = visit.arrival, visit.start, visit.departure
            routed.add(visit.stop_id)
        v = info[route.vehicle_id]
        if "start_time" not in v or not served_upto.get(route.vehicle_id):
            v["start_time"] = route.start_time
        v["end_time"] = route.end_time
        v["distance_m"] = route.distance  # still to drive, from where the vehicle is
    for vehicle_id, v in info.items():
        if result.route_of(vehicle_id) is None and not served_upto.get(vehicle_id):
            for key in ("start_time", "end_time", "distance_m"):
                v.pop(key, None)
    for stop in plan.stops:
        if stop.status != StopStatus.SERVED and stop.stop_key not in routed:
            stop.vehicle = None
            stop.sequence = 0
            stop.status = StopStatus.UNASSIGNED.value
            stop.eta_s = stop.start_s = stop.departure_s = None
    plan.vehicles = list(info.values())
    plan.feasible = result.feasible
    plan.total_distance_m = sum(int(v.get("distance_m", 0)) for v in plan.vehicles)
    plan.total_duration_s = sum(
        int(v["end_time"]) - int(v["start_time"]) for v in plan.vehicles if "end_time" in v
    )
    plan.updated_at = clock.now()


class CheckedPlan(NamedTuple):
    """What :func:`check_plan` found: the depot, the stops, the fleet, the travel matrices'
    provider."""

    warehouse: Warehouse
    stops: list[RouteStop]
    fleet: tuple[routing.Vehicle, ...]
    provider: TravelProvider


def check_plan(
    *,
    session: Session,
    warehouse_code: str,
    day: dt.date,
    vehicles: Sequence[VehicleSpec],
    numbers: Sequence[str] | None = None,
    service_s: int = 300,
    travel: str = "haversine",
) -> CheckedPlan:
    """Check a plan's input (reads only, no solving) and return its stops, so a request can
    refuse bad input at once and leave the solving to the worker tier. Raises like
    :func:`plan_routes`."""
    errors = ErrorCollector()
    if not vehicles:
        errors.add("vehicles", "at least one vehicle")
    if len(vehicles) > MAX_VEHICLES:
        errors.add("vehicles", f"at most {MAX_VEHICLES} vehicles")
    errors.raise_if_any()
    fleet = _vehicles(vehicles)
    provider = travel_provider(travel)
    wh = inventory.get_warehouse(session=session, code=warehouse_code)
    wanted = list(numbers) if numbers is not None else booked_orders(session=session, day=day)
    if not wanted:
        raise ValidationError(FieldError("orders", f"no home delivery is booked on {day}"))
    if len(wanted) > MAX_STOPS:
        raise ValidationError(FieldError("orders", f"at most {MAX_STOPS} stops a plan"))
    if len(set(wanted)) != len(wanted):
        raise ValidationError(FieldError("orders", "an order appears twice"))
    stops = [
        _order_stop(session, number, day, f"orders.{i}", service_s)
        for i, number in enumerate(wanted)
    ]
    return CheckedPlan(wh, stops, fleet, provider)


def plan_routes(
    *,
    session: Session,
    warehouse_code: str,
    day: dt.date,
    vehicles: Sequence[VehicleSpec],
    numbers: Sequence[str] | None = None,
    service_s: int = 300,
    travel: str = "haversine",
    actor: str,
    seed: int = 0,
    time_limit: float = 1.0,
    max_iterations: int | None = 2000,
    job_id: int | None = None,
) -> RoutePlan:
    """Plan the day's routes from a depot and store them (stops with vehicle, order, ETA).

    ``numbers`` are the orders to deliver; None takes every home delivery booked on ``day``
    (their slot is the time window). Stops that no vehicle can serve in time or capacity come
    back ``unassigned``. ``job_id`` is the worker tier's job that asked (kept on the plan).
    Raises NotFound (warehouse), ValidationError naming ``warehouse``, ``vehicles.N``,
    ``orders`` / ``orders.N`` or ``travel``.
    """
    wh, stops, fleet, provider = check_plan(
        session=session,
        warehouse_code=warehouse_code,
        day=day,
        vehicles=vehicles,
        numbers=numbers,
        service_s=service_s,
        travel=travel,
    )
    depot = warehouse_point(wh)
    now = clock.now()
    plan = RoutePlan(
        warehouse_id=wh.id,
        day=day,
        revision=1,
        travel=travel,
        vehicles=[
            {
                "id": v.id,
                "capacity_parcels": v.capacity_parcels,
                "capacity_kg": v.capacity_kg,
                "shift_start": v.shift_start,
                "shift_end": v.shift_end,
                "driver": v.driver,
            }
            for v in vehicles
        ],
        created_at=now,
        created_by=actor,
        updated_at=now,
        stops=stops,
        job_id=job_id,
    )
    session.add(plan)
    points = [LatLon(*depot), *(LatLon(s.lat, s.lon) for s in stops)]
    matrices = provider.matrices(points, departure=min(v.shift_start for v in vehicles))
    problem = routing.RoutingProblem(
        depot=routing.Depot(0),
        vehicles=fleet,
        stops=tuple(_routing_stop(s, i + 1) for i, s in enumerate(stops)),
        distance_matrix=matrices.distances,
        duration_matrix=matrices.durations,
    )
    result = routing.solve(problem, seed=seed, time_limit=time_limit, max_iterations=max_iterations)
    _apply_result(plan, result, {})
    session.flush()
    notify_etas(session=session, plan=plan)
    return plan


@dataclass(frozen=True)
class Position:
    """Where a vehicle is now (reported by the driver's phone)."""

    vehicle: str
    lat: float
    lon: float


def _check_replan(
    plan: RoutePlan,
    numbers: Sequence[str],
    positions: Sequence[Position],
    served: Mapping[str, Sequence[str]] | None,
) -> None:
    """Raise ValidationError for an unknown vehicle or stop, a stop served twice or planned."""
    known = {s.stop_key for s in plan.stops}
    errors = ErrorCollector()
    vehicle_ids = [v["id"] for v in plan.vehicles]
    for i, p in enumerate(positions):
        if p.vehicle not in vehicle_ids:
            errors.add(f"positions.{i}.vehicle", f"no vehicle {p.vehicle!r} in this plan")
    claimed: set[str] = set()
    for vehicle, keys in (served or {}).items():
        if vehicle not in vehicle_ids:
            errors.add(f"served.{vehicle}", f"no vehicle {vehicle!r} in this plan")
        for key in keys:
            if key not in known:
                errors.add(f"served.{vehicle}", f"no stop {key!r} in this plan")
            elif key in claimed:
                errors.add(f"served.{vehicle}", f"stop {key!r} is served twice")
            claimed.add(key)
    for i, number in enumerate(numbers):
        if number in known:
            errors.add(f"orders.{i}", f"order {number} is already in the plan")
    errors.raise_if_any()


def _done_keys(
    route: list[RouteStop],
    vehicle: str,
    served: Mapping[str, Sequence[str]] | None,
    now_s: int,
) -> list[str]:
    """Return the stop keys a vehicle has delivered: reported, else left by ``now_s``."""
    done_keys = [s.stop_key for s in route if s.status == StopStatus.SERVED]
    if served is not None and vehicle in served:
        done_keys += [k for k in served[vehicle] if k not in done_keys]
    else:
        for s in route:
            if s.status == StopStatus.SERVED:
                continue
            if s.departure_s is not None and s.departure_s <= now_s:
                done_keys.append(s.stop_key)
            else:
                break
    return done_keys


def _vehicle_states(
    plan: RoutePlan,
    stops: list[RouteStop],
    loc: dict[str, int],
    pos_row: dict[str, int],
    served: Mapping[str, Sequence[str]] | None,
    now_s: int,
) -> tuple[list[routing.VehicleState], dict[str, int]]:
    """Mark delivered stops served; return each vehicle's state and its count of served stops."""
    by_key = {s.stop_key: s for s in stops}
    states = []
    first_sequence: dict[str, int] = {}
    info = {v["id"]: v for v in plan.vehicles}
    for vehicle in [v["id"] for v in plan.vehicles]:
        route = sorted(
            (
                s
                for s in stops
                if s.vehicle == vehicle and s.status in (StopStatus.PLANNED, StopStatus.SERVED)
            ),
            key=lambda s: s.sequence,
        )
        done_keys = _done_keys(route, vehicle, served, now_s)
        done = [by_key[k] for k in done_keys]
        for n, s in enumerate(done, start=1):
            s.status = StopStatus.SERVED.value
            s.vehicle = vehicle
            s.sequence = n
        first_sequence[vehicle] = len(done)
        ahead = [s for s in route if s.stop_key not in set(done_keys)]
        start = int(info[vehicle].get("start_time", info[vehicle]["shift_start"]))
        if vehicle in pos_row:
            states.append(
                routing.VehicleState(vehicle, pos_row[vehicle], now_s, tuple(done_keys), ())
            )
            continue
        last = done[-1] if done else None
        at_loc = loc[last.stop_key] if last is not None else 0
        left_at = (last.departure_s or now_s) if last is not None else start
        if last is None and now_s < start:
            continue  # not left yet: it starts from the depot like a fresh vehicle
        fixed = (ahead[0].stop_key,) if ahead and now_s >= left_at else ()
        states.append(
            routing.VehicleState(
                vehicle,
                at_loc,
                left_at if fixed else max(left_at, now_s),
                tuple(done_keys),
                fixed,
            )
        )
    return states, first_sequence


def check_replan(
    *,
    session: Session,
    plan_id: int,
    numbers: Sequence[str] = (),
    positions: Sequence[Position] = (),
    served: Mapping[str, Sequence[str]] | None = None,
    service_s: int = 300,
) -> tuple[RoutePlan, list[RouteStop]]:
    """Check a re-plan's input (reads only) and return the plan and the new orders' stops.
    Raises like :func:`replan_routes`."""
    plan = get_plan(session=session, plan_id=plan_id)
    _check_replan(plan, numbers, positions, served)
    new_stops = [
        _order_stop(session, n, plan.day, f"orders.{i}", service_s) for i, n in enumerate(numbers)
    ]
    return plan, new_stops


def replan_routes(
    *,
    session: Session,
    plan_id: int,
    now_s: int,
    numbers: Sequence[str] = (),
    positions: Sequence[Position] = (),
    served: Mapping[str, Sequence[str]] | None = None,
    service_s: int = 300,
    seed: int = 0,
    time_limit: float = 1.0,
    max_iterations: int | None = 2000,
    job_id: int | None = None,
) -> RoutePlan:
    """Re-plan a day under way at local time ``now_s`` with new orders (``numbers``).

    Stops already delivered stay as they are: those in ``served`` (vehicle -> stop keys,
    in order), or else those the plan says were left by ``now_s``; a vehicle on its way to
    a stop keeps it next. Vehicles leave from their reported ``positions`` (else from their
    last delivered stop). ``job_id`` is the worker tier's job that asked (kept on the plan
    as the job that last planned it). Raises NotFound, ValidationError naming ``orders.N``,
    ``positions.N.vehicle`` or ``served``.
    """
    plan, new_stops = check_replan(
        session=session,
        plan_id=plan_id,
        numbers=numbers,
        positions=positions,
        served=served,
        service_s=service_s,
    )
    depot = warehouse_point(plan_warehouse(session=session, plan=plan))
    fresh = {s.stop_key for s in new_stops}
    for stop in new_stops:
        plan.stops.append(stop)
    session.flush()

    stops = list(plan.stops)
    loc = {s.stop_key: i + 1 for i, s in enumerate(stops)}
    points = [LatLon(*depot), *(LatLon(s.lat, s.lon) for s in stops)]
    pos_row = {}
    for p in positions:
        pos_row[p.vehicle] = len(points)
        points.append(LatLon(p.lat, p.lon))
    matrices = travel_provider(plan.travel).matrices(points, departure=now_s)
    fleet = _vehicles(
        [
            VehicleSpec(
                v["id"], v["capacity_parcels"], v["capacity_kg"], v["shift_start"], v["shift_end"]
            )
            for v in plan.vehicles
        ]
    )
    states, first_sequence = _vehicle_states(plan, stops, loc, pos_row, served, now_s)
    problem = routing.RoutingProblem(
        depot=routing.Depot(0),
        vehicles=fleet,
        # customers already promised a delivery today come before the new orders
        stops=tuple(
            _routing_stop(
                s,
                loc[s.stop_key],
                UNSERVED_PENALTY if s.stop_key in fresh else PROMISED_PENALTY,
            )
            for s in stops
        ),
        distance_matrix=matrices.distances,
        duration_matrix=matrices.durations,
    )
    result = routing.replan(
        problem, states, now=now_s, seed=seed, time_limit=time_limit, max_iterations=max_iterations
    )
    plan.revision += 1
    if job_id is not None:
        plan.job_id = job_id
    _apply_result(plan, result, first_sequence)
    session.flush()
    notify_etas(session=session, plan=plan)
    return plan


def stop_window(stop: RouteStop) -> tuple[int, int] | None:
    """Return the ETA window of a planned stop (None when it is not routed)."""
    if stop.status != StopStatus.PLANNED or stop.start_s is None:
        return None
    return eta.eta_window(stop.start_s, tw_start=stop.tw_start, tw_end=stop.tw_end)


def notify_etas(*, session: Session, plan: RoutePlan) -> int:
    """Tell the customer of every routed order stop its ETA window, when it is new or moved
    since the last notice (plans have no publish step: planning and re-planning publish).

    The window is stored on the stop (``eta_from_s``, ``eta_to_s``); a notice goes to the
    outbox (topic ``delivery.eta``). Stops that lost their route have their window cleared;
    served stops keep theirs.
    Returns the number of notices written.
    """
    sent = 0
    for stop in plan.stops:
        if stop.status == StopStatus.SERVED:
            continue  # delivered: the last window told stays on record
        window = stop_window(stop)
        if window is None:
            stop.eta_from_s = stop.eta_to_s = None
            continue
        if (stop.eta_from_s, stop.eta_to_s) == window:
            continue
        moved = stop.eta_from_s is not None
        stop.eta_from_s, stop.eta_to_s = window
        if stop.order_id is None:
            continue
        order = session.get(Order, stop.order_id)
        if order is None:
            continue
        text = eta.format_window(window)
        start, _, end = text.partition("-")
        timeline.notify_customer(
            session=session,
            order=order,
            topic="delivery.eta",
            context={"day": plan.day, "window": text, "start": start, "end": end, "moved": moved},
            extra={
                "plan": plan.id,
                "day": plan.day.isoformat(),
                "window": text,
                "vehicle": stop.vehicle,
            },
        )
        sent += 1
    session.flush()
    return sent


def plan_stops(*, session: Session, plan_id: int, vehicle: str | None = None) -> list[RouteStop]:
    """Return a plan's stops by vehicle and visiting order (unassigned last), or one
    vehicle's. Raises NotFound (plan, ``vehicle`` not in the plan)."""
    plan = get_plan(session=session, plan_id=plan_id)
    if vehicle is not None and vehicle not in {v["id"] for v in plan.vehicles}:
        raise NotFound("vehicle", vehicle, field="vehicle")
    return sorted(
        (s for s in plan.stops if vehicle is None or s.vehicle == vehicle),
        key=lambda s: (s.vehicle is None, s.vehicle or "", s.sequence, s.id),
    )


def route_sheets_pdf(*, session: Session, plan_id: int, vehicle: str | None = None) -> bytes:
    """Return the drivers' route sheets of a plan as one PDF (a sheet per vehicle), or only
    ``vehicle``'s sheet. Raises NotFound (plan, ``vehicle`` not in the plan), Conflict when
    no vehicle (or not ``vehicle``) has a stop."""
    plan = get_plan(session=session, plan_id=plan_id)
    if vehicle is not None and vehicle not in {v["id"] for v in plan.vehicles}:
        raise NotFound("vehicle", vehicle, field="vehicle")
    wh = session.get(Warehouse, plan.warehouse_id)
    assert wh is not None
    pages = []
    details = tuple(
        sheets.SheetStop(
            stop_id=s.stop_key,
            name=s.name or s.stop_key,
            address=s.address,
            tw_start=s.tw_start,
            tw_end=s.tw_end,
            parcels=s.parcels,
            references=(s.stop_key,),
            notes="delivered" if s.status == StopStatus.SERVED else "",
            phone=s.phone,
        )
        for s in plan.stops
    )
    for v in plan.vehicles:
        if vehicle is not None and v["id"] != vehicle:
            continue
        visits = [s for s in plan.stops if s.vehicle == v["id"] and s.eta_s is not None]
        if not visits:
            continue
        visits.sort(key=lambda s: s.sequence)
        route = routing.VehicleRoute(
            vehicle_id=v["id"],
            visits=tuple(
                routing.Visit(s.stop_key, s.eta_s or 0, s.start_s or 0, s.departure_s or 0)
                for s in visits
            ),
            start_time=int(v.get("start_time", v["shift_start"])),
            end_time=int(v.get("end_time", v["shift_end"])),
            distance=int(v.get("distance_m", 0)),
            duration=int(v.get("end_time", 0)) - int(v.get("start_time", 0)),
            parcels=sum(s.parcels for s in visits),
            weight_kg=sum(s.weight_kg for s in visits),
        )
        pages.append(
            sheets.RouteSheet(
                route=route,
                stops=details,
                day=plan.day,
                driver=str(v.get("driver") or ""),
                depot=f"{wh.code} {wh.name} {wh.postcode} {wh.city}".strip(),
            )
        )
    if not pages:
        whose = f"vehicle {vehicle} of route plan" if vehicle else "route plan"
        raise Conflict(f"{whose} {plan.id} has no route to print")
    return sheets.route_sheets_pdf(pages)


# ----------------------------------------------------------------------------- what-if


@dataclass(frozen=True)
class SiteInput:
    """A candidate micro-warehouse: a point, a fixed daily cost (cents)."""

    id: str
    lat: float
    lon: float
    fixed_cost_cents_per_day: int = 0


def history_points(
    *,
    session: Session,
    days: int,
    around: Sequence[tuple[float, float]],
    radius_km: float,
) -> list[microhubs.DeliveryPoint]:
    """Return the delivery points of the last ``days`` days' orders (not cancelled) within
    ``radius_km`` of one of the ``around`` points."""
    since = clock.now() - dt.timedelta(days=days)
    rows = session.execute(
        select(Order.ship_lat, Order.ship_lon).where(
            Order.created_at >= since,
            Order.status != OrderStatus.CANCELLED.value,
            Order.ship_lat.is_not(None),
            Order.ship_lon.is_not(None),
        )
    ).all()
    out = []
    for lat, lon in rows:
        assert lat is not None and lon is not None  # filtered above
        if any(distance_km(lat, lon, a, b) <= radius_km for a, b in around):
            out.append(microhubs.DeliveryPoint(lat, lon))
    return out


def micro_what_if(
    *,
    session: Session,
    central_code: str,
    sites: Sequence[SiteInput],
    days: int = 30,
    radius_km: float = 30.0,
    points: Sequence[tuple[float, float]] | None = None,
    service_s: float = 180.0,
    road_factor: float = 1.3,
    mode: str = "approx",
    seed: int = 0,
    time_limit: float = 1.0,
    max_iterations: int | None = None,
) -> microhubs.WhatIfResult:
    """Compare last-mile from the central warehouse vs from micro-warehouses, on the last
    ``days`` days of orders within ``radius_km`` of a site (or on the given ``points``).

    ``mode`` ``approx`` estimates the routes (continuous approximation, milliseconds);
    ``vrp`` solves a typical day's routes from each site with PyVRP (``time_limit`` seconds
    a site, see :func:`maillon.delivery.microhubs.what_if_vrp`). Raises NotFound (central),
    ValidationError naming ``central``, ``sites``, ``points``, ``mode`` or ``time_limit``.
    """
    if mode not in ("approx", "vrp"):
        raise ValidationError(FieldError("mode", "use approx or vrp"))
    if not (0 < time_limit <= 60):
        raise ValidationError(FieldError("time_limit", "must be between 0 and 60 seconds"))
    wh = inventory.get_warehouse(session=session, code=central_code, field="central")
    lat, lon = warehouse_point(wh, "central")
    if not sites:
        raise ValidationError(FieldError("sites", "give at least one candidate site"))
    if len({s.id for s in sites} | {wh.code}) != len(sites) + 1:
        raise ValidationError(FieldError("sites", "site ids must be unique and not the central's"))
    if points is None:
        around = [(lat, lon), *((s.lat, s.lon) for s in sites)]
        history = history_points(session=session, days=days, around=around, radius_km=radius_km)
    else:
        history = [microhubs.DeliveryPoint(a, b) for a, b in points]
    if not history:
        raise ValidationError(FieldError("points", "no delivered order in the area and period"))
    central = microhubs.Site(wh.code, lat, lon)
    micros = [microhubs.Site(s.id, s.lat, s.lon, s.fixed_cost_cents_per_day) for s in sites]
    if mode == "approx":
        return microhubs.what_if(
            history, central, micros, days=days, service_s=service_s, road_factor=road_factor
        )
    try:
        return microhubs.what_if_vrp(
            history,
            central,
            micros,
            days=days,
            service_s=service_s,
            road_factor=road_factor,
            seed=seed,
            time_limit=time_limit,
            max_iterations=max_iterations,
        )
    except ValueError as exc:
        raise ValidationError(FieldError("points", str(exc))) from None
