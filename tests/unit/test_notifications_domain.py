"""Who gets told, on which channel; deliveries are deterministic so redelivery adds none."""

from services.notifications import domain
from shared.schemas import Contact, UnitKind, UnitRef


def unit(uid: str, *contacts: Contact) -> UnitRef:
    return UnitRef(unit_id=uid, name=uid, kind=UnitKind.kexie, node_id="gd", contacts=list(contacts))


def test_channels_follow_what_the_contact_gave():
    assert domain.channels_for(Contact(name="a", email="a@x.cn", mobile="138")) == ["email", "sms"]
    assert domain.channels_for(Contact(name="a", mobile="138")) == ["sms"]
    assert domain.channels_for(Contact(name="a", office_phone="020-1", fax="020-2")) == []  # phone/fax: no channel


def test_one_delivery_per_contact_and_channel_with_the_right_address():
    units = [
        unit(
            "sz-kx",
            Contact(name="王敏", email="szkx@example.cn", mobile="13800000001"),
            Contact(name="副联络员", email="b@example.cn"),
        ),
        unit("scut-kx"),  # no contact: nothing to send
    ]
    docs = domain.notice_deliveries("e1", "n1", "关于开展活动的通知", units, "notice.issued")
    assert [(d["contact_name"], d["channel"], d["address"]) for d in docs] == [
        ("王敏", "email", "szkx@example.cn"),
        ("王敏", "sms", "13800000001"),
        ("副联络员", "email", "b@example.cn"),
    ]
    assert all(d["notice_id"] == "n1" and d["cause_event_id"] == "e1" for d in docs)
    assert len({d["_id"] for d in docs}) == 3


def test_same_event_gives_the_same_ids_and_another_event_other_ids():
    units = [unit("sz-kx", Contact(name="王敏", email="szkx@example.cn"))]
    first = domain.notice_deliveries("e1", "n1", "t", units, "notice.issued")
    again = domain.notice_deliveries("e1", "n1", "t", units, "notice.issued")
    other = domain.notice_deliveries("e2", "n1", "t", units, "notice.corrected")
    assert [d["_id"] for d in first] == [d["_id"] for d in again]
    assert not {d["_id"] for d in first} & {d["_id"] for d in other}


def test_two_contacts_with_the_same_address_still_get_distinct_deliveries():
    same = Contact(name="甲", email="same@example.cn")
    docs = domain.notice_deliveries("e1", "n1", "t", [unit("u", same, same.model_copy(update={"name": "乙"}))], "r")
    assert len({d["_id"] for d in docs}) == 2


# ---------------------------------------------------------------- channels and templates

from datetime import UTC, datetime  # noqa: E402

import pytest  # noqa: E402

from services.notifications import templates as tpl  # noqa: E402
from shared.errors import Invalid  # noqa: E402

NOW = datetime(2020, 6, 1, 1, 0, tzinfo=UTC)


def cause(kind: str = "notice.issued", **variables) -> domain.Cause:
    return domain.Cause("e1", kind, "n1", {**tpl.SAMPLES[kind], **variables})


def test_disabled_channels_get_no_deliveries_and_chat_goes_once_for_all_units():
    units = [
        domain.Recipient(
            "sz-kx",
            "深圳市科协",
            [{"name": "王敏", "email": "a@x.cn", "mobile": "138"}, {"name": "李四", "mobile": "139"}],
        )
    ]
    channels = domain.default_channels()
    channels["sms"]["enabled"] = False
    channels["chat"] = {"enabled": True, "webhook_url": "https://hook.example.cn/x"}
    docs = domain.Messages(channels, {}).deliveries(cause(), units, NOW)
    assert [(d["channel"], d["contact_name"], d["address"]) for d in docs] == [
        ("email", "王敏", "a@x.cn"),
        ("chat", "", "https://hook.example.cn/x"),
    ]
    channels["chat"]["webhook_url"] = None  # enabled without a URL: nowhere to post
    assert [d["channel"] for d in domain.Messages(channels, {}).deliveries(cause(), units, NOW)] == ["email"]


def test_one_group_message_names_the_units_concerned_up_to_ten():
    channels = {**domain.default_channels(), "chat": {"enabled": True, "webhook_url": "https://hook.example.cn/x"}}
    channels["email"]["enabled"] = channels["sms"]["enabled"] = False
    few = [domain.Recipient(f"u{i}", f"第{i}科协") for i in range(3)]
    [msg] = domain.Messages(channels, {}).deliveries(cause("deadline.missed"), few, NOW)
    assert (msg["unit_id"], msg["unit_name"]) == (domain.GROUP_ID, "第0科协、第1科协、第2科协")
    assert "第0科协、第1科协、第2科协尚未报送" in msg["body"]
    many = [domain.Recipient(f"u{i}", f"第{i}科协") for i in range(12)]
    [msg] = domain.Messages(channels, {}).deliveries(cause("deadline.missed"), many, NOW)
    assert msg["unit_name"].endswith("第9科协等12个单位") and "第10科协" not in msg["unit_name"]


def test_deliveries_take_subject_and_body_from_the_templates_with_the_units_names():
    units = [domain.Recipient("sz-kx", "深圳市科协", [{"name": "王敏", "email": "a@x.cn", "mobile": "138"}])]
    channels = domain.default_channels("kx@gdkx.cn")
    channels["sms"]["signature"] = "广东省科协"
    messages = domain.Messages(channels, {"email": ("通知：{{ notice_title }}", "{{ contact_name }}，{{ unit_name }}")})
    email, sms = messages.deliveries(cause(), units, NOW)
    assert email["subject"] == "通知：" + tpl.SAMPLES["notice.issued"]["notice_title"]
    assert email["body"] == "王敏，深圳市科协" and email["sender"] == "kx@gdkx.cn"
    assert sms["body"].startswith("【广东省科协】深圳市科协收到")  # the default template, signed
    assert email["created_at"] == NOW and email["status"] == "pending"  # the sending job moves it on


@pytest.mark.parametrize("cause_, channel", list(tpl.DEFAULTS))
def test_every_default_template_passes_its_own_checks_and_renders(cause_, channel):
    subject, body = tpl.default(cause_, channel)
    tpl.check_pair(cause_, channel, subject, body)
    out_subject, out_body = tpl.render_pair(cause_, channel, subject, body, tpl.SAMPLES[cause_])
    assert "{{" not in out_body and out_body and "\n" not in out_subject


def test_every_cause_has_a_template_per_channel_and_documented_variables():
    assert set(tpl.DEFAULTS) == {(c, ch) for c in tpl.CAUSES for ch in tpl.CHANNELS}
    for c in tpl.CAUSES:
        assert set(tpl.SAMPLES[c]) == set(tpl.VARIABLES[c]) and all(tpl.VARIABLES[c].values())


@pytest.mark.parametrize(
    "source, code",
    [
        ("{{ unit_name ", "template_syntax"),
        ("{% if unit_name %}x", "template_syntax"),
        ("{{ reason }}", "template_variable"),  # a variable of another cause
        ("{{ secret_key }}", "template_variable"),
        ("{{ unit_name.__class__.__mro__ }}", "template_construct"),
        ("{{ unit_name['x'] }}", "template_construct"),
        ("{{ lipsum() }}", "template_construct"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}", "template_construct"),
        ("{{ 'x' * 100000000 }}", "template_construct"),
        ("{% set a = 1 %}", "template_construct"),
        ("{% include 'base.html' %}", "template_construct"),
        ("{% macro m() %}{% endmacro %}", "template_construct"),
        ("{{ unit_name | attr('x') }}", "template_filter"),
        ("{{ unit_name | format(1) }}", "template_filter"),
    ],
)
def test_templates_that_do_not_parse_or_reach_out_of_the_sandbox_are_refused_naming_the_field(source, code):
    with pytest.raises(Invalid) as err:
        tpl.check("notice.issued", source, "body")
    assert err.value.field == "body" and err.value.code == code


def test_allowed_constructs_render():
    source = (
        "{% if manual %}催办{% elif note %}提醒{% else %}—{% endif %}{{ ask_title | truncate(4, true, '…', 0) }}"
        "{{ (note or '无') ~ '!' }}{{ unit_name | length }}{# a comment #}"
    )
    tpl.check("deadline.approaching", source, "subject")
    text = tpl.render(source, {**tpl.SAMPLES["deadline.approaching"], "manual": False, "note": ""}, one_line=True)
    assert text.startswith("—活动总…") and "无!" in text


def test_a_subject_is_one_line_and_everything_is_bounded():
    assert tpl.render("{{ reason }}", {"reason": "a\r\nBcc: x@y.cn"}, one_line=True) == "a Bcc: x@y.cn"
    assert len(tpl.render("{{ reason }}", {"reason": "长" * 10_000}, limit=500)) == 500
    with pytest.raises(Invalid) as err:
        tpl.check_pair("notice.issued", "email", " ", "{{ unit_name }}")
    assert err.value.field == "subject"
    tpl.check_pair("notice.issued", "sms", "", "{{ unit_name }}")  # SMS has no subject
