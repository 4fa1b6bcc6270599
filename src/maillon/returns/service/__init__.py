"""Return use cases: RMAs from the portal or an agent, approval, labels, receipt, inspection,
disposition, settlement and the merchant's return settings.

Every change writes an entry to the tamper-evident record (:mod:`maillon.returns.service.record`) in
the same transaction, and tells the customer through the outbox. Units come back into stock
only through ledger movements (:func:`maillon.inventory.service.receive` with kind
``return``): restocked units into a sellable pick location, units to refurbish or to return to
their vendor into non-sellable locations; scrapped units never enter stock.

One use case family per module: :mod:`.settings`, :mod:`.rmas` (reading, locking, state
moves), :mod:`.eligibility`, :mod:`.requests`, :mod:`.portal`, :mod:`.decisions` (approve,
labels, reject, cancel, close), :mod:`.inspection` (receipt and grading),
:mod:`.disposition` and :mod:`.refunds` (settlement). Import the use cases from here.
"""

from __future__ import annotations

from maillon.returns.service.decisions import (
    approve,
    approve_with_label,
    cancel,
    close,
    issue_label_job,
    issue_pending_label,
    record_label,
    reject,
)
from maillon.returns.service.disposition import DispositionChoice, dispose, receive_return
from maillon.returns.service.eligibility import check_eligibility
from maillon.returns.service.inspection import Grading, inspect, receive
from maillon.returns.service.labels import label_document, label_of
from maillon.returns.service.portal import (
    NoMatchingOrder,
    PortalLine,
    PortalReturn,
    PortalView,
    customer_instructions,
    find_order_for_customer,
    find_return_for_customer,
    portal_label,
    portal_request,
    portal_view,
)
from maillon.returns.service.refunds import refunded_cents, settle
from maillon.returns.service.requests import request_return
from maillon.returns.service.rmas import count_returns, get_return, list_returns, order_of
from maillon.returns.service.settings import load_settings, save_settings

__all__ = [
    "DispositionChoice",
    "Grading",
    "NoMatchingOrder",
    "PortalLine",
    "PortalReturn",
    "PortalView",
    "approve",
    "approve_with_label",
    "cancel",
    "check_eligibility",
    "close",
    "count_returns",
    "customer_instructions",
    "dispose",
    "find_order_for_customer",
    "find_return_for_customer",
    "get_return",
    "inspect",
    "issue_label_job",
    "issue_pending_label",
    "label_document",
    "label_of",
    "list_returns",
    "load_settings",
    "order_of",
    "portal_label",
    "portal_request",
    "portal_view",
    "receive",
    "receive_return",
    "record_label",
    "refunded_cents",
    "reject",
    "request_return",
    "save_settings",
    "settle",
]
