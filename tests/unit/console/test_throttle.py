"""The login throttle: failures per user and per address in a sliding window."""

from bot.console.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_sixth_attempt_within_the_window_waits():
    clock = Clock()
    throttle = LoginThrottle(limit=5, window=900, clock=clock)
    keys = ["user:alice", "ip:1.2.3.4"]
    for _ in range(5):
        assert throttle.retry_after(keys) == 0
        throttle.failed(keys)
        clock.now += 10
    assert throttle.retry_after(keys) == 900 - 50
    clock.now += 900 - 50
    assert throttle.retry_after(keys) == 0  # the oldest failure left the window


def test_another_user_from_another_address_is_not_affected():
    throttle = LoginThrottle(limit=2, window=60, clock=Clock(), address_limit=2)
    for _ in range(2):
        throttle.failed(["user:alice", "ip:1.1.1.1"])
    assert throttle.retry_after(["user:alice", "ip:2.2.2.2"]) > 0
    assert throttle.retry_after(["user:bob", "ip:1.1.1.1"]) > 0
    assert throttle.retry_after(["user:bob", "ip:2.2.2.2"]) == 0


def test_one_users_typos_behind_a_proxy_do_not_lock_out_the_team():
    throttle = LoginThrottle(limit=5, window=900, clock=Clock(), address_limit=50)
    proxy = "ip:10.0.0.1"
    for _ in range(5):
        throttle.failed(["user:alice", proxy])
    assert throttle.retry_after(["user:alice", proxy]) > 0
    assert throttle.retry_after(["user:bob", proxy]) == 0
    for n in range(45):  # someone guessing many names from one address
        throttle.failed([f"user:guess{n}", proxy])
    assert throttle.retry_after(["user:bob", proxy]) > 0


def test_success_clears_the_user_but_not_the_address():
    throttle = LoginThrottle(limit=2, window=60, clock=Clock(), address_limit=2)
    throttle.failed(["user:alice", "ip:1.1.1.1"])
    throttle.failed(["user:alice", "ip:1.1.1.1"])
    throttle.succeeded(["user:alice", "ip:1.1.1.1"])
    assert throttle.retry_after(["user:alice", "ip:9.9.9.9"]) == 0
    assert throttle.retry_after(["user:carol", "ip:1.1.1.1"]) > 0


def test_memory_is_bounded():
    throttle = LoginThrottle(limit=1, window=60, clock=Clock(), max_keys=100)
    for n in range(1000):
        throttle.failed([f"ip:10.0.{n // 256}.{n % 256}"])
    assert len(throttle._failures) <= 100
