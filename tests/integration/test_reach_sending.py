"""Sending within the providers' limits, chat cards, the daily digest and escalation (issue 15), on real servers:
nats-server, FerretDB, an SMTP server (aiosmtpd), an SMS gateway and chat robots (HTTP endpoints on loopback that
record what arrives, and when, and answer as a robot would).

The limits run on a short window here (``rate_window_seconds``: a few seconds instead of a minute) so a test that
sends past a limit several times over takes seconds; the digest and escalation run on a clock the test moves.
"""

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from cascade.processes import free_port
from shared.bus import publish_event
from shared.clock import Clock, FixedClock
from shared.contracts.notices import UpsertUnit
from shared.events import DeadlineApproaching
from shared.schemas import Contact, UnitKind

from ..fixtures import GD_UNITS, future
from ..harness import GATEWAY_BASE, as_role, create_user, eventually, gateway, login, running
from ..local_servers import Endpoint, Mailbox, most_in_any_window, smtp_server

HTML = {"Accept": "text/html"}
PUBLIC_URL = "https://cascade.gdkx.example.cn"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/r/[A-Za-z0-9_-]{22}")
DINGTALK_TOO_FAST = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}


def notice(title: str, recipients: list[str]) -> dict:
    return {
        "title": title,
        "issuer_unit_ids": ["gd-kx"],
        "recipient_unit_ids": recipients,
        "body": "请各单位按时报送。",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结",
                "deadline": future(30),
                "routes": [
                    {"unit_kind": k, "to_unit_id": "gd-kx", "department": "组织联络部"}
                    for k in ("科协", "科技厅/局", "学会/协会/研究会")
                ],
            }
        ],
    }


@dataclass
class Node:
    http: httpx.AsyncClient
    admin: httpx.AsyncClient
    issuer: httpx.AsyncClient

    async def channels(self, *, email: bool = False, sms: bool = False, hook: str | None = None, **chat: Any) -> None:
        r = await self.admin.put(
            "/api/admin/channels",
            json={
                "email": {"enabled": email, "sender": "kx@gdkx.example.cn"},
                "sms": {"enabled": sms, "signature": "广东省科协"},
                "chat": {"enabled": bool(hook), "webhook_url": hook, **chat},
                "public_url": PUBLIC_URL,
            },
        )
        assert r.status_code == 200, r.text

    async def issue(self, title: str, recipients: list[str]) -> str:
        r = await self.issuer.post("/api/notices", json=notice(title, recipients))
        assert r.status_code == 201, r.text
        return r.json()["notice_id"]


@contextlib.asynccontextmanager
async def node_with(
    node, *, units: list[UpsertUnit] | None = None, clock: Clock | None = None, **settings: Any
) -> AsyncIterator[Node]:
    async with (
        running(node, ["notices", "notifications"], clock=clock, overrides={"notifications": settings}),
        gateway(node, clock=clock, org_unit_id="gd-kx") as http,
    ):
        admin = await as_role(http, "gd-kx", "admin")
        for unit in units or GD_UNITS:
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        yield Node(http, admin, await as_role(http, "gd-kx", "issuer"))


async def deliveries(node, **query) -> list[dict]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    try:
        return [d async for d in client[f"{node.node_id}_notifications"]["deliveries"].find(query).sort("_id", 1)]
    finally:
        await client.close()


async def publish(node, *events) -> None:
    broker = NatsBroker(node.servers.nats_url)
    await broker.connect()
    try:
        for event in events:
            await publish_event(broker, event)
    finally:
        await broker.stop()


def chase(node, notice_id: str, units: list[str], note: str, at: datetime | None = None) -> DeadlineApproaching:
    """A 催办 of the notice's ask for ``units``, as the issuer's chase button publishes it."""
    now = at or datetime.now(UTC)
    return DeadlineApproaching(
        occurred_at=now,
        origin_node=node.node_id,
        notice_id=notice_id,
        ask_id="summary",
        deadline=now + timedelta(days=3),
        pending_unit_ids=units,
        manual=True,
        note=note,
    )


# ---------------------------------------------------------------- a robot that says "too many"


class Robot:
    """A 钉钉 group robot: blocked ("send too fast", errcode 130101) for ``blocked_for`` seconds from the first message
    (another system used it up), then taking at most ``limit`` messages per ``window`` seconds as they arrive, and
    refusing any more the same way."""

    def __init__(self, limit: int, window: float, blocked_for: float) -> None:
        self.limit, self.window, self.blocked_for = limit, window, blocked_for
        self.first: float | None = None
        self.taken: list[float] = []
        self.refused_while_blocked = self.refused_over_limit = 0
        self.endpoint = Endpoint(respond=self.respond)

    def respond(self, request: dict) -> tuple[int, dict]:
        now = time.monotonic()
        self.first = self.first or now
        if now - self.first < self.blocked_for:
            self.refused_while_blocked += 1
            return 200, DINGTALK_TOO_FAST
        if sum(1 for t in self.taken if now - t < self.window) >= self.limit:
            self.refused_over_limit += 1
            return 200, DINGTALK_TOO_FAST
        self.taken.append(now)
        return 200, {"errcode": 0, "errmsg": "ok"}


async def test_a_robot_that_says_too_many_gets_every_message_in_time_and_never_more_than_its_limit(node):
    """12 messages to a robot that takes 4 per 3 s and is blocked for the first 1.5 s: each is delivered once, none
    is failed or dropped, and no 3 s span ever sees more than 4 (so after the block the robot refused none)."""
    limit, window = 4, 3.0
    robot = Robot(limit, window, blocked_for=1.5)
    # 钉钉's own limit (CASCADE_DINGTALK_PER_MINUTE), the other robots keep chat_per_minute (20).
    settings = {"dingtalk_per_minute": limit, "rate_window_seconds": window, "rate_limited_pause_seconds": 1.0}
    async with node_with(node, **settings) as n:
        await n.channels(hook=f"{robot.endpoint.url}/robot/send?access_token=t", provider="dingtalk")
        nid = await n.issue("关于开展科技工作者日活动的通知", ["sz-kx", "sz-kjj", "gd-jxxh"])
        await publish(node, *[chase(node, nid, ["sz-kx", "sz-kjj"], f"第{i}次催办") for i in range(1, 12)])

        async def all_sent():
            rows = await deliveries(node, notice_id=nid, channel="chat")
            return rows if len(rows) == 12 and all(r["status"] == "sent" for r in rows) else None

        rows = await eventually(all_sent, timeout=40)
        assert robot.refused_while_blocked >= 1  # the robot did say "too many" …
        assert any(r["attempts"] > 1 for r in rows)  # … and those messages waited their turn
        accepted = robot.endpoint.accepted()
        assert len(accepted) == 12  # every message once: none lost, none twice
        texts = [p.json["actionCard"]["text"] for p in accepted]
        assert sum("新通知" in t for t in texts) == 1
        assert sorted(int(m) for t in texts for m in re.findall(r"第(\d+)次催办", t)) == list(range(1, 12))
        # Paced by the node, not by refusals: once unblocked the robot never had to refuse, and by arrival no
        # 3 s span held more than 4.
        assert robot.refused_over_limit == 0
        assert most_in_any_window(robot.taken, window) <= limit
        # The issuer's panel: all sent, none failed.
        summary = (await n.issuer.get(f"/api/notices/{nid}/deliveries/summary")).json()
        chat = [r for r in summary["rows"] if r["channel"] == "chat"]
        assert sum(r["sent"] for r in chat) == 12 and not any(r["failed"] or r["retrying"] for r in chat)
    robot.endpoint.close()


async def test_a_robot_answering_http_429_waits_the_seconds_it_names(node):
    answers = iter([(429, {"message": "Too Many Requests"}, {"Retry-After": "1"})])
    hook = Endpoint(respond=lambda _request: next(answers, (200, {"errcode": 0, "errmsg": "ok"})))
    async with node_with(node, rate_limited_pause_seconds=0.2) as n:
        await n.channels(hook=f"{hook.url}/hook", provider="text")
        nid = await n.issue("关于开展科技工作者日活动的通知", ["sz-kx"])

        async def sent():
            [row] = await deliveries(node, notice_id=nid, channel="chat") or [None]
            return row if row and row["status"] == "sent" else None

        row = await eventually(sent, timeout=20)
        assert row["attempts"] == 2 and [p.status for p in hook.requests] == [429, 200]
        assert hook.requests[1].at - hook.requests[0].at >= 0.95  # Retry-After: 1, not the 0.2 s pause
    hook.close()


# ---------------------------------------------------------------- chat cards as the robots receive them


async def test_each_robot_gets_its_own_card_with_the_notice_and_a_reminder_links_its_submissions(node):
    hook = Endpoint()
    async with node_with(node) as n:
        got: dict[str, list[dict]] = {}
        for provider in ("wecom", "dingtalk", "feishu"):
            await n.channels(hook=f"{hook.url}/{provider}", provider=provider)
            nid = await n.issue(f"{provider} 关于开展科技工作者日活动的通知", ["sz-kx", "sz-kjj", "gd-jxxh"])
            await publish(node, chase(node, nid, ["sz-kx", "sz-kjj"], "请抓紧报送"))

            async def both(provider=provider):
                posted = [p.json for p in hook.requests if p.path == f"/{provider}"]
                return posted if len(posted) == 2 else None

            got[provider] = await eventually(both)
            page = f"{PUBLIC_URL}/notices/{nid}"
            notice_card, reminder = sorted(got[provider], key=lambda j: "催办" in str(j))
            if provider == "wecom":  # markdown: the title bold, the text quoted, the link at the end
                assert notice_card["msgtype"] == "markdown"
                content = notice_card["markdown"]["content"]
                assert content.startswith("**新通知：wecom 关于开展") and "\n> " in content
                assert content.endswith(f"[查看通知]({page})") and content.count(page) == 1
                content = reminder["markdown"]["content"]
                assert content.startswith("**催办：活动总结**") and "深圳市科学技术协会、深圳市科技创新局" in content
                assert content.endswith(f"[查看报送情况]({page}#completeness)")
            elif provider == "dingtalk":  # actionCard: one button
                card = notice_card["actionCard"]
                assert notice_card["msgtype"] == "actionCard" and card["title"].startswith("新通知：dingtalk")
                assert card["text"].startswith("### 新通知：dingtalk") and page not in card["text"]
                assert (card["singleTitle"], card["singleURL"]) == ("查看通知", page)
                card = reminder["actionCard"]
                assert (
                    "深圳市科学技术协会、深圳市科技创新局" in card["text"] and "广东省机械工程学会" not in card["text"]
                )
                assert (card["singleTitle"], card["singleURL"]) == ("查看报送情况", f"{page}#completeness")
            else:  # 飞书 interactive card: a header, the text as lark_md, a primary button
                assert notice_card["msg_type"] == "interactive"
                card = notice_card["card"]
                assert card["header"]["title"]["content"].startswith("新通知：feishu")
                [text, action] = card["elements"]
                assert text["tag"] == "div" and text["text"]["tag"] == "lark_md" and page not in text["text"]["content"]
                [button] = action["actions"]
                assert (button["text"]["content"], button["url"], button["type"]) == ("查看通知", page, "primary")
                [text, action] = reminder["card"]["elements"]
                assert "深圳市科学技术协会、深圳市科技创新局" in text["text"]["content"]
                assert action["actions"][0]["url"] == f"{page}#completeness"
            # a group message carries no one's personal link
            assert not LINK.search(str(got[provider]))
    hook.close()


# ---------------------------------------------------------------- the daily digest and escalation (a moved clock)


def today_at(hour: int, minute: int = 0) -> datetime:
    """Today (in the node's zone, Asia/Shanghai) at ``hour``:``minute``, as an aware UTC time."""
    zone = ZoneInfo("Asia/Shanghai")
    local = datetime.now(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return local.astimezone(UTC)


def browser(http: httpx.AsyncClient) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=http._transport, base_url=GATEWAY_BASE)


def path_of(url: str) -> str:
    return urlsplit(url).path


@contextlib.asynccontextmanager
async def servers() -> AsyncIterator[tuple[Mailbox, Endpoint, dict]]:
    """An SMTP server and an SMS gateway, and the notifications settings that send to them."""
    mailbox, sms, port = Mailbox(), Endpoint(answer={"code": 0}), free_port()
    settings = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "sms_gateway_url": f"{sms.url}/send",
        "reach_tick_seconds": 0.2,
    }
    try:
        with smtp_server(port, mailbox):
            yield mailbox, sms, settings
    finally:
        sms.close()


async def test_a_unit_that_chose_the_daily_digest_gets_one_message_a_day_with_its_notices_and_reminders(node):
    clock = FixedClock(today_at(9))
    async with servers() as (mailbox, sms, settings), node_with(node, clock=clock, digest_hour=17, **settings) as n:
        await n.channels(email=True, sms=True)
        clerk = await as_role(n.http, "sz-kx", "submitter")
        r = await clerk.put("/api/reach/preferences", json={"digest": True})
        assert r.status_code == 200 and r.json()["digest"] is True, r.text

        first = await n.issue("关于开展科技工作者日活动的通知", ["sz-kx", "gd-jxxh"])
        await n.issue("关于报送年度工作总结的通知", ["sz-kx", "gd-jxxh"])
        await publish(node, chase(node, first, ["sz-kx", "gd-jxxh"], "请抓紧报送", at=clock.now()))

        # The unit without a digest is told at once; 深圳市科协 (e-mail and SMS) waits for its digest.
        await until(lambda: len(mailbox.to("jxxh@example.cn")) == 3)
        held = await eventually(lambda: _at_least(node, 6, unit_id="sz-kx"))
        assert {d["status"] for d in held} == {"pending"} and {d["digest_day"] for d in held} == {
            clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        }
        assert not mailbox.to("szkx@example.cn") and not [p for p in sms.requests if p.json["to"] == "13800000001"]

        # 17:00: one e-mail and one SMS, each listing the day's two notices and the reminder with the links.
        clock.set(today_at(17, 1))
        await until(lambda: len(mailbox.to("szkx@example.cn")) == 1 and len(sms.requests) == 1, timeout=20)
        [mail] = mailbox.to("szkx@example.cn")
        day = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        assert mail["Subject"] == f"【每日汇总】{day} 通知和提醒 3 件"
        body = mail.get_content()
        assert body.startswith("王敏：") and "深圳市科学技术协会今日" in body
        for line in (
            "1. 收到新通知：《关于开展科技工作者日活动的通知》",
            "2. 收到新通知：《关于报送年度工作总结的通知》",
        ):
            assert line in body
        assert "3. 报送截止提醒 / 催办：《关于开展科技工作者日活动的通知》" in body
        assert len(LINK.findall(body)) == 3
        [text] = [p.json["text"] for p in sms.requests]
        assert text.startswith("【广东省科协】深圳市科学技术协会今日") and len(LINK.findall(text)) == 3
        # A link of the digest opens its notice, no login.
        async with browser(n.http) as phone:
            page = await phone.get(path_of(LINK.findall(text)[1]), headers=HTML)
            assert page.status_code == 200 and "关于报送年度工作总结的通知" in page.text

        # The deliveries it carried are sent, in each notice's log and counts; a later tick sends nothing again.
        async def settled():
            rows = await deliveries(node, unit_id="sz-kx", reason={"$ne": "digest"})
            return rows if rows and all(r["status"] == "sent" and r.get("digest_id") for r in rows) else None

        assert len(await eventually(settled)) == 6
        summary = (await n.issuer.get(f"/api/notices/{first}/deliveries/summary")).json()
        assert summary["sent"] == summary["total"]
        clock.advance(timedelta(minutes=5))
        await _ticks(n)
        assert len(mailbox.to("szkx@example.cn")) == 1 and len(sms.requests) == 1


async def until(check: Callable[[], object], timeout: float = 20.0) -> object:
    """``eventually`` for a plain (not async) check: what the local servers received."""

    async def wrapped():
        return check()

    return await eventually(wrapped, timeout=timeout)


async def _at_least(node, n: int, **query) -> list[dict] | None:
    rows = await deliveries(node, **query)
    return rows if len(rows) >= n else None


async def _ticks(n: Node, seconds: float = 1.0) -> None:
    """Let the notifications service's clock-driven task look a few times (``reach_tick_seconds`` is 0.2 here)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await n.http.get("/healthz")
        await asyncio.sleep(0.1)


# Three county 科协 under 深圳, each contact with e-mail and mobile.
COUNTIES = [
    UpsertUnit(
        unit_id=f"sz-{code}-kx",
        name=f"深圳市{name}科学技术协会",
        kind=UnitKind.kexie,
        parent_id="sz-kx",
        contacts=[Contact(name=person, email=f"{code}@example.cn", mobile=mobile)],
    )
    for code, name, person, mobile in [
        ("ns", "南山区", "赵磊", "13800000011"),
        ("ft", "福田区", "钱芳", "13800000012"),
        ("la", "罗湖区", "孙伟", "13800000013"),
    ]
]


async def test_a_notice_not_signed_within_the_hours_goes_out_again_on_sms_then_to_the_group(node):
    clock = FixedClock(today_at(9))
    robot = Endpoint()
    async with (
        servers() as (mailbox, sms, settings),
        node_with(node, clock=clock, units=[*GD_UNITS, *COUNTIES], **settings) as n,
        browser(n.http) as phone,
    ):
        await n.channels(email=True, sms=True, hook=f"{robot.url}/robot/send?access_token=t", provider="dingtalk")
        # The service's environment leaves escalation off; the node admin turns it on, on the channels page.
        await escalation_on_the_page(n, "2")
        nid = await n.issue("关于开展科技工作者日活动的通知", ["sz-ns-kx", "sz-ft-kx", "sz-la-kx"])

        # Round 0: e-mail only, to each contact; no SMS, nothing to the group yet.
        await until(lambda: len(mailbox.messages) == 3)
        await _ticks(n)
        assert sms.requests == [] and robot.requests == []

        # 南山 signs from its e-mail's link within the two hours.
        [mail] = mailbox.to("ns@example.cn")
        link = path_of(LINK.findall(mail.get_content())[0])
        assert (await phone.post(f"{link}/sign", data={"notice_id": nid})).status_code == 303
        await eventually(lambda: _receipts(node, nid, 1))

        # Two hours on: SMS to the two still silent.
        clock.advance(timedelta(hours=2, minutes=1))
        await until(lambda: len(sms.requests) == 2, timeout=20)
        assert sorted(p.json["to"] for p in sms.requests) == ["13800000012", "13800000013"]
        assert all(LINK.search(p.json["text"]) for p in sms.requests)  # each with its own link
        assert robot.requests == []

        # 福田 signs from the SMS; two hours later the group hears about 罗湖 alone.
        [ft] = [p.json["text"] for p in sms.requests if p.json["to"] == "13800000012"]
        assert (await phone.post(f"{path_of(LINK.findall(ft)[0])}/sign", data={"notice_id": nid})).status_code == 303
        await eventually(lambda: _receipts(node, nid, 2))
        clock.advance(timedelta(hours=2, minutes=1))
        await until(lambda: len(robot.requests) == 1, timeout=20)
        card = robot.requests[0].json["actionCard"]
        assert "深圳市罗湖区科学技术协会" in card["text"]
        assert "南山区" not in card["text"] and "福田区" not in card["text"]
        assert card["singleURL"] == f"{PUBLIC_URL}/notices/{nid}"

        # That was the last round: no more messages however long it stays unsigned.
        clock.advance(timedelta(hours=5))
        await _ticks(n)
        assert (len(mailbox.messages), len(sms.requests), len(robot.requests)) == (3, 2, 1)
        rounds = await deliveries(node, notice_id=nid)
        assert sorted((d["unit_id"], d["channel"], d.get("tier", 0)) for d in rounds) == [
            ("group", "chat", 2),
            ("sz-ft-kx", "email", 0),
            ("sz-ft-kx", "sms", 1),
            ("sz-la-kx", "email", 0),
            ("sz-la-kx", "sms", 1),
            ("sz-ns-kx", "email", 0),
        ]
    robot.close()


async def escalation_on_the_page(n: Node, hours: str) -> None:
    await create_user(n.http, "gd-admin", "gd-kx", "admin")
    admin = await login(n.http, "gd-admin")
    page = (await admin.get("/admin/channels", headers=HTML)).text
    assert 'id="escalation-hours"' in page and "现未启用" in page
    form = {
        "csrf_token": admin.csrf,  # type: ignore[attr-defined]
        "email_enabled": "1",
        "email_sender": "kx@gdkx.example.cn",
        "sms_enabled": "1",
        "sms_signature": "广东省科协",
        "chat_enabled": "1",
        "chat_webhook_url": re.search(r'name="chat_webhook_url" value="([^"]*)"', page).group(1),  # type: ignore[union-attr]
        "chat_provider": "dingtalk",
        "public_url": PUBLIC_URL,
    }
    bad = await admin.post("/admin/channels", data={**form, "escalation_after_hours": "两小时"}, headers=HTML)
    assert bad.status_code == 422 and "提醒升级间隔（小时）" in bad.text and 'value="两小时"' in bad.text
    r = await admin.post("/admin/channels", data={**form, "escalation_after_hours": hours}, headers=HTML)
    assert r.status_code == 303, r.text
    page = (await admin.get("/admin/channels", headers=HTML)).text
    assert f'id="escalation-hours" value="{hours}"' in page and f"现为 {hours} 小时" in page
    escalation = (await n.admin.get("/api/admin/channels")).json()["escalation"]
    assert escalation == {"after_hours": float(hours), "default_hours": 0.0, "effective_hours": float(hours)}


async def _receipts(node, notice_id: str, n: int) -> bool:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url)
    try:
        found = client[f"{node.node_id}_notifications"]["receipts"].count_documents(
            {"_id": {"$regex": f"^{notice_id}:"}}
        )
        return await found >= n
    finally:
        await client.close()
