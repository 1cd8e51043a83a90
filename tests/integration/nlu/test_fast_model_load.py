"""The Rasa server's fast model loading parses exactly as Rasa's own loading.

``bot.rasa_server.fast_model_load`` builds DIET's and the ResponseSelector's
weights eagerly and traces their prediction graphs without AutoGraph; the
server (``python -m bot.rasa_server run``) loads the model that way. Here the
trained model is loaded both ways and every parse (intent ranking,
confidences, entities, the selector's answer) must be identical.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model

TEXTS = [
    "你好",
    "我的快递到哪了",
    "發貨了沒有啊，都等一週了",
    "收到的杯子裂了，给我换一个",
    "积分怎么用",
    "你们几点下班",
    "哈哈哈",
    "我要转人工",
    "订单XK202411180231什么时候到",
    "谢谢",
]


async def test_fast_loading_parses_as_rasa_loading(agent, model_path, monkeypatch):
    from rasa.core.agent import Agent
    from rasa.utils.tensorflow.models import RasaModel

    from bot.rasa_server.fast_model_load import install_fast_model_load

    expected = [await agent.parse_message(text) for text in TEXTS]  # Rasa's load
    monkeypatch.setattr(RasaModel, "load", RasaModel.__dict__["load"])
    monkeypatch.setattr(RasaModel, "_xiaoke_fast_load", False, raising=False)
    install_fast_model_load()
    fast_agent = Agent.load(str(model_path))
    assert [await fast_agent.parse_message(text) for text in TEXTS] == expected
    # Loading another model leaves the first one (the session's) working.
    assert [await agent.parse_message(text) for text in TEXTS] == expected
