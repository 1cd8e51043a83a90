"""The identifier patterns in data/nlu/entities.yml, on normalised text."""

import re
from pathlib import Path

import pytest
import yaml

from bot.rasa_server.nlu.normalization import TextNormalizer

ENTITIES_FILE = Path(__file__).resolve().parents[3] / "data" / "nlu" / "entities.yml"


@pytest.fixture(scope="module")
def patterns() -> dict[str, list[re.Pattern[str]]]:
    document = yaml.safe_load(ENTITIES_FILE.read_text("utf-8"))
    found: dict[str, list[re.Pattern[str]]] = {}
    for block in document["nlu"]:
        if "regex" in block:
            lines = [line[2:] for line in block["examples"].splitlines() if line]
            # Rasa compiles them case-insensitively (case_sensitive: false).
            found[block["regex"]] = [re.compile(p, re.IGNORECASE) for p in lines]
    return found


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer.default()


def matches(patterns, name, text):
    return [m.group() for p in patterns[name] for m in p.finditer(text)]


@pytest.mark.parametrize(
    ("name", "typed", "expected"),
    [
        ("order_id", "订单XK202411110001到哪了", "xk202411110001"),
        ("order_id", "ＸＫ２０２４１１１１０００１", "xk202411110001"),
        ("order_id", "xk202411110001", "xk202411110001"),
        ("tracking_number", "顺丰单号SF123456789012", "sf123456789012"),
        ("tracking_number", "中通ZT735201948366怎么不动", "zt735201948366"),
        ("tracking_number", "邮政EA123456789CN", "ea123456789cn"),
        ("phone", "手机13800138000", "13800138000"),
        ("phone", "我的电话是１３９１２３４５６７８", "13912345678"),
        ("serial_number", "序列号SN8H2K4M9Q1Z", "sn8h2k4m9q1z"),
        ("serial_number", "ｓｎ８ｈ２ｋ４ｍ９ｑ１ｚ坏了", "sn8h2k4m9q1z"),
    ],
)
def test_identifier_is_found_in_what_shoppers_type(
    patterns, normalizer, name, typed, expected
):
    assert matches(patterns, name, normalizer.normalize(typed).text) == [expected]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("order_id", "xk20241111000"),  # 11 digits
        ("order_id", "xk2024111100012"),  # 13 digits
        ("order_id", "jd202411110001"),
        ("tracking_number", "sf12345678901"),
        ("tracking_number", "sf1234567890123"),
        ("phone", "12800138000"),  # no mobile prefix 12
        ("phone", "138001380001"),  # 12 digits
        ("phone", "xk202411110001"),  # inside an order number
        ("serial_number", "sn8h2k4m9q1"),  # 9 characters
        ("serial_number", "sn8h2k4m9q1z7"),  # 11 characters
    ],
)
def test_near_misses_are_not_identifiers(patterns, name, text):
    assert matches(patterns, name, text) == []


def test_an_order_number_is_not_a_tracking_number_or_phone(patterns):
    text = "xk202411110001"
    assert matches(patterns, "tracking_number", text) == []
    assert matches(patterns, "phone", text) == []
