"""Reaching people (issue 15), the pure parts: personal links in messages, escalation rounds, digest days and
lines, and the providers' limits counted on an in-memory store."""

from datetime import UTC, datetime

from services.notifications import digest, domain
from services.notifications import templates as tpl
from services.notifications.limits import Limits, chat_key
from services.notifications.pacing import Pacer
from services.notifications.sending import SENT, OutgoingMessage, Result
from services.notifications.tokens import LinkMaker, is_token, redact, token_for, token_of
from shared.settings import NotificationsSettings
from tests.memory_store import MemoryCursor, MemoryDatabase

NOW = datetime(2020, 5, 6, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
SECRET = b"s" * 32
LINKS = LinkMaker("https://cascade.example.cn/", SECRET)


def settings(**values) -> NotificationsSettings:
    return NotificationsSettings(
        node_id="gd", nats_url="nats://127.0.0.1:1", mongo_url="mongodb://127.0.0.1:1/", **values
    )


def channels(**chat) -> dict:
    out = domain.default_channels("kx@gdkx.cn")
    out["public_url"] = "https://cascade.example.cn/"
    out["chat"] = {"enabled": bool(chat), "webhook_url": "https://oapi.dingtalk.com/robot/send?t=x", **chat}
    return out


UNITS = [
    domain.Recipient("sz-kx", "深圳市科协", [{"name": "王敏", "email": "wm@sz.cn", "mobile": "13800000001"}]),
    domain.Recipient("sz-kjj", "深圳市科技创新局", [{"name": "李强", "mobile": "13800000002"}]),
]


def cause(kind: str = "notice.issued", event_id: str = "01JEV") -> domain.Cause:
    variables = {k: v for k, v in tpl.SAMPLES[kind].items() if k != "link_url"}
    return domain.Cause(event_id, kind, "01HZ", variables, ask_id="a1" if kind.startswith("deadline") else None)


# ---------------------------------------------------------------- links


def test_a_token_is_22_characters_from_the_delivery_and_the_secret_only():
    t = token_for(SECRET, "01JEV:sz-kx:0:sms")
    assert is_token(t) and t == token_for(SECRET, "01JEV:sz-kx:0:sms")
    assert t != token_for(SECRET, "01JEV:sz-kx:0:email") and t != token_for(b"t" * 32, "01JEV:sz-kx:0:sms")
    assert not is_token(t[:-1]) and not is_token(t + "x") and not is_token("../../etc/passwd-aaaaaaaa")
    assert not is_token(t + "\n")  # the whole value, not a line of it


def test_a_pasted_link_gives_its_token():
    t = token_for(SECRET, "d")
    for pasted in (t, f"https://cascade.example.cn/r/{t}", f" https://x.cn/r/{t}?utm=1 ", f"https://x.cn/r/{t}/sign"):
        assert token_of(pasted) == t


def test_each_message_to_a_contact_carries_its_own_link_and_the_log_hides_it():
    docs = domain.Messages(channels(), {}, links=LINKS).deliveries(cause(), UNITS, NOW)
    by = {(d["unit_id"], d["channel"]): d for d in docs}
    assert sorted(by) == [("sz-kjj", "sms"), ("sz-kx", "email"), ("sz-kx", "sms")]
    for d in docs:
        url = LINKS.url(d["_id"])
        assert url.startswith("https://cascade.example.cn/r/") and url in d["body"]
        assert url not in domain.delivery_row(d)["body"] and "/r/…" in domain.delivery_row(d)["body"]
    assert by[("sz-kx", "email")]["body"].endswith(tpl.SIGN_OFF)  # the link goes before the sign-off
    # Without a public address: no link, and the default words ask them to log in.
    plain = domain.Messages(channels(), {}).deliveries(cause(), UNITS, NOW)
    assert all("/r/" not in d["body"] for d in plain) and "登录系统签收" in plain[0]["body"]


def test_the_default_words_ask_for_one_way_to_sign_never_both():
    """With a personal link, 签收 is the link and no login (报送 alone needs one); without, a login for both."""
    for cause_type in ("notice.issued", "notice.forwarded", "notice.corrected"):
        for links in (LINKS, None):
            docs = domain.Messages(channels(), {}, links=links).deliveries(cause(cause_type), UNITS, NOW)
            for d in docs:
                if links:
                    url = LINKS.url(d["_id"])
                    assert d["body"].count(url) == 1 and "登录系统签收" not in d["body"], d["body"]
                    assert "请登录系统查看" not in d["body"]
                else:
                    assert "/r/" not in d["body"] and "无需登录" not in d["body"], d["body"]
    [sms] = [d for d in domain.Messages(channels(), {}, links=LINKS).deliveries(cause(), UNITS[1:], NOW)]
    assert sms["body"].endswith(f"点击链接查看并签收（无需登录）：{LINKS.url(sms['_id'])}")  # the URL last, alone
    for cause_type in ("deadline.approaching", "deadline.missed", "submission.returned"):
        for d in domain.Messages(channels(), {}, links=LINKS).deliveries(cause(cause_type), UNITS, NOW):
            assert d["body"].count(LINKS.url(d["_id"])) == 1 and "签收" not in d["body"], d["body"]


def test_a_template_that_places_the_link_gets_it_once_and_withdrawn_notices_get_none():
    templates = {"sms": ("", "{{ unit_name }}：{{ link_url }}")}
    [sms] = domain.Messages(channels(), templates, links=LINKS).deliveries(cause(), UNITS[1:], NOW)
    assert sms["body"] == f"深圳市科技创新局：{LINKS.url(sms['_id'])}"
    withdrawn = domain.Messages(channels(), {}, links=LINKS).deliveries(cause("notice.withdrawn"), UNITS, NOW)
    assert all("/r/" not in d["body"] for d in withdrawn)


def test_redact_leaves_other_text_alone():
    assert redact("查看：https://x.cn/notices/01HZ") == "查看：https://x.cn/notices/01HZ"


# ---------------------------------------------------------------- chat cards and escalation rounds


def test_a_group_message_links_the_notice_and_a_reminder_its_submissions():
    chan = channels(provider="auto")
    [notice_chat] = [d for d in domain.Messages(chan, {}).deliveries(cause(), UNITS, NOW) if d["channel"] == "chat"]
    assert notice_chat["provider"] == "dingtalk" and notice_chat["link_label"] == "查看通知"
    assert notice_chat["link"] == tpl.SAMPLES["notice.issued"]["notice_url"]
    reminder = domain.Messages(chan, {}).deliveries(cause("deadline.approaching"), UNITS, NOW)
    [chat] = [d for d in reminder if d["channel"] == "chat"]
    assert chat["link"].endswith("#completeness") and chat["link_label"] == "查看报送情况"
    assert "深圳市科协、深圳市科技创新局" in chat["body"]  # the late units, named


def test_escalation_rounds_go_one_channel_further_each_time():
    messages = domain.Messages(channels(provider="auto"), {}, links=LINKS)
    round0 = messages.deliveries(cause(), UNITS, NOW, tier=0)
    assert sorted((d["unit_id"], d["channel"]) for d in round0) == [("sz-kjj", "sms"), ("sz-kx", "email")]
    round1 = messages.deliveries(cause(event_id="01JEV~1"), UNITS, NOW, tier=1)
    assert [(d["unit_id"], d["channel"], d["tier"]) for d in round1] == [("sz-kx", "sms", 1)]
    round2 = messages.deliveries(cause(event_id="01JEV~2"), UNITS, NOW, tier=2)
    assert [(d["unit_id"], d["channel"]) for d in round2] == [("group", "chat")]
    assert len({d["_id"] for d in round0 + round1 + round2}) == 4


# ---------------------------------------------------------------- digests


def test_the_digest_day_is_todays_until_its_hour_then_tomorrows():
    assert digest.digest_day(NOW, "Asia/Shanghai", 17) == "2020-05-06"
    assert digest.digest_day(NOW, "Asia/Shanghai", 9) == "2020-05-07"


def test_a_digest_lists_each_line_and_signs_an_sms():
    c = cause("deadline.missed")
    lines = [{"line": digest.line({}, c, "https://x.cn/r/abc"), "unit_name": "深圳市科协", "contact_name": "王敏"}]
    lines[0]["channel"] = "sms"
    subject, body = digest.compose("2020-05-06", lines, channels())
    assert subject == "" and body.startswith("深圳市科协今日（2020-05-06）有 1 件通知和提醒：1. 逾期未报送：《")
    assert "截止 2020-06-10 23:59" in body and body.endswith("查看：https://x.cn/r/abc")
    lines[0]["channel"] = "email"
    subject, body = digest.compose("2020-05-06", lines, channels())
    assert subject == "【每日汇总】2020-05-06 通知和提醒 1 件" and body.startswith("王敏：")


# ---------------------------------------------------------------- the limits


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t


async def test_a_sliding_window_never_lets_more_than_the_limit_through():
    clock = Clock()
    db = MemoryDatabase("limits")
    limits = Limits(lambda: db, settings(rate_window_seconds=60), now=clock)
    key = chat_key("https://oapi.dingtalk.com/robot/send?access_token=secret")
    assert "secret" not in key
    first = await limits.take(key, 20, 15)
    assert (first.granted, first.wait) == (15, 0.0)
    clock.t += 30
    second = await limits.take(key, 20, 10)
    # The first 15 leave the window 60 s after they went, and a second more: a robot counts them as they arrive.
    assert second.granted == 5 and second.wait == 31.0
    clock.t += 30.9
    assert (await limits.take(key, 20, 1)).granted == 0
    clock.t += 0.2
    assert (await limits.take(key, 20, 20)).granted == 15


async def test_a_short_window_keeps_a_tenth_of_itself_as_margin():
    clock = Clock()
    db = MemoryDatabase("limits")
    limits = Limits(lambda: db, settings(rate_window_seconds=2), now=clock)
    grant = await limits.take("chat:x", 3, 5)
    assert grant.granted == 3 and round(grant.wait, 6) == 2.2
    clock.t += 2.1
    assert (await limits.take("chat:x", 3, 1)).granted == 0
    clock.t += 0.15
    assert (await limits.take("chat:x", 3, 1)).granted == 1


async def test_a_slot_counts_from_when_its_messages_were_answered():
    """A slow burst (posted one after the other) stays in the window from its last answer, not from its take."""
    clock = Clock()
    db = MemoryDatabase("limits")
    limits = Limits(lambda: db, settings(rate_window_seconds=2), now=clock)
    grant = await limits.take("chat:x", 3, 3)
    clock.t += 1.5  # the three took 1.5 s to post: the robot counted the last at 1,001.5
    await limits.settle("chat:x", grant.at)
    clock.t += 2.1  # 2.1 s after the answer: inside window + margin of the settled slot
    assert (await limits.take("chat:x", 3, 1)).granted == 0
    clock.t += 0.15
    assert (await limits.take("chat:x", 3, 1)).granted == 1
    await limits.settle("chat:x", grant.at)  # a slot already gone: nothing to move
    assert (await limits.take("chat:x", 3, 3)).granted == 2


async def test_a_server_that_said_too_many_is_paused_longer_each_time():
    clock = Clock()
    db = MemoryDatabase("limits")
    limits = Limits(lambda: db, settings(rate_limited_pause_seconds=10), now=clock)
    assert await limits.pause("chat:x") == 10
    assert (await limits.take("chat:x", 20, 1)).granted == 0 and await limits.paused_for("chat:x") == 10
    clock.t += 10.5
    assert await limits.pause("chat:x") == 20  # refused again right after: longer
    clock.t += 1
    # Another message of the same burst (posted before the pause began) refused too: not a new strike.
    assert await limits.pause("chat:x") == 19
    clock.t += 19.5
    assert await limits.pause("chat:x") == 40
    assert await limits.pause("chat:y", retry_after=45) == 45  # the server said how long


async def test_sms_per_number_per_day_counts_in_the_nodes_calendar_day():
    clock = Clock()
    clock.t = datetime(2020, 5, 6, 15, 0, tzinfo=UTC).timestamp()  # 23:00 in Shanghai
    db = MemoryDatabase("limits")
    limits = Limits(lambda: db, settings(), now=clock)
    assert [await limits.take_daily("sms:138", 2) for _ in range(2)] == [0.0, 0.0]
    assert await limits.take_daily("sms:138", 2) == 3600.0  # till midnight in the node's zone
    assert await limits.take_daily("sms:139", 2) == 0.0
    clock.t += 3600
    assert await limits.take_daily("sms:138", 2) == 0.0


async def test_a_jobs_sms_take_their_numbers_days_together():
    clock = Clock()
    clock.t = datetime(2020, 5, 6, 15, 0, tzinfo=UTC).timestamp()  # 23:00 in Shanghai
    db = MemoryDatabase("limits")
    limits = Limits(lambda: db, settings(), now=clock)
    assert await limits.take_daily("sms:137", 2) == 0.0
    # New numbers in one insert (139 twice: two contacts share it, and the limit takes 2 of its 3), 137 one by one.
    keys = ["sms:138", "sms:139", "sms:139", "sms:137", "sms:139", "sms:137"]
    assert await limits.take_daily_many(keys, 2) == [0.0, 0.0, 0.0, 0.0, 3600.0, 3600.0]
    assert await limits.take_daily_many(["sms:138", "sms:140"], 2) == [0.0, 0.0]
    assert await limits.take_daily("sms:138", 2) == 3600.0


class Racing(Limits):
    """Another sender inserts every number between this one's read and its insert: the read finds none."""

    @property
    def days(self):
        real = super().days

        class Unseen:
            def find(self, *args, **kwargs):
                return MemoryCursor(iter([]))

            def __getattr__(self, name):
                return getattr(real, name)

        return Unseen()


async def test_numbers_another_sender_inserted_meanwhile_take_their_turn_one_by_one():
    clock = Clock()
    db = MemoryDatabase("limits")
    await Limits(lambda: db, settings(), now=clock).take_daily("sms:137", 1)
    racing = Racing(lambda: db, settings(), now=clock)
    waits = await racing.take_daily_many(["sms:137", "sms:138"], 1)
    assert waits[0] > 0 and waits[1] == 0.0  # 137 had its one today; 138 was new


class Recorder:
    """Senders that take everything and say so (pacing.py hands them what may go now)."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def missing(self, channel: str) -> str | None:
        return None

    async def send(self, messages) -> dict[str, Result]:
        self.sent += [m.delivery_id for m in messages]
        return {m.delivery_id: Result(SENT) for m in messages}


async def test_each_kind_of_robot_has_its_own_limit_and_sms_their_number_per_day():
    s = settings(chat_per_minute=5, dingtalk_per_minute=2, wecom_per_minute=3, sms_per_number_per_day=1)
    assert [s.chat_limit(p) for p in ("dingtalk", "wecom", "feishu", "text", None)] == [2, 3, 5, 5, 5]
    db = MemoryDatabase("limits")
    senders = Recorder()
    pacer = Pacer(s, senders, Limits(lambda: db, s, now=Clock()))  # type: ignore[arg-type]
    hooks = {
        "dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=a",
        "wecom": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b",
        "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook/c",
    }
    messages = [
        OutgoingMessage(delivery_id=f"{kind}:{i}", channel="chat", address=url, body="x", provider=None)
        for kind, url in hooks.items()
        for i in range(6)
    ] + [OutgoingMessage(delivery_id=f"sms:{i}", channel="sms", address="13800000001", body="x") for i in range(2)]
    results = await pacer.send(messages)
    sent = sorted(senders.sent)
    assert [x.split(":")[0] for x in sent].count("dingtalk") == 2
    assert [x.split(":")[0] for x in sent].count("wecom") == 3
    assert [x.split(":")[0] for x in sent].count("feishu") == 5
    assert [x.split(":")[0] for x in sent].count("sms") == 1
    waiting = {i: r for i, r in results.items() if r.status != SENT}
    assert len(waiting) == 4 + 3 + 1 + 1 and all(r.limited and r.retry_after for r in waiting.values())
    assert "该号码今日短信已达 1 条" in waiting["sms:1"].error
