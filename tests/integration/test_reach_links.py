"""One-tap 签收 through a personal link (issue 15), on real servers: nats-server, FerretDB, an SMTP server
(aiosmtpd) and an SMS gateway (an HTTP endpoint on loopback).

A county 科协's contact gets an e-mail and an SMS, each with a link of their own; opening one (no login) shows the
notice on a phone-sized page and marks the delivery 已读 on the issuer's sending panel; tapping 签收 signs for the
unit naming the contact, in the issuer's 签收 table and the audit log. A revoked link is 410; a link opens its own
notice only and signs nothing else.
"""

import re
from urllib.parse import urlsplit

import httpx

from cascade.processes import free_port
from shared.contracts.notices import UpsertUnit
from shared.schemas import Contact, UnitKind

from ..fixtures import GD_UNITS, future
from ..harness import GATEWAY_BASE, api_token, as_role, create_user, eventually, gateway, login, running
from ..local_servers import Endpoint, Mailbox, smtp_server

HTML = {"Accept": "text/html"}
PUBLIC_URL = "https://cascade.gdkx.example.cn"
LINK = re.compile(re.escape(PUBLIC_URL) + r"/r/([A-Za-z0-9_-]{22})")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

# A county 科协 below 深圳市科协, its contact with an e-mail address and a mobile number.
NANSHAN = UpsertUnit(
    unit_id="sz-ns-kx",
    name="深圳市南山区科学技术协会",
    kind=UnitKind.kexie,
    parent_id="sz-kx",
    contacts=[Contact(name="赵磊", mobile="13800000009", email="nskx@example.cn")],
)


def notice(title: str, recipients: list[str], attachments: list[dict] | None = None) -> dict:
    return {
        "title": title,
        "issuer_unit_ids": ["gd-kx"],
        "recipient_unit_ids": recipients,
        "body": "请各单位认真总结活动开展情况，按时报送。",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结",
                "deadline": future(30),
                "routes": [{"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"}],
            }
        ],
        "attachments": attachments or [],
    }


def browser(http: httpx.AsyncClient) -> httpx.AsyncClient:
    """A phone's browser: no session, no token, the same in-process gateway."""
    return httpx.AsyncClient(transport=http._transport, base_url=GATEWAY_BASE)


def path_of(url: str) -> str:
    return urlsplit(url).path


async def test_a_county_contact_signs_from_the_link_in_an_sms_and_the_issuer_sees_who(node):
    mailbox, sms = Mailbox(), Endpoint(answer={"code": 0, "msg": "queued"})
    port = free_port()
    overrides = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "sms_gateway_url": f"{sms.url}/send",
    }
    with smtp_server(port, mailbox):
        async with (
            running(node, ["notices", "notifications", "reports"], overrides={"notifications": overrides}),
            gateway(node, org_unit_id="gd-kx") as http,
            browser(http) as phone,
        ):
            admin = await as_role(http, "gd-kx", "admin")
            for unit in [*GD_UNITS, NANSHAN]:
                r = await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json"))
                assert r.status_code == 200, r.text
            r = await admin.put(
                "/api/admin/channels",
                json={
                    "email": {"enabled": True, "sender": "kx@gdkx.example.cn"},
                    "sms": {"enabled": True, "signature": "广东省科协"},
                    "chat": {"enabled": False},
                    "public_url": PUBLIC_URL,
                },
            )
            assert r.status_code == 200, r.text
            issuer = await as_role(http, "gd-kx", "issuer")
            plan = (
                await issuer.post("/api/attachments", files={"file": ("实施方案.pdf", PDF, "application/pdf")})
            ).json()
            r = await issuer.post(
                "/api/notices", json=notice("关于开展科技工作者日活动的通知", ["sz-ns-kx", "sz-kx"], [plan])
            )
            assert r.status_code == 201, r.text
            nid = r.json()["notice_id"]
            r = await issuer.post("/api/notices", json=notice("关于报送年度工作总结的通知", ["sz-ns-kx"]))
            other = r.json()["notice_id"]

            # ---- the contact's e-mail and SMS each carry a link of their own; the SMS asks for no login
            async def arrived():
                texts = [p.json["text"] for p in sms.requests if p.json["to"] == "13800000009"]
                mails = mailbox.to("nskx@example.cn")
                return (texts, mails) if len(texts) == 2 and len(mails) == 2 else None

            texts, mails = await eventually(arrived, timeout=30)
            [text] = [t for t in texts if "科技工作者日" in t]
            [mail] = [m for m in mails if "科技工作者日" in m["Subject"]]
            sms_token = LINK.search(text).group(1)  # type: ignore[union-attr]
            mail_token = LINK.search(mail.get_content()).group(1)  # type: ignore[union-attr]
            assert sms_token != mail_token
            # one way to 签收, with no login; the defaults never also ask them to log in for it
            assert text.startswith("【广东省科协】深圳市南山区科学技术协会收到") and "登录系统" not in text
            assert text.endswith(f"点击链接查看并签收（无需登录）：{PUBLIC_URL}/r/{sms_token}")
            content = mail.get_content()
            assert f"即可查看并签收（手机上也能打开，无需登录）：\n{PUBLIC_URL}/r/{mail_token}" in content
            assert "登录系统签收" not in content and "报送材料请登录系统办理" in content
            [other_text] = [t for t in texts if "年度工作总结" in t]
            other_token = LINK.search(other_text).group(1)  # type: ignore[union-attr]

            # ---- opened on a phone, no login: the notice in short, one button
            page = await phone.get(f"/r/{sms_token}", headers=HTML)
            assert page.status_code == 200, page.text
            html = page.text
            assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
            assert 'id="link-page"' in html and "关于开展科技工作者日活动的通知" in html
            assert "深圳市南山区科学技术协会 · 赵磊" in html and "广东省科学技术协会" in html
            assert 'id="deadlines"' in html and "活动总结" in html
            assert f'href="/r/{sms_token}/attachments/{plan["attachment_id"]}"' in html
            assert html.count('id="sign"') == 1 and 'id="me-name"' not in html
            got = await phone.get(f"/r/{sms_token}/attachments/{plan['attachment_id']}")
            assert got.status_code == 200 and got.content == PDF

            # ---- opening it is 已读 on the issuer's sending panel, and in the delivery log
            async def read_once():
                s = (await issuer.get(f"/api/notices/{nid}/deliveries/summary")).json()
                return s if s.get("read") == 1 else None

            summary = await eventually(read_once)
            assert [(r["channel"], r.get("read")) for r in summary["rows"] if r.get("read")] == [("sms", 1)]
            panel = (await issuer.get(f"/notices/{nid}", headers=HTML)).text
            assert '<small id="read-count">已读 1</small>' in panel
            log = (await issuer.get(f"/api/notices/{nid}/deliveries", params={"unit_id": "sz-ns-kx"})).json()["items"]
            assert {r["channel"]: bool(r.get("read_at")) for r in log} == {"sms": True, "email": False}
            # …and the log the issuer reads never shows a token
            assert all(sms_token not in r["body"] and mail_token not in r["body"] for r in log)

            # ---- 签收 with one tap
            signed = await phone.post(f"/r/{sms_token}/sign", data={"notice_id": nid})
            assert signed.status_code == 303 and signed.headers["location"] == f"/r/{sms_token}?signed=1"
            after = (await phone.get(signed.headers["location"], headers=HTML)).text
            assert 'id="signed"' in after and "签收成功" in after and "赵磊" in after and 'id="sign"' not in after
            # tapped again (a second tap, the page reloaded): still signed, nothing new
            assert (await phone.post(f"/r/{sms_token}/sign", data={"notice_id": nid})).status_code == 303

            # ---- the issuer's 签收 table: 已签收, by that contact
            table = (await issuer.get(f"/notices/{nid}", headers=HTML)).text
            row = re.search(r'<tr class="done" data-unit="sz-ns-kx">(.*?)</tr>', table, re.S)
            assert row, "the county's row is not 已签收"
            assert "已签收" in row.group(1) and "赵磊（短信链接）" in row.group(1)
            tracking = (await issuer.get(f"/api/notices/{nid}/tracking")).json()
            [mine] = [u for u in tracking["page"]["items"] if u["unit_id"] == "sz-ns-kx"]
            assert mine["acknowledged_at"] and mine["acknowledged_by"] == "赵磊（短信链接）"
            [city] = [u for u in tracking["page"]["items"] if u["unit_id"] == "sz-kx"]
            assert not city["acknowledged_at"]

            # ---- the audit log names the contact, through a link
            entries = await http.app.state.audit.query(action="notices.acknowledge")  # type: ignore[attr-defined]
            [entry] = [e for e in entries if e["target"] == nid]
            assert entry["display_name"] == "赵磊（短信链接）" and entry["unit_id"] == "sz-ns-kx"
            assert entry["via"] == "link" and entry["roles"] == []
            assert entry["details"]["unit_id"] == "sz-ns-kx"

            # ---- the e-mail's link shows the unit signed
            by_mail = (await phone.get(f"/r/{mail_token}", headers=HTML)).text
            assert 'id="signed"' in by_mail and "已签收" in by_mail and 'id="sign"' not in by_mail

            # ---- a link is for its own notice, its unit and 签收 only
            wrong = await phone.post(f"/r/{sms_token}/sign", data={"notice_id": other})
            assert wrong.status_code == 403 and "只能签收它所属的通知" in wrong.text
            assert not await _signed(issuer, other, "sz-ns-kx")
            foreign = await phone.get(f"/r/{other_token}/attachments/{plan['attachment_id']}")
            assert foreign.status_code in (403, 404)
            for method, path in [
                ("GET", f"/api/notices/{nid}"),
                ("GET", "/api/inbox"),
                ("POST", f"/api/inbox/{other}/acknowledge"),
                ("POST", f"/api/units/sz-ns-kx/inbox/{other}/acknowledge"),
            ]:
                r = await phone.request(method, path, headers={"Authorization": f"Bearer {sms_token}"})
                assert r.status_code == 401, (method, path, r.status_code)
            assert (await phone.get("/inbox", headers=HTML)).status_code in (303, 401)  # the link made no session
            assert not phone.cookies.get("cascade_session")
            assert not await _signed(issuer, other, "sz-ns-kx")
            # a token edited by one character is no link at all
            edited = sms_token[:-1] + ("A" if sms_token[-1] != "A" else "B")
            assert (await phone.get(f"/r/{edited}", headers=HTML)).status_code == 404

            # ---- revoked by the admin (the admin menu leads to the page): 410, and nothing more through it
            await create_user(http, "gd-admin", "gd-kx", "admin")
            person = await login(http, "gd-admin")
            menu = (await person.get("/admin/channels", headers=HTML)).text
            assert '<a href="/admin/links" id="nav-links">签收链接</a>' in menu
            form = {"link": f"{PUBLIC_URL}/r/{mail_token}", "csrf_token": person.csrf}  # type: ignore[attr-defined]
            r = await person.post("/admin/links", data=form, headers=HTML)
            assert r.status_code == 200 and 'id="revoked"' in r.text and "已撤销 1 个链接（赵磊" in r.text, r.text
            gone = await phone.get(f"/r/{mail_token}", headers=HTML)
            assert gone.status_code == 410 and "已被管理员撤销" in gone.text
            assert (await phone.post(f"/r/{mail_token}/sign", data={"notice_id": nid})).status_code == 410
            got = await phone.get(f"/r/{mail_token}/attachments/{plan['attachment_id']}")
            assert got.status_code == 410
            # the SMS's link was not revoked with it (each message has its own) …
            assert (await phone.get(f"/r/{sms_token}", headers=HTML)).status_code == 200
            # … unless the admin revokes all of the contact's links for that notice
            r = await admin.post("/api/admin/links/revoke", json={"link": sms_token, "contact": True})
            assert r.status_code == 200 and r.json()["revoked"] == 1, r.text
            assert (await phone.get(f"/r/{sms_token}", headers=HTML)).status_code == 410
            assert (await phone.get(f"/r/{other_token}", headers=HTML)).status_code == 200  # another notice's
    sms.close()


async def _signed(issuer: httpx.AsyncClient, notice_id: str, unit_id: str) -> bool:
    tracking = (await issuer.get(f"/api/notices/{notice_id}/tracking")).json()
    return any(u["unit_id"] == unit_id and u["acknowledged_at"] for u in tracking["page"]["items"])


async def test_a_link_token_is_not_an_api_token_and_an_api_token_is_not_a_link(node):
    async with running(node, ["notices", "notifications"]), gateway(node) as http, browser(http) as phone:
        token = await api_token(http, "gd-kx", "issuer")
        # an API token in a link's place is not of a link's shape: 链接无效, nothing asked of the services
        r = await phone.get(f"/r/{token}", headers=HTML)
        assert r.status_code == 404 and "链接无效" in r.text
        r = await phone.get("/r/AAAAAAAAAAAAAAAAAAAAAA", headers=HTML)
        assert r.status_code == 404 and "链接无效" in r.text
