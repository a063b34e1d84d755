"""Sending for real: e-mail to an SMTP server, SMS to an HTTP gateway, chat to a webhook, all on loopback.

The servers here are real ones (aiosmtpd speaks SMTP; the gateway is an HTTP
server) that record what they were given and can be told to refuse or to be
away, so each way a message can end is shown: sent, refused for good, not
sent for want of a server, retried until the server is back, given up.
"""

import contextlib
import json
import threading
from collections.abc import Set
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nats
from aiosmtpd.controller import Controller

from cascade.processes import free_port
from services.notifications.sending import OutgoingMessage, SendJob
from shared import subjects

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, eventually, gateway, issue, running

TOKEN = "sms-gateway-token"


class Mailbox:
    """An aiosmtpd handler: keeps every message; refuses the recipients in ``refuse`` with 550."""

    def __init__(self, refuse: Set[str] = frozenset()):
        self.messages: list = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


@contextlib.contextmanager
def smtp_server(port: int, mailbox: Mailbox):
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


class Endpoint:
    """An HTTP server on loopback that records JSON posts and answers with ``status`` and ``answer``."""

    def __init__(self, status: int = 200, answer: dict | None = None):
        self.requests: list[dict] = []
        self.status, self.answer = status, answer or {"errcode": 0, "errmsg": "ok"}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
                data = json.dumps(endpoint.answer).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.asynccontextmanager
async def node_sending(node, *, smtp_port: int, sms: Endpoint | None = None, **settings):
    """Node gd with the seed directory; notifications sending to the given servers. Yields (admin, issuer)."""
    overrides = {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "sms_gateway_url": f"{sms.url}/send" if sms else None,
        "sms_gateway_token": TOKEN,
        **settings,
    }
    async with (
        running(node, ["notices", "notifications", "reports"], overrides={"notifications": overrides}),
        gateway(node, org_unit_id="gd-kx") as http,
    ):
        admin = await as_role(http, "gd-kx", "admin")
        for unit in GD_UNITS:
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))).status_code == 200
        yield admin, await as_role(http, "gd-kx", "issuer")


async def statuses(issuer, nid: str, until) -> dict[tuple[str, str], dict]:
    """(unit, channel) → delivery, once ``until(deliveries)`` holds."""

    async def check():
        rows = (await issuer.get(f"/api/notices/{nid}/deliveries")).json()["items"]
        return rows if rows and until(rows) else None

    return {(r["unit_id"], r["channel"]): r for r in await eventually(check, timeout=30)}


def settled(rows) -> bool:
    return all(r["status"] not in ("pending", "retrying") for r in rows)


async def test_emails_and_sms_reach_their_servers_once_with_the_admins_sender_and_signature(node):
    mailbox, sms = Mailbox(), Endpoint(answer={"code": 0, "msg": "queued"})
    with smtp_server(port := free_port(), mailbox):
        async with node_sending(node, smtp_port=port, sms=sms) as (admin, issuer):
            r = await admin.put(
                "/api/admin/channels",
                json={
                    "email": {
                        "enabled": True,
                        "sender": "kx@gdkx.example.cn",
                        "sender_name": "广东省科协组织联络部",
                        "reply_to": "zzllb@gdkx.example.cn",
                    },
                    "sms": {"enabled": True, "signature": "广东省科协"},
                    "chat": {"enabled": False},
                },
            )
            assert r.status_code == 200, r.text
            nid = (await issue(issuer, seed000_notice())).json()["notice_id"]

            rows = await statuses(issuer, nid, settled)
            # sz-kx has e-mail and mobile, sz-kjj a mobile, gd-jxxh e-mail; scut-kx has no contact.
            assert sorted(rows) == [("gd-jxxh", "email"), ("sz-kjj", "sms"), ("sz-kx", "email"), ("sz-kx", "sms")]
            assert {r["status"] for r in rows.values()} == {"sent"}
            assert all(r["error"] == "" and r["sent_at"] for r in rows.values())

            [mail] = mailbox.to("szkx@example.cn")
            assert mail["From"].addresses[0].display_name == "广东省科协组织联络部"
            assert mail["From"].addresses[0].addr_spec == "kx@gdkx.example.cn"
            assert mail["To"].addresses[0].display_name == "王敏"
            assert mail["Reply-To"] == "zzllb@gdkx.example.cn"
            assert mail["Subject"] == rows[("sz-kx", "email")]["subject"] and "关于转发" in mail["Subject"]
            assert mail.get_content().strip() == rows[("sz-kx", "email")]["body"].strip()
            assert len(mailbox.messages) == 2

            texts = {req["json"]["to"]: req for req in sms.requests}
            assert sorted(texts) == ["13800000001", "13800000002"]
            assert all(req["headers"]["Authorization"] == f"Bearer {TOKEN}" for req in sms.requests)
            assert texts["13800000002"]["json"]["text"].startswith("【广东省科协】深圳市科技创新局")
            assert texts["13800000002"]["json"]["id"] == rows[("sz-kjj", "sms")]["id"]
    sms.close()


async def test_refused_recipients_and_gateway_errors_fail_for_good_and_the_rest_is_sent(node):
    mailbox = Mailbox(refuse={"szkx@example.cn"})
    sms = Endpoint(status=400, answer={"code": 40001, "msg": "invalid mobile"})
    with smtp_server(port := free_port(), mailbox):
        async with node_sending(node, smtp_port=port, sms=sms) as (_admin, issuer):
            nid = (await issue(issuer, seed000_notice())).json()["notice_id"]
            rows = await statuses(issuer, nid, settled)
            assert rows[("sz-kx", "email")]["status"] == "failed"
            assert rows[("sz-kx", "email")]["error"].startswith("SMTP 550")
            assert rows[("gd-jxxh", "email")]["status"] == "sent"  # the same connection went on
            assert [m["To"].addresses[0].addr_spec for m in mailbox.messages] == ["jxxh@example.cn"]
            for unit in ("sz-kx", "sz-kjj"):
                assert rows[(unit, "sms")]["status"] == "failed"
                assert (
                    rows[(unit, "sms")]["error"].startswith("HTTP 400")
                    and "invalid mobile" in rows[(unit, "sms")]["error"]
                )
    sms.close()


async def test_a_mail_server_that_is_away_is_tried_again_until_it_is_back_and_nothing_goes_twice(node):
    mailbox, port = Mailbox(), free_port()  # nothing listens on the port yet
    async with node_sending(node, smtp_port=port) as (_admin, issuer):
        nid = (await issue(issuer, seed000_notice())).json()["notice_id"]

        def emails_wait(rows):
            return all(r["status"] == "retrying" for r in rows if r["channel"] == "email")

        rows = await statuses(issuer, nid, emails_wait)
        assert (
            "Connection refused" in rows[("sz-kx", "email")]["error"]
            or "ConnectionRefused" in rows[("sz-kx", "email")]["error"]
        )
        # SMS has no gateway on this node: not sent, and said so.
        assert (
            rows[("sz-kjj", "sms")]["status"] == "skipped"
            and "CASCADE_SMS_GATEWAY_URL" in rows[("sz-kjj", "sms")]["error"]
        )

        with smtp_server(port, mailbox):
            rows = await statuses(issuer, nid, settled)
            assert rows[("sz-kx", "email")]["status"] == rows[("gd-jxxh", "email")]["status"] == "sent"
            assert rows[("sz-kx", "email")]["attempts"] >= 2
            assert sorted(m["To"].addresses[0].addr_spec for m in mailbox.messages) == [
                "jxxh@example.cn",
                "szkx@example.cn",
            ]

            # The same job met again (a copy after JetStream's duplicate window): nothing is sent twice.
            await _queue_again(node, _job_from_log(list(rows.values()), rows[("sz-kx", "email")]["job_id"]))
            await eventually(lambda: _work_done(node))
            assert len(mailbox.messages) == 2


def _job_from_log(rows: list[dict], job_id: str) -> SendJob:
    mine = [r for r in rows if r.get("job_id") == job_id]
    return SendJob(
        job_id=job_id,
        cause_event_id=mine[0]["cause_event_id"],
        due_at=mine[0]["created_at"],
        messages=[
            OutgoingMessage(
                delivery_id=r["id"],
                channel=r["channel"],
                address=r["address"],
                contact_name=r["contact_name"],
                subject=r["subject"],
                body=r["body"],
                sender=r.get("sender"),
            )
            for r in mine
        ],
    )


async def _work_done(node) -> bool:
    """The sending consumer has taken and acked everything queued (the work queue is empty)."""
    nc = await nats.connect(node.servers.nats_url)
    try:
        info = await nc.jetstream().stream_info(subjects.work_stream(node.node_id))
        return info.state.messages == 0
    finally:
        await nc.close()


async def _queue_again(node, job: SendJob) -> None:
    nc = await nats.connect(node.servers.nats_url)
    try:
        await nc.jetstream().publish(
            subjects.work(node.node_id, "notifications", "send"),
            job.model_dump_json().encode(),
            stream=subjects.work_stream(node.node_id),
            headers={"Nats-Msg-Id": job.job_id + ":again"},
        )
    finally:
        await nc.close()


async def test_a_message_that_cannot_be_sent_in_time_is_failed_with_the_last_error(node):
    # Nothing listens on the mail port and the node gives up after a fraction of a second.
    async with node_sending(node, smtp_port=free_port(), send_give_up_hours=0.0005) as (_admin, issuer):
        nid = (await issue(issuer, seed000_notice())).json()["notice_id"]
        rows = await statuses(issuer, nid, settled)
        email = rows[("sz-kx", "email")]
        assert email["status"] == "failed" and "小时内未能发送" in email["error"] and email["attempts"] >= 2


async def test_chat_messages_post_to_the_webhook_in_its_format_and_its_error_codes_count(node):
    hook = Endpoint()
    async with node_sending(node, smtp_port=free_port()) as (admin, issuer):
        r = await admin.put(
            "/api/admin/channels",
            json={
                "email": {"enabled": False},
                "sms": {"enabled": False},
                "chat": {"enabled": True, "webhook_url": f"{hook.url}/robot/send?access_token=abc"},
            },
        )
        assert r.status_code == 200, r.text
        nid = (await issue(issuer, seed000_notice())).json()["notice_id"]
        rows = await statuses(issuer, nid, settled)
        assert list(rows) == [("group", "chat")] and rows[("group", "chat")]["status"] == "sent"  # one for all
        [posted] = hook.requests
        assert posted["path"] == "/robot/send?access_token=abc" and posted["json"]["msgtype"] == "text"
        text = posted["json"]["text"]["content"]
        assert (
            text.startswith(rows[("group", "chat")]["subject"]) and "广东省机械工程学会、华南理工大学科协收到" in text
        )

        # The webhook's key (its query) is not shown to issuers.
        assert rows[("group", "chat")]["address"] == f"{hook.url}/robot/send"

        # The webhook says no (钉钉: a keyword the robot requires is missing): failed, with its words.
        hook.answer = {"errcode": 310000, "errmsg": "keywords <b>not</b> in content"}
        nid2 = (await issue(issuer, seed000_notice(["sz-kx", "sz-kjj"]))).json()["notice_id"]
        rows = await statuses(issuer, nid2, settled)
        assert rows[("group", "chat")]["status"] == "failed"
        assert rows[("group", "chat")]["error"] == "310000 keywords <b>not</b> in content"

        # The issuer's notice page: counts per cause and channel, and what did not go, escaped.
        summary = (await issuer.get(f"/api/notices/{nid2}/deliveries/summary")).json()
        assert (summary["total"], summary["sent"]) == (1, 0)
        assert [(r["cause"], r["channel"], r["failed"]) for r in summary["rows"]] == [("notice.issued", "chat", 1)]
        page = (await issuer.get(f"/notices/{nid2}", headers={"Accept": "text/html"})).text
        assert 'id="sending"' in page and "已发送 0 / 1" in page and "深圳市科学技术协会、深圳市科技创新局" in page
        assert "keywords &lt;b&gt;not&lt;/b&gt; in content" in page and "<b>not</b>" not in page
        assert "access_token" not in page
    hook.close()


async def test_the_admin_sees_where_each_channel_sends_and_what_is_not_configured(node):
    async with node_sending(node, smtp_port=2525, smtp_password="s3cret-pw", smtp_username="cascade") as (admin, _):
        channels = (await admin.get("/api/admin/channels")).json()
        assert channels["email"]["server"] == "127.0.0.1:2525（none）"
        assert channels["sms"]["server"] is None
        page = (await admin.get("/admin/channels", headers={"Accept": "text/html"})).text
        assert "邮件服务器：127.0.0.1:2525（none）" in page
        assert "未配置（CASCADE_SMS_GATEWAY_URL），短信不会发出" in page
        assert "s3cret-pw" not in page and "s3cret-pw" not in str(channels)
