"""Grounded replies: for every intent x order state (x shipment and return situations) x
language, no statement the data contradicts.

Two independent checks: each structured claim of the reply against the facts, and the text
itself read for state words (cancelled, delivered, on its way, refunded, a carrier name, an
address said changed, a placeholder) that the facts must allow.
"""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from maillon.care import grounded
from maillon.care.grounded import Facts, ReturnFacts, ShipmentFacts
from maillon.care.model import INTENTS, Intent
from maillon.orders.model import TRANSITIONS, OrderStatus
from maillon.returns.model import ReturnStatus

_O = OrderStatus
CARRIER = "Colissimo"
SHIPPED_STATES = {_O.SHIPPED, _O.DELIVERED}


def _shipments(status: OrderStatus, with_label: bool) -> tuple[ShipmentFacts, ...]:
    if status in SHIPPED_STATES:
        return (
            ShipmentFacts(
                carrier=CARRIER,
                tracking_numbers=("6A123",),
                tracking_url="https://track.example/6A123",
                delivered_on=date(2026, 3, 2) if status is _O.DELIVERED else None,
            ),
        )
    if status is _O.PACKED and with_label:
        return (ShipmentFacts(carrier=None),)  # packed, no label bought yet
    return ()


def _returns(status: OrderStatus, kind: str) -> tuple[ReturnFacts, ...]:
    if status is not _O.DELIVERED or kind == "none":
        return ()
    if kind == "refunded":
        return (ReturnFacts("R0000007", ReturnStatus.SETTLED, 4500, date(2026, 3, 20)),)
    return (ReturnFacts("R0000007", ReturnStatus.RECEIVED),)


def _cases() -> list[tuple[str, str, Facts]]:
    cases = []
    for status, with_label, kind, lang, intent in itertools.product(
        OrderStatus, (False, True), ("none", "pending", "refunded"), ("fr", "en"), INTENTS
    ):
        facts = Facts(
            first_name="Camille",
            order_number="M0002007",
            order_status=status,
            total_cents=24500,
            delivery_address="Camille Roy, 3 rue Vieille, 69001 Lyon, FR",
            promised_on=date(2026, 3, 1),
            shipments=_shipments(status, with_label),
            returns=_returns(status, kind),
            return_last_day=date(2026, 4, 1) if status is _O.DELIVERED else None,
            agent_name="Léa",
        )
        cases.append((intent, lang, facts))
    for lang, intent in itertools.product(("fr", "en"), INTENTS):
        cases.append((intent, lang, Facts(agent_name="Léa")))  # no order known
    return cases


CASES = _cases()

# Words that state a fact, per language, and what the facts must be for them to be true.
CANCELLED = re.compile(r"\b(is|was|has been|already) cancelled\b|\b(est|a été|déjà) annulée\b")
DELIVERED = re.compile(r"\bas delivered\b|\bwas delivered\b|\bcomme livrée\b|\ba été livrée\b")
ON_ITS_WAY = re.compile(r"\bhas shipped\b|\bis on its way\b|\ba été expédiée\b|\best en route\b")
NOT_SHIPPED = re.compile(r"\bhas not shipped yet\b|\bn'est pas encore partie\b")
CAN_CANCEL = re.compile(r"\bcan still be cancelled\b|\bpeut encore être annulée\b")
REFUNDED = re.compile(r"\bwe refunded\b|\bnous avons remboursé\b")
ADDRESS_CHANGED = re.compile(
    r"\bis now\b|\best désormais\b|\bhas been changed\b|\ba été modifiée\b"
)


def _text_contradictions(text: str, facts: Facts) -> list[str]:
    st = facts.order_status
    found = []
    if "[" in text or "{" in text or "}" in text:
        found.append("placeholder left in the text")
    if CANCELLED.search(text) and st is not _O.CANCELLED:
        found.append(f"says cancelled, order is {st}")
    if DELIVERED.search(text) and st is not _O.DELIVERED:
        found.append(f"says delivered, order is {st}")
    if ON_ITS_WAY.search(text) and st not in SHIPPED_STATES:
        found.append(f"says shipped, order is {st}")
    if NOT_SHIPPED.search(text) and st in (SHIPPED_STATES | {_O.CANCELLED}):
        found.append(f"says not shipped yet, order is {st}")
    if CAN_CANCEL.search(text) and (st is None or _O.CANCELLED not in TRANSITIONS[st]):
        found.append(f"says it can still be cancelled, order is {st}")
    if REFUNDED.search(text) and not any(r.refund_cents for r in facts.returns):
        found.append("says refunded, no refund in the data")
    if ADDRESS_CHANGED.search(text):
        found.append("says the address changed; nothing changed it")
    if CARRIER in text and not any(s.carrier == CARRIER for s in facts.shipments):
        found.append("names a carrier the order has no shipment with")
    if facts.order_number is None and "M0002007" in text:
        found.append("names an order the ticket has none of")
    return found


def _claim_contradictions(reply: grounded.GroundedReply, facts: Facts) -> list[str]:
    truth = {
        "order.status": {facts.order_status.value} if facts.order_status else set(),
        "shipment.carrier": {s.carrier for s in facts.shipments if s.carrier},
        "return.status": {f"{r.number}:{r.status.value}" for r in facts.returns},
        "refund.amount": {f"{r.number}:{r.refund_cents}" for r in facts.returns if r.refund_cents},
        "order.delivery_address": {facts.delivery_address},
        "order.promised_on": {facts.promised_on.isoformat()} if facts.promised_on else set(),
        "return.last_day": {facts.return_last_day.isoformat()} if facts.return_last_day else set(),
    }
    return [
        f"claims {c.subject}={c.value}"
        for c in reply.claims
        if c.value not in truth.get(c.subject, set())
    ]


@pytest.mark.parametrize(("intent", "lang", "facts"), CASES)
def test_no_statement_the_data_contradicts(intent: str, lang: str, facts: Facts) -> None:
    # given an order in one state, when the reply to an intent is built
    reply = grounded.build_reply(intent, lang, facts)
    # then neither its claims nor its words contradict the data
    problems = _claim_contradictions(reply, facts) + _text_contradictions(reply.body, facts)
    assert not problems, f"{intent}/{lang}/{facts.order_status}: {problems}\n{reply.body}"
    assert reply.body.startswith("Bonjour" if lang == "fr" else "Hello")


def test_the_cases_cover_every_intent_and_order_state() -> None:
    seen = {(i, f.order_status) for i, _, f in CASES}
    assert len(seen) == len(INTENTS) * (len(OrderStatus) + 1)


def test_the_checker_catches_the_reported_false_statements() -> None:
    # the replies of issue 21 on a delivered / backordered order are caught
    delivered = Facts(order_number="M0002007", order_status=_O.DELIVERED)
    backordered = Facts(order_number="M0002007", order_status=_O.BACKORDERED)
    assert _text_contradictions("Votre commande M0002007 est annulée.", delivered)
    assert _text_contradictions("Your order is on its way with [shipment.carrier]", backordered)
    assert _text_contradictions("The delivery address of your order is now: 1 rue X", delivered)


def test_order_facts_are_stated_where_they_help() -> None:
    shipped = Facts(
        order_number="M0000042",
        order_status=_O.SHIPPED,
        shipments=(ShipmentFacts(CARRIER, ("6A9",), "https://t.example/6A9"),),
    )
    reply = grounded.build_reply(Intent.TRACK_ORDER, "en", shipped)
    assert "https://t.example/6A9" in reply.body
    assert grounded.Claim("shipment.carrier", CARRIER) in reply.claims
    refunded = Facts(
        order_number="M0000042",
        order_status=_O.DELIVERED,
        returns=(ReturnFacts("R0000003", ReturnStatus.SETTLED, 1250, date(2026, 7, 14)),),
    )
    text = grounded.build_reply(Intent.REFUND_STATUS, "fr", refunded).body
    assert "12,50\u00a0€" in text and "14 juillet 2026" in text


def test_an_order_intent_without_an_order_asks_for_its_number() -> None:
    reply = grounded.build_reply(Intent.CANCEL_ORDER, "fr", Facts())
    assert "numéro de commande" in reply.body and not reply.claims


@pytest.mark.parametrize(("intent", "lang"), [("nope", "fr"), ("track_order", "de")])
def test_unknown_intent_or_language_is_refused(intent: str, lang: str) -> None:
    with pytest.raises(ValueError, match=r"intent|language"):
        grounded.build_reply(intent, lang, Facts())
