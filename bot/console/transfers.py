"""Transfer a conversation to another agent or team, with a note for the receiver."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.console.assignment import Dispatcher
from bot.console.floor import FloorRepository
from bot.console.rasa import RasaError
from bot.console.service import ConsoleActionError, ConsoleService, DeliveryError
from bot.console.workbench import WorkbenchRepository

logger = logging.getLogger(__name__)

#: The shopper's one line about a transfer (they are asked for nothing again).
TRANSFERRED = "正在为您转接更合适的客服，您之前说的情况已转交，请稍候～"
MAX_NOTE = 500


@dataclass(frozen=True)
class TransferTarget:
    """Where a conversation goes: an agent (claimed at once) or a team's queue."""

    agent: str | None = None
    team_id: int | None = None


class Transfers:
    """Transfers by the handling agent or by a supervisor.

    Args:
        service: The console's use cases (delivery, transcript).
        floor: Staff, teams and the guarded transfer.
        workbench: Where the transfer's note is kept among the internal notes.
        dispatcher: Assigns what was transferred to a team.
    """

    def __init__(
        self,
        service: ConsoleService,
        floor: FloorRepository,
        workbench: WorkbenchRepository,
        dispatcher: Dispatcher,
    ) -> None:
        self.service = service
        self.floor = floor
        self.workbench = workbench
        self.dispatcher = dispatcher

    async def transfer(
        self,
        handoff_id: int,
        by: str,
        target: TransferTarget,
        note: str,
        supervisor: bool = False,
    ) -> None:
        """Move the conversation, keep the note, tell the shopper once.

        Args:
            handoff_id: The conversation.
            by: Who transfers it.
            target: The agent or team receiving it.
            note: What the receiver reads first.
            supervisor: A supervisor may move any open conversation; an agent
                only the one they handle.

        Raises:
            ConsoleActionError: A bad target, or not the sender's conversation.
        """
        note = note.strip()[:MAX_NOTE]
        if not note:
            raise ConsoleActionError("请写一句转接说明，接手的同事会先看到它")
        if (target.agent is None) == (target.team_id is None):
            raise ConsoleActionError("请选择转给哪位客服或哪个组")
        label = await self._label(target)
        handoff = await self.service.handoff(handoff_id)
        if handoff is None:
            raise ConsoleActionError("没有这个会话")
        if target.agent is not None and target.agent == handoff.agent:
            raise ConsoleActionError("会话已经在这位客服手上")
        moved = await self.floor.transfer(
            handoff_id,
            from_agent=None if supervisor else by,
            to_agent=target.agent,
            to_team=target.team_id,
            note=note,
            by=by,
        )
        if not moved:
            raise ConsoleActionError("这个会话不在您手上（可能已交还或被关闭）")
        await self.workbench.add_note(handoff_id, by, f"转接给{label}：{note}")
        try:
            await self.service.deliver(handoff, TRANSFERRED, by)
            await self.service.rasa.append_events(
                handoff.conversation_id,
                [{"event": "bot", "text": TRANSFERRED, "metadata": {"agent": by}}],
            )
        except (DeliveryError, RasaError) as error:
            logger.warning("transfer line not delivered: %s", error)
        if target.team_id is not None:
            await self.dispatcher.assign_waiting()

    async def _label(self, target: TransferTarget) -> str:
        if target.agent is not None:
            if target.agent not in {name for name, _ in await self.floor.staff()}:
                raise ConsoleActionError("没有这位客服")
            return f"客服 {target.agent}"
        for team in await self.floor.teams():
            if team.id == target.team_id:
                return f"{team.name}组"
        raise ConsoleActionError("没有这个组")
