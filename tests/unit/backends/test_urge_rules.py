"""Shipping urges (催发货): the rule and the service's use case, without a database."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import TracebackType

import pytest

from bot.backends.common.errors import NotFound, RuleViolation
from bot.backends.common.timeutil import CHINA_TZ
from bot.backends.orders.models import Order, ShippingUrge
from bot.backends.orders.rules import OrderStatus, check_urge
from bot.backends.orders.service import OrderService

NOW = datetime(2024, 11, 20, 10, 0, tzinfo=CHINA_TZ)


def test_paid_order_can_be_urged() -> None:
    check_urge("XK202411110002", OrderStatus.PAID)


@pytest.mark.parametrize(
    "status", [s for s in OrderStatus if s is not OrderStatus.PAID], ids=str
)
def test_only_paid_orders_can_be_urged(status: OrderStatus) -> None:
    with pytest.raises(RuleViolation) as caught:
        check_urge("XK202411110003", status)
    assert caught.value.code == "order_not_awaiting_shipment"
    assert status.value in caught.value.message


class FakeSession:
    """Stands in for an AsyncSession: a unit of work that may be begun."""

    async def __aenter__(self) -> FakeSession:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def begin(self) -> FakeSession:
        return self


class FakeRepository:
    """The repository calls the urge use cases make, over in-memory rows."""

    def __init__(self, orders: list[Order], urges: list[ShippingUrge]) -> None:
        self.orders = orders
        self.urges = urges
        self.locked: list[str] = []

    async def get_order(
        self,
        customer_id: str,
        order_number: str,
        *,
        for_update: bool = False,
        with_detail: bool = True,
    ) -> Order | None:
        for order in self.orders:
            if (order.customer_id, order.order_number) == (customer_id, order_number):
                if for_update:
                    self.locked.append(order_number)
                return order
        return None

    async def add_urge(self, urge: ShippingUrge) -> None:
        self.urges.append(urge)

    def _of(self, order_id: int) -> list[ShippingUrge]:
        return [u for u in self.urges if u.order_id == order_id]

    async def urge_stats(self, order_id: int) -> tuple[int, datetime | None]:
        times = [u.created_at for u in self._of(order_id)]
        return len(times), max(times, default=None)

    async def list_urges(self, order_id: int, limit: int) -> list[ShippingUrge]:
        urges = sorted(self._of(order_id), key=lambda u: u.created_at, reverse=True)
        return urges[:limit]


class Clock:
    """A clock that moves on a minute each time it is read."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def repository() -> FakeRepository:
    orders = [
        Order(
            id=2, order_number="XK202411110002", customer_id="C100001", status="paid"
        ),
        Order(
            id=3, order_number="XK202411110003", customer_id="C100001", status="shipped"
        ),
        Order(
            id=9, order_number="XK202411110009", customer_id="C100002", status="paid"
        ),
    ]
    return FakeRepository(orders, [])


@pytest.fixture
def service(repository: FakeRepository) -> OrderService:
    return OrderService(
        FakeSession,
        clock=Clock(),
        repository=lambda _session: repository,  # type: ignore[arg-type,return-value]
    )


async def test_first_urge_is_recorded_with_channel_and_time(
    service: OrderService, repository: FakeRepository
) -> None:
    summary = await service.record_urge("C100001", "XK202411110002", "wechat")
    assert summary.order_number == "XK202411110002"
    assert summary.urge_count == 1
    assert summary.latest_urge_at == NOW + timedelta(minutes=1)
    (urge,) = repository.urges
    assert (urge.order_id, urge.customer_id, urge.channel) == (2, "C100001", "wechat")
    # The order row is locked, so the status checked stays true until commit.
    assert repository.locked == ["XK202411110002"]


async def test_repeated_urges_are_all_counted_and_latest_time_reported(
    service: OrderService, repository: FakeRepository
) -> None:
    await service.record_urge("C100001", "XK202411110002", "wechat")
    await service.record_urge("C100001", "XK202411110002", "web")
    summary = await service.record_urge("C100001", "XK202411110002", "wechat")
    assert summary.urge_count == 3
    assert summary.latest_urge_at == NOW + timedelta(minutes=3)
    assert len(repository.urges) == 3


async def test_urge_on_a_shipped_order_is_refused_and_not_recorded(
    service: OrderService, repository: FakeRepository
) -> None:
    with pytest.raises(RuleViolation) as caught:
        await service.record_urge("C100001", "XK202411110003", "wechat")
    assert caught.value.code == "order_not_awaiting_shipment"
    assert repository.urges == []


@pytest.mark.parametrize(
    ("customer_id", "order_number"),
    [("C100001", "XK209901010001"), ("C100001", "XK202411110009")],
    ids=["unknown order", "another customer's order"],
)
async def test_urge_on_an_order_that_is_not_theirs_is_not_found(
    service: OrderService,
    repository: FakeRepository,
    customer_id: str,
    order_number: str,
) -> None:
    with pytest.raises(NotFound) as caught:
        await service.record_urge(customer_id, order_number, "wechat")
    assert caught.value.code == "order_not_found"
    assert repository.urges == []


async def test_history_counts_every_urge_but_lists_only_the_latest(
    service: OrderService,
) -> None:
    for channel in ("wechat", "web", "wechat"):
        await service.record_urge("C100001", "XK202411110002", channel)
    history = await service.list_urges("C100001", "XK202411110002", limit=2)
    assert history.summary.urge_count == 3
    assert history.summary.latest_urge_at == NOW + timedelta(minutes=3)
    assert [u.channel for u in history.urges] == ["wechat", "web"]


async def test_history_of_a_never_urged_order_is_empty(
    service: OrderService,
) -> None:
    history = await service.list_urges("C100001", "XK202411110003", limit=10)
    assert history.summary.urge_count == 0
    assert history.summary.latest_urge_at is None
    assert history.urges == []


async def test_history_of_another_customers_order_is_not_found(
    service: OrderService,
) -> None:
    with pytest.raises(NotFound):
        await service.list_urges("C100002", "XK202411110002", limit=10)
