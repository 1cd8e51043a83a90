import pytest

from bot.wechat.errors import MalformedMessage, UnsafeXml
from bot.wechat.parse import (
    MessageKind,
    parse_message,
    parse_xml_safely,
)

from .conftest import fixture_xml


def test_text_message_goes_to_the_bot_with_the_openid_as_sender():
    message = parse_message(fixture_xml("text.xml"))
    assert message.kind is MessageKind.TEXT
    assert message.openid == "demo-openid-001"
    assert message.account == "gh_xiaoke0001"
    assert message.text == "我的快递到哪了"
    assert message.msg_id == 24816002001000001
    assert message.dedup_key == "msg:24816002001000001"


def test_voice_with_recognition_is_text():
    message = parse_message(fixture_xml("voice_recognised.xml"))
    assert message.kind is MessageKind.TEXT
    assert message.text == "查一下我的积分"


def test_voice_without_recognition_is_flagged():
    assert (
        parse_message(fixture_xml("voice_unrecognised.xml")).kind
        is MessageKind.UNRECOGNISED_VOICE
    )


def test_an_image_carries_its_media_id_and_picture_url():
    message = parse_message(fixture_xml("image.xml"))
    assert message.kind is MessageKind.IMAGE
    assert (message.media_id, message.pic_url) == (
        "media-image-1",
        "http://mmbiz.example/pic.jpg",
    )
    assert message.dedup_key == "msg:24816002001000004"


def test_an_image_without_media_id_is_unsupported():
    document = fixture_xml("image.xml").replace(
        "<MediaId><![CDATA[media-image-1]]></MediaId>", ""
    )
    assert parse_message(document).kind is MessageKind.UNSUPPORTED


@pytest.mark.parametrize(
    "name", ["location.xml", "link.xml", "video.xml", "unknown.xml"]
)
def test_other_message_types_are_unsupported_not_errors(name):
    message = parse_message(fixture_xml(name))
    assert message.kind is MessageKind.UNSUPPORTED
    assert message.openid == "demo-openid-001"


def test_events_are_deduplicated_by_sender_and_time():
    message = parse_message(fixture_xml("subscribe.xml"))
    assert message.kind is MessageKind.EVENT
    assert message.event == "subscribe"
    assert message.msg_id is None
    assert message.dedup_key == "event:demo-openid-002:1731300010"


def test_qr_code_subscribe_is_still_a_subscribe():
    assert parse_message(fixture_xml("subscribe_qrscene.xml")).event == "subscribe"


def test_menu_click_carries_its_key():
    message = parse_message(fixture_xml("click_track_delivery.xml"))
    assert (message.event, message.event_key) == ("click", "TRACK_DELIVERY")


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_dtds_and_entities_are_refused(name):
    with pytest.raises(UnsafeXml):
        parse_message(fixture_xml(name))


@pytest.mark.parametrize(
    "document",
    [fixture_xml("malformed.xml"), "", "not xml", "<root><a/></root>",
     "<xml><ToUserName>x</ToUserName></xml>",
     "<xml><MsgType>text</MsgType><FromUserName>u</FromUserName>"
     "<CreateTime>soon</CreateTime></xml>"],
)  # fmt: skip
def test_malformed_documents_are_refused(document):
    with pytest.raises(MalformedMessage):
        parse_message(document)


def test_external_entity_in_the_envelope_is_refused_too():
    with pytest.raises(UnsafeXml):
        parse_xml_safely(
            '<!DOCTYPE xml [<!ENTITY e SYSTEM "http://127.0.0.1:1/">]>'
            "<xml><Encrypt>&e;</Encrypt></xml>"
        )
