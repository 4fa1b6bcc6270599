"""Assembles Maillon: loads every package's tables and wires domain-event subscribers.

Lower packages publish events through :mod:`maillon.core.outbox`; the higher packages that
react are subscribed here, once, when an app or command starts. Nothing below imports this.
"""

from __future__ import annotations

from maillon.core import outbox

_assembled = False


def load_tables() -> None:
    """Import every table module so the metadata knows the whole schema."""
    import maillon.acquisition.tables
    import maillon.analytics.tables
    import maillon.care.tables
    import maillon.catalog.tables
    import maillon.channels.tables
    import maillon.core.tables
    import maillon.delivery.tables
    import maillon.fraud.tables
    import maillon.inventory.tables
    import maillon.orders.tables
    import maillon.planning.tables
    import maillon.returns.tables
    import maillon.shipping.tables
    import maillon.warehouse.tables
    import maillon.webhooks.tables  # noqa: F401


def assemble() -> None:
    """Load the tables and subscribe the event handlers (idempotent)."""
    global _assembled
    load_tables()
    if _assembled:
        return
    from maillon.orders import service as orders
    from maillon.warehouse import service as warehouse

    outbox.subscribe("order.cancelled", warehouse.on_order_cancelled)
    outbox.subscribe("stock.received", orders.on_stock_received)
    # --- shipping and delivery subscriptions ---
    from maillon.orders import routes as order_routes
    from maillon.shipping import routes as shipping_routes
    from maillon.shipping import service as shipping
    from maillon.shipping.service import quoting
    from maillon.warehouse.service import packing_flow

    outbox.subscribe("order.packed", shipping.on_order_packed)
    order_routes.show_parcels_with(shipping_routes.order_parcels)
    packing_flow.price_cartons_with(
        lambda session, order: quoting.carton_tariff(session=session, order=order)
    )
    from maillon.delivery import service as delivery

    outbox.subscribe("order.cancelled", delivery.on_order_cancelled)
    from maillon.delivery.service import collect

    outbox.subscribe("order.cancelled", collect.on_order_cancelled)
    collect.install()  # orders collected in store wait for the customer, not for a picker
    # --- channels: the shop an order came from learns it shipped ---
    from maillon.channels.service import outgoing as channels_out

    outbox.subscribe("order.shipped", channels_out.on_order_shipped)
    # --- returns subscriptions ---
    # --- care subscriptions ---
    from maillon.care import service as care

    outbox.subscribe("shipment.delayed", care.on_shipment_delayed)
    outbox.subscribe("return.requested", care.on_return_requested)
    # --- fraud, acquisition and analytics subscriptions ---
    from maillon.fraud import service as fraud

    fraud.install()  # scores every order.created in the order's transaction
    from maillon.delivery.service import choice as delivery_choice

    # the relay point, store or slot an order chose exist; its slot is booked (after fraud)
    delivery_choice.install()
    # --- warehouse execution subscriptions ---
    # --- planning subscriptions ---
    # --- outgoing webhooks: every event of their catalogue, whoever publishes it ---
    from maillon.webhooks import service as webhooks

    webhooks.install()
    _assembled = True
