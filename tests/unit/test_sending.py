"""How a message is written for its server, and how a server's answer is read."""

import httpx
import pytest

from services.notifications.chat import payload, provider_of
from services.notifications.sending import (
    FAILED,
    RETRY,
    SENT,
    OutgoingMessage,
    Senders,
    _http_result,
    _smtp_result,
    email_message,
)
from shared.settings import NotificationsSettings


def settings(**values) -> NotificationsSettings:
    return NotificationsSettings(
        node_id="gd", nats_url="nats://127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/", **values
    )


def mail(**values) -> OutgoingMessage:
    return OutgoingMessage(
        **{
            "delivery_id": "01JEV:sz-kx:0:email",
            "channel": "email",
            "address": "szkx@example.cn",
            "contact_name": "王敏",
            "subject": "【新通知】关于开展活动的通知",
            "body": "王敏：请于6月20日前报送。",
            "sender": "kx@gdkx.example.cn",
            "sender_name": "广东省科协",
            **values,
        }
    )


def test_an_email_names_both_sides_in_chinese_and_takes_its_id_from_the_delivery():
    msg = email_message(mail(reply_to="zz@gdkx.example.cn"))
    assert str(msg["From"]) == "广东省科协 <kx@gdkx.example.cn>"
    assert str(msg["To"]) == "王敏 <szkx@example.cn>"
    assert msg["Reply-To"] == "zz@gdkx.example.cn"
    assert msg["Message-ID"] == "<01JEV.sz-kx.0.email@cascade>"
    assert msg.get_content().strip() == "王敏：请于6月20日前报送。"
    wire = msg.as_bytes()
    assert b"=?utf-8?" in wire and "王敏".encode() not in wire.split(b"\n\n", 1)[0]  # headers are 7-bit


def test_an_email_without_reply_to_has_none():
    assert "Reply-To" not in email_message(mail())


@pytest.mark.parametrize("code, status", [(550, FAILED), (553, FAILED), (421, RETRY), (451, RETRY)])
def test_smtp_5xx_is_final_and_4xx_is_tried_again(code, status):
    result = _smtp_result(code, b"5.1.1 mailbox unavailable")
    assert result.status == status and result.error.startswith(f"SMTP {code} ")


def answer(status: int, body: dict | str = "") -> httpx.Response:
    return httpx.Response(status, json=body) if isinstance(body, dict) else httpx.Response(status, text=body)


@pytest.mark.parametrize(
    "response, status",
    [
        (answer(200, {"errcode": 0, "errmsg": "ok"}), SENT),  # 企业微信, 钉钉
        (answer(200, {"code": 0, "msg": "success"}), SENT),  # 飞书
        (answer(204), SENT),
        (answer(200, "OK"), SENT),  # a gateway that answers in plain text
        (answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"}), FAILED),
        (answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), RETRY),  # 企业微信: too many
        (answer(200, {"errcode": 130101, "errmsg": "send too fast"}), RETRY),  # 钉钉
        (answer(200, {"code": 9499, "msg": "too many request"}), RETRY),  # 飞书
        (answer(200, {"code": 11232, "msg": "frequency limited"}), RETRY),  # 飞书
        (answer(400, {"error": "bad mobile"}), FAILED),
        (answer(404), FAILED),
        (answer(429), RETRY),
        (answer(503), RETRY),
    ],
)
def test_http_answers(response, status):
    assert _http_result(response).status == status


def test_rate_limited_answers_wait_and_say_when_they_can():
    limited = _http_result(httpx.Response(429, text="slow down", headers={"Retry-After": "7"}))
    assert limited.limited and limited.retry_after == 7.0
    assert _http_result(answer(200, {"errcode": 130101, "errmsg": "send too fast"})).limited
    assert not _http_result(answer(503)).limited  # away, not limited: the usual backoff and give-up
    assert not _http_result(answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})).limited


LINK = "https://cascade.example.cn/notices/01HZ#completeness"


def test_the_provider_comes_from_the_admin_or_the_webhooks_host():
    assert provider_of("auto", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x") == "wecom"
    assert provider_of(None, "https://oapi.dingtalk.com/robot/send?access_token=x") == "dingtalk"
    assert provider_of("auto", "https://open.feishu.cn/open-apis/bot/v2/hook/x") == "feishu"
    assert provider_of("auto", "http://127.0.0.1:9000/hook") == "text"
    assert provider_of("dingtalk", "http://127.0.0.1:9000/hook") == "dingtalk"


def test_wecom_gets_markdown_with_the_link():
    body = "《通知》的“总结”将于 2020-06-10 截止，甲、乙尚未报送。\n\n查看：https://cascade.example.cn/notices/01HZ"
    out = payload("wecom", "报送提醒：总结", body, LINK, "查看报送情况")
    content = out["markdown"]["content"]
    assert out["msgtype"] == "markdown" and content.startswith("**报送提醒：总结**\n> 《通知》")
    assert content.endswith(f"[查看报送情况]({LINK})") and content.count("cascade.example.cn") == 1


def test_dingtalk_gets_an_action_card_and_feishu_a_card_with_a_button():
    ding = payload("dingtalk", "新通知：通知", "甲、乙收到通知。", LINK, "查看通知")
    assert ding["msgtype"] == "actionCard"
    assert ding["actionCard"]["singleURL"] == LINK and ding["actionCard"]["singleTitle"] == "查看通知"
    assert ding["actionCard"]["text"].startswith("### 新通知：通知\n\n甲、乙收到通知。")
    assert payload("dingtalk", "新通知", "甲。", None)["msgtype"] == "markdown"  # no address: no button
    lark = payload("feishu", "新通知：通知", "甲、乙收到通知。", LINK, "查看通知")
    assert lark["msg_type"] == "interactive" and lark["card"]["header"]["title"]["content"] == "新通知：通知"
    [text, action] = lark["card"]["elements"]
    assert text["text"]["content"] == "甲、乙收到通知。" and action["actions"][0]["url"] == LINK


def test_other_webhooks_get_plain_text_with_the_link_once():
    assert payload("text", "新通知", "甲。", None) == {"msgtype": "text", "text": {"content": "新通知\n甲。"}}
    out = payload("text", "新通知", "甲。", LINK, "查看报送情况")
    assert out["text"]["content"] == f"新通知\n甲。\n查看报送情况：{LINK}"
    assert payload("text", "", f"甲。{LINK}", LINK)["text"]["content"] == f"甲。{LINK}"


async def test_channels_without_a_server_are_skipped_saying_which_setting_is_missing():
    results = await Senders(settings()).send([mail(), mail(delivery_id="d2", channel="sms", address="13800000001")])
    assert {r.status for r in results.values()} == {"skipped"}
    assert "CASCADE_SMTP_HOST" in results["01JEV:sz-kx:0:email"].error
    assert "CASCADE_SMS_GATEWAY_URL" in results["d2"].error


async def test_a_bad_address_fails_that_message_only(monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *a):
            pass

        def send_message(self, msg):
            sent.append(str(msg["To"]))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    results = await Senders(settings(smtp_host="127.0.0.1", smtp_security="none")).send(
        [mail(delivery_id="bad", address="not an address"), mail()]
    )
    assert results["bad"].status == FAILED and "地址无效" in results["bad"].error
    assert results["01JEV:sz-kx:0:email"].status == SENT and sent == ["王敏 <szkx@example.cn>"]
