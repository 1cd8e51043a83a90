"""SQLAlchemy models of the CRM service."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from bot.backends.common.sqltypes import UTCDateTime, make_base

Base: Any = make_base()
metadata = Base.metadata


class Customer(Base):
    """A shopper; the full phone number never leaves the service unmasked."""

    __tablename__ = "customers"

    id = Column(String(16), primary_key=True)
    name = Column(String(40), nullable=False)
    phone = Column(String(11), nullable=False, unique=True)
    city = Column(String(40), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)

    identities = relationship(
        "ChannelIdentity",
        back_populates="customer",
        order_by="ChannelIdentity.id",
        lazy="raise",
    )


class ChannelIdentity(Base):
    """A messaging identity (e.g. a WeChat openid) bound to a customer."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(64), nullable=False)
    customer_id = Column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    bound_at = Column(UTCDateTime, nullable=False)

    customer = relationship("Customer", back_populates="identities", lazy="raise")


class LoyaltyAccount(Base):
    """A customer's membership of the loyalty programme."""

    __tablename__ = "loyalty_accounts"

    customer_id = Column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    enrolled_at = Column(UTCDateTime, nullable=False)


class PointsEntry(Base):
    """One ledger entry: ``earn`` (positive, with expiry), ``spend`` or ``expire``."""

    __tablename__ = "points_ledger"

    id = Column(Integer, primary_key=True)
    customer_id = Column(
        ForeignKey("loyalty_accounts.customer_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    kind = Column(String(10), nullable=False)
    points = Column(Integer, nullable=False)
    occurred_at = Column(UTCDateTime, nullable=False)
    expires_on = Column(Date)
    description = Column(String(100), nullable=False)
    order_number = Column(String(14))


class WarrantyRegistration(Base):
    """A product registered for warranty; a serial number is registered once."""

    __tablename__ = "warranty_registrations"

    id = Column(Integer, primary_key=True)
    serial_number = Column(String(12), nullable=False, unique=True)
    customer_id = Column(
        ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sku = Column(String(40), nullable=False)
    product_name = Column(String(100), nullable=False)
    order_number = Column(String(14))
    purchase_date = Column(Date, nullable=False)
    standard_months = Column(Integer, nullable=False)
    extended_months = Column(Integer, nullable=False, default=0)
    registered_at = Column(UTCDateTime, nullable=False)


class TierBenefit(Base):
    """One benefit of a membership tier (tiers themselves are ``rules.TIER_LEVELS``)."""

    __tablename__ = "tier_benefits"
    __table_args__ = (UniqueConstraint("tier", "code"),)

    id = Column(Integer, primary_key=True)
    tier = Column(String(10), nullable=False)
    position = Column(Integer, nullable=False)
    code = Column(String(40), nullable=False)
    title = Column(String(40), nullable=False)
    detail = Column(String(200), nullable=False)


class Reward(Base):
    """A coupon or gift customers can redeem points for.

    ``stock`` None means unlimited; ``valid_until`` None means the offer never ends.
    A redemption's code stays valid for ``code_valid_days`` days.
    """

    __tablename__ = "rewards"

    id = Column(String(40), primary_key=True)
    name = Column(String(40), nullable=False)
    kind = Column(String(10), nullable=False)
    points = Column(Integer, nullable=False)
    stock = Column(Integer)
    valid_until = Column(Date)
    code_valid_days = Column(Integer, nullable=False)


class Redemption(Base):
    """Points spent on a reward: once per customer and idempotency key."""

    __tablename__ = "redemptions"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(
        ForeignKey("loyalty_accounts.customer_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    idempotency_key = Column(String(100), nullable=False)
    reward_id = Column(ForeignKey("rewards.id"), nullable=False, index=True)
    # The reward's name and price when redeemed: the receipt never changes.
    reward_name = Column(String(40), nullable=False)
    points = Column(Integer, nullable=False)
    balance_after = Column(Integer, nullable=False)
    ledger_entry_id = Column(
        ForeignKey("points_ledger.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    coupon_code = Column(String(20), nullable=False, unique=True)
    expires_on = Column(Date, nullable=False)
    redeemed_at = Column(UTCDateTime, nullable=False)
