"""Notifications on a real node: the admin's channels and templates (API and pages), deliveries that follow them,
and deliveries for 更正, 撤回, reminders, missed deadlines and 退回 to the contacts of the units they name."""

import contextlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from shared import subjects
from shared.bus import publish_event
from shared.events import DeadlineApproaching, DeadlineMissed, SubmissionReturned

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_user, eventually, gateway, issue, login, running

HTML = {"Accept": "text/html"}
HOOK = "http://127.0.0.1:9/robot/send?access_token=abc"  # nothing listens there: chat messages wait to be retried


@contextlib.asynccontextmanager
async def node_with_admin(node, services=("notices", "notifications")):
    """Node gd (own unit gd-kx) with the seed directory, an admin token and an issuer token."""
    async with running(node, list(services)), gateway(node, org_unit_id="gd-kx") as http:
        admin = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        yield http, admin, await as_role(http, "gd-kx", "issuer")


async def deliveries(node, **query) -> list[dict]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    try:
        return [d async for d in client[f"{node.node_id}_notifications"]["deliveries"].find(query).sort("_id", 1)]
    finally:
        await client.close()


async def count_at_least(node, n: int, **query):
    docs = await deliveries(node, **query)
    return docs if len(docs) >= n else None


def loc(r) -> list:
    return r.json()["detail"][0]["loc"]


# ---------------------------------------------------------------- channels and templates drive deliveries


async def test_deliveries_follow_the_channels_and_templates_the_admin_set(node):
    async with node_with_admin(node) as (http, admin, issuer):
        channels = (await admin.get("/api/admin/channels")).json()
        assert channels["email"]["enabled"] and channels["sms"]["enabled"] and not channels["chat"]["enabled"]
        r = await admin.put(
            "/api/admin/channels",
            json={
                "email": {"enabled": True, "sender": "kx@gdkx.example.cn", "sender_name": "广东省科协组织联络部"},
                "sms": {"enabled": False, "signature": "广东省科协"},
                "chat": {"enabled": True, "webhook_url": HOOK},
                "public_url": "https://cascade.gdkx.example.cn/",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["enabled"] == ["email", "chat"]
        r = await admin.put(
            "/api/admin/templates/notice.issued/email",
            json={
                "subject": "{{ issuer_name }}来文：{{ notice_title | truncate(20, true, '…', 0) }}",
                "body": "{{ contact_name }}您好，{{ unit_name }}收到 {{ doc_number }}。{% if notice_url %}{{ notice_url }}{% endif %}",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["is_default"] is False

        nid = (await issue(issuer, seed000_notice())).json()["notice_id"]
        # sz-kx has e-mail and mobile, sz-kjj mobile only, gd-jxxh e-mail only, scut-kx no contact; SMS is off,
        # chat posts once to the group, naming the four units.
        rows = await eventually(lambda: count_at_least(node, 3, notice_id=nid))
        assert sorted((d["unit_id"], d["channel"]) for d in rows) == [
            ("gd-jxxh", "email"),
            ("group", "chat"),
            ("sz-kx", "email"),
        ]
        email = next(d for d in rows if d["unit_id"] == "sz-kx" and d["channel"] == "email")
        assert email["subject"] == "广东省科学技术协会来文：关于转发《中国科协 科技部关于开展20…"
        assert email["body"].startswith("王敏您好，深圳市科学技术协会收到 粤科协联〔")
        # The admin's template did not place the contact's personal 签收 link ({{ link_url }}): it comes after.
        text, link = email["body"].split("\n\n手机上点击链接即可查看并签收（无需登录）：")
        assert text.endswith(f"https://cascade.gdkx.example.cn/notices/{nid}")
        assert re.fullmatch(r"https://cascade\.gdkx\.example\.cn/r/[A-Za-z0-9_-]{22}", link), link
        assert email["sender"] == "kx@gdkx.example.cn"
        chat = next(d for d in rows if d["channel"] == "chat")
        assert chat["address"] == HOOK and chat["subject"].startswith("新通知：")
        assert all(name in chat["body"] for name in ("华南理工大学科协", "深圳市科学技术协会", "深圳市科技创新局"))

        # The issuer's view of the delivery log shows the same, and where each stands: this node has no mail
        # server, so its e-mails are not sent (saying why); the webhook does not answer, so chat waits for a retry.
        async def decided():
            rows = (await issuer.get(f"/api/notices/{nid}/deliveries")).json()["items"]
            return rows if all(r["status"] != "pending" for r in rows) else None

        rows = await eventually(decided)
        assert len(rows) == 3
        assert {(r["channel"], r["status"]) for r in rows} == {("email", "skipped"), ("chat", "retrying")}
        assert all("CASCADE_SMTP_HOST" in r["error"] for r in rows if r["channel"] == "email")
        assert all("ConnectError" in r["error"] and r["attempts"] >= 1 for r in rows if r["channel"] == "chat")
        # The issuer sees what was sent, but not the link's token: with it another unit could sign for sz-kx.
        shown = next(r for r in rows if r["unit_id"] == "sz-kx")
        assert link not in shown["body"] and shown["body"].endswith("https://cascade.gdkx.example.cn/r/…")

        # Both changes are in the audit log, with who and what.
        log = http.app.state.audit
        [channels_entry] = await log.query(action="notifications.update_channels")
        assert channels_entry["unit_id"] == "gd-kx" and channels_entry["target"] == "channels"
        [template_entry] = await log.query(action="notifications.update_template")
        assert template_entry["target"] == "notice.issued/email"
        assert template_entry["details"] == {"cause": "notice.issued", "channel": "email"}

        # Back to the default: the next notice gets the built-in words.
        r = await admin.delete("/api/admin/templates/notice.issued/email")
        assert r.status_code == 200 and r.json()["is_default"] and r.json()["subject"] == "【新通知】{{ notice_title }}"
        assert (await log.query(action="notifications.reset_template"))[0]["target"] == "notice.issued/email"
        nid2 = (await issue(issuer, seed000_notice(["sz-kx"]))).json()["notice_id"]
        [email2] = await eventually(lambda: count_at_least(node, 1, notice_id=nid2, channel="email"))
        assert email2["subject"].startswith("【新通知】关于转发")


async def test_a_template_that_does_not_parse_or_names_an_unknown_variable_is_refused_naming_the_field(node):
    async with node_with_admin(node, services=("notifications", "notices")) as (http, admin, _issuer):
        url = "/api/admin/templates/deadline.approaching/sms"
        before = (await admin.get(url)).json()
        cases = [
            ({"subject": "", "body": "{{ unit_name "}, ["body", "body"], "template_syntax"),
            ({"subject": "", "body": "{% if manual %}催办"}, ["body", "body"], "template_syntax"),
            ({"subject": "{{ password }}", "body": "x"}, ["body", "subject"], "template_variable"),
            ({"subject": "", "body": "{{ reason }}"}, ["body", "body"], "template_variable"),  # not this cause's
            ({"subject": "", "body": "{{ unit_name.__class__ }}"}, ["body", "body"], "template_construct"),
            ({"subject": "", "body": "{% for x in range(9) %}{% endfor %}"}, ["body", "body"], "template_construct"),
            ({"subject": "", "body": "{{ unit_name | attr('a') }}"}, ["body", "body"], "template_filter"),
            ({"subject": "", "body": ""}, ["body", "body"], None),
            ({"subject": "", "body": "x" * 4001}, ["body", "body"], None),
        ]
        for body, where, code in cases:
            r = await admin.put(url, json=body)
            assert r.status_code == 422 and loc(r) == where, (body, r.text)
            if code:
                assert r.json()["detail"][0]["type"] == code
                r = await admin.post(url + "/preview", json=body)
                assert r.status_code == 422 and loc(r) == where, (body, r.text)
        r = await admin.put("/api/admin/templates/notice.issued/email", json={"subject": " ", "body": "x"})
        assert r.status_code == 422 and loc(r) == ["body", "subject"]  # an e-mail needs a subject
        assert (await admin.put("/api/admin/templates/no.such/email", json={"body": "x"})).status_code == 422
        assert (await admin.put("/api/admin/templates/notice.issued/fax", json={"body": "x"})).status_code == 422
        assert (await admin.get(url)).json() == before
        assert not await http.app.state.audit.query(action="notifications.templates")

        # Channels: a webhook must be an http(s) URL; enabling chat needs one; signatures and names are one line.
        bad_channels = [
            ({"chat": {"enabled": True, "webhook_url": "javascript:alert(1)"}}, ["body", "chat", "webhook_url"]),
            ({"chat": {"enabled": True, "webhook_url": "ftp://x.example.cn/"}}, ["body", "chat", "webhook_url"]),
            (
                {"chat": {"enabled": True, "webhook_url": "https://user:pw@x.example.cn/"}},
                ["body", "chat", "webhook_url"],
            ),
            ({"chat": {"enabled": True}}, ["body", "chat", "webhook_url"]),
            ({"public_url": "cascade.example.cn"}, ["body", "public_url"]),
            ({"email": {"sender": "not an address"}}, ["body", "email", "sender"]),
            ({"email": {"sender_name": "x\r\nBcc: evil@example.cn"}}, ["body", "email", "sender_name"]),
            ({"sms": {"signature": "【广东省科协】"}}, ["body", "sms", "signature"]),
            ({"sms": {"signature": "太长的短信签名超过了十六个字的限制呀"}}, ["body", "sms", "signature"]),
        ]
        channels = (await admin.get("/api/admin/channels")).json()
        for body, where in bad_channels:
            r = await admin.put("/api/admin/channels", json=body)
            assert r.status_code == 422 and loc(r) == where, (body, r.text)
        assert (await admin.get("/api/admin/channels")).json() == channels


async def test_preview_renders_with_sample_values_and_stores_nothing(node):
    async with node_with_admin(node, services=("notifications", "notices")) as (http, admin, _issuer):
        await admin.put("/api/admin/channels", json={"sms": {"enabled": True, "signature": "广东省科协"}})
        r = await admin.post(
            "/api/admin/templates/submission.returned/sms/preview",
            json={"body": "{{ unit_name }}第{{ revision }}版被{{ returned_by }}退回：{{ reason }}"},
        )
        assert r.status_code == 200, r.text
        # The template does not place the personal link ({{ link_url }}): the preview shows it added, a sample one.
        assert r.json()["body"] == (
            "【广东省科协】深圳市科学技术协会第1版被雷晶退回：请补充活动照片 查看：https://cascade.example.cn/r/Xk3vQ9pL2mZt7RwE4nYb1A"
        )
        r = await admin.post("/api/admin/templates/notice.withdrawn/email/preview", json={})  # the current one
        assert r.status_code == 200 and r.json()["subject"].startswith("【通知撤回】关于开展2020年")
        assert "撤回原因：另行通知" in r.json()["body"]
        assert (await admin.get("/api/admin/templates/submission.returned/sms")).json()["is_default"]
        listing = (await admin.get("/api/admin/templates")).json()
        assert len(listing) == 8 * 3 and all(t["is_default"] and t["variables"] for t in listing)
        assert {t["cause"] for t in listing} == {
            "notice.issued",
            "notice.forwarded",
            "notice.corrected",
            "notice.withdrawn",
            "deadline.approaching",
            "deadline.missed",
            "submission.returned",
            "submission.arrived",  # for the department a submission is routed to (issue 12)
        }
        assert len((await admin.get("/api/admin/templates", params={"cause": "deadline.missed"})).json()) == 3
        assert not await http.app.state.audit.query(action="notifications.templates")  # a preview is no change


# ---------------------------------------------------------------- the pages


async def test_the_admin_pages_set_channels_and_edit_preview_and_reset_a_template(node):
    async with node_with_admin(node, services=("notifications", "notices")) as (http, admin, _issuer):
        await create_user(http, "root", "gd-kx", "admin", display_name="管理员")
        root = await login(http, "root")
        page = await root.get("/admin/channels")
        assert page.status_code == 200 and 'name="chat_webhook_url"' in page.text and "通知渠道" in page.text
        assert 'href="/admin/channels"' in page.text and 'href="/admin/templates"' in page.text  # in the menu
        form = {
            "csrf_token": root.csrf,
            "email_enabled": "1",
            "email_sender": "kx@gdkx.example.cn",
            "sms_signature": "广东省科协",
            "chat_enabled": "1",
            "chat_webhook_url": "javascript:alert(1)",
        }
        r = await root.post("/admin/channels", data=form, headers=HTML)
        assert r.status_code == 422 and "Webhook 地址" in r.text and 'value="javascript:alert(1)"' in r.text
        r = await root.post("/admin/channels", data={**form, "chat_webhook_url": HOOK}, headers=HTML)
        assert r.status_code == 303 and r.headers["location"] == "/admin/channels?saved=1"
        saved = (await admin.get("/api/admin/channels")).json()
        assert saved["sms"] == {"enabled": False, "signature": "广东省科协", "server": None}  # unchecked: disabled
        # No 机器人类型 chosen: its message format follows the webhook's host.
        assert saved["chat"] == {"enabled": True, "webhook_url": HOOK, "provider": "auto"}
        assert saved["updated_by"] == "管理员"
        r = await root.post(
            "/admin/channels", data={**form, "chat_webhook_url": HOOK, "chat_provider": "dingtalk"}, headers=HTML
        )
        assert r.status_code == 303
        assert (await admin.get("/api/admin/channels")).json()["chat"]["provider"] == "dingtalk"
        assert 'value="dingtalk" selected' in (await root.get("/admin/channels")).text
        r = await root.post(
            "/admin/channels", data={**form, "chat_webhook_url": HOOK, "chat_provider": "fax"}, headers=HTML
        )
        assert r.status_code == 422 and "机器人类型" in r.text
        r = await root.post("/admin/channels", data={k: v for k, v in form.items() if k != "csrf_token"}, headers=HTML)
        assert r.status_code == 403  # no CSRF token

        listing = await root.get("/admin/templates")
        assert listing.status_code == 200 and "报送被退回" in listing.text
        assert 'href="/admin/templates/deadline.missed/sms"' in listing.text
        url = "/admin/templates/deadline.missed/email"
        edit = await root.get(url)
        assert edit.status_code == 200 and "{{ ask_title }}" in edit.text and "报送要求名称" in edit.text
        body = "{{ contact_name }}：{{ unit_name }}的“{{ ask_title }}”已于{{ deadline }}截止。"
        r = await root.post(
            url + "/preview",
            data={"csrf_token": root.csrf, "subject": "逾期：{{ ask_title }}", "body": body},
            headers=HTML,
        )
        assert r.status_code == 200 and 'id="preview-body"' in r.text
        assert "王敏：深圳市科学技术协会的“活动总结报告”已于2020-06-10 23:59截止。" in r.text
        assert (await admin.get("/api/admin/templates/deadline.missed/email")).json()["is_default"]  # not saved
        r = await root.post(
            url, data={"csrf_token": root.csrf, "subject": "逾期：{{ ask_titel }}", "body": body}, headers=HTML
        )
        assert r.status_code == 422 and "ask_titel" in r.text and "（主题）" in r.text
        assert "逾期：{{ ask_titel }}" in r.text  # what was typed is kept
        r = await root.post(
            url, data={"csrf_token": root.csrf, "subject": "逾期：{{ ask_title }}", "body": body}, headers=HTML
        )
        assert r.status_code == 303 and r.headers["location"] == url + "?saved=1"
        assert "已保存" in (await root.get(url + "?saved=1")).text
        stored = (await admin.get("/api/admin/templates/deadline.missed/email")).json()
        assert stored["subject"] == "逾期：{{ ask_title }}" and stored["body"] == body
        r = await root.post(url + "/reset", data={"csrf_token": root.csrf}, headers=HTML)
        assert r.status_code == 303
        assert (await admin.get("/api/admin/templates/deadline.missed/email")).json()["is_default"]
        assert (await root.get("/admin/templates/no.such/email", headers=HTML)).status_code == 404
        actions = [e["action"] for e in await http.app.state.audit.query(user_id="root")]
        assert actions.count("notifications.update_channels") == 2  # the refused saves left no entry
        assert {"notifications.update_template", "notifications.reset_template"} <= set(actions)


# ---------------------------------------------------------------- 更正, 撤回, reminders, missed deadlines, 退回


async def quiet(node) -> None:
    """Until every consumer of the node has handled every event."""
    nc = await nats.connect(node.servers.nats_url)
    js = nc.jetstream()

    async def idle():
        consumers = await js.consumers_info(subjects.events_stream(node.node_id))
        return all(c.num_pending == 0 and c.num_ack_pending == 0 for c in consumers)

    try:
        await eventually(idle)
    finally:
        await nc.close()


async def publish(node, *events) -> None:
    broker = NatsBroker(node.servers.nats_url)
    await broker.connect()
    try:
        for event in events:
            await publish_event(broker, event)
    finally:
        await broker.stop()


async def test_corrections_withdrawals_reminders_and_returns_reach_the_units_contacts_once(node):
    async with node_with_admin(node) as (_http, _admin, issuer):
        nid = (await issue(issuer, seed000_notice())).json()["notice_id"]
        await eventually(lambda: count_at_least(node, 4, notice_id=nid, reason="notice.issued"))

        r = await issuer.post(f"/api/notices/{nid}/correct", json={"reason": "截止时间提前", "title": "关于更正的通知"})
        assert r.status_code == 200, r.text
        corrected = await eventually(lambda: count_at_least(node, 4, notice_id=nid, reason="notice.corrected"))
        email = next(d for d in corrected if d["unit_id"] == "sz-kx" and d["channel"] == "email")
        assert email["subject"] == "【通知更正】关于更正的通知" and "更正原因：截止时间提前" in email["body"]
        assert "更正内容：标题" in email["body"]

        now = datetime.now(UTC)
        deadline = now + timedelta(days=3)
        reminder = DeadlineApproaching(
            occurred_at=now,
            origin_node=node.node_id,
            notice_id=nid,
            ask_id="summary",
            deadline=deadline,
            pending_unit_ids=["sz-kx", "sz-kjj", "scut-kx", "ghost"],
            manual=True,
        )
        missed = DeadlineMissed(
            occurred_at=now,
            origin_node=node.node_id,
            notice_id=nid,
            ask_id="summary",
            deadline=deadline,
            pending_unit_ids=["gd-jxxh"],
        )
        returned = SubmissionReturned(
            occurred_at=now,
            origin_node=node.node_id,
            submission_id=f"{nid}:summary:sz-kx",
            notice_id=nid,
            ask_id="summary",
            unit_id="sz-kx",
            to_unit_id="gd-kx",
            revision=2,
            reason="请补充活动照片",
            reviewed_by="雷晶",
            reviewed_at=now,
        )
        await publish(node, reminder, missed, returned)
        # sz-kx: e-mail + SMS, sz-kjj: SMS, scut-kx: no contact, ghost: never seen in a notice here.
        rows = await eventually(lambda: count_at_least(node, 3, cause_event_id=reminder.event_id))
        assert sorted((d["unit_id"], d["channel"]) for d in rows) == [
            ("sz-kjj", "sms"),
            ("sz-kx", "email"),
            ("sz-kx", "sms"),
        ]
        sms = next(d for d in rows if d["unit_id"] == "sz-kjj")
        assert sms["address"] == "13800000002" and sms["body"].startswith("催办：《关于更正的通知》的“活动总结")
        assert sms["ask_id"] == "summary" and sms["reason"] == "deadline.approaching"
        [late] = await eventually(lambda: count_at_least(node, 1, cause_event_id=missed.event_id))
        assert late["unit_id"] == "gd-jxxh" and late["subject"].startswith("【逾期未报】关于更正的通知")
        back = await eventually(lambda: count_at_least(node, 2, cause_event_id=returned.event_id))
        assert {d["channel"] for d in back} == {"email", "sms"}
        assert "第 2 版" in next(d["body"] for d in back if d["channel"] == "email")

        # A redelivery (a new publish without Nats-Msg-Id, so only the consumer's idempotency helps) adds nothing.
        before = len(await deliveries(node))
        broker = NatsBroker(node.servers.nats_url)
        await broker.connect()
        try:
            for event in (reminder, missed, returned):
                await broker.publish(event, event.subject(), stream=f"EVENTS_{node.node_id}")
        finally:
            await broker.stop()
        await quiet(node)
        assert len(await deliveries(node)) == before

        r = await issuer.post(f"/api/notices/{nid}/withdraw", json={"reason": "另行通知"})
        assert r.status_code == 200, r.text
        gone = await eventually(lambda: count_at_least(node, 4, notice_id=nid, reason="notice.withdrawn"))
        email = next(d for d in gone if d["unit_id"] == "sz-kx" and d["channel"] == "email")
        assert email["subject"] == "【通知撤回】关于更正的通知" and "撤回原因：另行通知" in email["body"]
        assert "粤科协联〔" in email["body"]


async def test_reminders_go_to_the_contacts_of_the_latest_notice_even_when_an_older_one_is_replayed(node):
    async with node_with_admin(node) as (_http, admin, issuer):
        first = (await issue(issuer, seed000_notice(["sz-kx"]))).json()["notice_id"]
        await eventually(lambda: count_at_least(node, 2, notice_id=first))
        sz = next(u for u in GD_UNITS if u.unit_id == "sz-kx").model_dump(mode="json")
        sz["contacts"] = [{"name": "新联络员", "email": "new@example.cn"}]
        assert (await admin.put("/api/units/sz-kx", json=sz)).status_code == 200
        second = (await issue(issuer, seed000_notice(["sz-kx"]))).json()["notice_id"]
        await eventually(lambda: count_at_least(node, 1, notice_id=second))

        # The first notice's event again (its snapshot has the old contacts): the newer contacts stay.
        nc = await nats.connect(node.servers.nats_url)
        try:
            js = nc.jetstream()
            stream = subjects.events_stream(node.node_id)
            subject = subjects.event("notice.issued", node.node_id)
            state = (await js.stream_info(stream)).state
            replayed = 0
            for seq in range(state.first_seq, state.last_seq + 1):
                msg = await js.get_msg(stream, seq)
                if msg.subject == subject and first.encode() in msg.data:
                    await js.publish(msg.subject, msg.data)
                    replayed += 1
            assert replayed == 1
        finally:
            await nc.close()
        await quiet(node)
        now = datetime.now(UTC)
        reminder = DeadlineApproaching(
            occurred_at=now,
            origin_node=node.node_id,
            notice_id=second,
            ask_id="summary",
            deadline=now + timedelta(days=1),
            pending_unit_ids=["sz-kx"],
        )
        await publish(node, reminder)
        [row] = await eventually(lambda: count_at_least(node, 1, cause_event_id=reminder.event_id))
        assert (row["contact_name"], row["address"]) == ("新联络员", "new@example.cn")
        assert "将于" in row["body"] and row["subject"].startswith("【报送提醒】")
