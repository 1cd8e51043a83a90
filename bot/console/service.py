"""What agents do: queue a handoff, claim, reply, hand back, close."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

from bot.console.assignment import Dispatcher
from bot.console.canned import unfilled
from bot.console.config import ConsoleSettings
from bot.console.erasure import Erasure, erase_shopper_data
from bot.console.models import CLOSED, RETURNED
from bot.console.passwords import verify_password
from bot.console.phones import phone_hint
from bot.console.rasa import RasaClient, RasaError
from bot.console.repository import ConsoleRepository, Handoff, WebMessage
from bot.console.transcript import IMAGE_TEXT, TranscriptLine, transcript
from bot.platform.conversation_ids import identity_of
from bot.platform.media_store import MediaRef
from bot.wechat.errors import (
    CustomerServiceQuotaExceeded,
    CustomerServiceWindowClosed,
)
from bot.wecom.errors import SendQuotaExceeded, SessionStateRefused

logger = logging.getLogger(__name__)

#: Shopper-facing lines when people hand the conversation back.
HANDED_BACK = "人工客服已结束服务，接下来由小客继续为您服务～有问题随时问我哦。"
CLOSED_LINE = "本次人工服务已结束，感谢您的耐心！之后有问题随时找小客哦～"
CHANNELS = ("web", "wechat", "wecom", "rest")
#: The longest message an agent or a web-chat shopper can send (characters).
MAX_TEXT = 2000
#: Picture types each platform's temporary media takes (the web chat: all).
PLATFORM_IMAGE_TYPES = {
    "wechat": ("image/jpeg", "image/png", "image/gif"),  # media/upload: JPG/PNG/GIF
    "wecom": ("image/jpeg", "image/png"),  # WeCom media/upload: JPG/PNG
}


class DeliveryError(Exception):
    """A message could not reach the shopper (the reason is for the agent)."""


class ConsoleActionError(Exception):
    """An agent action is not possible (the message is shown to the agent)."""


class WeChatSender(Protocol):
    """What the console needs of the WeChat platform client."""

    async def send_text(self, openid: str, content: str) -> None:
        """Send a customer-service text message."""

    async def send_image(self, openid: str, data: bytes, filename: str) -> None:
        """Upload a picture as temporary media and send it as an image message."""


class KfSender(Protocol):
    """What the console needs of the 微信客服 relay (``bot.wecom.relay``)."""

    async def send(self, conversation_id: str, text: str) -> str:
        """Send an agent's text to the kf conversation's shopper."""

    async def send_image(self, conversation_id: str, data: bytes, filename: str) -> str:
        """Upload a picture and send it to the kf conversation's shopper."""


@dataclass(frozen=True)
class Ticket:
    """The answer to the action server: where the conversation is in the queue."""

    handoff: Handoff
    position: int
    estimated_wait_minutes: int
    service_open: bool
    opens_at: str
    service_hours: str

    def as_json(self) -> dict[str, Any]:
        """The ``QueueTicket`` wire format (actions/clients/console.py)."""
        return {
            "handoff_id": self.handoff.id,
            "position": self.position,
            "estimated_wait_minutes": self.estimated_wait_minutes,
            "service_open": self.service_open,
            "opens_at": self.opens_at,
            "service_hours": self.service_hours,
        }


class ConsoleService:
    """The console's use cases, over the repository, Rasa and the channels.

    Args:
        settings: The console settings.
        repository: The database.
        rasa: The Rasa HTTP API.
        wechat: The WeChat platform client, when the channel can send.
        dispatcher: Routing and auto-assignment (``None``: manual claims only).
        kf: The 微信客服 relay, when that channel is configured.
    """

    def __init__(
        self,
        settings: ConsoleSettings,
        repository: ConsoleRepository,
        rasa: RasaClient,
        wechat: WeChatSender | None = None,
        dispatcher: Dispatcher | None = None,
        kf: KfSender | None = None,
    ) -> None:
        self.settings = settings
        self.repository = repository
        self.rasa = rasa
        self.wechat = wechat
        self.dispatcher = dispatcher
        self.kf = kf

    async def authenticate(self, username: str, password: str) -> bool:
        """Whether ``password`` is ``username``'s (an unknown user takes as long)."""
        stored = await self.repository.password_hash(username)
        return bool(username) and verify_password(stored, password)

    async def queue(self, agent: str) -> tuple[list[Handoff], list[Handoff]]:
        """The waiting conversations (oldest first) and those ``agent`` handles."""
        return await self.repository.waiting(), await self.repository.claimed_by(agent)

    async def handoff(self, handoff_id: int) -> Handoff | None:
        """One queue entry, or ``None``."""
        return await self.repository.get(handoff_id)

    async def claim(self, handoff_id: int, agent: str) -> bool:
        """Give a waiting conversation to ``agent``; ``False`` if someone was faster."""
        return await self.repository.claim(handoff_id, agent)

    async def web_messages(self, conversation_id: str, after: int) -> list[WebMessage]:
        """People's messages for a web-chat shopper newer than id ``after``."""
        return await self.repository.web_messages_after(conversation_id, after)

    async def erase(self, conversation_id: str) -> Erasure:
        """Empty a conversation everywhere it is kept (``bot.console.erasure``).

        Raises:
            NoConversationStore: No SQL tracker store is configured.
        """
        return await erase_shopper_data(self.settings, self.repository, conversation_id)

    async def request_handoff(
        self,
        *,
        conversation_id: str,
        channel: str,
        reason: str,
        summary: dict[str, Any],
        customer_id: str | None,
        now: datetime | None = None,
    ) -> Ticket:
        """Queue a conversation in its team's queue, assign it, say where it stands."""
        team_id = None
        if self.dispatcher is not None:
            team_id = await self.dispatcher.team_for(reason, summary)
        handoff = await self.repository.enqueue(
            conversation_id=conversation_id,
            channel=channel if channel in CHANNELS else "web",
            reason=reason,
            summary=summary,
            customer_id=customer_id,
            team_id=team_id,
            phone_hint=phone_hint(summary),
        )
        if self.dispatcher is not None:
            await self.dispatcher.assign_waiting()
        position = await self.repository.position(handoff)
        moment = now or datetime.now(timezone.utc)
        hours = self.settings.service_hours
        # The team's agents online share its queue (one when nobody is: the
        # estimate then says how long once someone is back).
        agents = 1
        if self.dispatcher is not None:
            agents = max(1, await self.dispatcher.online_in_team(handoff.team_id))
        minutes = (position + 1) * self.settings.minutes_per_conversation / agents
        return Ticket(
            handoff=handoff,
            position=position,
            estimated_wait_minutes=max(1, math.ceil(minutes)),
            service_open=hours.is_open(moment),
            opens_at=hours.opens_at(moment),
            service_hours=str(hours),
        )

    async def _owned(self, handoff_id: int, agent: str) -> Handoff:
        handoff = await self.repository.get(handoff_id)
        if handoff is None:
            raise ConsoleActionError("没有这个会话")
        if handoff.status != "claimed" or handoff.agent != agent:
            raise ConsoleActionError("这个会话不在您手上（可能已交还或被关闭）")
        return handoff

    async def deliver(
        self,
        handoff: Handoff,
        text: str,
        agent: str | None,
        image: tuple[MediaRef, bytes] | None = None,
    ) -> None:
        """Send ``text`` (or a picture) to the shopper through their own channel.

        Args:
            handoff: The conversation.
            text: The text; for a picture, what the transcript says instead.
            agent: Who sends it (``None``: the console itself).
            image: A stored picture and its bytes, sent instead of ``text``.

        Raises:
            DeliveryError: The channel refused or is not configured.
        """
        accepted = PLATFORM_IMAGE_TYPES.get(handoff.channel)
        if image is not None and accepted and image[0].content_type not in accepted:
            kinds = "、".join(kind.split("/")[1].upper() for kind in accepted)
            raise DeliveryError(f"这个渠道只能发送 {kinds} 图片，请换一张再发，未送达")
        if handoff.channel == "wechat":
            await self._deliver_wechat(handoff, text, image)
        elif handoff.channel == "wecom":
            await self._deliver_kf(handoff, text, image)
        else:  # the web chat shows a reference as the picture
            shown = str(image[0]) if image is not None else text
            await self.repository.add_web_message(handoff.conversation_id, shown, agent)

    async def _deliver_wechat(
        self, handoff: Handoff, text: str, image: tuple[MediaRef, bytes] | None
    ) -> None:
        if self.wechat is None:
            raise DeliveryError("微信通道未配置（WECHAT_APP_ID/SECRET），消息未送达")
        try:
            openid = identity_of(handoff.conversation_id).local_id
            if image is None:
                await self.wechat.send_text(openid, text)
            else:
                await self.wechat.send_image(openid, image[1], image[0].key)
        except CustomerServiceWindowClosed as error:
            raise DeliveryError(
                "顾客超过48小时没有发消息，微信客服消息窗口已关闭（45015），"
                "消息未送达；等顾客再发消息后才能回复"
            ) from error
        except CustomerServiceQuotaExceeded as error:
            raise DeliveryError(
                "顾客回复之前能发的客服消息已达微信上限（45047），消息未送达；"
                "等顾客回复后再发"
            ) from error
        except Exception as error:
            logger.warning("WeChat delivery failed: %r", error)
            raise DeliveryError(f"微信消息发送失败：{error}") from error

    async def _deliver_kf(
        self, handoff: Handoff, text: str, image: tuple[MediaRef, bytes] | None
    ) -> None:
        if self.kf is None:
            raise DeliveryError("微信客服通道未配置（WECOM_*），消息未送达")
        try:
            if image is None:
                await self.kf.send(handoff.conversation_id, text)
            else:
                await self.kf.send_image(
                    handoff.conversation_id, image[1], image[0].key
                )
        except SessionStateRefused as error:
            raise DeliveryError(
                "微信客服会话已不在智能助手状态（95018，可能已转企业微信接待或已结束），"
                "消息未送达"
            ) from error
        except SendQuotaExceeded as error:
            raise DeliveryError(
                "顾客回复之前能发的微信客服消息已达上限（95001），消息未送达；"
                "等顾客回复后再发"
            ) from error
        except Exception as error:
            logger.warning("WeCom kf delivery failed: %r", error)
            raise DeliveryError(f"微信客服消息发送失败：{error}") from error

    async def reply_image(
        self, handoff_id: int, agent: str, ref: MediaRef, data: bytes
    ) -> None:
        """Deliver the agent's (stored, checked) picture and record it.

        Raises:
            ConsoleActionError: Not the agent's conversation.
            DeliveryError: The shopper's channel refused.
            RasaError: The transcript could not be updated.
        """
        handoff = await self._owned(handoff_id, agent)
        await self.deliver(handoff, IMAGE_TEXT, agent, (ref, data))
        await self.rasa.append_events(
            handoff.conversation_id,
            [
                {
                    "event": "bot",
                    "text": IMAGE_TEXT,
                    "data": {"image": str(ref)},
                    "metadata": {"agent": agent},
                }
            ],
        )

    async def reply(self, handoff_id: int, agent: str, text: str) -> None:
        """Deliver the agent's reply and record it in the transcript.

        Raises:
            ConsoleActionError: Not the agent's conversation, or empty text.
            DeliveryError: The shopper's channel refused.
            RasaError: The transcript could not be updated.
        """
        text = text.strip()
        if not text:
            raise ConsoleActionError("回复不能为空")
        missing = unfilled(text)
        if missing:  # a canned reply's variable the agent has not filled in
            names = "、".join(f"{{{name}}}" for name in missing)
            raise ConsoleActionError(
                f"回复里还有未填写的变量{names}，请改成实际内容再发送"
            )
        handoff = await self._owned(handoff_id, agent)
        await self.deliver(handoff, text, agent)
        await self.rasa.append_events(
            handoff.conversation_id,
            [{"event": "bot", "text": text, "metadata": {"agent": agent}}],
        )
        await self.repository.record_reply(handoff.id)

    async def hand_back(self, handoff_id: int, agent: str) -> None:
        """Let the bot answer again, tell the shopper so, end the claim."""
        await self._end(handoff_id, agent, RETURNED, HANDED_BACK)

    async def close(self, handoff_id: int, agent: str) -> None:
        """End the human service; the bot answers the shopper's next message."""
        await self._end(handoff_id, agent, CLOSED, CLOSED_LINE)

    async def _end(self, handoff_id: int, agent: str, status: str, line: str) -> None:
        handoff = await self._owned(handoff_id, agent)
        # action_listen after the resume: the shopper's next message is then
        # predicted like any other turn, not as a follow-up of action_handoff.
        await self.rasa.append_events(
            handoff.conversation_id,
            [
                {"event": "resume"},
                {"event": "bot", "text": line, "metadata": {"agent": agent}},
                {"event": "action", "name": "action_listen"},
            ],
        )
        await self.repository.finish(handoff_id, agent, status)
        if self.dispatcher is not None:  # a slot is free
            await self.dispatcher.assign_waiting()
        try:
            await self.deliver(handoff, line, None)
        except DeliveryError as error:
            logger.warning("hand-back line not delivered: %s", error)

    async def transcript(
        self, handoff: Handoff, start: int = 0
    ) -> tuple[list[TranscriptLine], int]:
        """Transcript lines from event ``start``, and the number of events."""
        events = await self.events(handoff.conversation_id)
        return transcript(events, start), len(events)

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of a conversation (Rasa's tracker)."""
        tracker = await self.rasa.tracker(conversation_id)
        return list(tracker.get("events") or [])


__all__ = [
    "HANDED_BACK",
    "ConsoleActionError",
    "ConsoleService",
    "DeliveryError",
    "RasaError",
    "Ticket",
    "TranscriptLine",
    "transcript",
]
