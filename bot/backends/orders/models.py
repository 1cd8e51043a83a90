"""SQLAlchemy models of the order service and its catalogue (money in integer fen)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship
from sqlalchemy.types import JSON

from bot.backends.common.sqltypes import UTCDateTime, make_base

Base: Any = make_base()
metadata = Base.metadata


class Order(Base):
    """A customer's order; ``status`` is one of :class:`rules.OrderStatus`."""

    __tablename__ = "orders"

    id = Column(Integer, primary_key=True)
    order_number = Column(String(14), nullable=False, unique=True)
    customer_id = Column(String(16), nullable=False, index=True)
    status = Column(String(16), nullable=False)
    total_fen = Column(Integer, nullable=False)
    receiver_name = Column(String(40), nullable=False)
    receiver_city = Column(String(40), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    paid_at = Column(UTCDateTime)
    shipped_at = Column(UTCDateTime)
    delivered_at = Column(UTCDateTime)
    cancelled_at = Column(UTCDateTime)

    items = relationship(
        "OrderItem", back_populates="order", order_by="OrderItem.id", lazy="raise"
    )
    shipments = relationship(
        "Shipment", back_populates="order", order_by="Shipment.id", lazy="raise"
    )


class OrderItem(Base):
    """One line of an order; serialised goods carry their serial numbers."""

    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_id", "sku"),)

    id = Column(Integer, primary_key=True)
    order_id = Column(ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    sku = Column(String(40), nullable=False)
    product_name = Column(String(100), nullable=False)
    category = Column(String(32), nullable=False)
    unit_price_fen = Column(Integer, nullable=False)
    quantity = Column(Integer, nullable=False)
    warranty_months = Column(Integer, nullable=False, default=0)

    order = relationship("Order", back_populates="items", lazy="raise")
    serials = relationship(
        "ItemSerial", back_populates="item", order_by="ItemSerial.id", lazy="raise"
    )


class ItemSerial(Base):
    """A serial number of one unit of a serialised order item."""

    __tablename__ = "order_item_serials"

    id = Column(Integer, primary_key=True)
    order_item_id = Column(
        ForeignKey("order_items.id", ondelete="CASCADE"), nullable=False, index=True
    )
    serial_number = Column(String(12), nullable=False, unique=True)

    item = relationship("OrderItem", back_populates="serials", lazy="raise")


class Shipment(Base):
    """A parcel of an order handed to a carrier."""

    __tablename__ = "shipments"

    id = Column(Integer, primary_key=True)
    order_id = Column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    carrier = Column(String(8), nullable=False)
    tracking_number = Column(String(16), nullable=False, unique=True)
    status = Column(String(20), nullable=False)
    shipped_at = Column(UTCDateTime, nullable=False)
    estimated_delivery = Column(Date)
    delivered_at = Column(UTCDateTime)

    order = relationship("Order", back_populates="shipments", lazy="raise")
    events = relationship(
        "ShipmentEvent",
        back_populates="shipment",
        order_by="ShipmentEvent.occurred_at",
        lazy="raise",
    )


class ShipmentEvent(Base):
    """One tracking event: time, place and the carrier's Chinese status text."""

    __tablename__ = "shipment_events"

    id = Column(Integer, primary_key=True)
    shipment_id = Column(
        ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False, index=True
    )
    occurred_at = Column(UTCDateTime, nullable=False)
    location = Column(String(60), nullable=False)
    status_text = Column(String(200), nullable=False)

    shipment = relationship("Shipment", back_populates="events", lazy="raise")


class Return(Base):
    """A return (RMA) request for some items of one order."""

    __tablename__ = "returns"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id = Column(Integer, primary_key=True)
    rma_number = Column(String(15), nullable=False, unique=True)
    order_id = Column(ForeignKey("orders.id"), nullable=False, index=True)
    customer_id = Column(String(16), nullable=False, index=True)
    reason = Column(String(20), nullable=False)
    description = Column(Text)
    # References of the shopper's photos (``media:<sha256>.<ext>``), oldest first.
    evidence = Column(JSON, nullable=False, default=list, server_default=text("'[]'"))
    status = Column(String(16), nullable=False)
    refund_fen = Column(Integer, nullable=False)
    return_address = Column(String(200), nullable=False)
    instructions = Column(Text, nullable=False)
    idempotency_key = Column(String(100))
    request_fingerprint = Column(String(64))
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)

    order = relationship("Order", lazy="raise")
    items = relationship(
        "ReturnItem", back_populates="return_", order_by="ReturnItem.id", lazy="raise"
    )


class ReturnItem(Base):
    """How many units of one order item a return covers."""

    __tablename__ = "return_items"

    id = Column(Integer, primary_key=True)
    return_id = Column(
        ForeignKey("returns.id", ondelete="CASCADE"), nullable=False, index=True
    )
    order_item_id = Column(ForeignKey("order_items.id"), nullable=False, index=True)
    sku = Column(String(40), nullable=False)
    quantity = Column(Integer, nullable=False)
    refund_fen = Column(Integer, nullable=False)

    return_ = relationship("Return", back_populates="items", lazy="raise")
    order_item = relationship("OrderItem", lazy="raise")


class ShippingUrge(Base):
    """A shopper asking for a paid order to ship (催发货); every ask is kept."""

    __tablename__ = "shipping_urges"

    id = Column(Integer, primary_key=True)
    order_id = Column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    customer_id = Column(String(16), nullable=False)
    channel = Column(String(20), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)

    order = relationship("Order", lazy="raise")


class Product(Base):
    """A product of the catalogue; what shoppers ask about before they buy.

    Public information: no customer owns it. Its price is its cheapest SKU's.
    """

    __tablename__ = "products"

    id = Column(Integer, primary_key=True)
    product_id = Column(String(40), nullable=False, unique=True)
    name = Column(String(100), nullable=False)
    category = Column(String(32), nullable=False)

    aliases = relationship(
        "ProductAlias",
        back_populates="product",
        order_by="ProductAlias.id",
        lazy="raise",
    )
    skus = relationship(
        "ProductSku", back_populates="product", order_by="ProductSku.id", lazy="raise"
    )
    specs = relationship(
        "ProductSpec", back_populates="product", order_by="ProductSpec.id", lazy="raise"
    )
    faqs = relationship(
        "ProductFaq", back_populates="product", order_by="ProductFaq.id", lazy="raise"
    )
    promotions = relationship(
        "Promotion", back_populates="product", order_by="Promotion.id", lazy="raise"
    )


class ProductAlias(Base):
    """Another name shoppers call a product by (``Air2``, ``air2耳机``)."""

    __tablename__ = "product_aliases"
    __table_args__ = (UniqueConstraint("product_pk", "alias"),)

    id = Column(Integer, primary_key=True)
    product_pk = Column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    alias = Column(String(60), nullable=False)

    product = relationship("Product", back_populates="aliases", lazy="raise")


class ProductSku(Base):
    """One variant of a product (colour and/or size) with its price and stock."""

    __tablename__ = "product_skus"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id = Column(Integer, primary_key=True)
    product_pk = Column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sku = Column(String(40), nullable=False, unique=True)
    variant = Column(String(40), nullable=False)
    price_fen = Column(Integer, nullable=False)
    stock = Column(Integer, nullable=False)

    product = relationship("Product", back_populates="skus", lazy="raise")


class ProductSpec(Base):
    """A key spec of a product; ``key`` is one of :data:`catalogue_rules.SPEC_NAMES`."""

    __tablename__ = "product_specs"
    __table_args__ = (UniqueConstraint("product_pk", "key"),)

    id = Column(Integer, primary_key=True)
    product_pk = Column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key = Column(String(32), nullable=False)
    name = Column(String(20), nullable=False)
    value = Column(String(200), nullable=False)

    product = relationship("Product", back_populates="specs", lazy="raise")


class ProductFaq(Base):
    """A question shoppers often ask about a product, with the shop's answer."""

    __tablename__ = "product_faqs"

    id = Column(Integer, primary_key=True)
    product_pk = Column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    question = Column(String(100), nullable=False)
    answer = Column(Text, nullable=False)

    product = relationship("Product", back_populates="faqs", lazy="raise")


class Promotion(Base):
    """A promotional price of a product from one day through another (Beijing)."""

    __tablename__ = "product_promotions"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id = Column(Integer, primary_key=True)
    product_pk = Column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False, index=True
    )
    label = Column(String(40), nullable=False)
    price_fen = Column(Integer, nullable=False)
    starts_on = Column(Date, nullable=False)
    ends_on = Column(Date, nullable=False)

    product = relationship("Product", back_populates="promotions", lazy="raise")
