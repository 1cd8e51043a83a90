"""One shopper message → one answer: dedup, the 5-second rule and late delivery.

How an answer reaches the shopper:

* Ready within ``reply_budget`` → the turn's messages joined into one text
  (``bot.wechat.compose``) go back as the passive reply in the HTTP response
  (free, no API quota). Only when the joined text exceeds WeChat's passive
  limit is it split: the first part is the passive reply, the rest follow
  through the customer-service API ``follow_up_delay`` seconds later, so they
  do not overtake the HTTP response WeChat is still turning into a message.
* Not ready in time → the HTTP response is ``success`` and the answer goes
  through the customer-service API, joined the same way (fewer messages, less
  of the per-shopper quota the agents need during a handoff).

A picture is fetched by its ``MediaId``, checked and stored within the same
budget, then put to the bot as ``/send_image{"image_ref": …}``
(``bot.wechat.images``); a refused or unreachable picture gets a Chinese
explanation and nothing is stored.

A retry of a message being processed (same MsgId) waits for the first
request's outcome and returns the same passive reply, or ``success`` when the
answer goes (or went) through the API. It is never processed twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.platform.media_store import MediaRejected, MediaStore
from bot.wechat.client import WeChatApiClient
from bot.wechat.compose import PASSIVE_LIMIT, ComposedAnswer, compose
from bot.wechat.config import DEFAULT_REPLY_BUDGET
from bot.wechat.dedup import StateStore
from bot.wechat.errors import (
    CustomerServiceQuotaExceeded,
    CustomerServiceWindowClosed,
    WeChatError,
)
from bot.wechat.images import image_message, receive_image
from bot.wechat.menu import click_payload, pick_from_menu
from bot.wechat.parse import IncomingMessage, MessageKind
from bot.wechat.replies import (
    ERROR_REPLY,
    IMAGE_FETCH_FAILED_REPLY,
    IMAGES_OFF_REPLY,
    UNRECOGNISED_VOICE_REPLY,
    UNSUPPORTED_REPLY,
    WELCOME_REPLY,
    OutgoingText,
    render_bot_message,
    warranty_card_preface,
)
from bot.wechat.scenes import (
    SUBSCRIBE_PREFIX,
    register_warranty_message,
    scene_of,
    warranty_serial,
)

logger = logging.getLogger(__name__)

#: The bot: (openid, text) → the messages Rasa produced (collected dicts).
Bot = Callable[[str, str], Awaitable[Sequence[Mapping[str, Any]]]]

PROCESSING = "processing"
LATE = "late"  # answered (or being answered) through the customer-service API
SILENT = "silent"  # the bot had nothing to say
PASSIVE = "passive:"  # + the passive reply text


class ReplyService:
    """Answers WeChat messages with the bot, once per message.

    Args:
        bot: Sends a text to the bot and returns its messages.
        store: Dedup state and last menus (memory or Redis).
        client: Customer-service API client, ``None`` when AppID/secret are unset.
        menu: Menu CLICK ``EventKey`` → bot message.
        reply_budget: Seconds to wait for the bot before answering ``success``.
        state_ttl: Seconds a message's state is kept (covers retries and the
            timestamp window, so a replayed request is recognised too).
        menu_ttl: Seconds a numbered menu stays answerable.
        poll_interval: Seconds between state checks of a waiting retry.
        passive_limit: Largest passive reply (and API text) in UTF-8 bytes.
        follow_up_delay: Seconds between a split answer's passive reply and
            its remaining parts.
        media: Where shoppers' pictures are kept (``None``: pictures are
            politely declined).
        max_turns: Bot turns in progress at once; further messages wait (in
            order) for a free place. Under overload the event loop then never
            holds hundreds of turns at once, whose work would delay the
            ``success`` answers past WeChat's 5 s.
    """

    def __init__(
        self,
        bot: Bot,
        store: StateStore,
        client: WeChatApiClient | None,
        menu: Mapping[str, str],
        *,
        reply_budget: float = DEFAULT_REPLY_BUDGET,
        state_ttl: int = 600,
        menu_ttl: int = 86400,
        poll_interval: float = 0.05,
        passive_limit: int = PASSIVE_LIMIT,
        follow_up_delay: float = 0.5,
        media: MediaStore | None = None,
        max_turns: int = 8,
    ) -> None:
        self._bot = bot
        self._max_turns = max_turns
        self._turns: asyncio.Semaphore | None = None
        self._store = store
        self._client = client
        self._menu = dict(menu)
        self._budget = reply_budget
        self._state_ttl = state_ttl
        self._menu_ttl = menu_ttl
        self._poll = poll_interval
        self._limit = passive_limit
        self._follow_up_delay = follow_up_delay
        self._media = media
        self._background: set[asyncio.Task[None]] = set()

    async def handle(self, message: IncomingMessage) -> str | None:
        """Answer a verified message.

        Args:
            message: The parsed message.

        Returns:
            The passive reply text, or ``None`` to answer ``success``.
        """
        if message.kind is MessageKind.TEXT:
            return await self._bot_turn(message, message.text or "", menu_pick=True)
        if message.kind is MessageKind.UNRECOGNISED_VOICE:
            return UNRECOGNISED_VOICE_REPLY
        if message.kind is MessageKind.IMAGE:
            if self._client is None or self._media is None:
                return IMAGES_OFF_REPLY
            return await self._bot_turn(message, "", menu_pick=False)
        if message.kind is MessageKind.UNSUPPORTED:
            return UNSUPPORTED_REPLY
        if message.event in ("subscribe", "scan"):
            return await self._follow_or_scan(message)
        if message.event == "click":
            payload = click_payload(self._menu, message.event_key)
            if payload is None:
                logger.warning("menu key %r has no mapping", message.event_key)
                return UNSUPPORTED_REPLY
            return await self._bot_turn(message, payload, menu_pick=False)
        # unsubscribe, VIEW, location reports, template-send results …
        return None

    async def _follow_or_scan(self, message: IncomingMessage) -> str | None:
        """A follow or a QR-code scan: a warranty card starts registration.

        Any other follow, and a scan of a code that is not a warranty card
        (unknown or malformed scene), gets the welcome.
        """
        serial = warranty_serial(scene_of(message.event, message.event_key))
        if serial is None:
            if message.event_key and message.event_key != SUBSCRIBE_PREFIX:
                logger.info("QR scene %r is not a warranty card", message.event_key)
            return WELCOME_REPLY
        preface = warranty_card_preface(
            serial, new_follower=message.event == "subscribe"
        )
        return await self._bot_turn(
            message, register_warranty_message(serial), menu_pick=False, preface=preface
        )

    async def _bot_turn(
        self,
        message: IncomingMessage,
        text: str,
        *,
        menu_pick: bool,
        preface: OutgoingText | None = None,
    ) -> str | None:
        key = message.dedup_key
        deadline = time.monotonic() + self._budget
        # Claiming the message and starting its turn is one piece of work that
        # WeChat hanging up cannot stop half-way: with a networked store (Redis)
        # both are awaits, and a claim left without its turn would make every
        # retry answer ``success`` for an answer that never comes.
        starting = asyncio.ensure_future(
            self._start_turn(message, text, menu_pick=menu_pick, preface=preface)
        )
        try:
            task = await asyncio.shield(starting)
        except asyncio.CancelledError:
            self._spawn(self._deliver_once_started(message.openid, key, starting))
            raise
        if task is None:
            logger.info("WeChat retry of %s", key)
            return await self._outcome_of(key)
        try:
            await asyncio.wait({task}, timeout=max(deadline - time.monotonic(), 0.0))
            if task.done():
                return await self._answer_passively(message.openid, key, task.result())
        except asyncio.CancelledError:
            # WeChat hung up (its own timeout): the answer goes through the API.
            self._spawn(self._deliver_late(message.openid, key, task))
            raise
        await self._store.put(key, LATE, self._state_ttl)
        self._spawn(self._deliver_late(message.openid, key, task))
        return None

    async def _start_turn(
        self,
        message: IncomingMessage,
        text: str,
        *,
        menu_pick: bool,
        preface: OutgoingText | None,
    ) -> asyncio.Task[list[OutgoingText]] | None:
        """Claim the message and start asking the bot; ``None`` for a retry."""
        if not await self._store.claim(message.dedup_key, PROCESSING, self._state_ttl):
            return None
        # A menu answers only the next message: a later "2" is just "2".
        payloads = await self._last_menu(message.openid)
        if menu_pick:
            text = pick_from_menu(text, payloads) or text
        if message.kind is MessageKind.IMAGE and message.media_id:
            asking = self._ask_bot_with_image(message.openid, message.media_id)
        else:
            asking = self._ask_bot(message.openid, text, preface)
        return asyncio.create_task(asking)

    async def _deliver_once_started(
        self,
        openid: str,
        key: str,
        starting: asyncio.Future[asyncio.Task[list[OutgoingText]] | None],
    ) -> None:
        """Late delivery for a turn whose request was dropped while it started."""
        try:
            task = await starting
        except Exception:
            logger.exception("starting the WeChat turn of %s failed", key)
            return
        if task is not None:
            await self._deliver_late(openid, key, task)

    def _turn_place(self) -> asyncio.Semaphore:
        # Made on first use, inside the server's event loop.
        if self._turns is None:
            self._turns = asyncio.Semaphore(self._max_turns)
        return self._turns

    async def _answer_passively(
        self, openid: str, key: str, messages: list[OutgoingText]
    ) -> str | None:
        answer = self._compose(messages)
        await self._remember_menu(openid, answer)
        if not answer.parts:
            await self._store.put(key, SILENT, self._state_ttl)
            return None
        passive, *rest = answer.parts
        await self._store.put(key, PASSIVE + passive, self._state_ttl)
        if rest:
            logger.info(
                "WeChat answer to %s over %d bytes: %d part(s) follow via the API",
                openid,
                self._limit,
                len(rest),
            )
            self._spawn(self._follow_up(openid, rest))
        return passive

    def _compose(self, messages: list[OutgoingText]) -> ComposedAnswer:
        return compose(messages, self._limit)

    async def _follow_up(self, openid: str, texts: Sequence[str]) -> None:
        try:
            await asyncio.sleep(self._follow_up_delay)
            await self.send_texts(openid, texts)
        except Exception:
            logger.exception("WeChat follow-up delivery to %s failed", openid)

    async def _outcome_of(self, key: str) -> str | None:
        deadline = time.monotonic() + self._budget
        while True:
            state = await self._store.get(key)
            if state is not None and state.startswith(PASSIVE):
                return state[len(PASSIVE) :]
            if state != PROCESSING or time.monotonic() >= deadline:
                return None
            await asyncio.sleep(self._poll)

    async def _ask_bot(
        self, openid: str, text: str, preface: OutgoingText | None = None
    ) -> list[OutgoingText]:
        before = [preface] if preface is not None else []
        try:
            async with self._turn_place():
                produced = await self._bot(openid, text)
        except Exception:
            logger.exception("the bot failed on a WeChat message from %s", openid)
            return [*before, OutgoingText(ERROR_REPLY)]
        rendered = [render_bot_message(item) for item in produced]
        return [*before, *(item for item in rendered if item is not None)]

    async def _ask_bot_with_image(
        self, openid: str, media_id: str
    ) -> list[OutgoingText]:
        assert self._client is not None and self._media is not None
        try:
            ref = await receive_image(self._client, self._media, media_id)
        except MediaRejected as refusal:
            logger.info("picture from %s refused: %s", openid, refusal.code)
            return [OutgoingText(refusal.shopper_message)]
        except WeChatError as error:
            logger.warning(
                "picture %s from %s not fetched: %s", media_id, openid, error
            )
            return [OutgoingText(IMAGE_FETCH_FAILED_REPLY)]
        except Exception:
            logger.exception("picture %s from %s not stored", media_id, openid)
            return [OutgoingText(ERROR_REPLY)]
        logger.info("picture from %s stored as %s", openid, ref)
        return await self._ask_bot(openid, image_message(ref))

    async def _last_menu(self, openid: str) -> list[str]:
        raw = await self._store.pop(f"menu:{openid}")
        if not raw:
            return []
        try:
            payloads = json.loads(raw)
        except ValueError:
            return []
        return [str(item) for item in payloads] if isinstance(payloads, list) else []

    async def _remember_menu(self, openid: str, answer: ComposedAnswer) -> None:
        if answer.payloads:
            # The menu at the end of the answer is the one its numbers refer to.
            await self._store.put(
                f"menu:{openid}",
                json.dumps(list(answer.payloads), ensure_ascii=False),
                self._menu_ttl,
            )

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _deliver_late(
        self, openid: str, key: str, answer: asyncio.Task[list[OutgoingText]]
    ) -> None:
        try:
            await self._store.put(key, LATE, self._state_ttl)
            composed = self._compose(await answer)
            await self._remember_menu(openid, composed)
            await self.send_texts(openid, composed.parts)
        except Exception:
            logger.exception("late WeChat delivery to %s failed", openid)

    async def send_texts(self, openid: str, texts: Sequence[str]) -> int:
        """Send texts through the customer-service API, in order.

        Stops at the first failure: 45015 (48-hour window closed) and 45047
        (quota) would fail for the rest too, and a gap must not reorder them.
        Never raises for platform errors: they are logged.

        Args:
            openid: The shopper.
            texts: The messages.

        Returns:
            How many were sent.
        """
        if self._client is None:
            if texts:
                logger.error(
                    "cannot deliver %d late WeChat message(s) to %s: "
                    "WECHAT_APP_ID/WECHAT_APP_SECRET are not set",
                    len(texts),
                    openid,
                )
            return 0
        sent = 0
        for text in texts:
            try:
                await self._client.send_text(openid, text)
            except (CustomerServiceWindowClosed, CustomerServiceQuotaExceeded) as error:
                logger.warning(
                    "WeChat refused a customer-service message to %s (%s %s); "
                    "%d message(s) not sent",
                    openid,
                    error.errcode,
                    error.errmsg,
                    len(texts) - sent,
                )
                break
            except WeChatError as error:
                logger.error(
                    "WeChat customer-service message to %s failed: %s; "
                    "%d message(s) not sent",
                    openid,
                    error,
                    len(texts) - sent,
                )
                break
            sent += 1
        return sent

    async def close(self, grace: float = 10.0) -> None:
        """Let late deliveries finish (up to ``grace`` seconds), then stop them."""
        pending = set(self._background)
        if pending:
            _, still = await asyncio.wait(pending, timeout=grace)
            for task in still:
                task.cancel()
