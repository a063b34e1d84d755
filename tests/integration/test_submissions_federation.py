"""Submissions across linked nodes: national → province → two cities, each its own nats-server.

A city unit submits on its own node; the copy reaches the province, which
reviews it; the decision travels back down; the province's 汇总 travels up
to national as the province's own submission. A 催办 reaches the city that
has not submitted. A cut link delays all this, and loses or repeats nothing.
"""

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from ..federation_harness import build, link_consumer_waiting, teardown
from ..fixtures import future
from ..harness import as_role, eventually
from .test_federation import has, services

SHAPE = {"nat": None, "prov": "nat", "city": "prov", "city2": "prov"}
ASK = {
    "ask_id": "summary",
    "kind": "summary_report",
    "title": "活动总结",
    "deadline": future(30),
    "fields": [{"key": "summary", "label": "总结报告", "type": "text", "max_chars": 3000}],
}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE, proxied=True)
    yield nodes
    await teardown(nodes)


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def state_of(client, sid: str, status: str, revision: int | None = None):
    """Until the submission, as ``client`` sees it, is in ``status`` (at ``revision``)."""

    async def check():
        r = await client.get(f"/api/submissions/{sid}")
        if r.status_code != 200:
            return None
        s = r.json()
        return s if s["status"] == status and (revision is None or s["revision"] == revision) else None

    return check


async def test_submissions_go_up_decisions_come_down_and_the_compiled_report_reaches_the_top(fed):
    async with services(fed) as lv:
        roles = {}
        for name, unit in (("nat", "cast"), ("prov", "gd-kx"), ("city", "sz-kx"), ("city2", "gz-kx")):
            roles[name] = await as_role(lv[name].http, unit, "issuer", "reviewer", "submitter")
        nat, prov, city, city2 = (roles[k] for k in ("nat", "prov", "city", "city2"))
        # The province knows a contact at 广州市科协, so a 催办 can reach a person there.
        admin = await as_role(lv["prov"].http, "gd-kx", "admin")
        r = await admin.put(
            "/api/units/gz-kx",
            json={
                "unit_id": "gz-kx",
                "name": "广州市科学技术协会",
                "kind": "科协",
                "node_id": fed["city2"].id,
                "runs_own_node": True,
                "contacts": [{"name": "陈芳", "mobile": "13900000002"}],
            },
        )
        assert r.status_code == 200, r.text

        top = (
            await ok(
                await nat.post(
                    "/api/notices",
                    json={
                        "title": "关于开展2021年“全国科技工作者日”活动的通知",
                        "issuer_unit_ids": ["cast"],
                        "recipient_unit_ids": ["gd-kx"],
                        "asks": [ASK],
                    },
                ),
                201,
            )
        )["notice_id"]
        await eventually(has(prov, "gd-kx", top))
        mid = (
            await ok(
                await prov.post(
                    f"/api/notices/{top}/forward",
                    json={
                        "unit_id": "gd-kx",
                        "recipient_unit_ids": ["sz-kx", "gz-kx"],
                        "deadlines": {"summary": future(20)},
                    },
                ),
                201,
            )
        )["notice_id"]
        await eventually(has(city, "sz-kx", mid))

        # 报送 at the city; the province reviews the copy and returns it; the city sees why.
        async def owed():
            rows = (await city.get("/api/submissions")).json()["items"]
            return next((r for r in rows if r["notice_id"] == mid), None)

        entry = await eventually(owed)
        assert entry["to_unit_id"] == "gd-kx" and entry["issuer_node"] == fed["prov"].id
        sid = (
            await ok(
                await city.post(
                    f"/api/notices/{mid}/asks/summary/submission", json={"items": [{"summary": "深圳初稿"}]}
                ),
                201,
            )
        )["id"]
        copy = await eventually(state_of(prov, sid, "submitted", 1))
        assert copy["revisions"][0]["items"] == [{"summary": "深圳初稿"}] and copy["unit_node"] == fed["city"].id
        await ok(await prov.post(f"/api/submissions/{sid}/return", json={"revision": 1, "reason": "请补充数据"}))
        assert (await eventually(state_of(city, sid, "returned")))["return_reason"] == "请补充数据"

        # Resubmitted, accepted upstairs, seen accepted downstairs.
        await ok(
            await city.post(
                f"/api/notices/{mid}/asks/summary/submission",
                json={"items": [{"summary": "深圳市活动总结：120人参加。"}]},
            ),
            201,
        )
        await eventually(state_of(prov, sid, "submitted", 2))
        await ok(await prov.post(f"/api/submissions/{sid}/accept", json={"revision": 2}))
        await eventually(state_of(city, sid, "accepted", 2))

        # 催办 reaches the city that has not submitted, on its own node.
        chased = await ok(await prov.post(f"/api/notices/{mid}/chase", json={"note": "请尽快报送"}))
        assert chased["asks"] == {"summary": 1}

        async def reminded():
            rows = (await city2.get("/api/submissions")).json()["items"]
            row = next((r for r in rows if r["notice_id"] == mid), None)
            return row if row and row["last_reminder"] else None

        assert (await eventually(reminded))["last_reminder"]["note"] == "请尽快报送"
        # …and the city's own notifications service tells the unit's contacts.
        contacts = await eventually(lambda: _deliveries(fed["city2"], mid, "deadline.approaching"))
        assert {d["unit_id"] for d in contacts} == {"gz-kx"}

        # 汇总 at the province: it reaches national as gd-kx's submission on the original notice.
        report = await ok(
            await prov.post(
                f"/api/notices/{mid}/asks/summary/compile",
                json={"submission_ids": [sid], "items": [{"summary": "广东省汇总"}]},
            ),
            201,
        )
        upstream = await eventually(state_of(nat, report["id"], "submitted", 1))
        assert upstream["compiled"] and upstream["notice_id"] == top and upstream["unit_id"] == "gd-kx"
        assert [i["summary"] for i in upstream["revisions"][0]["items"]] == [
            "广东省汇总",
            "深圳市活动总结：120人参加。",
        ]
        assert upstream["revisions"][0]["contributions"][0]["unit_id"] == "sz-kx"
        await ok(await nat.post(f"/api/submissions/{report['id']}/accept", json={"revision": 1}))
        await eventually(state_of(prov, report["id"], "accepted", 1))

        # Completeness at each issuer's node.
        async def complete(client, notice_id, unit_id, status):
            r = await client.get(f"/api/notices/{notice_id}/completeness")
            rows = r.json()["asks"][0]["units"] if r.status_code == 200 else []
            return any(u["unit_id"] == unit_id and u["status"] == status for u in rows)

        await eventually(lambda: complete(nat, top, "gd-kx", "accepted"))
        await eventually(lambda: complete(prov, mid, "sz-kx", "accepted"))
        assert await complete(prov, mid, "gz-kx", "pending")
        # National never sees the city's own submission: only what the province sent up.
        assert (await nat.get(f"/api/submissions/{sid}")).status_code == 404


async def test_a_submission_made_while_the_link_is_cut_arrives_once_when_it_is_back(fed):
    async with services(fed, ["prov", "city"]) as lv:
        prov = await as_role(lv["prov"].http, "gd-kx", "issuer", "reviewer")
        city = await as_role(lv["city"].http, "sz-kx", "submitter")
        mid = (
            await ok(
                await prov.post(
                    "/api/notices",
                    json={
                        "title": "关于报送活动总结的通知",
                        "issuer_unit_ids": ["gd-kx"],
                        "recipient_unit_ids": ["sz-kx"],
                        "asks": [ASK],
                    },
                ),
                201,
            )
        )["notice_id"]
        await eventually(has(city, "sz-kx", mid))

        async def owed():
            return any(r["notice_id"] == mid for r in (await city.get("/api/submissions")).json()["items"])

        await eventually(owed)
        await fed["city"].proxy.cut()
        sid = (
            await ok(
                await city.post(
                    f"/api/notices/{mid}/asks/summary/submission", json={"items": [{"summary": "断网期间报送"}]}
                ),
                201,
            )
        )["id"]
        waiting = link_consumer_waiting(fed["city"], fed["prov"])
        assert await eventually(waiting) == 1  # held in the city's OUTBOX
        assert (await prov.get(f"/api/submissions/{sid}")).json()["status"] == "pending"

        await fed["city"].proxy.restore()
        got = await eventually(state_of(prov, sid, "submitted", 1), timeout=60)
        assert got["revisions"][0]["items"] == [{"summary": "断网期间报送"}]
        assert await eventually(lambda: _zero(waiting))
        queue = (await prov.get("/api/review", params={"notice_id": mid})).json()["items"]
        assert [r["id"] for r in queue] == [sid] and len(got["revisions"]) == 1


async def _zero(check) -> bool:
    return await check() == 0


async def _deliveries(node, notice_id: str, reason: str) -> list[dict]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(node.servers.mongo_url)
    try:
        coll = client[f"{node.node_id}_notifications"]["deliveries"]
        return [d async for d in coll.find({"notice_id": notice_id, "reason": reason})]
    finally:
        await client.close()
