"""Lists read a page at a time (收文, 发文, 报送, 审核, the directory, 签收), and two replicas of the services on
one store lose nothing under concurrent commands (issue: the store that stays correct as history grows)."""

import asyncio
import contextlib
from typing import Any

from pymongo import AsyncMongoClient

from shared.schemas import UnitKind

from ..fixtures import _unit, load_directory, summary_form
from ..harness import as_role, eventually, gateway, running

CITY = "zj-kx"
UNITS = 36  # more than a page of 25, fewer than a test should wait for


def city_directory() -> list:
    """A city 科协 with its societies, universities and enterprises (ids spread: the order of names differs)."""
    kinds = [UnitKind.society, UnitKind.university, UnitKind.enterprise, UnitKind.kexie]
    return [
        _unit(CITY, "湛江市科学技术协会", UnitKind.kexie, departments=["学会部", "组织宣传部"]),
        *[_unit(f"zj-u{i:02d}", f"湛江第{(i * 7) % UNITS:02d}单位", kinds[i % 4], CITY) for i in range(UNITS)],
    ]


def notice(title: str, recipients: list[str], ask: bool = True) -> dict:
    body: dict[str, Any] = {
        "title": title,
        "issuer_unit_ids": [CITY],
        "recipient_unit_ids": recipients,
        "body": "请各单位于月底前报送工作总结。",
    }
    if ask:
        body["asks"] = [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "工作总结",
                "deadline": "2099-06-30T23:59:59+08:00",
                "fields": summary_form(stamped=False),
                "routes": [{"unit_kind": k.value, "to_unit_id": CITY, "department": "学会部"} for k in UnitKind],
            }
        ]
    return body


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def all_pages(client, url: str, per_page: int, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        got = await ok(await client.get(url, params={**params, "page": page, "per_page": per_page}))
        rows += got["items"]
        if not got["has_more"]:
            return rows
        page += 1


@contextlib.asynccontextmanager
async def two_replicas(node):
    """notices and submissions twice (two apps sharing durables and queue groups), the rest once."""
    async with running(node), running(node, services=("notices", "submissions")):
        yield


async def test_two_replicas_lose_nothing_under_concurrent_commands(node):
    units = city_directory()
    recipients = [u.unit_id for u in units[1:]]
    async with two_replicas(node), gateway(node) as http:
        await load_directory(http, units, admin_unit=CITY)
        issuer = await as_role(http, CITY, "issuer", "reviewer")
        nid = (await ok(await issuer.post("/api/notices", json=notice("关于报送年度工作总结的通知", recipients)), 201))[
            "notice_id"
        ]
        clients = {u: await as_role(http, u, "submitter") for u in recipients}

        async def inbox_written():
            return all([(await ok(await c.get("/api/inbox")))["items"] for c in clients.values()])

        await eventually(inbox_written, timeout=60)

        async def owed(client):
            rows = (await ok(await client.get("/api/submissions")))["items"]
            return next((r for r in rows if r["notice_id"] == nid), None)

        await eventually(lambda: _all(owed(c) for c in clients.values()), timeout=60)

        # Every unit signs and submits at once: each command may land on either replica.
        acks = await at_most_8(c.post(f"/api/inbox/{nid}/acknowledge") for c in clients.values())
        assert [r.status_code for r in acks] == [200] * len(clients), [r.text for r in acks if r.status_code != 200]
        subs = await at_most_8(
            (
                c.post(f"/api/notices/{nid}/asks/summary/submission", json={"items": [{"summary": f"{u}的总结"}]})
                for u, c in clients.items()
            )
        )
        assert [r.status_code for r in subs] == [201] * len(clients), [r.text for r in subs if r.status_code != 201]

        # The issuer's 签收 count and table, and its review queue, hold every unit exactly once.
        async def all_signed():
            t = await ok(await issuer.get(f"/api/notices/{nid}/tracking", params={"per_page": 200}))
            return t if t["acknowledged"] == len(recipients) else None

        tracking = await eventually(all_signed, timeout=60)
        assert {r["unit_id"] for r in tracking["page"]["items"] if r["acknowledged_at"]} == set(recipients)
        listed = (await ok(await issuer.get("/api/notices")))["items"]
        assert [(n["id"], n["acknowledged"], n["recipients"]) for n in listed] == [
            (nid, len(recipients), len(recipients))
        ]

        async def all_to_review():
            queue = await all_pages(issuer, "/api/review", 50, status="submitted")
            return queue if len(queue) == len(recipients) else None

        queue = await eventually(all_to_review, timeout=60)
        decisions = await at_most_8(
            issuer.post(f"/api/submissions/{r['id']}/accept", json={"revision": r["revision"]}) for r in queue
        )
        assert [r.status_code for r in decisions] == [200] * len(queue), [r.text for r in decisions]
        # A second decision on the same revision is refused, whichever replica takes it.
        again = await issuer.post(f"/api/submissions/{queue[0]['id']}/accept", json={"revision": 1})
        assert again.status_code == 409

        async def accepted_everywhere():
            rows = await all_pages(issuer, "/api/review", 50)
            return rows if sorted(r["status"] for r in rows) == ["accepted"] * len(recipients) else None

        await eventually(accepted_everywhere, timeout=60)
        for client in clients.values():
            mine = await eventually(lambda client=client: owed(client))
            assert (mine["status"], mine["revision"]) in (("accepted", 1), ("submitted", 1))
        await eventually(lambda: _all(_accepted(c, nid) for c in clients.values()), timeout=60)

    # Nothing doubled in the store: one inbox entry and one receipt per unit.
    client = AsyncMongoClient(node.servers.mongo_url)
    try:
        db = client[f"{node.node_id}_notices"]
        assert await db["inbox"].count_documents({"notice_id": nid}) == len(recipients)
        assert await db["receipts"].count_documents({"notice_id": nid, "signed": True}) == len(recipients)
    finally:
        await client.close()


async def at_most_8(awaitables) -> list:
    """Run the requests as 8 clients would: eight in flight at a time."""
    gate = asyncio.Semaphore(8)

    async def one(aw):
        async with gate:
            return await aw

    return await asyncio.gather(*(one(aw) for aw in awaitables))


async def _all(awaitables) -> bool:
    return all(await asyncio.gather(*awaitables))


async def _accepted(client, nid) -> bool:
    rows = (await ok(await client.get("/api/submissions")))["items"]
    return any(r["notice_id"] == nid and r["status"] == "accepted" for r in rows)


async def test_inbox_outbox_and_review_come_a_page_at_a_time_pending_first(node):
    units = city_directory()
    recipients = [u.unit_id for u in units[1:]]
    reader = recipients[5]
    async with running(node), gateway(node) as http:
        await load_directory(http, units, admin_unit=CITY)
        issuer = await as_role(http, CITY, "issuer", "reviewer")
        me = await as_role(http, reader, "submitter")
        ids = []
        for i in range(7):
            ids.append(
                (await ok(await issuer.post("/api/notices", json=notice(f"第{i}号通知", recipients, ask=i < 4)), 201))[
                    "notice_id"
                ]
            )

        async def all_arrived():
            return len(await all_pages(me, "/api/inbox", 3)) == 7

        await eventually(all_arrived)
        # Sign two of them: the five unsigned come first, newest first, then the signed.
        for nid in (ids[6], ids[1]):
            await ok(await me.post(f"/api/inbox/{nid}/acknowledge"))
        first = await ok(await me.get("/api/inbox", params={"per_page": 3}))
        assert (first["page"], first["per_page"], first["has_more"], first["total"]) == (1, 3, True, None)
        rows = await all_pages(me, "/api/inbox", 3)
        assert [r["notice_id"] for r in rows] == [ids[5], ids[4], ids[3], ids[2], ids[0], ids[6], ids[1]]
        assert [r["signed"] for r in rows] == [False] * 5 + [True] * 2
        # A year narrows it; another year is empty.
        assert len((await ok(await me.get("/api/inbox", params={"year": rows[0]["issued_at"][:4]})))["items"]) == 7
        assert (await ok(await me.get("/api/inbox", params={"year": 2001})))["items"] == []

        # 发文: newest first, every page of the same size, has_more exact.
        sent = await all_pages(issuer, "/api/notices", 2)
        assert [n["id"] for n in sent] == ids[::-1]
        last = await ok(await issuer.get("/api/notices", params={"page": 4, "per_page": 2}))
        assert (len(last["items"]), last["has_more"]) == (1, False)
        beyond = await ok(await issuer.get("/api/notices", params={"page": 9, "per_page": 2}))
        assert (beyond["items"], beyond["has_more"]) == ([], False)

        # 审核: the submitted before the decided.
        subs = {}
        for nid in ids[:3]:

            async def owed(nid=nid):
                rows = await all_pages(me, "/api/submissions", 50)
                return next((r for r in rows if r["notice_id"] == nid), None)

            await eventually(owed)
            subs[nid] = await ok(
                await me.post(f"/api/notices/{nid}/asks/summary/submission", json={"items": [{"summary": "总结"}]}), 201
            )
        await ok(await issuer.post(f"/api/submissions/{subs[ids[1]]['id']}/accept", json={"revision": 1}))
        queue = await all_pages(issuer, "/api/review", 2)
        assert [r["status"] for r in queue] == ["submitted", "submitted", "accepted"]
        assert {r["notice_id"] for r in queue[:2]} == {ids[0], ids[2]}
        assert [r["id"] for r in await all_pages(issuer, "/api/review", 50, status="accepted")] == [subs[ids[1]]["id"]]

        # 报送: the still-open first (the notice whose ask was not answered; three notices ask nothing).
        async def four_owed():
            rows = await all_pages(me, "/api/submissions", 1)
            return rows if len(rows) == 4 else None

        mine = await eventually(four_owed)
        assert (mine[0]["notice_id"], mine[0]["status"]) == (ids[3], "pending")
        assert sorted(r["status"] for r in mine[1:]) == ["accepted", "submitted", "submitted"]


async def test_the_directory_and_the_signing_table_page_too(node):
    units = city_directory()
    recipients = [u.unit_id for u in units[1:]]
    async with running(node), gateway(node) as http:
        await load_directory(http, units, admin_unit=CITY)
        admin = await as_role(http, CITY, "admin", "issuer")
        everyone = await all_pages(admin, "/api/units", 10)
        assert len(everyone) == UNITS + 1
        assert [u["name"] for u in everyone] == sorted(u.name for u in units)
        societies = await all_pages(admin, "/api/units", 50, kind="学会/协会/研究会")
        assert {u["kind"] for u in societies} == {"学会/协会/研究会"} and len(societies) == UNITS // 4
        assert len(await all_pages(admin, "/api/units", 50, parent_id=CITY)) == UNITS
        page = await ok(await admin.get("/api/units", params={"per_page": 10}))
        assert (page["total"], page["has_more"]) == (UNITS + 1, True)

        nid = (await ok(await admin.post("/api/notices", json=notice("签收表分页", recipients, ask=False)), 201))[
            "notice_id"
        ]
        signer = await as_role(http, recipients[-1], "submitter")
        await eventually(lambda: _inbox_has(signer, nid))
        await ok(await signer.post(f"/api/inbox/{nid}/acknowledge"))

        async def counted():
            t = await ok(await admin.get(f"/api/notices/{nid}/tracking", params={"per_page": 10, "page": 4}))
            return t if t["acknowledged"] == 1 else None

        t = await eventually(counted)
        assert (t["total"], t["pending"], t["page"]["has_more"], t["page"]["total"]) == (UNITS, UNITS - 1, False, UNITS)
        # The signed one is last: those who have not signed come first.
        assert [r["unit_id"] for r in t["page"]["items"]][-1] == recipients[-1] and t["page"]["items"][-1][
            "acknowledged_at"
        ]
        page_html = await (await as_role(http, CITY, "issuer")).get(
            f"/notices/{nid}", params={"per_page": 10}, headers={"accept": "text/html"}
        )
        assert 'rel="next"' in page_html.text


async def test_a_directory_change_on_one_replica_is_seen_by_the_other_at_the_next_issue(node):
    """Issuing reads the recipients' directory entries as they were last read, while the directory's version is
    unchanged: a rename through either replica is in every notice issued after it."""
    units = city_directory()
    renamed = units[1].unit_id
    async with two_replicas(node), gateway(node) as http:
        await load_directory(http, units, admin_unit=CITY)
        admin = await as_role(http, CITY, "admin", "issuer")
        for i in range(4):  # each replica reads the entries (queue group: either answers)
            await ok(await admin.post("/api/notices", json=notice(f"改名前{i}", [renamed], ask=False)), 201)
        entry = units[1].model_dump(mode="json") | {"name": "湛江市改名后的学会"}
        await ok(await admin.put(f"/api/units/{renamed}", json=entry))
        for i in range(4):
            nid = (await ok(await admin.post("/api/notices", json=notice(f"改名后{i}", [renamed], ask=False)), 201))[
                "notice_id"
            ]
            [recipient] = (await ok(await admin.get(f"/api/notices/{nid}")))["recipients"]
            assert recipient["name"] == "湛江市改名后的学会"


async def test_completeness_counts_every_unit_and_lists_a_page_of_them(node):
    """报送情况 of an ask to more units than a page: counts over all of them, the units pending first a page at a
    time; answers derived again at start-up for data written before they were kept."""
    units = city_directory()
    recipients = [u.unit_id for u in units[1:]]
    late, answering = recipients[0], sorted(recipients)[-1]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    db = client[f"{node.node_id}_reports"]
    async with gateway(node) as http:
        async with running(node):
            await load_directory(http, units, admin_unit=CITY)
            issuer = await as_role(http, CITY, "issuer", "reviewer")
            nid = (await ok(await issuer.post("/api/notices", json=notice("报送情况分页", recipients)), 201))[
                "notice_id"
            ]
            for unit_id in (late, answering):
                me = await as_role(http, unit_id, "submitter")

                async def owed(me=me):
                    return any(r["notice_id"] == nid for r in await all_pages(me, "/api/submissions", 50))

                await eventually(owed)
                await ok(
                    await me.post(f"/api/notices/{nid}/asks/summary/submission", json={"items": [{"summary": "总结"}]}),
                    201,
                )

            async def both_counted():
                view = await ok(await issuer.get(f"/api/notices/{nid}/completeness", params={"per_page": 10}))
                return view if view["asks"][0]["submitted"] == 2 else None

            [ask] = (await eventually(both_counted))["asks"]
        assert (ask["owed"], ask["pending"], ask["submitted"], ask["more"], len(ask["units"])) == (
            UNITS,
            UNITS - 2,
            2,
            True,
            10,
        )
        pending = sorted(u for u in recipients if u not in (late, answering))
        assert [u["unit_id"] for u in ask["units"]] == pending[:10]

        # Written before answers were kept: derived once at the next start.
        await db["notice_answers"].delete_many({"notice_id": nid})
        await db["migrations"].delete_one({"_id": "2026-12-notice-answers"})
        async with running(node):
            last = await ok(await issuer.get(f"/api/notices/{nid}/completeness", params={"per_page": 10, "page": 4}))
            [ask] = last["asks"]
            assert (ask["owed"], ask["submitted"], ask["more"]) == (UNITS, 2, False)
            assert [u["unit_id"] for u in ask["units"]] == [*pending[30:], *sorted([late, answering])]
            assert [u["status"] for u in ask["units"][-2:]] == ["submitted", "submitted"]
            page = await issuer.get(f"/notices/{nid}", params={"per_page": 10}, headers={"accept": "text/html"})
            assert page.status_code == 200 and page.text.count('data-unit="') >= 10
    await client.close()


async def test_notices_stored_the_old_way_are_moved_once_at_start_up(node):
    """Before: a notice held its recipients and every event it emitted, a 发文 entry only pointed at its notice,
    and a receipt existed once its unit had signed. A node upgraded in place moves all that at start-up."""
    units = city_directory()
    recipients = [u.unit_id for u in units[1:]]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url, tz_aware=True)
    db = client[f"{node.node_id}_notices"]
    async with gateway(node) as http:
        async with running(node):
            await load_directory(http, units, admin_unit=CITY)
            admin = await as_role(http, CITY, "admin", "issuer")
            nid = (await ok(await admin.post("/api/notices", json=notice("旧数据", recipients, ask=False)), 201))[
                "notice_id"
            ]
            signer = await as_role(http, recipients[-1], "submitter")
            await eventually(lambda: _inbox_has(signer, nid))
            await ok(await signer.post(f"/api/inbox/{nid}/acknowledge"))

            async def counted():
                return (await ok(await admin.get(f"/api/notices/{nid}/tracking")))["acknowledged"] == 1

            await eventually(counted)

        # The shape an older version left.
        everyone = [u async for p in db["recipients"].find({"notice_id": nid}).sort("part", 1) for u in p["units"]]
        published = {"id": "old-event", "dest": None, "event": {"type": "notice.issued"}}
        await db["notices"].update_one({"_id": nid}, {"$set": {"recipients": everyone, "_outbox": [published]}})
        await db["outbox_published"].insert_one({"_id": "old-event"})
        await db["recipients"].delete_many({"notice_id": nid})
        row = (
            "doc_number",
            "title",
            "kind",
            "status",
            "revision",
            "recipient_count",
            "parent_notice_id",
            "issuer_name",
        )
        await db["sent"].update_many({"notice_id": nid}, {"$unset": dict.fromkeys(row, "")})
        await db["receipts"].delete_many({"notice_id": nid, "signed": False})
        moved = ["sent_rows", "receipts_per_recipient", "recipients_apart"]
        await db["migrations"].delete_many({"_id": {"$in": moved}})

        async with running(node):
            doc = await db["notices"].find_one({"_id": nid})
            assert "recipients" not in doc and doc["_outbox"] == [] and doc["recipient_count"] == UNITS
            assert [u["unit_id"] async for p in db["recipients"].find({"notice_id": nid}) for u in p["units"]] == (
                recipients
            )
            [listed] = (await ok(await admin.get("/api/notices")))["items"]
            assert (listed["title"], listed["recipients"], listed["acknowledged"]) == ("旧数据", UNITS, 1)
            assert [u["unit_id"] for u in (await ok(await admin.get(f"/api/notices/{nid}")))["recipients"]] == (
                recipients
            )
            t = await ok(await admin.get(f"/api/notices/{nid}/tracking", params={"per_page": 10}))
            assert (t["total"], t["acknowledged"], t["pending"], len(t["page"]["items"])) == (UNITS, 1, UNITS - 1, 10)
            assert await db["receipts"].count_documents({"notice_id": nid}) == UNITS
            assert {m["_id"] async for m in db["migrations"].find({"_id": {"$in": moved}})} == set(moved)
            # A 撤回 shows in the 发文 row, which no longer reads the notice.
            await ok(await admin.post(f"/api/notices/{nid}/withdraw", json={"reason": "通知有误，予以撤回。"}))
            [listed] = (await ok(await admin.get("/api/notices")))["items"]
            assert listed["status"] == "withdrawn"
    await client.close()


async def _inbox_has(client, nid) -> bool:
    return any(e["notice_id"] == nid for e in (await ok(await client.get("/api/inbox")))["items"])


async def test_bad_page_parameters_are_refused_in_chinese(node):
    async with running(node, services=("notices",)), gateway(node) as http:
        await load_directory(http, city_directory()[:3], admin_unit=CITY)
        client = await as_role(http, CITY, "issuer", "submitter", "admin")
        for url, params, field in (
            ("/api/inbox", {"page": "0"}, "page"),
            ("/api/notices", {"per_page": "500"}, "per_page"),
            ("/api/units", {"page": "x"}, "page"),
            ("/api/inbox", {"year": "19"}, "year"),
        ):
            r = await client.get(url, params=params)
            assert r.status_code == 422, (url, r.text)
            [detail] = r.json()["detail"]
            assert detail["loc"][-1] == field and any("\u4e00" <= ch <= "\u9fff" for ch in detail["msg"]), detail
        page = await client.get("/inbox", params={"page": "-1"}, headers={"accept": "text/html"})
        assert page.status_code == 422 and "页码" in page.text
