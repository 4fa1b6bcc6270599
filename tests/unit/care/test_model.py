"""Pure after-sales rules: workflow, inbound parsing, round-robin choice, stats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from maillon.care import model
from maillon.care.model import AgentCandidate, TicketFacts


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("new", "open", True),
        ("new", "resolved", True),
        ("open", "waiting_on_customer", True),
        ("waiting_on_customer", "open", True),
        ("resolved", "open", True),
        ("resolved", "waiting_on_customer", False),
        ("closed", "open", False),
        ("open", "new", False),
        ("nonsense", "open", False),
    ],
)
def test_transitions(current: str, target: str, allowed: bool) -> None:
    assert model.can_transition(current, target) is allowed


def test_customer_message_reopens_waiting_and_resolved_tickets() -> None:
    assert model.status_after_customer_message("waiting_on_customer") == "open"
    assert model.status_after_customer_message("resolved") == "open"
    assert model.status_after_customer_message("new") == "new"
    with pytest.raises(ValueError, match="closed"):
        model.status_after_customer_message("closed")


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("Re: Damaged mug [T42]",), 42),
        ((None, "Re: [ T-7 ] hello"), 7),
        (("T12", "Re: [T42]"), 12),
        (("123",), 123),
        (("About ticket #55, again",), 55),
        (("Order M0000042 is late",), None),
        (("", None), None),
    ],
)
def test_find_ticket_reference(texts: tuple[str | None, ...], expected: int | None) -> None:
    assert model.find_ticket_reference(*texts) == expected


def test_order_numbers_and_sender() -> None:
    text = "orders m0000042 and M0000007, again M0000042; not M00001 nor XM0000003"
    assert model.find_order_numbers(text) == ["M0000042", "M0000007"]
    assert model.parse_sender("Camille Martin <Camille@Example.FR>") == (
        "Camille Martin",
        "camille@example.fr",
    )
    assert model.parse_sender("") == ("", "")


def agent(i: int, skills: str = "", active: bool = True, last: int | None = None) -> AgentCandidate:
    at = None if last is None else datetime(2026, 1, 1, last, tzinfo=UTC)
    return AgentCandidate(i, frozenset(skills.split()), active, at)


def test_pick_agent_round_robin_and_skill() -> None:
    team = [agent(1, last=10), agent(2, "returns", last=9), agent(3, active=False), agent(4)]
    assert model.pick_agent(team).id == 4  # type: ignore[union-attr]  # never assigned
    assert model.pick_agent(team[:2]).id == 2  # type: ignore[union-attr]  # least recent
    assert model.pick_agent(team, skill="returns").id == 2  # type: ignore[union-attr]
    assert model.pick_agent(team, skill="payment") is None
    assert model.pick_agent([agent(3, active=False)]) is None
    tie = [agent(5), agent(2)]
    assert model.pick_agent(tie).id == 2  # type: ignore[union-attr]


def test_summarise_groups_times_csat_and_breaches() -> None:
    facts = [
        TicketFacts("ana", "delivery", 1.0, 5.0, 5, 0),
        TicketFacts("ana", "returns", 3.0, None, 2, 1),
        TicketFacts("bob", "delivery", None, None, None, 2),
    ]
    ana, bob = model.summarise(facts, by="agent")
    assert (ana.key, ana.tickets, ana.answered, ana.resolved) == ("ana", 2, 2, 1)
    assert ana.first_response_median_h == 2.0 and ana.resolution_mean_h == 5.0
    assert ana.csat_average == 3.5 and ana.csat_satisfied_pct == 50.0 and ana.breaches == 1
    assert bob.first_response_median_h is None and bob.csat_average is None and bob.breaches == 2
    delivery, returns = model.summarise(facts, by="category")
    assert (delivery.tickets, returns.tickets) == (2, 1)
    with pytest.raises(ValueError, match="by"):
        model.summarise(facts, by="day")


def test_every_intent_maps_to_a_known_queue_and_a_reply() -> None:
    assert set(model.INTENT_CATEGORY) == set(model.INTENTS)
    assert set(model.INTENT_CATEGORY.values()) <= set(model.CATEGORIES)
    assert set(model.INTENT_TEMPLATE) == set(model.INTENTS) - {"other"}
    assert model.category_of_intent("unheard_of") == "other"
    assert model.category_of_intent(None) == "other"
    assert model.category_of_intent("track_refund") == "refund"  # a former label


def test_the_label_set_is_the_e_commerce_one_and_old_labels_map_onto_it() -> None:
    assert model.INTENTS == (
        "track_order", "damaged_item", "missing_or_wrong_item", "return_item", "refund_status",
        "cancel_order", "change_order", "change_shipping_address", "delivery_options",
        "invoice", "payment", "account", "contact_human_agent", "other",
    )  # fmt: skip
    assert set(model.OLD_INTENTS.values()) <= set(model.INTENTS)
    assert model.intent_of_label("get_invoice") == "invoice"
    assert model.intent_of_label("return_item") == "return_item"
    assert model.intent_of_label("") == "other"
