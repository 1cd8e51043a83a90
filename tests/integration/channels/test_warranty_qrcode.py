"""Warranty-card QR codes: the command against the simulated platform, then a scan.

The command runs as its own process (``python -m bot.wechat.qrcode``), as a
merchant would run it, against the simulator's ``/cgi-bin/qrcode/create``; the
shopper then follows through or scans the issued code and the channel hands the
bot the warranty registration with the serial number.
"""

import json

from bot.wechat.replies import WELCOME_REPLY
from tests.support.qrcode_command import qrcode_command as run_qrcode_command

from .conftest import APP_ID, SECRET, StubBot

REGISTER = '/register_warranty{"serial_number": "SN3F7T1W6B2X"}'


async def qrcode_command(api_url, *args, secret=SECRET):
    return await run_qrcode_command(api_url, APP_ID, secret, *args)


async def test_the_command_creates_permanent_warranty_codes(make_harness):
    h = await make_harness()
    code, out, err = await qrcode_command(
        h.platform.api_url, "SN3F7T1W6B2X", "sn8h2k4m9q1z", "--json"
    )
    assert (code, err) == (0, "")
    printed = [json.loads(line) for line in out.splitlines()]
    assert [p["scene"] for p in printed] == [
        "warranty:SN3F7T1W6B2X",
        "warranty:SN8H2K4M9Q1Z",
    ]
    issued = h.platform.api.qrcodes
    for line in printed:
        assert issued[line["ticket"]].scene == line["scene"]
        assert issued[line["ticket"]].permanent  # QR_LIMIT_STR_SCENE
        assert issued[line["ticket"]].url == line["url"]
    assert len(h.platform.token_requests) == 1  # the token is cached


async def test_the_command_refuses_a_malformed_serial_before_any_call(make_harness):
    h = await make_harness()
    code, out, err = await qrcode_command(h.platform.api_url, "SN3F7T1W6B2X", "SN12")
    assert code == 2
    assert out == ""
    assert "序列号格式不对" in err and "SN12" in err
    assert h.platform.api.qrcodes == {}
    assert h.platform.token_requests == []


async def test_the_command_reports_a_refusal_in_chinese(make_harness):
    h = await make_harness()
    code, out, err = await qrcode_command(
        h.platform.api_url, "SN3F7T1W6B2X", secret="wrong-secret"
    )
    assert (code, out) == (1, "")
    assert "微信接口拒绝" in err and "40125" in err
    assert "Traceback" not in err
    assert h.platform.api.qrcodes == {}


async def issued_code(h, serial="SN3F7T1W6B2X"):
    code, out, _ = await qrcode_command(h.platform.api_url, serial, "--json")
    assert code == 0
    return json.loads(out)["ticket"]


async def test_a_follower_scanning_the_card_starts_registration(make_harness):
    bot = StubBot()
    bot.script[REGISTER] = [{"text": "为了保护您的信息，先核实一下身份哦～"}]
    h = await make_harness(mode="safe", bot=bot)
    ticket = await issued_code(h)
    result = await h.platform.scan("o-card-1", ticket)
    assert bot.calls == [("o-card-1", REGISTER)]
    assert result.reply == (
        "已识别保修卡上的序列号 SN3F7T1W6B2X，马上为您登记保修。\n\n"
        "为了保护您的信息，先核实一下身份哦～"
    )


async def test_following_through_the_card_welcomes_and_starts_registration(
    make_harness,
):
    h = await make_harness(mode="compatible")
    ticket = await issued_code(h)
    result = await h.platform.scan("o-card-2", ticket, follow=True)
    assert h.bot.calls == [("o-card-2", REGISTER)]
    assert result.reply.startswith("您好，欢迎关注！")
    assert result.reply.endswith(f"收到：{REGISTER}")


async def test_other_scenes_get_the_welcome_without_a_bot_turn(make_harness):
    h = await make_harness()
    for number, (scene, follow) in enumerate(
        [
            ("warranty:SN12", False),
            ("warranty:SN3F7T1W6B2X;DROP", True),
            ("coupon:SN3F7T1W6B2X", False),
            ("42", True),
        ]
    ):
        xml = h.platform.scene_event(f"o-other-{number}", scene, follow=follow)
        assert (await h.platform.push(xml)).reply == WELCOME_REPLY, scene
    assert h.bot.calls == []
