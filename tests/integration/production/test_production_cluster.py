"""Two Rasa servers in the production profile: shared state, order, restarts, bad input.

The tests run in file order against one module-scoped cluster (see conftest);
the restart test restarts server 0 in place and the later tests use it again.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest

from bot.platform.conversation_ids import REST, conversation_id
from tests.support.bad_inputs import BAD_INPUTS

pytestmark = [pytest.mark.model, pytest.mark.services]

# Replies that don't start or change a form, so any order of them is a valid dialogue.
SMALL_TALK = ["你好", "包邮吗", "能开发票吗", "你是机器人吗", "谢谢",
              "支持哪些付款方式", "客服几点上班", "发什么快递"]  # fmt: skip


def new_shopper() -> str:
    return f"prod-{uuid.uuid4().hex[:8]}"


def verify(cluster, index: int, sender: str, first_question: str) -> str:
    """Ask something as a new shopper and verify as 王芳 (C100001)."""
    assert "手机号" in cluster.say(index, sender, first_question)
    assert "订单号" in cluster.say(index, sender, "13800138000")
    return cluster.say(index, sender, "XK202411110001")


def stored_events(database_url: str, sender: str) -> list[dict]:
    with psycopg2.connect(database_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,)
            )
            return [json.loads(row[0]) for row in cursor.fetchall()]


async def published_events(env: dict[str, str], sender: str, expected: int) -> list:
    """Read the test's RabbitMQ queue until ``expected`` events of ``sender`` came."""
    import aio_pika

    found: list[dict] = []
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(env["RABBITMQ_QUEUE"], passive=True)
        deadline = time.monotonic() + 15
        while len(found) < expected and time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False, timeout=5)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            event = json.loads(message.body)
            if event.get("sender_id") == sender:
                found.append(event)
    return found


def user_texts(events: list[dict]) -> list[str]:
    return [event["text"] for event in events if event["event"] == "user"]


def assert_turns_do_not_interleave(events: list[dict]) -> None:
    """Each user message is followed by its bot turn, ended by action_listen."""
    turns: list[list[dict]] = []
    for event in events:
        if event["event"] == "user":
            turns.append([])
        elif turns:
            turns[-1].append(event)
    for turn in turns:
        assert any(event["event"] == "bot" for event in turn), turn
        actions = [e["name"] for e in turn if e["event"] == "action"]
        assert actions and actions[-1] == "action_listen", actions
        assert actions.count("action_listen") == 1, actions


def test_conversation_lands_in_postgresql_and_rabbitmq(cluster, production_env):
    sender = new_shopper()
    assert "小客" in cluster.say(0, sender, "你好")
    assert "8799 积分" in verify(cluster, 0, sender, "我有多少积分")

    conversation = conversation_id(REST, sender)
    stored = stored_events(production_env["DATABASE_URL_FOR_TESTS"], conversation)
    assert user_texts(stored) == [
        "你好",
        "我有多少积分",
        "13800138000",
        "XK202411110001",
    ]
    assert any(
        "8799 积分" in (e.get("text") or "") for e in stored if e["event"] == "bot"
    )

    published = asyncio.run(published_events(production_env, conversation, len(stored)))
    assert [e["event"] for e in published] == [e["event"] for e in stored]
    assert user_texts(published) == user_texts(stored)


def test_two_servers_share_one_conversation_in_order(cluster):
    sender = new_shopper()
    alternating = SMALL_TALK[:6]
    for number, text in enumerate(alternating):
        assert cluster.say(number % 2, sender, text), text

    concurrent = SMALL_TALK
    with ThreadPoolExecutor(max_workers=len(concurrent)) as pool:
        responses = list(
            pool.map(
                lambda item: cluster.post(item[0] % 2, sender, item[1]),
                enumerate(concurrent),
            )
        )
    assert [response.status_code for response in responses] == [200] * len(concurrent)
    assert all(response.json() for response in responses), "a message got no answer"

    for index in (0, 1):  # both servers see the same conversation
        events = cluster.events(sender, index)
        texts = user_texts(events)
        assert texts[: len(alternating)] == alternating
        assert sorted(texts[len(alternating) :]) == sorted(concurrent)
        assert_turns_do_not_interleave(events)
    bot_events = [e for e in events if e["event"] == "bot"]
    answered = sum(len(response.json()) for response in responses)
    assert len(bot_events) >= answered + len(alternating)


def test_restart_in_the_middle_of_a_return_continues(cluster):
    sender = new_shopper()
    verify(cluster, 0, sender, "查下积分")
    cluster.say(0, sender, "我要退货")
    assert "退的是" in cluster.say(0, sender, "XK202411110004")

    cluster.restart(0)

    assert "原因" in cluster.say(0, sender, "耳机")
    assert "照片" in cluster.say(1, sender, "质量问题")
    confirm = cluster.say(0, sender, "跳过")
    assert "确认" in confirm and "499.00" in confirm
    created = cluster.say(0, sender, "确认")
    assert "RMA" in created and "寄回地址" in created


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gets_no_server_error(cluster, text):
    sender = new_shopper()
    response = cluster.post(0, sender, text)
    assert response.status_code < 500, response.text[:300]
    assert isinstance(response.json(), list)
    # The same conversation still works afterwards.
    assert "小客" in cluster.say(0, sender, "你好")


def test_servers_survive_the_bad_input_run(cluster):
    sender = new_shopper()
    for text in BAD_INPUTS.values():
        assert cluster.post(1, sender, text).status_code < 500
    for index in (0, 1):
        assert cluster.processes[index].poll() is None
        assert "包邮" in cluster.say(index, new_shopper(), "包邮吗")
