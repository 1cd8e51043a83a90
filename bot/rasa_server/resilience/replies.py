"""What the shopper reads when the action server failed during their turn.

Rasa answers these without the action server, so they are not domain
responses (those the action server may be needed to choose) but fixed texts in
the domain's voice (``utter_backend_unavailable``, ``utter_handoff_unavailable``).
"""

from __future__ import annotations

from bot.rasa_server.resilience.turn import TurnFailures

#: Something failed: nothing is lost, the shopper sends it again in a moment.
ACTION_SERVER_DOWN_REPLY = (
    "抱歉亲，系统这会儿有点忙，刚才的消息没能处理好😥 "
    "请过一两分钟再发一次，或者回复“转人工”让客服同学帮您处理。"
)
#: The shopper asked for a person, but the handoff itself needs the action
#: server: no promise of a queue that does not exist.
HANDOFF_DOWN_REPLY = (
    "抱歉亲，人工客服这会儿暂时转接不上😥 "
    "请过几分钟再回复“转人工”试试（人工服务时间9:00–22:00），"
    "小客这边恢复后也会继续为您服务。"
)

HANDOFF_ACTION = "action_handoff"
HANDOFF_INTENT = "human_handoff"


def apology_for(turn: TurnFailures) -> str | None:
    """The Chinese apology for a turn, or ``None`` when nothing failed.

    Args:
        turn: The turn's action failures.

    Returns:
        :data:`HANDOFF_DOWN_REPLY` when the shopper asked for a person,
        :data:`ACTION_SERVER_DOWN_REPLY` for any other failure.
    """
    if not turn:
        return None
    if any(
        failure.action == HANDOFF_ACTION or failure.intent == HANDOFF_INTENT
        for failure in turn.failures
    ):
        return HANDOFF_DOWN_REPLY
    return ACTION_SERVER_DOWN_REPLY
