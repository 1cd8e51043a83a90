import asyncio
import time

import pytest

from bot.wechat.dedup import MemoryStateStore
from bot.wechat.errors import (
    CustomerServiceWindowClosed,
    WeChatTransportError,
)
from bot.wechat.parse import IncomingMessage, MessageKind
from bot.wechat.replies import (
    ERROR_REPLY,
    UNRECOGNISED_VOICE_REPLY,
    UNSUPPORTED_REPLY,
    WELCOME_REPLY,
)
from bot.wechat.service import ReplyService

BUTTONS = [
    {"title": "确认退货", "payload": "/affirm"},
    {"title": "取消", "payload": "/deny"},
]


class Bot:
    """Answers "<text>" with one message, or what `script` says; records calls."""

    def __init__(self, delay=0.0):
        self.calls = []
        self.delay = delay
        self.script = {}

    async def __call__(self, openid, text):
        self.calls.append((openid, text))
        await asyncio.sleep(self.delay)
        if text in self.script:
            answer = self.script[text]
            if isinstance(answer, Exception):
                raise answer
            return answer
        return [{"recipient_id": openid, "text": f"收到：{text}"}]


class Client:
    def __init__(self, fail=None):
        self.sent = []
        self.fail = fail

    async def send_text(self, openid, content):
        if self.fail:
            raise self.fail
        self.sent.append((openid, content))


def text(content, msg_id=1, openid="u1"):
    return IncomingMessage(
        kind=MessageKind.TEXT, openid=openid, account="gh", create_time=1,
        msg_type="text", msg_id=msg_id, text=content,
    )  # fmt: skip


def event(name, key=None, openid="u1", create_time=1):
    return IncomingMessage(
        kind=MessageKind.EVENT, openid=openid, account="gh", create_time=create_time,
        msg_type="event", event=name, event_key=key,
    )  # fmt: skip


def service(bot, client=None, budget=0.2, limit=2048):
    return ReplyService(
        bot, MemoryStateStore(), client, {"TRACK_DELIVERY": "/track_delivery"},
        reply_budget=budget, poll_interval=0.01, passive_limit=limit,
        follow_up_delay=0.05,
    )  # fmt: skip


async def settle(svc):
    await svc.close(grace=5)


async def test_quick_single_answer_is_passive():
    bot, client = Bot(), Client()
    svc = service(bot, client)
    assert await svc.handle(text("你好")) == "收到：你好"
    assert client.sent == []


async def test_several_messages_are_joined_into_one_passive_reply():
    bot, client = Bot(), Client()
    bot.script["积分"] = [{"text": "第一条"}, {"text": "第二条"}, {"text": "第三条"}]
    svc = service(bot, client)
    assert await svc.handle(text("积分")) == "第一条\n\n第二条\n\n第三条"
    await settle(svc)
    assert client.sent == []


async def test_an_answer_over_the_limit_is_split_passive_first_then_the_api():
    bot, client = Bot(), Client()
    long = ["甲" * 30, "乙" * 30, "丙" * 30]  # 90 bytes each
    bot.script["长"] = [{"text": item} for item in long]
    svc = service(bot, client, limit=200)
    assert await svc.handle(text("长")) == f"{long[0]}\n\n{long[1]}"
    assert client.sent == []  # the rest waits for the HTTP response to go out
    await settle(svc)
    assert client.sent == [("u1", long[2])]


async def test_a_retry_of_a_split_answer_gets_the_same_passive_part_only():
    bot, client = Bot(delay=0.05), Client()
    bot.script["长"] = [{"text": "甲" * 60}, {"text": "乙" * 60}]
    svc = service(bot, client, budget=1.0, limit=200)
    first, retry = await asyncio.gather(svc.handle(text("长")), svc.handle(text("长")))
    assert first == retry == "甲" * 60
    await settle(svc)
    assert client.sent == [("u1", "乙" * 60)]
    assert len(bot.calls) == 1


async def test_a_split_menu_is_remembered_from_the_last_part():
    bot, client = Bot(), Client()
    bot.script["退货"] = [
        {"text": "说明" * 40},
        {"text": "确认吗？", "buttons": BUTTONS},
    ]
    svc = service(bot, client, limit=250)
    assert await svc.handle(text("退货", msg_id=1)) == "说明" * 40
    await settle(svc)
    assert client.sent == [("u1", "确认吗？\n\n回复数字选择：\n1. 确认退货\n2. 取消")]
    await svc.handle(text("1", msg_id=2))
    assert bot.calls[-1] == ("u1", "/affirm")


async def test_a_late_answer_is_joined_too():
    bot, client = Bot(delay=0.3), Client()
    bot.script["多"] = [{"text": "一"}, {"text": "二"}, {"text": "三"}]
    svc = service(bot, client, budget=0.1)
    assert await svc.handle(text("多")) is None
    await settle(svc)
    assert client.sent == [("u1", "一\n\n二\n\n三")]


async def test_slow_answer_is_delivered_late_once():
    bot, client = Bot(delay=0.4), Client()
    svc = service(bot, client, budget=0.1)
    assert await svc.handle(text("慢")) is None
    assert await svc.handle(text("慢")) is None  # WeChat's retry
    await settle(svc)
    assert client.sent == [("u1", "收到：慢")]
    assert len(bot.calls) == 1


async def test_retry_during_processing_gets_the_same_passive_answer():
    bot, client = Bot(delay=0.1), Client()
    svc = service(bot, client, budget=1.0)
    first, retry = await asyncio.gather(
        svc.handle(text("你好")), svc.handle(text("你好"))
    )
    assert first == retry == "收到：你好"
    assert len(bot.calls) == 1
    assert client.sent == []


async def test_first_request_cancelled_means_late_delivery_and_success_for_retries():
    bot, client = Bot(delay=0.2), Client()
    svc = service(bot, client, budget=1.0)
    first = asyncio.create_task(svc.handle(text("你好")))
    await asyncio.sleep(0.05)
    first.cancel()  # WeChat hung up
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await svc.handle(text("你好")) is None
    await settle(svc)
    assert client.sent == [("u1", "收到：你好")]
    assert len(bot.calls) == 1


class NetworkedStore(MemoryStateStore):
    """A store whose commands take a round trip, like Redis: each is an await
    during which the request can be cancelled, after the command took effect."""

    def __init__(self, round_trip=0.05):
        super().__init__()
        self.round_trip = round_trip

    async def claim(self, key, value, ttl):
        claimed = await super().claim(key, value, ttl)
        await asyncio.sleep(self.round_trip)
        return claimed

    async def pop(self, key):
        value = await super().pop(key)
        await asyncio.sleep(self.round_trip)
        return value


@pytest.mark.parametrize("hang_up_after", [0.02, 0.07], ids=["claiming", "menu"])
async def test_a_request_dropped_while_its_turn_starts_is_still_answered(
    hang_up_after,
):
    # Under overload WeChat's 5 s can run out while the first request is still
    # claiming the message or reading the menu (Redis round trips). The claim
    # has taken effect, so the retries only wait for the outcome: the turn must
    # go on and its answer arrive through the API, once.
    bot, client = Bot(delay=0.05), Client()
    svc = ReplyService(
        bot, NetworkedStore(), client, {}, reply_budget=0.3, poll_interval=0.01,
    )  # fmt: skip
    first = asyncio.create_task(svc.handle(text("你好")))
    await asyncio.sleep(hang_up_after)
    first.cancel()  # WeChat hung up
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await svc.handle(text("你好")) is None  # the retry: success
    await settle(svc)
    assert bot.calls == [("u1", "你好")]
    assert client.sent == [("u1", "收到：你好")]


async def test_the_reply_budget_counts_from_the_request_not_from_the_claim():
    bot, client = Bot(delay=0.25), Client()
    svc = ReplyService(
        bot, NetworkedStore(round_trip=0.1), client, {}, reply_budget=0.3,
        poll_interval=0.01,
    )  # fmt: skip
    started = time.perf_counter()
    assert await svc.handle(text("你好")) is None  # 0.2 s of store + 0.25 s bot
    assert time.perf_counter() - started < 0.45
    await settle(svc)
    assert client.sent == [("u1", "收到：你好")]


async def test_bot_failure_is_answered_in_chinese():
    bot = Bot()
    bot.script["炸了"] = RuntimeError("boom")
    assert await service(bot).handle(text("炸了")) == ERROR_REPLY


async def test_buttons_become_a_menu_and_a_number_picks_the_payload():
    bot = Bot()
    bot.script["退货"] = [{"text": "确认吗？", "buttons": BUTTONS}]
    svc = service(bot)
    answer = await svc.handle(text("退货", msg_id=1))
    assert answer.endswith("回复数字选择：\n1. 确认退货\n2. 取消")
    await svc.handle(text("2", msg_id=2))
    assert bot.calls[-1] == ("u1", "/deny")
    await svc.handle(text("2", msg_id=3))  # the menu answered once only
    assert bot.calls[-1] == ("u1", "2")


async def test_menus_are_per_shopper():
    bot = Bot()
    bot.script["退货"] = [{"text": "确认吗？", "buttons": BUTTONS}]
    svc = service(bot)
    await svc.handle(text("退货", msg_id=1, openid="a"))
    await svc.handle(text("1", msg_id=2, openid="b"))
    assert bot.calls[-1] == ("b", "1")


async def test_events_and_unsupported_types():
    bot = Bot()
    svc = service(bot)
    assert await svc.handle(event("subscribe")) == WELCOME_REPLY
    assert await svc.handle(event("unsubscribe", create_time=2)) is None
    assert await svc.handle(event("view", "https://x", create_time=3)) is None
    assert await svc.handle(event("click", "NOPE", create_time=4)) == UNSUPPORTED_REPLY
    assert await svc.handle(event("click", "TRACK_DELIVERY", create_time=5)) == (
        "收到：/track_delivery"
    )
    unsupported = IncomingMessage(MessageKind.UNSUPPORTED, "u1", "gh", 6, "image", 9)
    assert await svc.handle(unsupported) == UNSUPPORTED_REPLY
    voice = IncomingMessage(MessageKind.UNRECOGNISED_VOICE, "u1", "gh", 7, "voice", 10)
    assert await svc.handle(voice) == UNRECOGNISED_VOICE_REPLY
    assert bot.calls == [("u1", "/track_delivery")]
    assert "转人工" in UNSUPPORTED_REPLY and "查物流" in UNSUPPORTED_REPLY


async def test_closed_window_stops_delivery_without_raising(caplog):
    bot = Bot(delay=0.3)  # late: the answer needs the API
    bot.script["多"] = [{"text": "一"}, {"text": "二"}]
    client = Client(fail=CustomerServiceWindowClosed(45015, "out of time"))
    svc = service(bot, client)
    assert await svc.handle(text("多")) is None
    await settle(svc)
    assert "45015" in caplog.text


async def test_unreachable_api_is_logged_not_raised(caplog):
    assert (
        await service(Bot(), Client(fail=WeChatTransportError("down"))).send_texts(
            "u1", ["一", "二"]
        )
        == 0
    )
    assert "failed" in caplog.text


async def test_without_app_secret_late_answers_are_logged(caplog):
    assert await service(Bot(), None).send_texts("u1", ["一"]) == 0
    assert "WECHAT_APP_SECRET" in caplog.text


REGISTER = '/register_warranty{"serial_number": "SN3F7T1W6B2X"}'


async def test_scanning_a_warranty_card_starts_registration_with_the_serial():
    bot = Bot()
    bot.script[REGISTER] = [{"text": "为了保护您的信息，先核实一下身份哦～"}]
    answer = await service(bot).handle(event("scan", "warranty:SN3F7T1W6B2X"))
    assert bot.calls == [("u1", REGISTER)]
    assert answer == (
        "已识别保修卡上的序列号 SN3F7T1W6B2X，马上为您登记保修。\n\n"
        "为了保护您的信息，先核实一下身份哦～"
    )


async def test_following_through_a_warranty_card_welcomes_and_starts_registration():
    bot = Bot()
    answer = await service(bot).handle(
        event("subscribe", "qrscene_warranty:sn3f7t1w6b2x")
    )
    assert bot.calls == [("u1", REGISTER)]
    assert answer.startswith("您好，欢迎关注！")
    assert "SN3F7T1W6B2X" in answer and answer.endswith(f"收到：{REGISTER}")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("scan", "warranty:SN123"),
        ("scan", "store42"),
        ("scan", "warranty:" + "SN3F7T1W6B2X" * 6),
        ("subscribe", "qrscene_guarantee:SN3F7T1W6B2X"),
        ("subscribe", "qrscene_warranty:SN3F7T1W6B2X<script>"),
        ("subscribe", ""),
    ],
)
async def test_other_codes_get_the_normal_welcome_and_no_bot_turn(name, key):
    bot = Bot()
    assert await service(bot).handle(event(name, key)) == WELCOME_REPLY
    assert bot.calls == []


async def test_a_retried_scan_starts_registration_once():
    bot = Bot(delay=0.05)
    svc = service(bot, budget=1.0)
    scan = event("scan", "warranty:SN3F7T1W6B2X", create_time=42)
    first, retry = await asyncio.gather(svc.handle(scan), svc.handle(scan))
    assert first == retry
    assert len(bot.calls) == 1


class BusyBot:
    """A bot whose turns hold the event loop in chunks, as Rasa's turns do."""

    def __init__(self):
        self.running = 0
        self.most_running = 0

    async def __call__(self, openid, text):
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            for _ in range(4):
                time.sleep(0.01)  # noqa: ASYNC251 (policies, tracker: CPU work on the loop)
                await asyncio.sleep(0)
        finally:
            self.running -= 1
        return [{"recipient_id": openid, "text": f"收到：{text}"}]


@pytest.mark.parametrize("max_turns", [4])
async def test_a_crowd_of_messages_is_acknowledged_within_the_budget(max_turns):
    bot = BusyBot()
    service = ReplyService(
        bot, MemoryStateStore(), Client(), {}, reply_budget=0.3, max_turns=max_turns
    )

    async def push(number):
        started = time.monotonic()
        await service.handle(text(f"第{number}条", msg_id=number, openid=f"u{number}"))
        return time.monotonic() - started

    waits = await asyncio.gather(*(push(n) for n in range(60)))

    assert bot.most_running <= max_turns
    assert max(waits) < 0.3 + 0.15
    await asyncio.sleep(0)  # late answers go on in the background


async def test_without_a_limit_the_crowd_delays_the_acknowledgments():
    """The measurement above can fail: with every turn at once they come late."""
    bot = BusyBot()
    service = ReplyService(
        bot, MemoryStateStore(), Client(), {}, reply_budget=0.3, max_turns=1000
    )

    async def push(number):
        started = time.monotonic()
        await service.handle(text(f"第{number}条", msg_id=number, openid=f"u{number}"))
        return time.monotonic() - started

    waits = await asyncio.gather(*(push(n) for n in range(60)))

    assert bot.most_running == 60
    assert max(waits) > 0.3 + 0.15
