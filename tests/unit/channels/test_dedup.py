from bot.wechat.dedup import (
    MemoryStateStore,
    RedisStateStore,
    create_store,
)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


async def test_claim_is_granted_once_until_it_expires():
    clock = Clock()
    store = MemoryStateStore(clock=clock)
    assert await store.claim("msg:1", "processing", ttl=10)
    assert not await store.claim("msg:1", "processing", ttl=10)
    clock.now = 10.0
    assert await store.get("msg:1") is None
    assert await store.claim("msg:1", "processing", ttl=10)


async def test_put_get_pop():
    store = MemoryStateStore()
    await store.put("menu:u", '["/a"]', ttl=60)
    assert await store.get("menu:u") == '["/a"]'
    assert await store.pop("menu:u") == '["/a"]'
    assert await store.pop("menu:u") is None


async def test_expired_keys_are_swept():
    clock = Clock()
    store = MemoryStateStore(clock=clock, sweep_every=10)
    for number in range(9):
        await store.put(f"k{number}", "v", ttl=1)
    clock.now = 5.0
    await store.put("last", "v", ttl=1)
    assert len(store) == 1


def test_redis_only_when_configured():
    assert isinstance(create_store(None), MemoryStateStore)
    assert isinstance(create_store("redis://127.0.0.1:6379/0"), RedisStateStore)
