"""下级进度 across linked nodes: a province and a city, each its own nats-server.

The province sends a notice to 苏州市科协 (its own node); the city forwards it to county units it hosts, and
昆山 forwards it again to its towns. Counties and towns 签收 and 报送, the city reviews. The province then
reads, from its own node, the city's progress (签收 x/y, 报送 x/y, 采用, 逾期), opens it (each county unit,
昆山's own figures nested) and opens 昆山 further (its towns), without asking the city anything. A cut link
holds the city's newer reports; once it is back, the newest arrives.
"""

import contextlib
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from shared.contracts.notices import UpsertUnit
from shared.schemas import UnitKind

from ..federation_harness import FedNode, build, link_consumer_waiting, teardown
from ..fixtures import future
from ..harness import as_role, eventually, gateway, running

SHAPE = {"prov": None, "city": "prov"}
ASK = {
    "ask_id": "summary",
    "kind": "summary_report",
    "title": "活动总结",
    "deadline": future(30),
    "fields": [{"key": "summary", "label": "总结报告", "type": "text", "max_chars": 3000}],
}
# Reports go at most this often per 转发 (5 s by default): short, so the test does not wait on it.
FAST = {"reports": {"progress_interval_seconds": 0.3}}
COUNTIES = {"ks-kx": "昆山市科学技术协会", "tc-kx": "太仓市科学技术协会", "cs-kx": "常熟市科学技术协会"}
TOWNS = {"ks-ys": "昆山市玉山镇科协", "ks-zs": "昆山市周市镇科协"}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE, proxied=True)
    yield nodes
    await teardown(nodes)


def directory(nodes: dict[str, FedNode]) -> dict[str, list[UpsertUnit]]:
    kx = UnitKind.kexie
    js = UpsertUnit(unit_id="js-kx", name="江苏省科学技术协会", kind=kx, node_id=nodes["prov"].id)
    sz = UpsertUnit(unit_id="sz-kx", name="苏州市科学技术协会", kind=kx, node_id=nodes["city"].id)
    hosted = [
        UpsertUnit(unit_id=u, name=n, kind=kx, parent_id="sz-kx", node_id=nodes["city"].id) for u, n in COUNTIES.items()
    ] + [UpsertUnit(unit_id=u, name=n, kind=kx, parent_id="ks-kx", node_id=nodes["city"].id) for u, n in TOWNS.items()]
    return {"prov": [js, sz.model_copy(update={"runs_own_node": True})], "city": [sz, *hosted]}


@contextlib.asynccontextmanager
async def levels(nodes: dict[str, FedNode]):
    """Both nodes' services in-process, a gateway each, their directories loaded; the gateways' clients."""
    own = {"prov": "js-kx", "city": "sz-kx"}
    async with contextlib.AsyncExitStack() as stack:
        out = {}
        for name, node in nodes.items():
            await stack.enter_async_context(running(node, overrides=FAST))
            http = await stack.enter_async_context(gateway(node))
            admin = await as_role(http, own[name], "admin")
            for entry in directory(nodes)[name]:
                r = await admin.put(f"/api/units/{entry.unit_id}", json=entry.model_dump(mode="json"))
                assert r.status_code == 200, r.text
            out[name] = http
        yield out


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


def in_inbox(client, unit: str, notice_id: str):
    async def check():
        r = await client.get(f"/api/units/{unit}/inbox")
        return r.status_code == 200 and any(e["notice_id"] == notice_id for e in r.json()["items"])

    return check


def city_row(client, top: str, **wanted):
    """Until the province's 下级进度 of ``top`` shows the city's 转发 with these figures (as it reads them)."""

    async def check():
        r = await client.get(f"/api/notices/{top}/rollup")
        if r.status_code != 200 or not r.json()["forwards"]["items"]:
            return None
        [row] = r.json()["forwards"]["items"]
        return row if all(row["figures"][k] == v for k, v in wanted.items()) else None

    return check


async def forward(client, notice_id: str, unit_id: str, recipients) -> str:
    body = {"unit_id": unit_id, "recipient_unit_ids": list(recipients)}
    return (await ok(await client.post(f"/api/notices/{notice_id}/forward", json=body), 201))["notice_id"]


async def test_the_province_reads_the_city_and_its_counties_progress_level_by_level(fed):
    async with levels(fed) as lv:
        prov = await as_role(lv["prov"], "js-kx", "issuer", "reviewer")
        city = await as_role(lv["city"], "sz-kx", "issuer", "reviewer", "submitter")
        county = {u: await as_role(lv["city"], u, "issuer", "submitter") for u in [*COUNTIES, *TOWNS]}

        top = (
            await ok(
                await prov.post(
                    "/api/notices",
                    json={
                        "title": "关于开展2021年“全国科技工作者日”活动的通知",
                        "issuer_unit_ids": ["js-kx"],
                        "recipient_unit_ids": ["sz-kx"],
                        "asks": [ASK],
                    },
                ),
                201,
            )
        )["notice_id"]
        await eventually(in_inbox(city, "sz-kx", top))
        mid = await forward(city, top, "sz-kx", COUNTIES)
        await eventually(in_inbox(county["ks-kx"], "ks-kx", mid))
        low = await forward(county["ks-kx"], mid, "ks-kx", TOWNS)

        # The city's level as soon as it forwarded: three recipients, nothing signed or sent.
        first = await eventually(city_row(prov, top, recipients=3))
        assert (first["unit_id"], first["unit_names"], first["node_id"]) == (
            "sz-kx",
            ["苏州市科学技术协会"],
            fed["city"].id,
        )
        assert (first["figures"]["acknowledged"], first["figures"]["submitted"], first["figures"]["owed"]) == (0, 0, 3)

        # Counties and a town 签收 and 报送; the city accepts one.
        for unit in ("tc-kx", "cs-kx"):
            await ok(await county[unit].post(f"/api/inbox/{mid}/acknowledge"))
        await ok(await county["ks-ys"].post(f"/api/inbox/{low}/acknowledge"))
        sent = await ok(
            await county["tc-kx"].post(
                f"/api/notices/{mid}/asks/summary/submission", json={"items": [{"summary": "太仓市活动总结"}]}
            ),
            201,
        )
        await ok(
            await county["cs-kx"].post(
                f"/api/notices/{mid}/asks/summary/submission", json={"items": [{"summary": "常熟市活动总结"}]}
            ),
            201,
        )
        await ok(await city.post(f"/api/submissions/{sent['id']}/accept", json={"revision": 1}))

        row = await eventually(city_row(prov, top, acknowledged=2, submitted=2, accepted=1), timeout=30)
        assert row["forward_notice_id"] == mid and row["figures"]["overdue"] == 0
        assert row["figures"]["asks"][0]["title"] == "活动总结"

        # One level further: the city's county units, 昆山's own 转发 nested.
        async def opened():
            r = await prov.get(f"/api/notices/{top}/rollup/{mid}")
            if r.status_code != 200:
                return None
            units = {u["unit_id"]: u for u in r.json()["units"]["items"]}
            nested = units["ks-kx"]["forward"]
            return units if nested and nested["figures"]["acknowledged"] == 1 else None

        units = await eventually(opened, timeout=30)
        assert [units[u]["answers"]["summary"]["status"] for u in COUNTIES] == ["pending", "accepted", "submitted"]
        assert units["tc-kx"]["acknowledged_at"] and not units["ks-kx"]["acknowledged_at"]
        assert units["ks-kx"]["forward"]["forward_notice_id"] == low
        assert units["ks-kx"]["forward"]["figures"]["recipients"] == 2

        # …and 昆山's towns: its report reached the province through the city.
        deeper = await ok(await prov.get(f"/api/notices/{top}/rollup/{low}"))
        assert [p["forward_notice_id"] for p in deeper["path"]] == [mid]
        assert {u["unit_id"]: bool(u["acknowledged_at"]) for u in deeper["units"]["items"]} == {
            "ks-ys": True,
            "ks-zs": False,
        }
        paged = await ok(await prov.get(f"/api/notices/{top}/rollup/{mid}", params={"per_page": 2, "page": 2}))
        assert (len(paged["units"]["items"]), paged["units"]["total"], paged["units"]["has_more"]) == (1, 3, False)

        # The pages: 下级进度 on the notice page, then level by level.
        page = await prov.get(f"/notices/{top}")
        assert page.status_code == 200 and 'id="rollup"' in page.text and "苏州市科学技术协会" in page.text
        assert f"/notices/{top}/rollup/{mid}" in page.text
        level = await prov.get(f"/notices/{top}/rollup/{mid}")
        assert level.status_code == 200 and "昆山市科学技术协会" in level.text and "已采用" in level.text
        assert f"/notices/{top}/rollup/{low}" in level.text
        towns = await prov.get(f"/notices/{top}/rollup/{low}")
        assert towns.status_code == 200 and "昆山市玉山镇科协" in towns.text and 'id="rollup-path"' in towns.text

        # Only the notice's issuer reads it; a notice not above a 转发 does not open it.
        assert (await city.get(f"/api/notices/{top}/rollup")).status_code in (403, 404)
        assert (await city.get(f"/api/notices/{mid}/rollup/{mid}")).status_code == 404


async def test_progress_made_while_the_link_is_cut_arrives_newest_when_it_is_back(fed):
    async with levels(fed) as lv:
        prov = await as_role(lv["prov"], "js-kx", "issuer")
        city = await as_role(lv["city"], "sz-kx", "issuer", "submitter")
        county = {u: await as_role(lv["city"], u, "submitter") for u in COUNTIES}
        body = {"title": "关于报送活动总结的通知", "issuer_unit_ids": ["js-kx"], "recipient_unit_ids": ["sz-kx"]}
        top = (await ok(await prov.post("/api/notices", json={**body, "asks": [ASK]}), 201))["notice_id"]
        await eventually(in_inbox(city, "sz-kx", top))
        mid = await forward(city, top, "sz-kx", COUNTIES)
        await eventually(city_row(prov, top, recipients=3, acknowledged=0))

        sequence = (await _out(fed, mid))["sequence"]

        await fed["city"].proxy.cut()
        for batch in (["tc-kx"], ["cs-kx", "ks-kx"]):
            for unit in batch:
                await ok(await county[unit].post(f"/api/inbox/{mid}/acknowledge"))
            # Reported (throttled) while the link is down: each report waits in the city's OUTBOX.
            await eventually(_acknowledged_at_the_city(city, mid, 1 if len(batch) == 1 else 3))
            sequence = (await eventually(_reported_after(fed, mid, sequence)))["sequence"]
        assert await link_consumer_waiting(fed["city"], fed["prov"])() >= 2
        r = await prov.get(f"/api/notices/{top}/rollup")
        assert r.json()["forwards"]["items"][0]["figures"]["acknowledged"] == 0

        await fed["city"].proxy.restore()
        row = await eventually(city_row(prov, top, acknowledged=3), timeout=60)
        assert await eventually(lambda: _none_waiting(fed))
        # Nothing older came after it.
        again = await ok(await prov.get(f"/api/notices/{top}/rollup"))
        assert again["forwards"]["items"][0]["sequence"] == row["sequence"] and row["figures"]["acknowledged"] == 3


async def _out(fed, forward_id: str) -> dict:
    """The city's record of its 转发's reports (services/reports/rollup.py ``progress_out``)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(fed["city"].servers.mongo_url)
    try:
        return await client[f"{fed['city'].id}_reports"]["progress_out"].find_one({"_id": forward_id}) or {}
    finally:
        await client.close()


def _reported_after(fed, forward_id: str, sequence: int):
    async def check():
        doc = await _out(fed, forward_id)
        return doc if doc.get("sequence", 0) > sequence and not doc.get("pending") else None

    return check


def _acknowledged_at_the_city(client, notice_id: str, count: int):
    async def check():
        r = await client.get(f"/api/notices/{notice_id}/status")
        return r.status_code == 200 and r.json()["acknowledged"] == count

    return check


async def _none_waiting(fed) -> bool:
    return await link_consumer_waiting(fed["city"], fed["prov"])() == 0
