"""delivery: zones and slots, click & collect, route plans, couriers

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('couriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('available_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('available_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_couriers')),
    sa.UniqueConstraint('code', name=op.f('uq_couriers_code'))
    )
    op.create_table('delivery_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('prefixes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_zones')),
    sa.UniqueConstraint('code', name=op.f('uq_delivery_zones_code'))
    )
    op.create_table('collect_reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_collect_reservations_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collect_reservations')),
    sa.UniqueConstraint('token', name=op.f('uq_collect_reservations_token'))
    )
    op.create_index(op.f('ix_collect_reservations_warehouse_id'), 'collect_reservations', ['warehouse_id'], unique=False)
    op.create_table('delivery_slot_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_min', sa.Integer(), nullable=False),
    sa.Column('end_min', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('fee_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_delivery_slot_templates_capacity_positive')),
    sa.CheckConstraint('start_min < end_min', name=op.f('ck_delivery_slot_templates_window_not_empty')),
    sa.ForeignKeyConstraint(['zone_id'], ['delivery_zones.id'], name=op.f('fk_delivery_slot_templates_zone_id_delivery_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_slot_templates'))
    )
    op.create_index(op.f('ix_delivery_slot_templates_zone_id'), 'delivery_slot_templates', ['zone_id'], unique=False)
    op.create_table('delivery_stores',
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('opening_hours', sa.String(length=200), nullable=False),
    sa.Column('ready_after_hours', sa.Integer(), nullable=False),
    sa.Column('hold_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_delivery_stores_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('warehouse_id', name=op.f('pk_delivery_stores'))
    )
    op.create_table('route_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('travel', sa.String(length=20), nullable=False),
    sa.Column('vehicles', sa.JSON(), nullable=False),
    sa.Column('feasible', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('total_distance_m', sa.Integer(), nullable=False),
    sa.Column('total_duration_s', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_route_plans_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_plans'))
    )
    op.create_index(op.f('ix_route_plans_day'), 'route_plans', ['day'], unique=False)
    op.create_index(op.f('ix_route_plans_warehouse_id'), 'route_plans', ['warehouse_id'], unique=False)
    op.create_table('delivery_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_min', sa.Integer(), nullable=False),
    sa.Column('end_min', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('fee_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked <= capacity', name=op.f('ck_delivery_slots_booked_within_capacity')),
    sa.CheckConstraint('booked >= 0', name=op.f('ck_delivery_slots_booked_not_negative')),
    sa.ForeignKeyConstraint(['template_id'], ['delivery_slot_templates.id'], name=op.f('fk_delivery_slots_template_id_delivery_slot_templates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['zone_id'], ['delivery_zones.id'], name=op.f('fk_delivery_slots_zone_id_delivery_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_slots')),
    sa.UniqueConstraint('zone_id', 'day', 'start_min', 'end_min', name=op.f('uq_delivery_slots_zone_id_day_start_min_end_min'))
    )
    op.create_index('ix_delivery_slots_day', 'delivery_slots', ['day'], unique=False)
    op.create_table('collect_reservation_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=False),
    sa.Column('stock_level_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_collect_reservation_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['reservation_id'], ['collect_reservations.id'], name=op.f('fk_collect_reservation_lines_reservation_id_collect_reservations')),
    sa.ForeignKeyConstraint(['stock_level_id'], ['stock_levels.id'], name=op.f('fk_collect_reservation_lines_stock_level_id_stock_levels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collect_reservation_lines'))
    )
    op.create_index(op.f('ix_collect_reservation_lines_reservation_id'), 'collect_reservation_lines', ['reservation_id'], unique=False)
    op.create_table('courier_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('pickup_name', sa.String(length=200), nullable=False),
    sa.Column('pickup_lat', sa.Float(), nullable=False),
    sa.Column('pickup_lon', sa.Float(), nullable=False),
    sa.Column('drop_name', sa.String(length=200), nullable=False),
    sa.Column('drop_lat', sa.Float(), nullable=False),
    sa.Column('drop_lon', sa.Float(), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('courier_id', sa.Integer(), nullable=True),
    sa.Column('pickup_eta', sa.DateTime(timezone=True), nullable=True),
    sa.Column('drop_eta', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['courier_id'], ['couriers.id'], name=op.f('fk_courier_jobs_courier_id_couriers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_courier_jobs_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courier_jobs'))
    )
    op.create_index('ix_courier_jobs_status_deadline', 'courier_jobs', ['status', 'deadline_at'], unique=False)
    op.create_table('delivery_slot_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_delivery_slot_bookings_order_id_orders')),
    sa.ForeignKeyConstraint(['slot_id'], ['delivery_slots.id'], name=op.f('fk_delivery_slot_bookings_slot_id_delivery_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_slot_bookings'))
    )
    op.create_index(op.f('ix_delivery_slot_bookings_order_id'), 'delivery_slot_bookings', ['order_id'], unique=False)
    op.create_index(op.f('ix_delivery_slot_bookings_slot_id'), 'delivery_slot_bookings', ['slot_id'], unique=False)
    op.create_table('route_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('stop_key', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('vehicle', sa.String(length=40), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('parcels', sa.Integer(), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=False),
    sa.Column('tw_start', sa.Integer(), nullable=True),
    sa.Column('tw_end', sa.Integer(), nullable=True),
    sa.Column('service_s', sa.Integer(), nullable=False),
    sa.Column('eta_s', sa.Integer(), nullable=True),
    sa.Column('start_s', sa.Integer(), nullable=True),
    sa.Column('departure_s', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_route_stops_order_id_orders')),
    sa.ForeignKeyConstraint(['plan_id'], ['route_plans.id'], name=op.f('fk_route_stops_plan_id_route_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_stops')),
    sa.UniqueConstraint('plan_id', 'stop_key', name=op.f('uq_route_stops_plan_id_stop_key'))
    )
    op.create_index(op.f('ix_route_stops_plan_id'), 'route_stops', ['plan_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_route_stops_plan_id'), table_name='route_stops')
    op.drop_table('route_stops')
    op.drop_index(op.f('ix_delivery_slot_bookings_slot_id'), table_name='delivery_slot_bookings')
    op.drop_index(op.f('ix_delivery_slot_bookings_order_id'), table_name='delivery_slot_bookings')
    op.drop_table('delivery_slot_bookings')
    op.drop_index('ix_courier_jobs_status_deadline', table_name='courier_jobs')
    op.drop_table('courier_jobs')
    op.drop_index(op.f('ix_collect_reservation_lines_reservation_id'), table_name='collect_reservation_lines')
    op.drop_table('collect_reservation_lines')
    op.drop_index('ix_delivery_slots_day', table_name='delivery_slots')
    op.drop_table('delivery_slots')
    op.drop_index(op.f('ix_route_plans_warehouse_id'), table_name='route_plans')
    op.drop_index(op.f('ix_route_plans_day'), table_name='route_plans')
    op.drop_table('route_plans')
    op.drop_table('delivery_stores')
    op.drop_index(op.f('ix_delivery_slot_templates_zone_id'), table_name='delivery_slot_templates')
    op.drop_table('delivery_slot_templates')
    op.drop_index(op.f('ix_collect_reservations_warehouse_id'), table_name='collect_reservations')
    op.drop_table('collect_reservations')
    op.drop_table('delivery_zones')
    op.drop_table('couriers')
