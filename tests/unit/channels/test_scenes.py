"""Warranty-card QR scenes: which follows and scans start warranty registration."""

import json

import pytest

from bot.wechat.scenes import (
    register_warranty_message,
    scene_of,
    warranty_scene,
    warranty_serial,
)


@pytest.mark.parametrize(
    ("event", "key", "scene"),
    [
        ("subscribe", "qrscene_warranty:SN3F7T1W6B2X", "warranty:SN3F7T1W6B2X"),
        ("scan", "warranty:SN3F7T1W6B2X", "warranty:SN3F7T1W6B2X"),
        ("subscribe", "qrscene_123", "123"),  # a numeric scene: not ours
        ("subscribe", "", None),  # a follow from search, not from a code
        ("subscribe", None, None),
        ("subscribe", "warranty:SN3F7T1W6B2X", None),  # a follow's key has qrscene_
        ("subscribe", "qrscene_", None),
        ("scan", "", None),
        ("click", "warranty:SN3F7T1W6B2X", None),
        ("scan", "warranty:" + "A" * 56, None),  # 65 characters: no scene is
    ],
)
def test_the_scene_of_a_follow_or_a_scan(event, key, scene):
    assert scene_of(event, key) == scene


@pytest.mark.parametrize(
    ("scene", "serial"),
    [
        ("warranty:SN3F7T1W6B2X", "SN3F7T1W6B2X"),
        ("warranty:sn3f7t1w6b2x", "SN3F7T1W6B2X"),  # as the backends accept it
        ("warranty:SN3F7T1W6B2", None),  # one character short
        ("warranty:SN3F7T1W6B2XY", None),
        ("warranty:SN3F7T1W6B2!", None),
        ("warranty:ＳＮ３Ｆ７Ｔ１Ｗ６Ｂ２Ｘ", None),  # full-width: not the format
        ("warranty:", None),
        ("warranty:SN3F7T1W6B2X:extra", None),
        ("warranty: SN3F7T1W6B2X", "SN3F7T1W6B2X"),
        ("guarantee:SN3F7T1W6B2X", None),  # an unknown prefix
        ("store42", None),
        ("warrantySN3F7T1W6B2X", None),
        ("", None),
        (None, None),
        ("warranty:SN3F7T1W6B2X" + " " * 60, None),  # oversized
    ],
)
def test_only_a_warranty_scene_with_a_wellformed_serial_counts(scene, serial):
    assert warranty_serial(scene) == serial


def test_scene_and_message_for_a_serial():
    assert warranty_scene(" sn3f7t1w6b2x ") == "warranty:SN3F7T1W6B2X"
    message = register_warranty_message("SN3F7T1W6B2X")
    intent, _, entities = message.partition("{")
    assert intent == "/register_warranty"
    assert json.loads("{" + entities) == {"serial_number": "SN3F7T1W6B2X"}


@pytest.mark.parametrize("serial", ["", "SN123", "XK202411110001", "SN3F7T1W6B2X;"])
def test_no_scene_for_a_malformed_serial(serial):
    with pytest.raises(ValueError):
        warranty_scene(serial)
