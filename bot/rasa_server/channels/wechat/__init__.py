"""WeChat Official Account (公众号) channel: protocol modules and the Rasa bridge.

``crypto``, ``parse``, ``replies``, ``menu``, ``client``, ``dedup`` and ``config``
know WeChat only; ``channel`` is the one module that imports Rasa and Sanic.
"""
