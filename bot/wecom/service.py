"""Pull, de-duplicate, gate by session state, ask the bot, send: the kf turn logic.

WeCom's callback only says "messages are waiting"; the channel answers it at
once and this service pulls them with ``kf/sync_msg``. The same message can
come twice (a callback retried while a pull was running, two processes pulling
from the same cursor): each msgid is claimed once in the shared store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from bot.platform.conversation_ids import WECOM, account_conversation_id
from bot.platform.media_store import MediaRejected, MediaStore, image_message
from bot.wechat.dedup import StateStore
from bot.wechat.menu import pick_from_menu
from bot.wechat.replies import IMAGE_FETCH_FAILED_REPLY, render_bot_message
from bot.wecom.callback import KfCallback
from bot.wecom.client import WeComKfClient
from bot.wecom.config import HandoffMode
from bot.wecom.cursors import CursorStore
from bot.wecom.errors import SendRefused, WeComError
from bot.wecom.messages import KfKind, KfMessage
from bot.wecom.texts import ERROR, TEXT_ONLY, WELCOME, join_turn

logger = logging.getLogger(__name__)

#: Session states in which the bot answers (未处理, 智能助手).
BOT_STATES = frozenset({0, 1})
SESSION_ENDED = 3  # session_status_change: 结束会话
#: sync_msg returns three days; a msgid is remembered as long.
DEDUP_TTL = 3 * 86400
MAX_PAGES = 50

AskBot = Callable[[str, str], Awaitable[list[dict[str, Any]]]]


class ConversationControl(Protocol):
    """Whether the bot has handed a conversation to a person (Rasa's pause)."""

    async def is_paused(self, conversation_id: str) -> bool:
        """Whether the bot is paused in the conversation."""

    async def resume(self, conversation_id: str) -> None:
        """Let the bot answer again."""


@dataclass(frozen=True)
class Refusal:
    """A message the platform refused to deliver (for logs and the console).

    Attributes:
        conversation_id: The conversation.
        errcode: The platform's code (95018 wrong state, 95001 quota …).
        text: What was not delivered.
        at: Unix seconds.
    """

    conversation_id: str
    errcode: int
    text: str
    at: float


class KfService:
    """Handles the messages of kf callbacks.

    Args:
        client: The kf API client.
        cursors: Cursor per open_kfid.
        store: Msgid claims and last menus (memory or Redis).
        ask_bot: Sends a text to the bot for a conversation id, returns its
            collected messages.
        control: The bot's pause state per conversation.
        handoff_mode: ``console`` or ``wecom``.
        handoff_state: The state a ``wecom`` handoff moves to (2 or 3).
        handoff_servicer: The WeCom userid for state 3.
        max_age: Customer messages older than this many seconds get no answer
            (a first pull returns three days).
        menu_ttl: Seconds a numbered menu stays answerable.
        media: Where shoppers' pictures are kept (``None``: pictures get
            "text only for now").
    """

    def __init__(
        self,
        client: WeComKfClient,
        cursors: CursorStore,
        store: StateStore,
        ask_bot: AskBot,
        control: ConversationControl,
        *,
        handoff_mode: HandoffMode = HandoffMode.CONSOLE,
        handoff_state: int = 2,
        handoff_servicer: str = "",
        max_age: float = 7200.0,
        menu_ttl: int = 86400,
        media: MediaStore | None = None,
    ) -> None:
        self._media = media
        self._client = client
        self._cursors = cursors
        self._store = store
        self._ask_bot = ask_bot
        self._control = control
        self._mode = handoff_mode
        self._handoff_state = handoff_state
        self._servicer = handoff_servicer
        self._max_age = max_age
        self._menu_ttl = menu_ttl
        self._locks: dict[str, asyncio.Lock] = {}
        # shopper → [lock, users]; dropped when nobody uses it.
        self._shoppers: dict[str, list[Any]] = {}
        self.refusals: deque[Refusal] = deque(maxlen=200)

    async def pull(self, callback: KfCallback) -> int:
        """Pull every waiting page for the callback's kf account and handle it.

        Args:
            callback: The verified callback (open_kfid and token).

        Returns:
            How many new messages were handled.
        """
        claimed: dict[str, list[KfMessage]] = {}
        # Only the pull itself is serialised per kf account (one cursor);
        # the turns run afterwards, shoppers side by side.
        async with self._locks.setdefault(callback.open_kfid, asyncio.Lock()):
            cursor = await self._cursors.get(callback.open_kfid)
            for _ in range(MAX_PAGES):
                page = await self._client.sync_msg(
                    callback.open_kfid, cursor, callback.token
                )
                for message in page.messages:
                    if await self._claim(message):
                        key = f"{message.open_kfid}:{message.external_userid}"
                        claimed.setdefault(key, []).append(message)
                if page.next_cursor and page.next_cursor != cursor:
                    cursor = page.next_cursor
                    await self._cursors.put(callback.open_kfid, cursor)
                if not page.has_more:
                    break
        await asyncio.gather(
            *(self._in_order(key, messages) for key, messages in claimed.items())
        )
        return sum(len(messages) for messages in claimed.values())

    async def _in_order(self, shopper: str, messages: list[KfMessage]) -> None:
        """One shopper's messages, one after the other (also across pulls)."""
        entry = self._shoppers.setdefault(shopper, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                for message in messages:
                    await self._handle_safely(message)
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._shoppers[shopper]

    async def close(self) -> None:
        """Close the API client's HTTP session."""
        await self._client.close()

    async def _claim(self, message: KfMessage) -> bool:
        return await self._store.claim(f"kfmsg:{message.msgid}", "1", DEDUP_TTL)

    async def _handle_safely(self, message: KfMessage) -> None:
        try:
            await self.handle(message)
        except WeComError as error:
            logger.warning("WeCom kf message %s not handled: %s", message.msgid, error)
        except Exception:
            logger.exception("WeCom kf message %s failed", message.msgid)
            if message.kind is KfKind.TEXT:
                await self._send(message.open_kfid, message.external_userid, [ERROR])

    async def handle(self, message: KfMessage) -> None:
        """Handle one (already claimed) message or event."""
        if message.kind is KfKind.ENTER_SESSION:
            await self._welcome(message)
        elif message.kind is KfKind.SESSION_CHANGE:
            await self._session_changed(message)
        elif message.kind in (KfKind.TEXT, KfKind.IMAGE, KfKind.MEDIA):
            if message.send_time and time.time() - message.send_time > self._max_age:
                logger.info("WeCom kf message %s too old to answer", message.msgid)
                return
            if not message.external_userid or not message.open_kfid:
                return
            await self._customer_message(message)

    async def _welcome(self, message: KfMessage) -> None:
        if not message.welcome_code:
            return
        try:
            await self._client.send_welcome(message.welcome_code, WELCOME)
        except SendRefused as error:
            self._refused(message, error, WELCOME)

    async def _session_changed(self, message: KfMessage) -> None:
        if self._mode is HandoffMode.WECOM and message.change_type == SESSION_ENDED:
            if message.open_kfid and message.external_userid:
                await self._resume_if_paused(self._conversation(message))

    def _conversation(self, message: KfMessage) -> str:
        return account_conversation_id(
            WECOM, message.open_kfid, message.external_userid
        )

    async def _resume_if_paused(self, conversation: str) -> None:
        if await self._control.is_paused(conversation):
            await self._control.resume(conversation)
            logger.info("WeCom kf session of %s is back with the bot", conversation)

    async def _customer_message(self, message: KfMessage) -> None:
        conversation = self._conversation(message)
        state = await self._client.service_state(
            message.open_kfid, message.external_userid
        )
        if state.state not in BOT_STATES:
            logger.info(
                "WeCom kf message of %s in state %s: the bot stays silent",
                conversation,
                state.state,
            )
            return
        if self._mode is HandoffMode.WECOM:
            # Back in 0/1 after a WeCom agent: the bot answers again.
            await self._resume_if_paused(conversation)
        if message.kind is KfKind.IMAGE and self._media is not None:
            # During a console handoff the picture is recorded like a text
            # (Rasa is paused: the agent sees it, the bot stays silent).
            text = await self._picture(message, self._media)
            if text is None:
                return
        elif message.kind in (KfKind.MEDIA, KfKind.IMAGE):
            await self._send(message.open_kfid, message.external_userid, [TEXT_ONLY])
            return
        else:
            picked = pick_from_menu(message.text, await self._last_menu(conversation))
            text = picked or message.text
        collected = await self._ask_bot(conversation, text)
        rendered = [item for item in map(render_bot_message, collected) if item]
        menus = [item.payloads for item in rendered if item.payloads]
        if menus:
            await self._store.put(
                f"menu:{conversation}", json.dumps(list(menus[-1])), self._menu_ttl
            )
        texts = join_turn([item.text for item in rendered])
        await self._send(message.open_kfid, message.external_userid, texts)
        if self._mode is HandoffMode.WECOM and await self._control.is_paused(
            conversation
        ):
            await self._client.transfer(
                message.open_kfid,
                message.external_userid,
                self._handoff_state,
                self._servicer,
            )
            logger.info(
                "WeCom kf session of %s transferred to state %s",
                conversation,
                self._handoff_state,
            )

    async def _picture(self, message: KfMessage, media: MediaStore) -> str | None:
        """Fetch and keep a picture; the bot message, or ``None`` if refused."""
        refusal = IMAGE_FETCH_FAILED_REPLY
        try:
            data, declared = await self._client.get_media(
                message.media_id, media.max_bytes
            )
            ref = await media.save(data, declared)
        except MediaRejected as error:
            logger.info("kf picture %s refused: %s", message.msgid, error.code)
            refusal = error.shopper_message
        except WeComError as error:
            logger.warning("kf picture %s not fetched: %s", message.msgid, error)
        else:
            logger.info("kf picture %s stored as %s", message.msgid, ref)
            return image_message(ref)
        await self._send(message.open_kfid, message.external_userid, [refusal])
        return None

    async def _last_menu(self, conversation: str) -> list[str]:
        raw = await self._store.pop(f"menu:{conversation}")
        if not raw:
            return []
        try:
            payloads = json.loads(raw)
        except ValueError:
            return []
        return [str(item) for item in payloads] if isinstance(payloads, list) else []

    async def _send(
        self, open_kfid: str, external_userid: str, texts: list[str]
    ) -> int:
        sent = 0
        for text in texts:
            try:
                await self._client.send_text(open_kfid, external_userid, text)
            except SendRefused as error:
                conversation = account_conversation_id(
                    WECOM, open_kfid, external_userid
                )
                self._record(conversation, error, text)
                break
            sent += 1
        return sent

    def _refused(self, message: KfMessage, error: SendRefused, text: str) -> None:
        conversation = (
            self._conversation(message)
            if message.open_kfid and message.external_userid
            else f"{WECOM}:{message.open_kfid}"
        )
        self._record(conversation, error, text)

    def _record(self, conversation: str, error: SendRefused, text: str) -> None:
        logger.warning(
            "WeCom kf send to %s refused: %s %s (%s)",
            conversation,
            error.errcode,
            error.errmsg,
            type(error).__name__,
        )
        self.refusals.append(Refusal(conversation, error.errcode, text, time.time()))


def refusal_json(refusal: Refusal) -> Mapping[str, Any]:
    """A refusal as JSON for the health route (the console can show it)."""
    return {
        "conversation_id": refusal.conversation_id,
        "errcode": refusal.errcode,
        "at": int(refusal.at),
    }
