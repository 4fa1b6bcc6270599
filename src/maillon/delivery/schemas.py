"""Delivery request and response models."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from maillon.core.http import StrictModel
from maillon.orders.schemas import DeliveryChoiceCreate

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
Sku = Field(min_length=1, max_length=64)
Qty = Field(ge=1, le=100_000)


def minutes(value: str) -> int:
    """Return ``HH:MM`` as minutes since midnight (the value is validated already)."""
    hours, mins = value.split(":")
    return int(hours) * 60 + int(mins)


def hhmm(value: int) -> str:
    """Return minutes since midnight as ``HH:MM``."""
    return f"{value // 60:02d}:{value % 60:02d}"


def check_hhmm(value: str) -> str:
    """Return ``value`` if it is a time of day ``HH:MM``; raise ValueError otherwise."""
    if not _HHMM.match(value):
        raise ValueError("must be a time of day HH:MM")
    return value


# --------------------------------------------------------------------------- options


class CartLine(StrictModel):
    """A SKU and quantity of the cart."""

    sku: str = Sku
    quantity: int = Qty


class ParcelCreate(StrictModel):
    """A parcel to quote when there is no cart: grams and millimetres."""

    weight_g: int = Field(ge=1, le=100_000)
    length_mm: int = Field(ge=1, le=5_000)
    width_mm: int = Field(ge=1, le=5_000)
    height_mm: int = Field(ge=1, le=5_000)
    declared_value_cents: int = Field(default=0, ge=0, le=100_000_000)


class OptionsCreate(StrictModel):
    """Where the customer wants delivery and what: cart lines or a parcel."""

    postcode: str = Field(min_length=2, max_length=12)
    city: str | None = Field(default=None, max_length=200)
    country: str = Field(default="FR", min_length=2, max_length=2)
    lines: list[CartLine] = Field(default_factory=list, max_length=200)
    parcel: ParcelCreate | None = None
    ordered_at: AwareDatetime | None = None
    relay_limit: int = Field(default=5, ge=1, le=20)


class CarrierOptionRead(BaseModel):
    """A carrier service: price and promised dates."""

    kind: str
    carrier: str
    service: str
    name: str
    price_cents: int
    ship_date: dt.date
    delivery_date: dt.date
    choice: DeliveryChoiceCreate | None = Field(
        default=None, description="send it as the order's ``delivery`` to take this option"
    )


class RelayPointRead(BaseModel):
    """A relay point near the customer, with its network's price and promise."""

    id: str
    network: str
    name: str
    address: str
    postcode: str
    city: str
    lat: float
    lon: float
    opening_hours: str
    distance_km: float
    price_cents: int | None = None
    service: str | None = Field(default=None, description="the service's code (chrono_relais)")
    service_name: str | None = Field(default=None, description="its name, to show (Chrono Relais)")
    delivery_date: dt.date | None = None
    choice: DeliveryChoiceCreate | None = Field(
        default=None, description="send it as the order's ``delivery`` to take this point"
    )


class CollectOptionRead(BaseModel):
    """A store holding the whole cart."""

    store: str
    name: str
    address: str
    distance_km: float | None
    ready_at: dt.datetime
    opening_hours: str
    price_cents: int = 0
    choice: DeliveryChoiceCreate | None = Field(
        default=None, description="send it as the order's ``delivery`` to collect here"
    )


class SlotRead(BaseModel):
    """An appointment slot and its room left."""

    id: int
    zone: str
    day: dt.date
    start: str
    end: str
    capacity: int
    booked: int
    remaining: int
    fee_cents: int
    choice: DeliveryChoiceCreate | None = Field(
        default=None, description="send it as the order's ``delivery`` to book this slot"
    )


class OptionsRead(BaseModel):
    """Every delivery option for a cart and an address."""

    postcode: str
    city: str
    country: str
    lat: float | None
    lon: float | None
    weight_g: int
    zone: str | None
    home: list[CarrierOptionRead]
    express: list[CarrierOptionRead]
    relay_points: list[RelayPointRead]
    click_and_collect: list[CollectOptionRead]
    slots: list[SlotRead]


# ---------------------------------------------------------------------- zones and slots


class ZoneCreate(StrictModel):
    """A delivery zone: postal-code prefixes served by our own vans."""

    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=120)
    country: str = Field(default="FR", min_length=2, max_length=2)
    prefixes: list[str] = Field(min_length=1, max_length=500)


class ZoneUpdate(StrictModel):
    """Rename a zone or replace its prefixes."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    prefixes: list[str] | None = Field(default=None, min_length=1, max_length=500)


class TemplateCreate(StrictModel):
    """A weekly window: weekday (0 = Monday), ``HH:MM`` start and end, capacity, fee."""

    weekday: int = Field(ge=0, le=6)
    start: str
    end: str
    capacity: int = Field(ge=1, le=10_000)
    fee_cents: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_hhmm(value)


class TemplateRead(BaseModel):
    """A weekly window of a zone."""

    id: int
    weekday: int
    start: str
    end: str
    capacity: int
    fee_cents: int


class ZoneRead(BaseModel):
    """A delivery zone and its weekly windows."""

    id: int
    code: str
    name: str
    country: str
    prefixes: list[str]
    templates: list[TemplateRead]


class SlotGenerationCreate(StrictModel):
    """Create the slots of the next ``days`` days (from tomorrow, or ``first_day``)."""

    days: int = Field(default=14, ge=1, le=90)
    first_day: dt.date | None = None


class BookingCreate(StrictModel):
    """The order to deliver in the slot."""

    order: str = Field(min_length=1, max_length=40)


class BookingRead(BaseModel):
    """An order's booking of a slot."""

    id: int
    order: str
    status: str
    slot: SlotRead
    created_at: dt.datetime


# ---------------------------------------------------------------------- click & collect


class StoreUpdate(StrictModel):
    """Make a warehouse a click & collect store."""

    opening_hours: str = Field(default="", max_length=200)
    ready_after_hours: int = Field(default=2, ge=0, le=240)
    hold_days: int = Field(default=3, ge=1, le=30)
    active: bool = True


class StoreRead(BaseModel):
    """A click & collect store."""

    code: str
    name: str
    address: str
    opening_hours: str
    ready_after_hours: int
    hold_days: int
    active: bool


class CollectCreate(StrictModel):
    """Reserve a cart in a store for a customer."""

    store: str = Field(min_length=1, max_length=20)
    email: str = Field(min_length=3, max_length=320)
    name: str = Field(default="", max_length=200)
    reference: str = Field(default="", max_length=100)
    lines: list[CartLine] = Field(min_length=1, max_length=200)
    order: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="number of the order placed with this click & collect option",
    )


class CollectLineRead(BaseModel):
    """Units reserved."""

    sku: str
    quantity: int


class CollectRead(BaseModel):
    """A click & collect reservation."""

    token: str
    store: str
    status: str
    email: str
    ready_at: dt.datetime
    expires_at: dt.datetime
    order: str | None = None
    lines: list[CollectLineRead]


class CollectLink(StrictModel):
    """The order placed with a click & collect reservation."""

    order: str = Field(min_length=1, max_length=20)


class SweepRead(BaseModel):
    """What a sweep of expired reservations did."""

    released: int


# ------------------------------------------------------------------------ route plans


class VehicleCreate(StrictModel):
    """A vehicle of the day: capacities (omit: unlimited) and shift ``HH:MM``."""

    id: str = Field(min_length=1, max_length=40)
    capacity_parcels: int | None = Field(default=None, ge=0, le=10_000)
    capacity_kg: float | None = Field(default=None, ge=0, le=100_000)
    shift_start: str = "08:00"
    shift_end: str = "18:00"
    driver: str = Field(default="", max_length=120)

    @field_validator("shift_start", "shift_end")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_hhmm(value)


class PlanCreate(StrictModel):
    """Plan a day: depot warehouse, vehicles, orders (omit: every booked home delivery)."""

    warehouse: str = Field(min_length=1, max_length=20)
    date: dt.date
    vehicles: list[VehicleCreate] = Field(min_length=1, max_length=50)
    orders: list[str] | None = Field(default=None, min_length=1, max_length=500)
    service_minutes: int = Field(default=5, ge=0, le=240)
    travel: str = Field(default="haversine", pattern="^(haversine|osrm)$")
    time_limit: float = Field(default=1.0, gt=0, le=60)


class PositionUpdate(StrictModel):
    """Where a vehicle is now."""

    vehicle: str = Field(min_length=1, max_length=40)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ReplanCreate(StrictModel):
    """New orders arriving during the day; ``at`` is the local time now (``HH:MM``)."""

    at: str | None = None
    orders: list[str] = Field(default_factory=list, max_length=500)
    positions: list[PositionUpdate] = Field(default_factory=list, max_length=50)
    served: dict[str, list[str]] | None = None
    service_minutes: int = Field(default=5, ge=0, le=240)
    time_limit: float = Field(default=1.0, gt=0, le=60)

    @field_validator("at")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        return None if value is None else check_hhmm(value)


class StopRead(BaseModel):
    """A stop of a plan."""

    key: str
    order: str | None
    vehicle: str | None
    sequence: int
    status: str
    name: str
    address: str
    lat: float
    lon: float
    parcels: int
    weight_kg: float
    window: str | None
    eta: str | None
    departure: str | None
    service_start: str | None = None
    eta_window: str | None = Field(
        default=None, description="HH:MM-HH:MM told to the customer (planned stops)"
    )


class VehiclePlanRead(BaseModel):
    """A vehicle's route summary."""

    id: str
    driver: str
    shift: str
    start: str | None
    end: str | None
    distance_km: float | None
    stops: int


class PlanRead(BaseModel):
    """A route plan."""

    id: int
    warehouse: str
    date: dt.date
    revision: int
    travel: str
    feasible: bool
    total_distance_km: float
    total_duration_min: float
    vehicles: list[VehiclePlanRead]
    stops: list[StopRead]
    unassigned: list[str]


# ------------------------------------------------------------------------------ couriers


class CourierCreate(StrictModel):
    """A courier and when and where they are available."""

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(default="", max_length=32)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    available_from: AwareDatetime | None = None
    available_until: AwareDatetime | None = None


class AvailabilityUpdate(StrictModel):
    """A courier's new availability (and position)."""

    available_from: AwareDatetime | None = None
    available_until: AwareDatetime | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class CourierRead(BaseModel):
    """A courier."""

    code: str
    name: str
    phone: str
    lat: float
    lon: float
    available_from: dt.datetime | None
    available_until: dt.datetime | None
    active: bool


class PointCreate(StrictModel):
    """A point on the map."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class JobCreate(StrictModel):
    """A same-day job: from a warehouse or a point, to an order's address or a point."""

    reference: str = Field(default="", max_length=100)
    pickup_warehouse: str | None = Field(default=None, min_length=1, max_length=20)
    pickup: PointCreate | None = None
    order: str | None = Field(default=None, min_length=1, max_length=40)
    drop: PointCreate | None = None
    ready_at: AwareDatetime
    deadline_at: AwareDatetime


class JobRead(BaseModel):
    """A same-day job."""

    id: int
    reference: str
    order: str | None
    status: str
    pickup_name: str
    drop_name: str
    ready_at: dt.datetime
    deadline_at: dt.datetime
    courier: str | None
    pickup_eta: dt.datetime | None
    drop_eta: dt.datetime | None


class AssignmentCreate(StrictModel):
    """Assign open jobs as of ``at`` (default: now)."""

    at: AwareDatetime | None = None


class AssignmentRead(BaseModel):
    """A courier given a job."""

    job: int
    courier: str
    pickup_eta: dt.datetime
    drop_eta: dt.datetime
    travel_min: float


class AssignRead(BaseModel):
    """The optimal assignment."""

    assignments: list[AssignmentRead]
    unassigned_jobs: list[int]
    idle_couriers: list[str]
    total_travel_min: float


# ----------------------------------------------------------------------------- what-if


class SiteCreate(StrictModel):
    """A candidate micro-warehouse."""

    id: str = Field(min_length=1, max_length=40)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    fixed_cost_cents_per_day: int = Field(default=0, ge=0, le=100_000_000)


class WhatIfCreate(StrictModel):
    """Central warehouse, candidate sites, and the history to replay (or explicit points)."""

    central: str = Field(min_length=1, max_length=20)
    sites: list[SiteCreate] = Field(min_length=1, max_length=50)
    days: int = Field(default=30, ge=1, le=366)
    radius_km: float = Field(default=30.0, gt=0, le=500)
    points: list[PointCreate] | None = Field(default=None, min_length=1, max_length=100_000)
    service_seconds: float = Field(default=180.0, ge=0, le=3600)
    road_factor: float = Field(default=1.3, ge=1, le=3)
    mode: Literal["approx", "vrp"] = Field(
        default="approx",
        description="approx: continuous approximation; vrp: a typical day solved with PyVRP",
    )
    time_limit: float = Field(default=1.0, gt=0, le=30, description="seconds a site (vrp)")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class ScenarioRead(BaseModel):
    """A scenario's estimated day."""

    name: str
    km_per_day: float
    hours_per_day: float
    cost_cents_per_day: int
    routes_per_day: int
    sites: list[dict[str, Any]]


class WhatIfRead(BaseModel):
    """Both scenarios, the savings and the chart's data."""

    points: int
    days: int
    central: ScenarioRead
    micro: ScenarioRead
    saving_km_per_day: float
    saving_cents_per_day: int
    orders_by_site: dict[str, int]
    chart: dict[str, Any]
    method: str
    mode: str = "approx"
    approximation: dict[str, ScenarioRead] | None = Field(
        default=None, description="vrp mode: the continuous approximation's scenarios too"
    )
