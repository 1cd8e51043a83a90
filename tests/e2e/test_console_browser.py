"""Browser end to end: a shopper asks for a person in the web chat, an agent answers.

Real processes (the end-to-end modules' shared stack): order + CRM services,
action server, Rasa server, console; headless Debian Chromium driven by
Playwright. Other modules' handoffs may wait in the same queue: the agent takes
the one of this shopper's web chat (found in the conversation store).
"""

from __future__ import annotations

import time

import pytest

from bot.console.service import HANDED_BACK
from tests.conftest import ROOT
from tests.support.shared_stack import SharedStack

pytestmark = pytest.mark.model
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 30_000
REPLY = "您好，我是客服小王，马上帮您查"


def test_shopper_gets_a_person_and_then_the_bot_back(
    shared_stack: SharedStack, browser
):
    console, workdir = shared_stack.console, shared_stack.workdir
    earlier = shared_stack.web_conversations()
    shopper_context = browser.new_context()
    agent_context = browser.new_context()
    shopper = shopper_context.new_page()
    agent = agent_context.new_page()
    for page in (shopper, agent):
        page.set_default_timeout(TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.monotonic()
    try:
        # the shopper asks for a person
        shopper.goto(f"{console.url}/chat")
        shopper.fill("#chat-input", "转人工")
        shopper.press("#chat-input", "Enter")
        shopper.locator("#messages li.bot", has_text="已为您转接人工客服").wait_for()
        (chat,) = shared_stack.web_conversations() - earlier  # this shopper's

        # the agent logs in and sees it in the queue
        agent.goto(f"{console.url}/queue")
        agent.fill("input[name=username]", console.username)
        agent.fill("input[name=password]", console.password)
        agent.click("#login")
        row = agent.locator("#queue tbody tr", has_text=chat)
        row.filter(has_text="顾客要求转人工").wait_for()
        row.locator("button.claim").click()
        agent.wait_for_url("**/conversations/*")
        agent.locator("#transcript li.shopper", has_text="转人工").wait_for()

        # a shopper message while paused appears live; the bot stays quiet
        shopper.fill("#chat-input", "在吗？我的快递显示签收了但没收到")
        shopper.press("#chat-input", "Enter")
        agent.locator("#transcript li.shopper", has_text="签收了但没收到").wait_for()

        # the agent replies; the shopper sees it
        agent.fill("#reply-text", REPLY)
        agent.press("#reply-text", "Enter")
        shopper.locator("#messages li.agent", has_text=REPLY).wait_for()
        agent.locator("#transcript li.agent", has_text=REPLY).wait_for()
        assert shopper.locator("#messages li.bot").count() == 1
        agent.screenshot(path=str(ARTIFACTS / "console_conversation.png"))

        # hand back: the shopper is told, and the bot answers again
        agent.click("#hand-back")
        agent.wait_for_url("**/queue")
        # the shopper reads the console's whole hand-back line
        shopper.locator("#messages li.agent", has_text=HANDED_BACK).wait_for()
        shopper.fill("#chat-input", "你好")
        shopper.press("#chat-input", "Enter")
        shopper.locator("#messages li.bot", has_text="小客").first.wait_for()
        print(f"browser flow took {time.monotonic() - started:.1f}s")
    except Exception:
        for name, page in (("shopper", shopper), ("agent", agent)):
            page.screenshot(path=str(ARTIFACTS / f"console_e2e_failure_{name}.png"))
        print((workdir / "console.log").read_text()[-3000:])
        raise
    finally:
        shopper_context.close()
        agent_context.close()


MEDIA = ROOT / "tests" / "fixtures" / "media"


def _loaded(image) -> bool:
    """Whether the browser fetched and decoded the picture (not a broken icon)."""
    image.wait_for()
    width = image.evaluate(
        """(img) => img.complete ? img.naturalWidth : new Promise((done) => {
             img.addEventListener("load", () => done(img.naturalWidth));
             img.addEventListener("error", () => done(0));
           })"""
    )
    return bool(width)


def test_pictures_go_both_ways_between_the_web_chat_and_the_agent(
    shared_stack: SharedStack, browser
):
    console, workdir = shared_stack.console, shared_stack.workdir
    earlier = shared_stack.web_conversations()
    shopper_context = browser.new_context()
    agent_context = browser.new_context()
    shopper = shopper_context.new_page()
    agent = agent_context.new_page()
    for page in (shopper, agent):
        page.set_default_timeout(TIMEOUT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        shopper.goto(f"{console.url}/chat")
        # A PDF named like a photo is refused in Chinese before anything else.
        shopper.set_input_files("#chat-photo", str(MEDIA / "invoice_named_as.jpg"))
        shopper.locator("#messages li.system", has_text="只能收下照片").wait_for()
        assert shared_stack.web_conversations() == earlier  # nothing reached Rasa
        shopper.fill("#chat-input", "转人工")
        shopper.press("#chat-input", "Enter")
        shopper.locator("#messages li.bot", has_text="已为您转接人工客服").wait_for()
        (chat,) = shared_stack.web_conversations() - earlier

        agent.goto(f"{console.url}/queue")
        agent.fill("input[name=username]", console.username)
        agent.fill("input[name=password]", console.password)
        agent.click("#login")
        row = agent.locator("#queue tbody tr", has_text=chat)
        row.locator("button.claim").click()
        agent.wait_for_url("**/conversations/*")

        # The shopper's photo: shown to them, and live in the agent's transcript.
        shopper.set_input_files("#chat-photo", str(MEDIA / "earbuds_photo.jpg"))
        assert _loaded(shopper.locator("#messages li.me img.picture"))
        assert _loaded(agent.locator("#transcript li.shopper a.picture img"))
        bots = shopper.locator("#messages li.bot").count()

        # The agent's picture: in the transcript, and polled by the web chat.
        agent.set_input_files("#reply-image", str(MEDIA / "red_dot.png"))
        agent.click("#send-image")
        assert _loaded(agent.locator("#transcript li.agent a.picture img"))
        assert _loaded(shopper.locator("#messages li.agent img.picture"))
        # The paused bot said nothing to the photo.
        assert shopper.locator("#messages li.bot").count() == bots
        agent.screenshot(path=str(ARTIFACTS / "console_pictures.png"))
        # A PDF from the agent is refused by content, with the reason shown.
        agent.set_input_files("#reply-image", str(MEDIA / "invoice_named_as.jpg"))
        agent.click("#send-image")
        agent.locator("#reply-error", has_text="不是图片").wait_for()
        agent.click("#close")
    except Exception:
        for name, page in (("shopper", shopper), ("agent", agent)):
            page.screenshot(path=str(ARTIFACTS / f"pictures_failure_{name}.png"))
        print((workdir / "console.log").read_text()[-3000:])
        raise
    finally:
        shopper_context.close()
        agent_context.close()
