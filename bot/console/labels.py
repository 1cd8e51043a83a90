"""Chinese labels of the queue's codes (the queue page and the analytics)."""

from __future__ import annotations

#: Handoff reason codes (``actions/handoff.py``) → Chinese, short (queue, analytics).
REASON_LABELS = {
    "shopper_request": "顾客要求转人工",
    "complaint": "顾客投诉",
    "repeated_fallback": "连续两次没听懂",
    "repeated_failures": "多次核实/校验失败",
    "backend_unavailable": "系统故障",
    "signed_not_received": "显示签收但没收到",
    "developer": "流程标记需要人工",
    "presales_question": "售前问题没写到",
}
#: The console's channels → Chinese (the queue).
CHANNEL_LABELS = {"web": "网页", "wechat": "微信", "wecom": "微信客服", "rest": "接口"}
#: How a conversation ended (or where it stands) → Chinese.
OUTCOME_LABELS = {
    "waiting": "排队中",
    "claimed": "处理中",
    "returned": "已交还机器人",
    "closed": "已关闭",
}
