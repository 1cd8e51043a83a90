"""The WeChat Official Account (公众号) platform: its protocol, not Rasa's.

``crypto``, ``parse``, ``replies``, ``menu``, ``webhook``, ``service``,
``client``, ``dedup`` and ``config`` know WeChat only and import neither Rasa nor
Sanic (wechatpy's own split: crypto / parser / replies / client). The Rasa
server's channel (``bot/rasa_server/channels/wechat.py``) is the one bridge; the
console uses ``client`` to send agents' replies.
"""
