"""Serving without TensorFlow's graph optimizer: the same parses, to float32 rounding.

The Rasa server (``python -m bot.rasa_server run``) turns Grappler off
(``bot.rasa_server.graph_optimizer``). The trained model is loaded the server's
way in two fresh processes, one with Grappler off (the default) and one with
``TF_GRAPH_OPTIMIZER=on``: every parse must have the same intent, ranking,
entities and selected response, confidences equal to 1e-5.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[3]
TEXTS = [
    "你好",
    "我的快递到哪了",
    "發貨了沒有啊，都等一週了",
    "收到的杯子裂了，给我换一个",
    "积分怎么用",
    "发票怎么开",
    "你们几点下班",
    "哈哈哈",
    "我要转人工，东西一直不到",
    "订单XK202411180231什么时候到",
    "保修怎么登记 SN3F7T1W6B2X",
    "谢谢",
    "我的order到哪了",
]
SCRIPT = """
import asyncio, json, os, sys
from bot.rasa_server.launcher import install_fast_start
install_fast_start(os.environ)
import tensorflow as tf
from rasa.core.agent import Agent

async def main():
    agent = Agent.load(sys.argv[1])
    parses = [await agent.parse_message(text) for text in json.loads(sys.argv[2])]
    options = tf.config.optimizer.get_experimental_options()
    print("RESULT" + json.dumps({"options": options, "parses": parses}, default=str))

asyncio.run(main())
"""


def _parse_in_process(model: Path, cache: Path, optimizer: str | None) -> Any:
    env = {**os.environ, "MODEL_CACHE_DIR": str(cache)}
    env.pop("TF_GRAPH_OPTIMIZER", None)
    if optimizer is not None:
        env["TF_GRAPH_OPTIMIZER"] = optimizer
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(model), json.dumps(TEXTS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def _shape(parse: dict[str, Any]) -> Any:
    selector = {
        key: value.get("response", {}).get("intent_response_key")
        for key, value in (parse.get("response_selector") or {}).items()
        if isinstance(value, dict)
    }
    return (
        parse["intent"]["name"],
        [entry["name"] for entry in parse.get("intent_ranking", [])],
        [(e["entity"], e["value"]) for e in parse.get("entities", [])],
        selector,
    )


def test_without_grappler_the_parses_are_the_same(model_path: Path, tmp_path: Path):
    without = _parse_in_process(model_path, tmp_path, None)
    with_it = _parse_in_process(model_path, tmp_path, "on")

    assert without["options"].get("disable_meta_optimizer") is True
    assert not with_it["options"].get("disable_meta_optimizer")
    for got, want in zip(without["parses"], with_it["parses"], strict=True):
        assert _shape(got) == _shape(want), got["text"]
        assert got["intent"]["confidence"] == pytest.approx(
            want["intent"]["confidence"], abs=1e-5
        )
        for mine, theirs in zip(
            got["intent_ranking"], want["intent_ranking"], strict=True
        ):
            assert mine["confidence"] == pytest.approx(theirs["confidence"], abs=1e-5)
