"""Return routes: RMAs for staff (``/api/v1/returns``) and the public portal
(``/api/v1/portal/returns``, no key: the order number must match the e-mail or postal code)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response, status

from maillon.core import clock
from maillon.core.auth import Principal, Role
from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.core.http import DbDep, IdPath, Page, PageDep, allow
from maillon.orders.model import order_number
from maillon.returns import service
from maillon.returns.config import settings_to_dict
from maillon.returns.queries import stats
from maillon.returns.schemas import (
    AnalyticsRead,
    DispositionCreate,
    EventRead,
    HeadRead,
    InspectionCreate,
    LabelCreate,
    LabelRead,
    Note,
    PortalCreate,
    PortalCreated,
    PortalLabelCreate,
    PortalLineRead,
    PortalLookup,
    PortalViewRead,
    RateRead,
    ReceiptCreate,
    RejectionCreate,
    ReturnCreate,
    ReturnLineRead,
    ReturnRead,
    SettlementCreate,
    SettlementRead,
    UnitRead,
    VerifyRead,
    parse_content,
)
from maillon.returns.service import record
from maillon.returns.tables import ReturnEvent, ReturnRequest

router = APIRouter(tags=["returns"])
staff = APIRouter(prefix="/api/v1/returns")
portal = APIRouter(prefix="/api/v1/portal/returns", tags=["return portal"])

Desk = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]
Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]
Manager = Annotated[Principal, Depends(allow(Role.OPERATOR))]


def event_read(e: ReturnEvent) -> EventRead:
    """Return the response model of a chain entry."""
    return EventRead(
        seq=e.seq,
        type=e.event_type,
        return_id=e.return_id,
        actor=e.actor,
        created_at=e.created_at,
        content=parse_content(e.content),
        content_hash=e.content_hash,
        prev_hash=e.prev_hash,
        entry_hash=e.entry_hash,
    )


def label_read(r: ReturnRequest) -> LabelRead:
    """Return the label part of an RMA."""
    return LabelRead(
        status=r.label_status, carrier=r.label_carrier, tracking_number=r.label_tracking
    )


def return_read(r: ReturnRequest, events: list[ReturnEvent] | None = None) -> ReturnRead:
    """Return the response model of an RMA (with its chain entries when given)."""
    return ReturnRead(
        id=r.id,
        number=r.number,
        order=order_number(r.order_id),
        status=r.status,
        reason=r.reason,
        channel=r.channel,
        return_shipping_paid_by=r.return_shipping_paid_by,
        warehouse=r.warehouse_code,
        label=label_read(r),
        note=r.note,
        created_at=r.created_at,
        decided_at=r.decided_at,
        received_at=r.received_at,
        inspected_at=r.inspected_at,
        settled_at=r.settled_at,
        closed_at=r.closed_at,
        lines=[
            ReturnLineRead(
                id=x.id,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason_code,
                unit_price_cents=x.unit_price_cents,
                received_quantity=x.received_quantity,
                disposition=x.disposition,
            )
            for x in r.lines
        ],
        units=[
            UnitRead(
                id=u.id,
                line_id=u.return_line_id,
                sku=u.sku,
                quantity=u.quantity,
                grade=u.grade,
                proposed=u.proposed,
                disposition=u.disposition,
                warehouse=u.warehouse_code,
                location=u.location_code,
                note=u.note,
            )
            for u in r.units
        ],
        settlements=[settlement_read(s) for s in r.settlements],
        events=[event_read(e) for e in events] if events is not None else None,
    )


def settlement_read(s: Any) -> SettlementRead:
    """Return the response model of a settlement."""
    return SettlementRead(
        id=s.id,
        method=s.method,
        goods_cents=s.goods_cents,
        restocking_fee_cents=s.restocking_fee_cents,
        shipping_refund_cents=s.shipping_refund_cents,
        return_label_cents=s.return_label_cents,
        deduction_cents=s.deduction_cents,
        bonus_cents=s.bonus_cents,
        refund_cents=s.refund_cents,
        store_credit_cents=s.store_credit_cents,
        replacement_lines=list(s.replacement_lines),
        reference=s.reference,
        note=s.note,
        created_at=s.created_at,
    )


# --- the record, settings and analytics (before /{return_id}) -----------------------------------


@staff.get("/ledger", response_model=Page[EventRead])
def list_ledger(db: DbDep, page: PageDep, _: Manager) -> Page[EventRead]:
    """Entries of the tamper-evident record, newest first."""
    with db.reader() as session:
        rows, total = record.list_events(session=session, limit=page.limit, offset=page.offset)
        return Page(
            items=[event_read(e) for e in rows], total=total, limit=page.limit, offset=page.offset
        )


@staff.get("/ledger/head", response_model=HeadRead)
def ledger_head(db: DbDep, _: Manager) -> HeadRead:
    """The head of the chain (entries, last hash) to anchor elsewhere."""
    with db.reader() as session:
        return HeadRead(**record.head(session=session).to_dict())


@staff.get("/ledger/verify", response_model=VerifyRead)
def ledger_verify(
    db: DbDep,
    _: Manager,
    expected_head: Annotated[
        str | None, Query(pattern="^[0-9a-f]{64}$", description="a head exported earlier")
    ] = None,
) -> VerifyRead:
    """Re-compute the chain; name the first entry altered, removed or reordered."""
    with db.reader() as session:
        report = record.verify_chain(session=session, expected_head=expected_head)
    return VerifyRead(
        ok=report.ok,
        entries=report.count,
        head=report.head_hash,
        head_seq=report.head_seq,
        bad_seq=report.bad_seq,
        problem=report.problem,
        message=report.message or f"chain intact: {report.count} entries",
    )


@staff.get("/settings")
def get_settings(db: DbDep, _: Desk) -> dict[str, Any]:
    """The merchant's return policy and handling settings."""
    with db.reader() as session:
        return settings_to_dict(service.load_settings(session=session))


@staff.put("/settings")
def put_settings(
    db: DbDep, who: Manager, document: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Replace the return settings (missing keys take the defaults); 422 names bad fields."""
    with db.transaction() as session:
        return settings_to_dict(
            service.save_settings(session=session, document=document, actor=who.actor)
        )


@staff.get("/analytics", response_model=AnalyticsRead)
def analytics(
    db: DbDep,
    _: Desk,
    by: Annotated[str, Query(max_length=20)] = "sku",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> AnalyticsRead:
    """Return rate and reasons per SKU or category for orders delivered in the period
    (default: the last 90 days)."""
    end = clock.as_utc(end) if end else clock.now()
    start = clock.as_utc(start) if start else end - timedelta(days=90)
    with db.reader() as session:
        rows = stats.return_rates(session=session, start=start, end=end, by=by)
    delivered = sum(r.delivered_units for r in rows)
    returned = sum(r.returned_units for r in rows)
    reasons: dict[str, int] = {}
    for r in rows:
        for code, n in r.reasons.items():
            reasons[code] = reasons.get(code, 0) + n
    return AnalyticsRead(
        by=by,
        start=start,
        end=end,
        delivered_units=delivered,
        returned_units=returned,
        rate_pct=round(100 * returned / delivered, 2) if delivered else 0.0,
        reasons=dict(sorted(reasons.items(), key=lambda x: (-x[1], x[0]))),
        rows=[
            RateRead(
                key=r.key,
                delivered_units=r.delivered_units,
                returned_units=r.returned_units,
                rate_pct=r.rate_pct,
                reasons=r.reasons,
            )
            for r in rows
        ],
    )


# --- RMAs ---------------------------------------------------------------------------------------


@staff.post("", status_code=status.HTTP_201_CREATED, response_model=ReturnRead)
def create_return(body: ReturnCreate, db: DbDep, who: Desk) -> ReturnRead:
    """Open an RMA for delivered units (the policy applies unless ``override``)."""
    with db.transaction() as session:
        r = service.request_return(
            session=session,
            number=body.order,
            reason=body.reason,
            actor=who.actor,
            lines=[
                (x.sku, x.quantity, x.reason) if x.reason else (x.sku, x.quantity)
                for x in body.lines
            ],
            enforce_policy=not body.override,
        )
        return return_read(r)


@staff.get("", response_model=Page[ReturnRead])
def list_returns(
    db: DbDep,
    page: PageDep,
    _: Desk,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    order: Annotated[str | None, Query(max_length=20)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ReturnRead]:
    """RMAs, newest first, filtered by status, order number or SKU."""
    with db.reader() as session:
        rows = service.list_returns(
            session=session,
            limit=page.limit,
            offset=page.offset,
            status=status_,
            order=order,
            sku=sku,
        )
        total = service.count_returns(session=session, status=status_, order=order, sku=sku)
        return Page(
            items=[return_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset
        )


@staff.get("/{return_id}", response_model=ReturnRead)
def get_return(return_id: IdPath, db: DbDep, _: Desk) -> ReturnRead:
    """One RMA with its entries in the tamper-evident record."""
    with db.reader() as session:
        r = service.get_return(session=session, return_id=return_id)
        return return_read(r, list(record.events_of(session=session, return_id=r.id)))


@staff.post("/{return_id}/approve", response_model=ReturnRead)
def approve(return_id: IdPath, body: Note, db: DbDep, who: Desk) -> ReturnRead:
    """Approve a requested return (its label is issued, or recorded as pending)."""
    with db.transaction() as session:
        return return_read(
            service.approve(session=session, return_id=return_id, actor=who.actor, note=body.note)
        )


@staff.post("/{return_id}/reject", response_model=ReturnRead)
def reject(return_id: IdPath, body: RejectionCreate, db: DbDep, who: Desk) -> ReturnRead:
    """Refuse a requested return, saying why (the customer is told)."""
    with db.transaction() as session:
        return return_read(
            service.reject(session=session, return_id=return_id, actor=who.actor, note=body.note)
        )


@staff.post("/{return_id}/cancel", response_model=ReturnRead)
def cancel(return_id: IdPath, body: Note, db: DbDep, who: Desk) -> ReturnRead:
    """Cancel a return before its parcel arrives."""
    with db.transaction() as session:
        return return_read(
            service.cancel(session=session, return_id=return_id, actor=who.actor, note=body.note)
        )


@staff.post("/{return_id}/label", response_model=ReturnRead)
def label(return_id: IdPath, body: LabelCreate, db: DbDep, who: Desk) -> ReturnRead:
    """Issue the return label through shipping, or record one bought elsewhere."""
    with db.transaction() as session:
        return return_read(
            service.record_label(
                session=session,
                return_id=return_id,
                carrier=body.carrier,
                tracking_number=body.tracking_number,
                actor=who.actor,
            )
        )


@staff.post("/{return_id}/receive", response_model=ReturnRead)
def receive(return_id: IdPath, body: ReceiptCreate, db: DbDep, who: Floor) -> ReturnRead:
    """Record the parcel's arrival (all units, or what a short parcel held)."""
    quantities = None
    if body.lines is not None:
        quantities = {}
        for i, x in enumerate(body.lines):
            if x.line_id in quantities:
                raise ValidationError(FieldError(f"lines.{i}.line_id", "given twice"))
            quantities[x.line_id] = x.quantity
    with db.transaction() as session:
        return return_read(
            service.receive(
                session=session,
                return_id=return_id,
                actor=who.actor,
                warehouse=body.warehouse,
                quantities=quantities,
            )
        )


@staff.post("/{return_id}/inspect", response_model=ReturnRead)
def inspect(return_id: IdPath, body: InspectionCreate, db: DbDep, who: Floor) -> ReturnRead:
    """Grade every received unit; the policy proposes a disposition for each."""
    with db.transaction() as session:
        return return_read(
            service.inspect(
                session=session,
                return_id=return_id,
                actor=who.actor,
                grades=[
                    service.Grading(g.line_id, g.grade.value, g.quantity, g.note)
                    for g in body.grades
                ],
            )
        )


@staff.post("/{return_id}/disposition", response_model=ReturnRead)
def dispose(return_id: IdPath, body: DispositionCreate, db: DbDep, who: Floor) -> ReturnRead:
    """Restock (back into sellable stock), refurbish, return to vendor or scrap."""
    choices = None
    if body.choices is not None:
        choices = [
            service.DispositionChoice(
                c.unit_id, c.disposition.value if c.disposition else None, c.location
            )
            for c in body.choices
        ]
    with db.transaction() as session:
        return return_read(
            service.dispose(session=session, return_id=return_id, actor=who.actor, choices=choices)
        )


@staff.post("/{return_id}/settle", response_model=ReturnRead)
def settle(return_id: IdPath, body: SettlementCreate, db: DbDep, who: Desk) -> ReturnRead:
    """Refund, credit or exchange the received units (never more than was paid)."""
    with db.transaction() as session:
        service.settle(
            session=session,
            return_id=return_id,
            method=body.method.value,
            actor=who.actor,
            reference=body.reference,
            return_label_cents=body.return_label_cents,
            deduction_cents=body.deduction_cents,
            note=body.note,
        )
        return return_read(service.get_return(session=session, return_id=return_id))


@staff.post("/{return_id}/close", response_model=ReturnRead)
def close(return_id: IdPath, body: Note, db: DbDep, who: Desk) -> ReturnRead:
    """Close an inspected or settled return."""
    with db.transaction() as session:
        return return_read(
            service.close(session=session, return_id=return_id, actor=who.actor, note=body.note)
        )


# --- the public portal --------------------------------------------------------------------------


def portal_view_read(view: service.PortalView) -> PortalViewRead:
    """Return the response model of the portal view."""
    return PortalViewRead(
        order=view.order,
        delivered=view.delivered,
        lines=[PortalLineRead(**vars(x)) for x in view.lines],
        reasons=view.reasons,
    )


@portal.post("/lookup", response_model=PortalViewRead)
def portal_lookup(body: PortalLookup, db: DbDep) -> PortalViewRead:
    """What this order allows to send back (404 unless the number matches the e-mail or postal
    code; the same answer for an unknown order)."""
    with db.reader() as session:
        order = service.find_order_for_customer(
            session=session, number=body.order, contact=body.contact
        )
        return portal_view_read(service.portal_view(session=session, order=order))


def portal_created(opened: service.PortalReturn) -> PortalCreated:
    """Return the response model of a return the portal opened (or its label)."""
    r = opened.request
    return PortalCreated(
        rma=r.number,
        status=r.status,
        label=label_read(r),
        instructions=service.customer_instructions(r),
        lines=[{"sku": x.sku, "quantity": x.quantity, "reason": x.reason_code} for x in r.lines],
        label_url=f"/returns/label/{opened.label_token}" if opened.label_token else None,
        label_problem=opened.label_problem,
        label_retry=opened.label_retry,
    )


@portal.post("", status_code=status.HTTP_201_CREATED, response_model=PortalCreated)
def portal_create(body: PortalCreate, db: DbDep) -> PortalCreated:
    """Request a return: the RMA number, what to do next and, once approved, the prepaid
    label's download link (or why the carrier could not issue it)."""
    with db.transaction() as session:
        return portal_created(
            service.portal_request(
                session=session,
                number=body.order,
                contact=body.contact,
                lines=[(x.sku, x.quantity, x.reason) for x in body.lines],
                comment=body.comment,
                want_label=body.want_label,
            )
        )


@portal.post("/label", response_model=PortalCreated)
def portal_label(body: PortalLabelCreate, db: DbDep) -> PortalCreated:
    """Get the prepaid label of an approved return (issued now, or the one issued); a carrier
    that cannot issue it says why in ``label_problem`` (404 unless order, contact and RMA
    match; 409 when the return is not approved)."""
    with db.transaction() as session:
        return portal_created(
            service.portal_label(
                session=session, number=body.order, contact=body.contact, rma=body.rma
            )
        )


@staff.get("/{return_id}/label.pdf", response_class=Response)
def label_pdf(return_id: IdPath, db: DbDep, _: Desk) -> Response:
    """The prepaid return label the carrier issued, as a PDF (404 when none was issued here)."""
    with db.reader() as session:
        r = service.get_return(session=session, return_id=return_id)
        kept = service.label_of(session, r)
        if kept is None:
            raise NotFound("return label", r.number, field="return_id")
        content, number = kept.content, r.number
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="return-label-{number}.pdf"'},
    )


router.include_router(staff)
router.include_router(portal)
