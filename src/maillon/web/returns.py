"""Console pages of returns: the queue (counts per status, a filter, one page), one return
with its lines, units, settlements and record, and the forms of its next steps (approve,
reject, cancel, receive, inspect, dispose of, settle, close), each for the roles the API allows.
The pages call :mod:`maillon.returns.service` and :mod:`maillon.returns.queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from maillon.core.auth import Role
from maillon.core.errors import MaillonError, NotFound
from maillon.core.users import ConsoleUser
from maillon.orders.model import order_number
from maillon.orders.queries import currency_of
from maillon.returns import queries
from maillon.returns import service as returns
from maillon.returns.model import ReturnStatus
from maillon.returns.policy import Disposition, Grade, RefundMethod
from maillon.returns.schemas import parse_content
from maillon.returns.service import record
from maillon.web import portal
from maillon.web.console import (
    CARE,
    OPERATORS,
    CarePage,
    LoginRequired,
    allowed,
    check_csrf,
    console_router,
    current_user,
    database,
    on_refusal,
    page_count,
    render,
    require,
    whole,
)

router = console_router()

PAGE = 50

#: What a return's next steps are, by status: (action, roles allowed: as the API allows).
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    ReturnStatus.REQUESTED.value: ("approve", "reject", "cancel"),
    ReturnStatus.APPROVED.value: ("label", "receive", "cancel"),
    ReturnStatus.LABEL_ISSUED.value: ("receive", "cancel"),
    ReturnStatus.RECEIVED.value: ("inspect",),
    ReturnStatus.INSPECTED.value: ("dispose", "settle", "close"),
    ReturnStatus.SETTLED.value: ("dispose", "close"),
}
#: Receipt, inspection and disposition are warehouse work (the API allows operators and
#: pickers; the returns pages are for operators and agents, so operators); the rest is the
#: customer desk's (operators and agents).
ACTION_ROLES: dict[str, tuple[Role, ...]] = {
    "approve": CARE,
    "label": CARE,
    "reject": CARE,
    "cancel": CARE,
    "settle": CARE,
    "close": CARE,
    "receive": OPERATORS,
    "inspect": OPERATORS,
    "dispose": OPERATORS,
}


Status = Annotated[str, Query(max_length=20)]
OrderNumber = Annotated[str, Query(max_length=20)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


def _queue_page(
    request: Request,
    user: ConsoleUser,
    session: Session,
    filters: dict[str, str],
    page: int,
    rows: Sequence[Any],
    total: int,
    error: str | None = None,
) -> Response:
    """The returns queue: counts per status, the filter and one page of returns."""
    counts = queries.count_by_status(session=session)
    items = [
        {
            "id": r.id,
            "number": r.number,
            "order": order_number(r.order_id),
            "status": r.status,
            "reason": r.reason,
            "channel": r.channel,
            "warehouse": r.warehouse_code,
            "units": sum(x.quantity for x in r.lines),
            "created_at": r.created_at,
        }
        for r in rows
    ]
    return render(
        request,
        "returns.html",
        user,
        status_code=422 if error else 200,
        counts=[(s.value, counts.get(s.value, 0)) for s in ReturnStatus],
        all_count=sum(counts.values()),
        items=items,
        total=total,
        page=page,
        pages=page_count(total, PAGE),
        filters=filters,
        error=error,
    )


def _queue_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The queue with the filter's refusal and no returns."""
    filters = {"status": values.get("status", ""), "order": values.get("order", "")}
    page = int(values.get("page", "1"))
    with database(request).reader() as session:
        return _queue_page(request, user, session, filters, page, [], 0, error=exc.message)


@router.get("/returns/queue", response_class=HTMLResponse)
@on_refusal(_queue_refused)
def returns_queue(
    request: Request, user: CarePage, status: Status = "", order: OrderNumber = "", page: PageNo = 1
) -> Response:
    """The returns queue: counts per status, a status filter and one page of returns."""
    with database(request).reader() as session:
        rows = returns.list_returns(
            session=session,
            limit=PAGE,
            offset=(page - 1) * PAGE,
            status=status or None,
            order=order.strip() or None,
        )
        total = returns.count_returns(
            session=session, status=status or None, order=order.strip() or None
        )
        filters = {"status": status, "order": order}
        return _queue_page(request, user, session, filters, page, rows, total)


@router.get("/returns", response_class=HTMLResponse)
@on_refusal(_queue_refused)
def returns_page(
    request: Request, status: Status = "", order: OrderNumber = "", page: PageNo = 1
) -> Response:
    """The returns queue for signed-in staff; a visitor who is not signed in gets the
    customers' return portal (:mod:`maillon.web.portal`), which shares this address.

    The portal's own ``GET /returns`` is included in the app before the console, so this route
    only answers once the console is mounted first; ``/returns/queue`` always answers.
    """
    try:
        current_user(request)
    except LoginRequired:
        return portal.returns_form(request)
    user = require(request, *CARE)
    return returns_queue(request, user, status=status, order=order, page=page)


def _summary(content: dict[str, Any]) -> str:
    """Return a record entry's data in short words (``key value`` pairs; lists of pairs)."""
    data = content.get("data", content)
    if not isinstance(data, dict):
        return str(data)[:300]

    def words(value: Any) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{k} {words(v)}" for k, v in value.items() if v not in ("", None))
        if isinstance(value, list):
            return "; ".join(words(v) for v in value)
        return str(value)

    parts = [
        f"{k}: {words(v)}"
        for k, v in data.items()
        if k not in ("rma", "from") and v not in ("", None, [], {})
    ]
    return " · ".join(parts)[:600]


def _return_view(r: Any) -> dict[str, Any]:
    """A return as its page shows it: the request, its lines, graded units, settlements."""
    return {
        "id": r.id,
        "number": r.number,
        "order": order_number(r.order_id),
        "status": r.status,
        "reason": r.reason,
        "channel": r.channel,
        "note": r.note,
        "warehouse": r.warehouse_code,
        "label": (r.label_status, r.label_carrier, r.label_tracking),
        "label_pdf": f"/returns/{r.id}/label.pdf",
        "paid_by": r.return_shipping_paid_by,
        "created_at": r.created_at,
        "lines": [
            {
                "id": x.id,
                "sku": x.sku,
                "quantity": x.quantity,
                "reason": x.reason_code,
                "price": x.unit_price_cents,
                "received": x.received_quantity,
                "disposition": x.disposition,
            }
            for x in r.lines
        ],
        "units": [
            {
                "id": u.id,
                "sku": u.sku,
                "quantity": u.quantity,
                "grade": u.grade,
                "proposed": u.proposed,
                "disposition": u.disposition,
                "location": u.location_code,
                "note": u.note,
            }
            for u in r.units
        ],
        "settlements": [
            {
                "method": s.method,
                "refund": s.refund_cents,
                "credit": s.store_credit_cents,
                "fee": s.restocking_fee_cents,
                "deduction": s.deduction_cents,
                "reference": s.reference,
                "at": s.created_at,
            }
            for s in r.settlements
        ],
    }


def _next_steps(r: Any, user: ConsoleUser) -> list[str]:
    """The steps the user may take next on a return: disposing needs units left to dispose
    of, closing needs none left."""
    steps = [a for a in NEXT_STEPS.get(r.status, ()) if allowed(user, ACTION_ROLES[a])]
    pending = [u for u in r.units if not u.disposition]
    if not pending and "dispose" in steps:
        steps.remove("dispose")
    if pending and "close" in steps:
        steps.remove("close")
    return steps


def _return_response(
    request: Request,
    user: ConsoleUser,
    return_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The detail page of a return, with the forms of its next steps the user may take."""
    with database(request).reader() as session:
        try:
            r = returns.get_return(session=session, return_id=return_id)
        except NotFound:
            return render(
                request, "error.html", user, status_code=404, message=f"No return {return_id}"
            )
        events = [
            {
                "seq": e.seq,
                "type": e.event_type,
                "actor": e.actor,
                "at": e.created_at,
                "details": _summary(parse_content(e.content)),
            }
            for e in record.events_of(session=session, return_id=r.id)
        ]
        steps = _next_steps(r, user)
        view = _return_view(r)
        currency = currency_of(session=session, order_id=r.order_id) or "EUR"
    return render(
        request,
        "returns_detail.html",
        user,
        status_code=status_code,
        r=view,
        currency=currency,
        events=events,
        steps=steps,
        pending=[u for u in view["units"] if not u["disposition"]],
        grades=[(g.value, g.description) for g in Grade],
        dispositions=[d.value for d in Disposition],
        methods=[m.value for m in RefundMethod],
        error=error,
    )


@router.get("/returns/{return_id}", response_class=HTMLResponse)
def return_page(request: Request, user: CarePage, return_id: int) -> Response:
    """One return: lines, units, settlements, its record, and forms for its next steps."""
    return _return_response(request, user, return_id)


@router.get("/returns/{return_id}/label.pdf")
def return_label_pdf(request: Request, _user: CarePage, return_id: int) -> Response:
    """The prepaid return label the carrier issued (404 when it was bought elsewhere)."""
    with database(request).reader() as session:
        r = returns.get_return(session=session, return_id=return_id)
        kept = returns.label_of(session, r)
        if kept is None:
            return Response("No return label was issued here.", status_code=404)
        content, number = kept.content, r.number
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="return-label-{number}.pdf"'},
    )


def _approve(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.approve(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _label(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.record_label(
        session=session,
        return_id=rid,
        carrier=form.get("carrier", "").strip()[:40] or None,
        tracking_number=form.get("tracking_number", "").strip()[:64] or None,
        actor=actor,
    )


def _reject(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.reject(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _cancel(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.cancel(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _close(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.close(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _receive(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    request = returns.get_return(session=session, return_id=rid)
    quantities = {
        line.id: whole(form.get(f"qty_{line.id}", ""), f"lines.{line.id}", high=line.quantity)
        for line in request.lines
    }
    returns.receive(
        session=session,
        return_id=rid,
        actor=actor,
        warehouse=form.get("warehouse", "").strip() or None,
        quantities=quantities,
    )


def _inspect(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    request = returns.get_return(session=session, return_id=rid)
    grades = []
    for line in request.lines:
        note = form.get(f"note_{line.id}", "")[:200]
        for grade in Grade:
            raw = form.get(f"grade_{line.id}_{grade.value}", "")
            n = whole(raw or "0", f"lines.{line.id}.{grade.value}")
            if n:
                grades.append(returns.Grading(line.id, grade.value, n, note))
    returns.inspect(session=session, return_id=rid, actor=actor, grades=grades)


def _dispose(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    request = returns.get_return(session=session, return_id=rid)
    choices = [
        returns.DispositionChoice(
            u.id,
            form.get(f"disposition_{u.id}") or None,
            form.get(f"location_{u.id}", "").strip() or None,
        )
        for u in request.units
        if not u.disposition
    ]
    returns.dispose(session=session, return_id=rid, actor=actor, choices=choices)


def _settle(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.settle(
        session=session,
        return_id=rid,
        method=form.get("method", ""),
        actor=actor,
        reference=form.get("reference", "").strip()[:100],
        return_label_cents=whole(form.get("return_label_cents") or "0", "return_label_cents"),
        deduction_cents=whole(form.get("deduction_cents") or "0", "deduction_cents"),
        note=form.get("note", "")[:500],
    )


ACTIONS: dict[str, Callable[[Session, int, str, Mapping[str, str]], None]] = {
    "approve": _approve,
    "label": _label,
    "reject": _reject,
    "cancel": _cancel,
    "close": _close,
    "receive": _receive,
    "inspect": _inspect,
    "dispose": _dispose,
    "settle": _settle,
}


def _action_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The return's page again, with the refusal."""
    return _return_response(
        request, user, int(values["return_id"]), error=exc.message, status_code=exc.status_code
    )


def _run_action(
    user: ConsoleUser, database_: Any, return_id: int, action: str, form: dict[str, str]
) -> None:
    """Carry out one step on a return, in one transaction."""
    with database_.transaction() as session:
        ACTIONS[action](session, return_id, user.principal.actor, form)


@router.post("/returns/{return_id}/{action}", response_class=HTMLResponse)
@on_refusal(_action_refused)
async def return_action(request: Request, return_id: int, action: str) -> Response:
    """Approve, reject, cancel, receive, inspect, dispose of, settle or close a return (each
    with the roles the API allows for it)."""
    if action not in ACTIONS:
        return Response("Not found", status_code=404)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    user = await run_in_threadpool(require, request, *ACTION_ROLES[action])
    check_csrf(user, form.get("csrf"))
    await run_in_threadpool(_run_action, user, database(request), return_id, action, form)
    return RedirectResponse(f"/returns/{return_id}", status_code=303)
