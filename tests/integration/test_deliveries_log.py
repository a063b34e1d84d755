"""The delivery log of a notice, a page at a time (API and page), its counts, and sending with two replicas.

A notice to 32 units: 31 e-mails go to a real SMTP server on loopback (one
address is refused), 32 SMS have no gateway on this node and are not sent.
"""

import contextlib
import re
from datetime import UTC, datetime

from pymongo import AsyncMongoClient

from cascade.processes import free_port
from services.notifications import domain
from shared.contracts.common import NoticeQuery
from shared.contracts.notices import UpsertUnit
from shared.contracts.notifications import DeliveriesQuery
from shared.schemas import Contact, UnitKind, UnitRef

from ..fixtures import GD_UNITS, seed000_notice
from ..harness import as_role, create_service_app, create_user, eventually, gateway, issue, login, running
from .test_sending import Mailbox, smtp_server

HTML = {"Accept": "text/html"}
EXTRA = [
    UpsertUnit(
        unit_id=f"gd-xh{i:02}",
        name=f"广东省测试学会{i:02}",
        kind=UnitKind.society,
        parent_id="gd-kx",
        contacts=[Contact(name=f"联系人{i:02}", email=f"xh{i:02}@example.cn", mobile=f"1390000{i:04}")],
    )
    for i in range(30)
]
RECIPIENTS = [u.unit_id for u in EXTRA] + ["sz-kx", "sz-kjj"]  # sz-kx: e-mail and mobile; sz-kjj: mobile
REFUSED = "xh03@example.cn"
TOTAL, EMAILS, SMS = 63, 31, 32


@contextlib.asynccontextmanager
async def issuing_node(node, port: int, replicas: int = 1, batch: int = 50):
    """Node gd with the extra units; ``replicas`` notifications services sending to the SMTP server on ``port``.
    Yields (http, admin, issuer)."""
    settings = node.settings(
        "notifications", smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", send_batch_size=batch
    )
    apps = [create_service_app("notifications", settings) for _ in range(replicas)]
    async with running(node, ["notices", "reports"]), gateway(node, org_unit_id="gd-kx") as http:
        started = []
        try:
            for app in apps:
                await app.start()
                started.append(app)
            admin = await as_role(http, "gd-kx", "admin")
            for unit in [*GD_UNITS, *EXTRA]:
                r = await admin.put(f"/api/units/{unit.unit_id}", json=unit.model_dump(mode="json", exclude={"actor"}))
                assert r.status_code == 200, r.text
            yield http, admin, await as_role(http, "gd-kx", "issuer")
        finally:
            for app in reversed(started):
                await app.stop()


async def settled_summary(issuer, nid: str, total: int = TOTAL) -> dict:
    async def check():
        s = (await issuer.get(f"/api/notices/{nid}/deliveries/summary")).json()
        open_ = sum(r["pending"] + r["retrying"] for r in s.get("rows", []))
        return s if s.get("total") == total and not open_ else None

    return await eventually(check, timeout=60)


def detail(r) -> tuple[list, str]:
    d = r.json()["detail"][0]
    return d["loc"], d["msg"]


async def test_the_delivery_log_is_read_a_page_at_a_time_with_its_filters(node):
    mailbox = Mailbox(refuse={REFUSED})
    with smtp_server(port := free_port(), mailbox):
        async with issuing_node(node, port) as (http, _admin, issuer):
            nid = (await issue(issuer, seed000_notice(RECIPIENTS))).json()["notice_id"]
            summary = await settled_summary(issuer, nid)

            # The counts the notice page shows, kept as the sending went.
            assert (summary["total"], summary["sent"], summary["problems_total"]) == (TOTAL, EMAILS - 1, 1)
            assert [(r["cause"], r["channel"], r["sent"], r["failed"], r["skipped"]) for r in summary["rows"]] == [
                ("notice.issued", "email", EMAILS - 1, 1, 0),
                ("notice.issued", "sms", 0, 0, SMS),
            ]
            [problem] = summary["problems"]
            assert problem["address"] == REFUSED and problem["status"] == "failed"
            [skipped] = summary["skipped"]
            assert skipped["count"] == SMS and "CASCADE_SMS_GATEWAY_URL" in skipped["reason"]

            url = f"/api/notices/{nid}/deliveries"
            # Default: 50 a page, counted (one notice bounds the log), in the order the messages were made.
            first = (await issuer.get(url)).json()
            assert (len(first["items"]), first["page"], first["per_page"], first["has_more"], first["total"]) == (
                50,
                1,
                50,
                True,
                TOTAL,
            )
            second = (await issuer.get(url, params={"page": 2})).json()
            assert (len(second["items"]), second["page"], second["has_more"], second["total"]) == (13, 2, False, TOTAL)
            ids = [d["id"] for d in first["items"] + second["items"]]
            assert ids == sorted(ids) and len(set(ids)) == TOTAL
            assert (await issuer.get(url, params={"page": 3})).json()["items"] == []
            small = (await issuer.get(url, params={"page": 7, "per_page": 10})).json()
            assert [d["id"] for d in small["items"]] == ids[60:] and not small["has_more"]

            # Filters: what a clerk narrows the log to; they combine, and the total counts what they leave.
            async def page(**params) -> dict:
                r = await issuer.get(url, params=params)
                assert r.status_code == 200, r.text
                return r.json()

            sms = await page(channel="sms")
            assert sms["total"] == SMS and {d["channel"] for d in sms["items"]} == {"sms"}
            assert {d["status"] for d in sms["items"]} == {"skipped"}
            [failed] = (await page(status="failed"))["items"]
            assert failed["address"] == REFUSED and failed["error"].startswith("SMTP 550")
            assert failed["status_label"] == "发送失败" and failed["channel_label"] == "电子邮件"
            sent = await page(status="sent", channel="email", per_page=20)
            assert (sent["total"], len(sent["items"]), sent["has_more"]) == (EMAILS - 1, 20, True)
            assert all(d["sent_at"] and d["attempts"] == 1 for d in sent["items"])
            assert {(d["unit_id"], d["channel"]) for d in (await page(unit_id="sz-kx"))["items"]} == {
                ("sz-kx", "email"),
                ("sz-kx", "sms"),
            }
            assert (await page(cause="notice.issued"))["total"] == TOTAL
            assert (await page(cause="notice.withdrawn")) | {"items": []} == {
                "items": [],
                "page": 1,
                "per_page": 50,
                "has_more": False,
                "total": 0,
            }

            # Bad values are a 422 naming the field, in Chinese.
            for params, field, words in (
                ({"per_page": 0}, "per_page", "每页条数"),
                ({"per_page": 201}, "per_page", "每页条数"),
                ({"page": "abc"}, "page", "页码"),
                ({"page": 0}, "page", "页码"),
                ({"channel": "fax"}, "channel", "渠道无效"),
                ({"status": "lost"}, "status", "状态无效"),
                ({"cause": "x"}, "cause", "事由无效"),
            ):
                r = await issuer.get(url, params=params)
                assert r.status_code == 422, (params, r.text)
                loc, msg = detail(r)
                assert loc == ["body", field] and words in msg, (params, r.text)

            # The page: the same log with its filters and links between pages that keep them.
            await create_user(http, "fawen", "gd-kx", "issuer")
            browser = await login(http, "fawen")
            notice_page = (await browser.get(f"/notices/{nid}", headers=HTML)).text
            assert f'href="/notices/{nid}/deliveries"' in notice_page and 'id="deliveries-link"' in notice_page
            r = await browser.get(f"/notices/{nid}/deliveries", params={"channel": "email", "per_page": 20})
            assert r.status_code == 200 and 'id="deliveries"' in r.text
            assert r.text.count("data-id=") == 20 and 'data-channel="sms"' not in r.text
            assert "已发送 30 / 63" in r.text and "32 条未发送" in r.text
            next_link = re.search(r'href="([^"]*)" rel="next"', r.text).group(1).replace("&amp;", "&")
            assert next_link.startswith(f"/notices/{nid}/deliveries?") and "channel=email" in next_link
            assert "per_page=20" in next_link and "page=2" in next_link
            assert 'rel="prev"' not in r.text
            last = await browser.get(next_link)
            assert last.text.count("data-id=") == 11 and 'rel="next"' not in last.text
            assert 'rel="prev"' in last.text and 'rel="first"' in last.text and "第 2 页，共 2 页（31 条）" in last.text
            failed_page = (await browser.get(f"/notices/{nid}/deliveries?status=failed")).text
            assert failed_page.count("data-id=") == 1 and "SMTP 550" in failed_page and 'rel="next"' not in failed_page
            assert "没有符合条件的发送记录" in (await browser.get(f"/notices/{nid}/deliveries?status=retrying")).text
            bad = await browser.get(f"/notices/{nid}/deliveries?page=x", headers=HTML)
            assert bad.status_code == 422 and "页码须为" in bad.text and "字段：page" in bad.text
            bad = await browser.get(f"/notices/{nid}/deliveries?per_page=500", headers=HTML)
            assert bad.status_code == 422 and "每页条数须为" in bad.text

            # Only the issuing unit's issuers and reviewers read it.
            for client in (await as_role(http, "sz-kx", "submitter"), await as_role(http, "sz-kx", "issuer")):
                assert (await client.get(url)).status_code == 403
                assert (await client.get(f"/notices/{nid}/deliveries", headers=HTML)).status_code == 403


async def test_two_replicas_send_every_message_once_and_keep_the_counts_right(node):
    mailbox = Mailbox()
    with smtp_server(port := free_port(), mailbox):
        # Jobs of 3 messages: two processes take them side by side, recounting the same counts all along.
        async with issuing_node(node, port, replicas=2, batch=3) as (_http, _admin, issuer):
            nid = (await issue(issuer, seed000_notice(RECIPIENTS))).json()["notice_id"]
            summary = await settled_summary(issuer, nid)
            assert (summary["total"], summary["sent"], summary["problems_total"]) == (TOTAL, EMAILS, 0)
            addresses = sorted(m["To"].addresses[0].addr_spec for m in mailbox.messages)
            assert len(addresses) == EMAILS and len(set(addresses)) == EMAILS
            # The counts documents themselves (what a view reads once sending is settled) agree with the log.
            client = AsyncMongoClient(node.servers.mongo_url)
            try:
                db = client[f"{node.node_id}_notifications"]
                counts = {d["channel"]: d["counts"] async for d in db["delivery_counts"].find({"notice_id": nid})}
            finally:
                await client.close()
            assert counts["email"]["sent"] == EMAILS and counts["email"]["pending"] == 0
            assert counts["sms"]["skipped"] == SMS


async def test_deliveries_of_an_older_version_get_their_status_and_counts_at_start(node):
    """Before, where a delivery stood was kept beside it (outcomes, send_retries); a node upgraded in place."""
    now = datetime.now(UTC)
    refs = [
        UnitRef(unit_id=u.unit_id, name=u.name, kind=u.kind, node_id=node.node_id, contacts=u.contacts)
        for u in GD_UNITS
        if u.unit_id in ("sz-kx", "sz-kjj", "gd-jxxh")
    ]
    docs = domain.notice_deliveries("ev1", "n-old", "旧通知", refs, "notice.issued", now)
    for d in docs:
        d.pop("status")
        d["job_id"] = "ev1:send:0"
    by = {(d["unit_id"], d["channel"]): d for d in docs}
    sz_email, sz_sms, kjj_sms, jxxh_email = (
        by[k] for k in (("sz-kx", "email"), ("sz-kx", "sms"), ("sz-kjj", "sms"), ("gd-jxxh", "email"))
    )
    client = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    try:
        db = client[f"{node.node_id}_notifications"]
        await db["deliveries"].insert_many(docs)
        await db["outcomes"].insert_many(
            [
                {"_id": sz_email["_id"], "status": "sent", "error": "", "at": now, "attempts": 1},
                {"_id": sz_sms["_id"], "status": "failed", "error": "HTTP 400", "at": now, "attempts": 2},
            ]
        )
        await db["send_retries"].insert_one({"_id": "ev1:send:0", "attempts": 3, "error": "away", "at": now})
        async with running(node, ["notifications"]), gateway(node) as http:
            b = http.app.state.backend
            summary = await b.notifications.deliveries_summary(NoticeQuery(notice_id="n-old"))
            assert (summary.total, summary.sent, summary.problems_total) == (4, 1, 3)
            stored = {d["_id"]: d async for d in db["deliveries"].find({"notice_id": "n-old"})}
            assert stored[sz_email["_id"]]["status"] == "sent" and stored[sz_sms["_id"]]["status"] == "failed"
            assert {stored[d["_id"]]["status"] for d in (kjj_sms, jxxh_email)} == {"retrying"}
            assert stored[kjj_sms["_id"]]["attempts"] == 3
            page = await b.notifications.deliveries(DeliveriesQuery(notice_id="n-old", status="retrying"))
            assert page.total == 2
            assert await db["delivery_counts"].count_documents({"notice_id": "n-old"}) == 2
    finally:
        await client.close()
