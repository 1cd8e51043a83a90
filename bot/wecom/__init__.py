"""WeChat customer service (微信客服, WeCom kf): crypto, kf API, cursors, turns.

Protocol modules only: neither Rasa nor Sanic
(``bot/rasa_server/channels/wecom_kf.py`` is the bridge).
"""
