"""What a job can be, and when the scheduled ones run.

A handler is ``handler(db, args, progress) -> result``: it opens its own transactions and is
idempotent (run again after a crash, it does nothing twice to effect: the sweeps, the delay,
SLA and sensor checks claim each row with a conditional update, the return expiry locks and
re-checks each RMA, the outbox claims each message, the
KPI refresh is incremental). ``progress(fraction, note)`` shows how far a long job is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from maillon.core.db import Database

Progress = Callable[[float, str], None]
Handler = Callable[[Database, dict[str, Any], Progress], dict[str, Any] | None]
ACTOR = "worker"


def deliver_outbox(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Send the messages waiting in the outbox through the configured transport (none
    configured: they wait, and the job says so)."""
    from maillon.core import outbox

    sender = outbox.transport_from_environment()
    if sender is None:
        return {"delivered": 0, "waiting": outbox.waiting(db), "transport": None}
    return {"delivered": outbox.deliver_waiting(db, sender), "transport": sender.describe()}


def sweep_holds(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Release checkout holds past their expiry."""
    from maillon.orders.service.holds import sweep_expired

    return {"released": sweep_expired(db)}


def sweep_collect(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Release the click & collect reservations nobody collected in time."""
    from maillon.delivery.service import collect

    return {"released": collect.sweep_expired(db)}


def detect_delays(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Notify late shipments and carrier exceptions, once each."""
    from maillon.shipping.service import follow_up

    with db.transaction() as session:
        notices = follow_up.detect_delays(session=session, actor=ACTOR)
    return {"notified": len(notices)}


def pull_tracking(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Ask the carriers that can be asked (connector accounts) for the events of the parcels
    on their way and record them once each; a carrier down is left for the next run."""
    from maillon.shipping.service import tracking_pull

    return tracking_pull.pull_tracking(db, limit=int(args.get("limit", 200))).as_dict()


def check_slas(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Record, escalate and tell the tickets' SLA warnings and breaches, once each."""
    from maillon.care.escalation import Level
    from maillon.care.service import escalations

    with db.transaction() as session:
        notices = escalations.check_slas(session=session, actor=ACTOR)
    breached = sum(n.level == Level.BREACHED for n in notices)
    return {"breached": breached, "warned": len(notices) - breached}


def check_sensors(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Open one alert per shelf sensor gone silent, close those heard from again."""
    from maillon.inventory.service import sensors

    with db.transaction() as session:
        changes = sensors.check_silent(session=session)
    silent = sum(c.silent for c in changes)
    return {"silent": silent, "back": len(changes) - silent}


def expire_returns(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Cancel the returns whose parcel did not arrive in time, telling each customer once."""
    from maillon.returns.service import expiry

    with db.transaction() as session:
        expired = expiry.expire_returns(session=session, actor=ACTOR)
    return {"expired": len(expired)}


def issue_return_label(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Issue a prepaid return label the carrier could not issue earlier (retried while the
    carrier stays unavailable; a return that has its label is left alone)."""
    from maillon.returns import service as returns

    return returns.issue_label_job(db, return_id=int(args["return_id"]))


def refresh_kpis(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Bring the KPI facts and rollups up to date (the dashboard only reads them)."""
    from maillon.analytics.service import refresh_order_facts

    with db.transaction() as session:
        orders = refresh_order_facts(session=session, full=bool(args.get("full")))
    return {"orders": orders}


def push_fulfillment(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Tell an order's shop that it shipped, with its tracking (once)."""
    from maillon.channels.service import outgoing

    return outgoing.push_fulfillment(db, order_id=int(args["order_id"]))


def push_stock(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Set every connected shop's stock to our available units (what changed only)."""
    from maillon.channels.service import outgoing

    return outgoing.push_stock(db, codes=args.get("channels"), full=bool(args.get("full")))


def drift_report(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Compare a shop's stock with ours and keep the report (asked for from the console)."""
    from maillon.channels.service import outgoing

    return outgoing.drift_job(db, code=str(args["channel"]))


def deliver_webhook(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Send one webhook delivery; a failed attempt raises, so the job is retried after its
    backoff (a delivery already sent, cancelled or deleted is left alone)."""
    from maillon.webhooks.service import sending

    outcome = sending.deliver(db, int(args["delivery_id"]))
    if outcome.retry:
        raise sending.DeliveryFailed(f"delivery {outcome.delivery_id}: {outcome.note}")
    return outcome.as_dict()


def forecast_demand(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Forecast every SKU's demand (or one warehouse's) and store the run, reporting the
    series done; a run this job already stored is returned, not made again. With no order in
    the history period (or no warehouse) there is nothing to forecast: said in the result,
    not retried."""
    from maillon.core import jobs
    from maillon.core.errors import Conflict, NotFound
    from maillon.planning import service as planning

    job_id = jobs.current()
    if job_id is not None:
        with db.reader() as session:
            stored = planning.find_job_run(session=session, job_id=job_id)
            if stored is not None:
                return {"run": stored.id, "series": stored.series, "horizon": stored.horizon}

    def report(done: int, total: int) -> None:
        progress(round(0.95 * done / total, 4) if total else 0.0, f"{done}/{total} series")

    try:
        run = planning.run_forecast(
            db,
            horizon=int(args.get("horizon", 28)),
            history_days=int(args.get("history_days", 365)),
            freq=str(args.get("freq", "D")),
            warehouse_code=args.get("warehouse"),
            engine=str(args.get("engine", "local")),
            progress=report,
            job_id=job_id,
        )
    except (Conflict, NotFound) as exc:  # no order, no warehouse (yet): running again won't help
        return {"run": None, "series": 0, "note": exc.message}
    return {"run": run.id, "series": run.series, "horizon": run.horizon}


def plan_routes(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Plan a day's last-mile routes (PyVRP, up to the time limit asked) and store them;
    a plan this job already made is returned, not made again."""
    from maillon.delivery.service import route_jobs

    progress(0.1, "")
    return route_jobs.run_plan(db, args)


def replan_routes(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Re-plan a day under way with its new orders; once per job."""
    from maillon.delivery.service import route_jobs

    progress(0.1, "")
    return route_jobs.run_replan(db, args)


def release_wave(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Release a large wave (pick lists, batching solver, tour routes); once per job."""
    from maillon.warehouse.service import wave_jobs

    progress(0.1, "")
    return wave_jobs.run_wave(db, args)


def what_if_vrp(db: Database, args: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Solve the micro-warehouse what-if's routes; the result is the whole answer (it only
    reads: running it twice does nothing twice)."""
    from maillon.delivery.service import what_if

    progress(0.1, "")
    return what_if.run(db, args)


HANDLERS: dict[str, Handler] = {
    "outbox.deliver": deliver_outbox,
    "orders.holds_sweep": sweep_holds,
    "delivery.collect_sweep": sweep_collect,
    "shipping.detect_delays": detect_delays,
    "shipping.pull_tracking": pull_tracking,
    "care.sla_check": check_slas,
    "inventory.sensor_check": check_sensors,
    "returns.expire": expire_returns,
    "returns.issue_label": issue_return_label,
    "analytics.refresh": refresh_kpis,
    "channels.push_fulfillment": push_fulfillment,
    "channels.push_stock": push_stock,
    "channels.drift": drift_report,
    "webhooks.deliver": deliver_webhook,
    "planning.forecast": forecast_demand,
    "delivery.plan_routes": plan_routes,
    "delivery.replan_routes": replan_routes,
    "warehouse.release_wave": release_wave,
    "delivery.what_if": what_if_vrp,
}


@dataclass(frozen=True)
class Scheduled:
    """A job recorded every ``minutes`` minutes (a slot of the UTC clock), once per slot
    however many workers schedule it; a daily one (``minutes=1440``) runs at ``hour``
    o'clock UTC (midnight when None), its slot being the day.

    ``minutes`` divides the hour (1 to 60) or the day in whole hours (120, 180, ... 1440),
    so the slots start at the same times every day."""

    name: str
    minutes: int
    hour: int | None = None

    def __post_init__(self) -> None:
        if not (
            (1 <= self.minutes <= 60 and 60 % self.minutes == 0)
            or (60 <= self.minutes <= 1440 and self.minutes % 60 == 0 and 1440 % self.minutes == 0)
        ):
            raise ValueError(f"minutes={self.minutes} must divide the hour or the day")
        if self.hour is not None and (self.minutes != 1440 or not 0 <= self.hour <= 23):
            raise ValueError(f"hour={self.hour} needs minutes=1440 and an hour from 0 to 23")


SCHEDULE: tuple[Scheduled, ...] = (
    Scheduled("outbox.deliver", 1),
    Scheduled("orders.holds_sweep", 1),
    Scheduled("analytics.refresh", 1),
    Scheduled("delivery.collect_sweep", 5),
    Scheduled("care.sla_check", 5),
    Scheduled("inventory.sensor_check", 5),
    Scheduled("shipping.detect_delays", 15),
    Scheduled("shipping.pull_tracking", 30),
    Scheduled("channels.push_stock", 15),
    Scheduled("returns.expire", 1440, hour=3),  # deadlines are days: nightly
    Scheduled("planning.forecast", 1440, hour=2),  # nightly, after the day's orders
)
