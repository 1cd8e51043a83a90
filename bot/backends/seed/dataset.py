"""Builds the deterministic demo data set: fixed demo customers plus seeded filler.

Identifiers (customer ids, order, tracking, serial and RMA numbers) never change,
so the README and tests can name them; timestamps are relative to ``today`` so
return windows, deliveries and expiring points stay demonstrable on any day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.backends.common.timeutil import CHINA_TZ
from bot.backends.seed.catalog import (
    CARRIERS,
    CITIES,
    GIVEN_NAMES,
    PRODUCTS,
    SURNAMES,
    WAREHOUSE_CITY,
)

RANDOM_SEED = 20241111
FILLER_CUSTOMERS = 16
CARRIER_LABELS = {
    "SF": "顺丰速运",
    "ZT": "中通快递",
    "YT": "圆通速递",
    "JD": "京东物流",
    "EMS": "中国邮政EMS",
}


@dataclass(frozen=True)
class SeedItem:
    """An order line."""

    sku: str
    quantity: int = 1
    serials: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeedEvent:
    """A tracking event."""

    at: datetime
    location: str
    text: str


@dataclass(frozen=True)
class SeedShipment:
    """A parcel and its tracking timeline."""

    carrier: str
    tracking_number: str
    status: str
    shipped_at: datetime
    estimated_delivery: date | None
    delivered_at: datetime | None
    events: tuple[SeedEvent, ...]


@dataclass(frozen=True)
class SeedReturn:
    """A return of some lines of an order."""

    rma_number: str
    reason: str
    status: str
    created_at: datetime
    items: tuple[tuple[str, int], ...]
    description: str | None = None


@dataclass(frozen=True)
class SeedOrder:
    """An order with its lines, shipments and returns."""

    order_number: str
    customer_id: str
    status: str
    receiver_name: str
    receiver_city: str
    created_at: datetime
    items: tuple[SeedItem, ...]
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    shipments: tuple[SeedShipment, ...] = ()
    returns: tuple[SeedReturn, ...] = ()


@dataclass(frozen=True)
class SeedPoints:
    """A points ledger entry."""

    kind: str
    points: int
    at: datetime
    description: str
    expires_on: date | None = None
    order_number: str | None = None


@dataclass(frozen=True)
class SeedWarranty:
    """A warranty registration."""

    serial_number: str
    sku: str
    purchase_date: date
    registered_at: datetime
    order_number: str | None
    extended_months: int = 0


@dataclass(frozen=True)
class SeedCustomer:
    """A customer with identities, loyalty ledger and warranties."""

    customer_id: str
    name: str
    phone: str
    city: str
    created_at: datetime
    identities: tuple[tuple[str, str], ...] = ()
    ledger: tuple[SeedPoints, ...] = ()
    warranties: tuple[SeedWarranty, ...] = ()


@dataclass(frozen=True)
class DemoData:
    """Everything both services are seeded with."""

    today: date
    customers: tuple[SeedCustomer, ...]
    orders: tuple[SeedOrder, ...]


@dataclass
class _Builder:
    today: date
    rng: random.Random
    orders: list[SeedOrder] = field(default_factory=list)

    def at(self, days_ago: int, hour: int = 10, minute: int = 0) -> datetime:
        day = self.today - timedelta(days=days_ago)
        return datetime.combine(day, time(hour, minute), CHINA_TZ)

    def day(self, days_from_today: int) -> date:
        return self.today + timedelta(days=days_from_today)

    def earn(
        self, points: int, days_ago: int, text: str, order: str | None = None
    ) -> SeedPoints:
        # Points expire 365 days after they are earned.
        return SeedPoints(
            "earn",
            points,
            self.at(days_ago, 12),
            text,
            self.day(365 - days_ago),
            order,
        )

    def spend(self, points: int, days_ago: int, text: str) -> SeedPoints:
        return SeedPoints("spend", -points, self.at(days_ago, 15), text)

    def expire(self, points: int, days_ago: int) -> SeedPoints:
        return SeedPoints("expire", -points, self.at(days_ago, 0, 5), "积分到期清零")

    def timeline(
        self,
        carrier: str,
        city: str,
        shipped_at: datetime,
        delivered_at: datetime | None,
    ) -> tuple[SeedEvent, ...]:
        hub = city.removesuffix("市")
        steps = [
            (shipped_at, WAREHOUSE_CITY, f"【{WAREHOUSE_CITY}】小客华南仓 已揽收"),
            (
                shipped_at + timedelta(hours=5),
                WAREHOUSE_CITY,
                "快件已到达【东莞转运中心】",
            ),
            (
                shipped_at + timedelta(hours=9),
                WAREHOUSE_CITY,
                f"快件已从【东莞转运中心】发出，正在发往【{hub}转运中心】",
            ),
            (
                shipped_at + timedelta(hours=22),
                city,
                f"快件已到达【{hub}转运中心】",
            ),
        ]
        if delivered_at is not None:
            steps.append(
                (
                    delivered_at - timedelta(hours=4),
                    city,
                    f"【{city}】快递员 王师傅（电话 138****6666）正在为您派件",
                )
            )
            steps.append(
                (
                    delivered_at,
                    city,
                    f"您的快件已签收，签收人：本人。感谢使用{CARRIER_LABELS[carrier]}，"
                    "期待再次为您服务",
                )
            )
        cutoff = datetime.combine(self.today, time(0), CHINA_TZ)
        return tuple(
            SeedEvent(when, place, text) for when, place, text in steps if when < cutoff
        )

    def shipment(
        self,
        carrier: str,
        tracking: str,
        city: str,
        shipped_at: datetime,
        delivered_at: datetime | None,
    ) -> SeedShipment:
        return SeedShipment(
            carrier=carrier,
            tracking_number=tracking,
            status="delivered" if delivered_at else "in_transit",
            shipped_at=shipped_at,
            estimated_delivery=None if delivered_at else self.day(1),
            delivered_at=delivered_at,
            events=self.timeline(carrier, city, shipped_at, delivered_at),
        )

    def order(
        self,
        number: str,
        customer: SeedCustomer,
        status: str,
        items: tuple[SeedItem, ...],
        *,
        days_ago: int,
        carrier: str = "SF",
        tracking: str | None = None,
        returns: tuple[SeedReturn, ...] = (),
    ) -> SeedOrder:
        """Add an order whose last milestone happened ``days_ago`` days ago."""
        created = paid = shipped = delivered = cancelled = None
        shipments: tuple[SeedShipment, ...] = ()
        if status == "unpaid":
            created = self.at(days_ago, 21, 30)
        elif status == "cancelled":
            created = self.at(days_ago + 1, 21, 30)
            cancelled = self.at(days_ago, 9, 0)
        elif status == "paid":
            created = self.at(days_ago, 20, 15)
            paid = created + timedelta(minutes=2)
        elif status == "shipped":
            created = self.at(days_ago + 1, 20, 15)
            paid = created + timedelta(minutes=2)
            shipped = self.at(days_ago, 10)
        else:  # delivered or returned
            created = self.at(days_ago + 3, 20, 15)
            paid = created + timedelta(minutes=2)
            shipped = self.at(days_ago + 2, 10)
            delivered = self.at(days_ago, 14, 30)
        if shipped is not None:
            assert tracking is not None
            shipments = (
                self.shipment(carrier, tracking, customer.city, shipped, delivered),
            )
        order = SeedOrder(
            order_number=number,
            customer_id=customer.customer_id,
            status=status,
            receiver_name=customer.name,
            receiver_city=customer.city,
            created_at=created,
            items=items,
            paid_at=paid,
            shipped_at=shipped,
            delivered_at=delivered,
            cancelled_at=cancelled,
            shipments=shipments,
            returns=returns,
        )
        self.orders.append(order)
        return order


def _demo_customers(b: _Builder) -> list[SeedCustomer]:
    """The documented demo customers, one per tier, bound and unbound."""
    wang = SeedCustomer(
        "C100001",
        "王芳",
        "13800138000",
        "上海市",
        b.at(700),
        identities=(("wechat", "demo-openid-001"),),
        ledger=(
            b.earn(1000, 500, "订单消费积分"),
            b.expire(1000, 134),
            b.earn(5000, 353, "双十一订单消费积分"),
            b.earn(4000, 300, "年货节订单消费积分"),
            b.spend(3000, 100, "积分兑换：30元无门槛券"),
            b.earn(3999, 40, "订单消费积分", "XK202411110005"),
            # Points used as cash when paying for …08 (paid 13 days ago, 20:17).
            SeedPoints(
                "spend", -1200, b.at(13, 20, 17), "积分抵现", None, "XK202411110008"
            ),
        ),
        warranties=(
            SeedWarranty(
                "SN8H2K4M9Q1Z",
                "PH-X1-256-BLK",
                b.day(-43),
                b.at(38, 20),
                "XK202411110005",
            ),
        ),
    )
    li = SeedCustomer(
        "C100002",
        "李强",
        "13912345678",
        "北京市",
        b.at(1200),
        identities=(("wechat", "demo-openid-002"),),
        ledger=(
            b.earn(20000, 200, "年度大促订单消费积分"),
            b.earn(12000, 120, "订单消费积分"),
            b.spend(25000, 50, "积分兑换：小客 Air2 耳机"),
            b.earn(2499, 6, "订单消费积分", "XK202411110009"),
        ),
        warranties=(
            SeedWarranty(
                "SN5R9T2K7M3P",
                "AP-RB-S7",
                b.day(-9),
                b.at(5, 19),
                "XK202411110009",
                extended_months=12,
            ),
            SeedWarranty("SN1A2B3C4D5E", "PH-X1-256-BLK", b.day(-800), b.at(795), None),
        ),
    )
    zhang = SeedCustomer(
        "C100003",
        "张伟",
        "13700001111",
        "广州市",
        b.at(400),
        ledger=(
            b.earn(1500, 340, "订单消费积分"),
            b.earn(1200, 60, "订单消费积分"),
            b.spend(1000, 30, "积分兑换：10元无门槛券"),
        ),
    )
    liu = SeedCustomer(
        "C100004",
        "刘洋",
        "13600002222",
        "杭州市",
        b.at(30),
        ledger=(b.earn(380, 8, "订单消费积分", "XK202411110015"),),
    )

    def item(sku: str, quantity: int = 1, *serials: str) -> SeedItem:
        return SeedItem(sku, quantity, serials)

    b.order("XK202411110001", wang, "unpaid", (item("SK-HA-SERUM", 2),), days_ago=1)
    b.order("XK202411110002", wang, "paid", (item("AP-KT-17"),), days_ago=1)
    b.order(
        "XK202411110003",
        wang,
        "shipped",
        (item("HP-ANC3-BLK", 1, "SN6D1F9H3J5K"),),
        days_ago=2,
        tracking="SF123456789012",
    )
    b.order(
        "XK202411110004",
        wang,
        "delivered",
        (item("EB-AIR2-WHT", 1, "SN3F7T1W6B2X"), item("SK-SUN-50", 2)),
        days_ago=3,
        carrier="ZT",
        tracking="ZT731234567890",
    )
    b.order(
        "XK202411110005",
        wang,
        "delivered",
        (item("PH-X1-256-BLK", 1, "SN8H2K4M9Q1Z"),),
        days_ago=40,
        tracking="SF123456789005",
    )
    b.order(
        "XK202411110006",
        wang,
        "returned",
        (item("AP-AF-5L", 1, "SN9K3M5P7R2T"),),
        days_ago=20,
        tracking="SF123456789006",
        returns=(
            SeedReturn(
                "RMA202411150001",
                "quality_issue",
                "refunded",
                b.at(18, 11),
                (("AP-AF-5L", 1),),
                "加热不均匀，外壳有裂痕",
            ),
        ),
    )
    b.order(
        "XK202411110007",
        wang,
        "delivered",
        (item("FF-CHERRY-2KG"), item("CU-CASE-ENGR")),
        days_ago=5,
        carrier="JD",
        tracking="JD000123456789",
    )
    b.order(
        "XK202411110008",
        wang,
        "delivered",
        (item("AC-CHG-65W"),),
        days_ago=10,
        carrier="YT",
        tracking="YT998877665544",
    )
    b.order(
        "XK202411110009",
        li,
        "delivered",
        (item("AP-RB-S7", 1, "SN5R9T2K7M3P"),),
        days_ago=6,
        carrier="JD",
        tracking="JD000123456790",
    )
    b.order(
        "XK202411110010",
        li,
        "delivered",
        (item("EB-AIR2-WHT", 2, "SN4G8J2L6N0Q", "SN7W3Y5A9C1E"),),
        days_ago=4,
        tracking="SF123456789010",
        returns=(
            SeedReturn(
                "RMA202411150002",
                "no_reason",
                "requested",
                b.at(1, 9, 40),
                (("EB-AIR2-WHT", 1),),
                "买多了一副",
            ),
        ),
    )
    b.order(
        "XK202411110011",
        li,
        "shipped",
        (item("SW-OFFICE-1Y"), item("AC-CHG-65W")),
        days_ago=1,
        carrier="JD",
        tracking="JD000123456791",
    )
    b.order(
        "XK202411110012",
        zhang,
        "delivered",
        (item("PH-X1P-512-WHT", 1, "SN2C6V8N4X1L"),),
        days_ago=2,
        tracking="SF123456789021",
    )
    b.order(
        "XK202411110013",
        zhang,
        "shipped",
        (item("SK-HA-SERUM"),),
        days_ago=1,
        carrier="YT",
        tracking="YT998877665545",
    )
    b.order("XK202411110014", zhang, "cancelled", (item("AP-KT-17"),), days_ago=12)
    b.order(
        "XK202411110015",
        liu,
        "delivered",
        (item("SK-SUN-50", 3),),
        days_ago=8,
        carrier="EMS",
        tracking="EA123456789CN",
        returns=(
            SeedReturn(
                "RMA202411150003",
                "no_reason",
                "rejected",
                b.at(7, 16),
                (("SK-SUN-50", 1),),
                "不喜欢这个味道",
            ),
        ),
    )
    return [wang, li, zhang, liu]


def _filler(b: _Builder, taken_phones: set[str]) -> list[SeedCustomer]:
    """Seeded random customers and orders that make lists look realistic."""
    rng = b.rng
    customers: list[SeedCustomer] = []
    serials = {s for order in b.orders for item in order.items for s in item.serials}
    trackings = {s.tracking_number for order in b.orders for s in order.shipments}
    statuses = ("unpaid", "paid", "shipped", "delivered", "delivered", "cancelled")
    sequence = 0
    for index in range(FILLER_CUSTOMERS):
        phone = ""
        while not phone or phone in taken_phones:
            phone = rng.choice(("135", "150", "158", "186", "188", "177")) + "".join(
                rng.choice("0123456789") for _ in range(8)
            )
        taken_phones.add(phone)
        customer_id = f"C{100101 + index}"
        earned = rng.randrange(100, 40000)
        earned_days = rng.randrange(20, 300)
        ledger = [b.earn(earned, earned_days, "订单消费积分")]
        if rng.random() < 0.5:
            ledger.append(b.spend(earned // 2, earned_days // 2, "积分抵现"))
        customer = SeedCustomer(
            customer_id,
            rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
            phone,
            rng.choice(CITIES),
            b.at(rng.randrange(30, 900)),
            identities=(("wechat", f"demo-openid-{101 + index:03d}"),)
            if index % 2 == 0
            else (),
            ledger=tuple(ledger),
        )
        customers.append(customer)
        for _ in range(rng.randrange(1, 4)):
            sequence += 1
            product = PRODUCTS[rng.choice(sorted(PRODUCTS))]
            quantity = 1 if product.serialised else rng.randrange(1, 3)
            unit_serials: list[str] = []
            for _unit in range(quantity if product.serialised else 0):
                serial = ""
                while not serial or serial in serials:
                    serial = "SN" + "".join(
                        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                        for _ in range(10)
                    )
                serials.add(serial)
                unit_serials.append(serial)
            carrier = rng.choice(CARRIERS)
            tracking = ""
            while not tracking or tracking in trackings:
                tracking = f"{carrier}{rng.randrange(10**11, 10**12):012d}"
            trackings.add(tracking)
            b.order(
                f"XK20241112{sequence:04d}",
                customer,
                rng.choice(statuses),
                (SeedItem(product.sku, quantity, tuple(unit_serials)),),
                days_ago=rng.randrange(1, 60),
                carrier=carrier,
                tracking=tracking,
            )
    return customers


def build_dataset(today: date, seed: int = RANDOM_SEED) -> DemoData:
    """Build the demo data set for a given day.

    Args:
        today: The day the data is relative to (Beijing time).
        seed: Random seed of the filler data.

    Returns:
        The data set; the same arguments always give the same data.
    """
    # Not for security: a seeded generator is the point (reproducible demo data).
    builder = _Builder(today, random.Random(seed))  # noqa: S311
    demo = _demo_customers(builder)
    filler = _filler(builder, {customer.phone for customer in demo})
    return DemoData(today, tuple(demo + filler), tuple(builder.orders))
