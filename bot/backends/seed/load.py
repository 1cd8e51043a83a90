"""Writes the demo data set into the order and CRM databases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backends.common.db import session_factory
from bot.backends.crm import models as crm
from bot.backends.orders import models as orders
from bot.backends.orders.catalogue_rules import SPEC_NAMES
from bot.backends.orders.rules import (
    RETURN_ADDRESS,
    ReturnReason,
    return_instructions,
)
from bot.backends.seed.catalog import LISTINGS, PRODUCTS
from bot.backends.seed.dataset import DemoData, build_dataset
from bot.backends.seed.membership import TIER_BENEFITS, build_rewards

ORDERS_TABLES = (
    orders.ShippingUrge,
    orders.ReturnItem,
    orders.Return,
    orders.ShipmentEvent,
    orders.Shipment,
    orders.ItemSerial,
    orders.OrderItem,
    orders.Order,
)
CATALOGUE_TABLES = (
    orders.Promotion,
    orders.ProductFaq,
    orders.ProductSpec,
    orders.ProductSku,
    orders.ProductAlias,
    orders.Product,
)
MEMBERSHIP_TABLES = (crm.TierBenefit, crm.Reward)
CRM_TABLES = (
    crm.Redemption,
    *MEMBERSHIP_TABLES,
    crm.WarrantyRegistration,
    crm.PointsEntry,
    crm.LoyaltyAccount,
    crm.ChannelIdentity,
    crm.Customer,
)


def _order_rows(data: DemoData) -> list[orders.Order]:
    rows = []
    for seed in data.orders:
        order = orders.Order(
            order_number=seed.order_number,
            customer_id=seed.customer_id,
            status=seed.status,
            total_fen=sum(PRODUCTS[i.sku].price_fen * i.quantity for i in seed.items),
            receiver_name=seed.receiver_name,
            receiver_city=seed.receiver_city,
            created_at=seed.created_at,
            paid_at=seed.paid_at,
            shipped_at=seed.shipped_at,
            delivered_at=seed.delivered_at,
            cancelled_at=seed.cancelled_at,
        )
        by_sku: dict[str, orders.OrderItem] = {}
        order.items = []
        for seed_item in seed.items:
            product = PRODUCTS[seed_item.sku]
            item = orders.OrderItem(
                sku=product.sku,
                product_name=product.name,
                category=product.category,
                unit_price_fen=product.price_fen,
                quantity=seed_item.quantity,
                warranty_months=product.warranty_months,
                serials=[orders.ItemSerial(serial_number=s) for s in seed_item.serials],
            )
            by_sku[product.sku] = item
            order.items.append(item)
        order.shipments = [
            orders.Shipment(
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                status=shipment.status,
                shipped_at=shipment.shipped_at,
                estimated_delivery=shipment.estimated_delivery,
                delivered_at=shipment.delivered_at,
                events=[
                    orders.ShipmentEvent(
                        occurred_at=event.at,
                        location=event.location,
                        status_text=event.text,
                    )
                    for event in shipment.events
                ],
            )
            for shipment in seed.shipments
        ]
        rows.append(order)
        for seed_return in seed.returns:
            lines = [
                orders.ReturnItem(
                    order_item=by_sku[sku],
                    sku=sku,
                    quantity=quantity,
                    refund_fen=PRODUCTS[sku].price_fen * quantity,
                )
                for sku, quantity in seed_return.items
            ]
            rows.append(
                orders.Return(
                    rma_number=seed_return.rma_number,
                    order=order,
                    customer_id=seed.customer_id,
                    reason=seed_return.reason,
                    description=seed_return.description,
                    status=seed_return.status,
                    refund_fen=sum(line.refund_fen for line in lines),
                    return_address=RETURN_ADDRESS,
                    instructions=return_instructions(
                        ReturnReason(seed_return.reason), seed_return.rma_number
                    ),
                    created_at=seed_return.created_at,
                    updated_at=seed_return.created_at,
                    items=lines,
                )
            )
    return rows


def _catalogue_rows(today: date) -> list[object]:
    return [
        orders.Product(
            product_id=listing.product_id,
            name=listing.name,
            category=listing.category,
            aliases=[orders.ProductAlias(alias=alias) for alias in listing.aliases],
            skus=[
                orders.ProductSku(
                    sku=variant.sku,
                    variant=variant.label,
                    price_fen=variant.price_fen,
                    stock=variant.stock,
                )
                for variant in listing.variants
            ],
            specs=[
                orders.ProductSpec(
                    key=spec.key,
                    name=spec.name or SPEC_NAMES[spec.key],
                    value=spec.value,
                )
                for spec in listing.specs
            ],
            faqs=[
                orders.ProductFaq(question=question, answer=answer)
                for question, answer in listing.faqs
            ],
            # Dated from the seed's day, so a demo promotion never goes stale.
            promotions=[
                orders.Promotion(
                    label=offer.label,
                    price_fen=offer.price_fen,
                    starts_on=today + timedelta(days=offer.starts_in_days),
                    ends_on=today + timedelta(days=offer.ends_in_days),
                )
                for offer in listing.offers
            ],
        )
        for listing in LISTINGS
    ]


def _crm_rows(data: DemoData) -> list[object]:
    rows: list[object] = []
    for seed in data.customers:
        rows.append(
            crm.Customer(
                id=seed.customer_id,
                name=seed.name,
                phone=seed.phone,
                city=seed.city,
                created_at=seed.created_at,
                identities=[
                    crm.ChannelIdentity(
                        channel=channel,
                        external_id=external_id,
                        bound_at=seed.created_at,
                    )
                    for channel, external_id in seed.identities
                ],
            )
        )
        rows.append(
            crm.LoyaltyAccount(
                customer_id=seed.customer_id, enrolled_at=seed.created_at
            )
        )
        rows.extend(
            crm.PointsEntry(
                customer_id=seed.customer_id,
                kind=entry.kind,
                points=entry.points,
                occurred_at=entry.at,
                expires_on=entry.expires_on,
                description=entry.description,
                order_number=entry.order_number,
            )
            for entry in seed.ledger
        )
        for warranty in seed.warranties:
            product = PRODUCTS[warranty.sku]
            rows.append(
                crm.WarrantyRegistration(
                    serial_number=warranty.serial_number,
                    customer_id=seed.customer_id,
                    sku=product.sku,
                    product_name=product.name,
                    order_number=warranty.order_number,
                    purchase_date=warranty.purchase_date,
                    standard_months=product.warranty_months,
                    extended_months=warranty.extended_months,
                    registered_at=warranty.registered_at,
                )
            )
    return rows


def _membership_rows(today: date) -> list[object]:
    rows: list[object] = [
        crm.TierBenefit(
            tier=tier,
            position=position,
            code=benefit.code,
            title=benefit.title,
            detail=benefit.detail,
        )
        for tier, benefits in TIER_BENEFITS.items()
        for position, benefit in enumerate(benefits, start=1)
    ]
    rows.extend(
        crm.Reward(
            id=reward.reward_id,
            name=reward.name,
            kind=reward.kind,
            points=reward.points,
            stock=reward.stock,
            valid_until=reward.valid_until,
            code_valid_days=reward.code_valid_days,
        )
        for reward in build_rewards(today)
    )
    return rows


async def _write(
    engine: AsyncEngine, tables: tuple[type, ...], rows: list[object]
) -> None:
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        for table in tables:
            await session.execute(delete(table))
        # Parents first: customers and accounts before the rows that refer to them.
        for row in rows:
            session.add(row)
            if isinstance(row, (crm.Customer, crm.LoyaltyAccount)):
                await session.flush()


async def seed_orders(engine: AsyncEngine, today: date) -> int:
    """Replace the order database's rows with the demo data set and catalogue.

    Args:
        engine: Engine of a migrated order database.
        today: Day the data set is relative to (Beijing time).

    Returns:
        How many orders were written.
    """
    data = build_dataset(today)
    await _write(engine, ORDERS_TABLES, list(_order_rows(data)))
    await seed_catalogue(engine, today)
    return len(data.orders)


async def seed_catalogue(engine: AsyncEngine, today: date) -> int:
    """Replace the order database's product catalogue with the demo listings.

    Args:
        engine: Engine of a migrated order database.
        today: Day the promotions are dated from (Beijing time).

    Returns:
        How many products were written.
    """
    await _write(engine, CATALOGUE_TABLES, _catalogue_rows(today))
    return len(LISTINGS)


async def seed_crm(engine: AsyncEngine, today: date) -> int:
    """Replace the CRM database's rows with the demo data set.

    Args:
        engine: Engine of a migrated CRM database.
        today: Day the data set is relative to (Beijing time).

    Returns:
        How many customers were written.
    """
    data = build_dataset(today)
    await _write(engine, CRM_TABLES, _crm_rows(data) + _membership_rows(today))
    return len(data.customers)


async def seed_membership(engine: AsyncEngine, today: date) -> None:
    """Fill the demo tier benefits and rewards into a CRM database without them.

    For a database seeded before the membership catalogue existed: its customers
    and ledgers stay as they are.

    Args:
        engine: Engine of a migrated CRM database with no benefits or rewards.
        today: Day the rewards' offer dates are relative to (Beijing time).
    """
    await _write(engine, (), _membership_rows(today))
