"""Issue 12's "Done when", end to end on two linked nodes: the workflow an office runs.

江苏省科协 + 江苏省科技厅 (the province's node) issue a notice jointly: drafted, 签发 by the 科协's 签发人, 会签
by the 科技厅's. 苏州市科协 + 苏州市科技局 (the city's node) forward it jointly, 签发 and 会签 at the city, to
county 科协, a society, a university, an enterprise and a county 科技局, routed to three departments of the
市科协 (组织人事部, 学会部, 组宣部) and to the 科技局. Each department's reviewer sees its own queue; the one
nobody reviews for falls back to the others, visibly, until it has a reviewer. One ask goes up 直接上报 (each
accepted submission by itself), one 择优上报 (the city's reviewer picks up to two): both reach the province
naming their source units. The province reads each county unit's progress under the city (下级进度), and the
city shows the province's units and departments by name.
"""

import contextlib

import httpx
import pytest

from shared.contracts.notices import UpsertUnit
from shared.schemas import UnitKind

from ..federation_harness import FedNode, build, teardown
from ..fixtures import unit_json
from ..harness import as_role, create_user, eventually, forward, gateway, issue, login, running
from .levels import CITY_DEPARTMENTS, CITY_ROUTES, PROVINCE, city, county, later, load, ok, text_ask
from .levels import refused as refusal

SHAPE = {"prov": None, "city": "prov"}
FAST = {"reports": {"progress_interval_seconds": 0.3}}  # 下级进度 goes up at most this often per 转发
PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}

ENTERPRISE = UpsertUnit(unit_id="ht-kx", name="亨通集团科学技术协会", kind=UnitKind.enterprise, parent_id="su-kx")
COUNTY = [*county(), ENTERPRISE]
COUNTY_IDS = [u.unit_id for u in COUNTY]
# The province: county-level answers reach the 科协's 组织人事部 through the city 科协, the 科技厅's 人才处
# through the city 科技局.
PROVINCE_ROUTES = [
    {"unit_kind": "科协", "to_unit_id": "js-kx", "department": "组织人事部"},
    {"unit_kind": "科技厅/局", "to_unit_id": "js-kjt", "department": "人才处"},
]
# The city: enterprises go to the 组宣部 with the universities.
ROUTES = [*CITY_ROUTES, {"unit_kind": "企业科协", "to_unit_id": "su-kx", "department": "组宣部"}]
DEPARTMENT_OF = {
    "wj-kx": "组织人事部",
    "cs-kx": "组织人事部",
    "su-yxh": "学会部",
    "suda-kx": "组宣部",
    "ht-kx": "组宣部",
}


def signing(units: list[UpsertUnit]) -> list[UpsertUnit]:
    """These units issue and forward only what their 签发人 signed."""
    return [u.model_copy(update={"requires_signing": True}) for u in units]


def directory(nodes: dict[str, FedNode]) -> dict[str, list[UpsertUnit]]:
    """The province's: its own units and the city's two (hosted there). The city's: its own and the county
    units, built without the province's units (it learns them from the notice; see below)."""
    return {
        "prov": [*signing(PROVINCE), *city(nodes["city"].id)],
        "city": [*signing(city(parent=None)), *COUNTY],
    }


OWN = {"prov": "js-kx", "city": "su-kx"}


@pytest.fixture
async def fed(servers, tmp_path):
    nodes = await build(servers, tmp_path, SHAPE)
    yield nodes
    await teardown(nodes)


@contextlib.asynccontextmanager
async def levels(nodes: dict[str, FedNode]):
    """Both nodes' services in-process, a gateway each, their directories loaded; the gateways' clients."""
    async with contextlib.AsyncExitStack() as stack:
        out = {}
        for name, node in nodes.items():
            await stack.enter_async_context(running(node, overrides=FAST))
            http = await stack.enter_async_context(gateway(node))
            admin = await as_role(http, OWN[name], "admin")
            for entry in directory(nodes)[name]:
                await ok(await admin.put(f"/api/units/{entry.unit_id}", json=unit_json(entry)))
            out[name] = http
        yield out


async def reviewer(http, username: str, department: str) -> httpx.AsyncClient:
    """A 苏州市科协 reviewer of ``department``, logged in (an admin-made user who has set a password)."""
    admin = await as_role(http, "su-kx", "admin")
    body = {
        "username": username,
        "display_name": username,
        "unit_id": "su-kx",
        "roles": ["reviewer"],
        "department": department,
        "password": PASSWORD,
    }
    await ok(await admin.post("/api/admin/users", json=body), 201)
    await http.app.state.accounts.store.update(username, {"must_change_password": False})
    return await login(http, username, PASSWORD)


def in_inbox(client, notice_id: str):
    async def check():
        r = await client.get("/api/inbox")
        return r.status_code == 200 and any(e["notice_id"] == notice_id for e in r.json()["items"])

    return check


async def accept(client, submission_id: str) -> dict:
    """采用, as a logged-in reviewer (a session's call to the API carries its CSRF token)."""
    headers = {"X-CSRF-Token": client.csrf} if hasattr(client, "csrf") else {}
    return await ok(
        await client.post(f"/api/submissions/{submission_id}/accept", json={"revision": 1}, headers=headers)
    )


async def queue(client, **params) -> dict[str, dict]:
    """The 审核 queue as ``client`` sees it: submitted ones, by source unit."""
    rows = (await ok(await client.get("/api/review", params={"status": "submitted", **params})))["items"]
    return {r["unit_id"]: r for r in rows}


async def test_the_forwarding_pair_runs_end_to_end_across_two_nodes(fed):
    async with levels(fed) as lv:
        p, c = lv["prov"], lv["city"]
        js = await as_role(p, "js-kx", "issuer", "reviewer")
        kjt = await as_role(p, "js-kjt", "reviewer")
        su = await as_role(c, "su-kx", "issuer", "reviewer")
        kjj = await as_role(c, "su-kjj", "issuer", "reviewer")

        # 1. The province: drafted, 签发 by 省科协, 会签 by 省科技厅 (each unit's 签发人 on its node).
        body = {
            "title": "关于开展2021年“全国科技工作者日”活动的通知",
            "issuer_unit_ids": ["js-kx", "js-kjt"],
            "recipient_unit_ids": ["su-kx", "su-kjj"],
            "asks": [
                text_ask("plan", "活动方案", 20, routes=PROVINCE_ROUTES),
                text_ask("cases", "典型案例（择优精选1-2项）", 25, routes=PROVINCE_ROUTES, max_items=2),
            ],
        }
        refused = await js.post("/api/notices", json={**body, "issuer_unit_ids": ["js-kx"]})
        assert refused.status_code == 409 and refused.json()["detail"][0]["type"] == "signing_required", refused.text
        top = await ok(await issue(js, body), 201)
        top_id = top["notice_id"]
        notice = await ok(await js.get(f"/api/notices/{top_id}"))
        assert [(s["unit_id"], s["lead"]) for s in notice["signatures"]] == [("js-kx", True), ("js-kjt", False)]

        # 2. The city receives it; names, not ids, of the province's units; its 科协 may now name 省科协 parent.
        await eventually(in_inbox(su, top_id))
        received = await ok(await su.get(f"/api/notices/{top_id}"))
        assert [i["name"] for i in received["issuers"]] == ["江苏省科学技术协会", "江苏省科学技术厅"]
        assert [s["unit_id"] for s in received["signatures"]] == ["js-kx", "js-kjt"]
        for unit in ("su-kx", "su-kjj"):  # 签收 by each unit's 收文 clerk
            clerk = await as_role(c, unit, "submitter")
            await ok(await clerk.post(f"/api/inbox/{top_id}/acknowledge"))
        admin = await as_role(c, "su-kx", "admin")
        for unit in signing(city()):  # parent_id: 江苏省科协, 江苏省科技厅 (known from the notice)
            await ok(await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit)))

        # 3. The city forwards jointly (签发 by 市科协, 会签 by 市科技局), 直接上报 the 方案, 择优上报 the 案例.
        fwd = {
            "unit_id": "su-kx",
            "co_issuer_unit_ids": ["su-kjj"],
            "recipient_unit_ids": COUNTY_IDS,
            "routes": ROUTES,
            "cover_note": "现将通知转发给你们，请认真组织实施。",
            "deadlines": {"plan": later(15), "cases": later(20)},
            "upward": {"plan": {"mode": "direct"}, "cases": {"mode": "select", "limit": 2}},
        }
        mid = (await ok(await forward(su, top_id, fwd), 201))["notice_id"]
        made = await ok(await su.get(f"/api/notices/{mid}"))
        assert [(s["unit_id"], s["lead"]) for s in made["signatures"]] == [("su-kx", True), ("su-kjj", False)]

        async def forwarded():  # the province learns of it: both forwarders, each ask's 上报方式
            return (await ok(await js.get(f"/api/notices/{top_id}")))["forwards"].get(mid)

        link = await eventually(forwarded)
        assert link["unit_names"] == ["苏州市科学技术协会", "苏州市科学技术局"]
        assert (link["upward"]["plan"]["mode"], link["upward"]["cases"]) == ("direct", {"mode": "select", "limit": 2})

        async def tracked():  # the province's 签收 table: both city units signed, the joint 转发 under each
            rows = (await ok(await js.get(f"/api/notices/{top_id}/tracking")))["page"]["items"]
            done = all(r["acknowledged_at"] and mid in {f["notice_id"] for f in r["forwarded"]} for r in rows)
            return rows if done and len(rows) == 2 else None

        assert {r["unit_id"] for r in await eventually(tracked)} == {"su-kx", "su-kjj"}

        # 4. The county units 签收 and 报送 both asks.
        county_clients = {u: await as_role(c, u, "submitter") for u in COUNTY_IDS}
        for unit, client in county_clients.items():
            await eventually(in_inbox(client, mid))
            if unit != "cs-kx":  # 常熟 has not signed yet
                await ok(await client.post(f"/api/inbox/{mid}/acknowledge"))
        sent: dict[tuple[str, str], str] = {}
        for unit, client in county_clients.items():
            for ask in ("plan", "cases"):
                if unit == "cs-kx" and ask == "cases":
                    continue  # 常熟 still owes its 案例
                items = [{"text": f"{unit}的{ask}"}]
                r = await client.post(f"/api/notices/{mid}/asks/{ask}/submission", json={"items": items})
                sent[unit, ask] = (await ok(r, 201))["id"]

        # 5. Three departments at the city: 组织人事部 and 学会部 have a reviewer, 组宣部 nobody (yet).
        zr = await reviewer(c, "zr", "组织人事部")
        xh = await reviewer(c, "xh", "学会部")
        at_zr = await queue(zr, notice_id=mid)
        assert set(at_zr) == {"wj-kx", "cs-kx", "suda-kx", "ht-kx"}
        assert {u for u, r in at_zr.items() if r["unassigned"]} == {"suda-kx", "ht-kx"}  # 组宣部's, visibly
        assert {r["department"] for r in at_zr.values()} == {"组织人事部", "组宣部"}
        assert set(await queue(xh, notice_id=mid)) == {"su-yxh", "suda-kx", "ht-kx"}
        page = await zr.get("/review")
        assert "未指定审核人员，由本单位审核人员处理" in page.text
        zx = await reviewer(c, "zx", "组宣部")
        mine = {"zr": zr, "xh": xh, "zx": zx}
        by_department = {d: set() for d in CITY_DEPARTMENTS}
        for unit, department in DEPARTMENT_OF.items():
            by_department[department].add(unit)
        for (name, client), department in zip(mine.items(), CITY_DEPARTMENTS, strict=True):
            rows = await queue(client, notice_id=mid)
            assert set(rows) == by_department[department], name
            assert not any(r["unassigned"] for r in rows.values())
            assert all(r["to_unit_id"] == "su-kx" for r in rows.values())
        assert set(await queue(kjj, notice_id=mid)) == {"wj-kjj"}  # the 科技局's own reviewers

        # 6. 直接上报: each accepted 方案 goes up by itself, its source unit named at the province.
        reviewer_of = {"组织人事部": zr, "学会部": xh, "组宣部": zx}
        for unit in ("wj-kx", "su-yxh", "suda-kx"):
            by = reviewer_of[DEPARTMENT_OF[unit]]
            await accept(by, sent[unit, "plan"])
        await accept(kjj, sent["wj-kjj", "plan"])

        async def arrived(client, ask: str, count: int):
            rows = (await ok(await client.get("/api/review", params={"notice_id": top_id})))["items"]
            rows = [r for r in rows if r["ask_id"] == ask and r["source_unit_id"]]
            return rows if len(rows) == count else None

        plans = await eventually(lambda: arrived(js, "plan", 3), timeout=30)
        assert {(r["unit_id"], r["source_unit_name"], r["upward"]) for r in plans} == {
            ("su-kx", "吴江区科学技术协会", "direct"),
            ("su-kx", "苏州市医学会", "direct"),
            ("su-kx", "苏州大学科学技术协会", "direct"),
        }
        assert {(r["to_unit_id"], r["department"]) for r in plans} == {("js-kx", "组织人事部")}
        [kjj_plan] = await eventually(lambda: arrived(kjt, "plan", 1), timeout=30)
        assert (kjj_plan["unit_id"], kjj_plan["source_unit_name"]) == ("su-kjj", "吴江区科学技术局")

        # 7. 择优上报: the city's reviewers accept the 案例, then pick two of three (three is over the limit).
        for unit in ("wj-kx", "su-yxh", "suda-kx"):
            by = reviewer_of[DEPARTMENT_OF[unit]]
            await accept(by, sent[unit, "cases"])
        picks = [sent["wj-kx", "cases"], sent["su-yxh", "cases"], sent["suda-kx", "cases"]]
        over = await su.post(f"/api/notices/{mid}/asks/cases/compile", json={"submission_ids": picks})
        assert over.status_code == 422 and over.json()["detail"][0]["type"] == "over_limit", over.text
        await ok(await su.post(f"/api/notices/{mid}/asks/cases/compile", json={"submission_ids": picks[:2]}), 201)
        cases = await eventually(lambda: arrived(js, "cases", 2), timeout=30)
        assert {(r["source_unit_name"], r["upward"]) for r in cases} == {
            ("吴江区科学技术协会", "select"),
            ("苏州市医学会", "select"),
        }

        # 8. 下级进度: the province reads the city's level, then each county unit under it.
        async def city_level():
            r = await js.get(f"/api/notices/{top_id}/rollup")
            rows = r.json()["forwards"]["items"] if r.status_code == 200 else []
            row = next((x for x in rows if x["forward_notice_id"] == mid), None)
            wanted = {"recipients": len(COUNTY_IDS), "acknowledged": 5, "submitted": 11, "accepted": 7}
            if row is None or any(row["figures"][k] != v for k, v in wanted.items()):
                return None
            return row

        row = await eventually(city_level, timeout=30)
        assert row["unit_names"] == ["苏州市科学技术协会", "苏州市科学技术局"] and row["node_id"] == fed["city"].id
        units = {
            u["unit_id"]: u
            for u in (await ok(await js.get(f"/api/notices/{top_id}/rollup/{mid}", params={"per_page": 50})))["units"][
                "items"
            ]
        }
        assert set(units) == set(COUNTY_IDS)
        assert not units["cs-kx"]["acknowledged_at"] and units["wj-kx"]["acknowledged_at"]
        assert units["wj-kx"]["answers"]["plan"]["status"] == "accepted"
        assert units["cs-kx"]["answers"]["plan"]["status"] == "submitted"
        assert units["cs-kx"]["answers"]["cases"]["status"] == "pending"
        assert units["ht-kx"]["answers"]["plan"]["status"] == "submitted"
        page = await js.get(f"/notices/{top_id}/rollup/{mid}")
        assert page.status_code == 200 and "亨通集团科学技术协会" in page.text

        # 9. The city shows the province's units and departments by name: what it owes, and where to.
        owed = (await ok(await su.get("/api/submissions")))["items"]
        upstream = next(r for r in owed if r["notice_id"] == top_id and r["ask_id"] == "plan")
        assert (upstream["to_unit_name"], upstream["department"]) == ("江苏省科学技术协会", "组织人事部")
        page = await su.get(f"/submissions/{upstream['id']}")
        assert "报送给：" in page.text and "江苏省科学技术协会 组织人事部" in page.text and "js-kx" not in page.text
        notice_page = await su.get(f"/notices/{top_id}")
        assert "江苏省科学技术厅" in notice_page.text and "人才处" in notice_page.text

        # 10. The province decides on the items one by one; its 报送情况 counts the city's answer as its items
        #     stand together (one accepted does not make it accepted), and the city sees each decision.
        by_source = {r["source_unit_id"]: r["id"] for r in plans}
        await ok(await js.post(f"/api/submissions/{by_source['wj-kx']}/accept", json={"revision": 1}))
        back = {"revision": 1, "reason": "请补充经费预算"}
        await ok(await js.post(f"/api/submissions/{by_source['suda-kx']}/return", json=back))

        async def answer_of(unit: str, **wanted):
            asks = (await ok(await js.get(f"/api/notices/{top_id}/completeness")))["asks"]
            rows = [u for a in asks if a["ask_id"] == "plan" for u in a["units"] if u["unit_id"] == unit]
            assert len(rows) <= 1, rows
            return rows[0] if rows and all(rows[0][k] == v for k, v in wanted.items()) else None

        row = await eventually(lambda: answer_of("su-kx", status="submitted", items=3))  # 医学会's awaits review
        assert (row["upward"], row["sent_up"], row["compiled"]) == ("direct", 3, False)
        await ok(await js.post(f"/api/submissions/{by_source['su-yxh']}/accept", json={"revision": 1}))
        row = await eventually(lambda: answer_of("su-kx", status="returned"))
        assert row["reason"] == "苏州大学科学技术协会：请补充经费预算"
        page = await js.get(f"/notices/{top_id}")
        assert "直接上报3项" in page.text and "择优上报2项" in page.text

        async def returned_at_the_city():
            r = await su.get(f"/api/submissions/{by_source['suda-kx']}")
            return r.json() if r.status_code == 200 and r.json()["status"] == "returned" else None

        item = await eventually(returned_at_the_city)
        assert (item["return_reason"], item["source_unit_name"]) == ("请补充经费预算", "苏州大学科学技术协会")
        listed = await su.get("/submissions")
        assert "苏州大学科学技术协会的报送（直接上报）" in listed.text and "请补充经费预算" in listed.text
        assert f'action="/submissions/{by_source["suda-kx"]}/return-down"' in listed.text  # the city's reviewer

        # 11. 退回下级: the city sends the province's 退回 down to 苏州大学; corrected and accepted at the city, it
        #     goes up by itself again as the item's revision 2, which the province reviews.
        early = await su.post(f"/api/submissions/{by_source['wj-kx']}/return-down", json={})
        detail = refusal(early, 409, "submission_id")
        assert detail["type"] == "not_returned" and "未被上级退回" in detail["msg"]
        page = await su.get(f"/submissions/{by_source['suda-kx']}")
        assert 'id="return-down-form"' in page.text
        reopened = await ok(await su.post(f"/api/submissions/{by_source['suda-kx']}/return-down", json={}))
        assert (reopened["id"], reopened["status"]) == (sent["suda-kx", "plan"], "returned")
        assert reopened["return_reason"] == "上级退回：请补充经费预算"
        twice = await su.post(f"/api/submissions/{by_source['suda-kx']}/return-down", json={})
        assert refusal(twice, 409, "submission_id")["type"] == "already_returned_down"
        suda = county_clients["suda-kx"]
        mine = await ok(await suda.get(f"/api/submissions/{sent['suda-kx', 'plan']}"))
        assert (mine["status"], mine["return_reason"]) == ("returned", "上级退回：请补充经费预算")
        items = [{"text": "suda-kx的plan（含经费预算）"}]
        again = await ok(await suda.post(f"/api/notices/{mid}/asks/plan/submission", json={"items": items}), 201)
        assert again["revision"] == 2
        headers = {"X-CSRF-Token": zx.csrf}
        url = f"/api/submissions/{again['id']}/accept"
        await ok(await zx.post(url, json={"revision": 2}, headers=headers))

        async def second_revision():
            r = await js.get(f"/api/submissions/{by_source['suda-kx']}")
            body = r.json() if r.status_code == 200 else {}
            return body if body.get("revision") == 2 and body.get("status") == "submitted" else None

        up = await eventually(second_revision, timeout=30)
        assert up["source_unit_name"] == "苏州大学科学技术协会"
        assert [(r["revision"], r["items"]) for r in up["revisions"]][-1] == (2, items)
        assert up["revisions"][-1]["contributions"][0]["revision"] == 2
        await ok(await js.post(f"/api/submissions/{by_source['suda-kx']}/accept", json={"revision": 2}))

        async def accepted_at_the_city():
            r = await su.get(f"/api/submissions/{by_source['suda-kx']}")
            body = r.json() if r.status_code == 200 else {}
            return body if (body.get("status"), body.get("revision")) == ("accepted", 2) else None

        await eventually(accepted_at_the_city, timeout=30)
        source_page = await su.get(f"/submissions/{sent['suda-kx', 'plan']}")
        assert "已直接上报" in source_page.text and "已汇总上报" not in source_page.text


# ---------------------------------------------------------------- one node: the pages of 择优上报 and 直接上报


async def test_the_pages_pick_up_to_the_limit_and_name_each_item_by_its_source(node):
    """The 转发 keeps each ask's 上报方式 (NoticeView.upward), so the pages follow it: 择优上报 picks up to its
    limit with nothing of the level's own, 直接上报 has nothing to compile; an item is named by its source unit
    in the level's 报送 list and is no 汇总 at the province."""
    async with running(node), gateway(node) as http:
        await load(http, [*PROVINCE, *city(), *county()], "js-kx")
        js = await as_role(http, "js-kx", "issuer", "reviewer")
        body = {
            "title": "关于推荐科技志愿服务典型案例的通知",
            "issuer_unit_ids": ["js-kx"],
            "recipient_unit_ids": ["su-kx"],
            "asks": [
                text_ask("cases", "典型案例", 20, routes=PROVINCE_ROUTES, max_items=2),
                text_ask("plan", "活动方案", 20, routes=PROVINCE_ROUTES),
            ],
        }
        top = (await ok(await js.post("/api/notices", json=body), 201))["notice_id"]
        su = await as_role(http, "su-kx", "issuer", "reviewer", "submitter")
        await eventually(in_inbox(su, top))
        fwd = {
            "unit_id": "su-kx",
            "recipient_unit_ids": ["wj-kx", "cs-kx"],
            "upward": {"cases": {"mode": "select", "limit": 1}, "plan": {"mode": "direct"}},
        }
        mid = (await ok(await su.post(f"/api/notices/{top}/forward", json=fwd), 201))["notice_id"]
        assert (await ok(await su.get(f"/api/notices/{mid}")))["upward"]["cases"] == {"mode": "select", "limit": 1}
        sent = {}
        for unit in ("wj-kx", "cs-kx"):
            client = await as_role(http, unit, "submitter")
            await eventually(in_inbox(client, mid))
            r = await client.post(f"/api/notices/{mid}/asks/cases/submission", json={"items": [{"text": unit}]})
            sent[unit] = (await ok(r, 201))["id"]
            await ok(await su.post(f"/api/submissions/{sent[unit]}/accept", json={"revision": 1}))

        await create_user(http, "su-rev", "su-kx", "reviewer", "submitter")
        rev = await login(http, "su-rev")
        page = (await rev.get(f"/notices/{mid}", headers=HTML)).text
        assert '<a href="/notices/' + mid + '/asks/cases/compile" id="compile-cases">择优上报</a>' in page
        assert 'id="direct-plan"' in page and 'id="compile-plan"' not in page
        form = (await rev.get(f"/notices/{mid}/asks/plan/compile", headers=HTML)).text
        assert "<h1>直接上报：" in form and 'id="compile-form"' not in form
        form = (await rev.get(f"/notices/{mid}/asks/cases/compile", headers=HTML)).text
        assert "<h1>择优上报：" in form and 'id="select-limit">1<' in form
        assert "本单位内容" not in form and "checked" not in form  # nothing of its own, nothing picked for it

        url = f"/notices/{mid}/asks/cases/compile"
        both = await rev.post(url, data={"csrf_token": rev.csrf, "submission_ids": list(sent.values())}, headers=HTML)
        assert both.status_code == 422 and "择优上报最多1项" in both.text
        one = await rev.post(url, data={"csrf_token": rev.csrf, "submission_ids": [sent["wj-kx"]]}, headers=HTML)
        assert one.status_code == 303, one.text
        item_id = one.headers["location"].removeprefix("/submissions/")

        listed = (await rev.get("/submissions", headers=HTML)).text
        row = listed.split(f'data-submission="{item_id}"')[1].split("</tr>")[0]
        assert "吴江区科学技术协会的报送（择优上报）" in row and "修改重报" not in row

        async def arrived():
            r = await js.get(f"/api/submissions/{item_id}")
            return r.status_code == 200 and r.json()["status"] == "submitted"

        await eventually(arrived)
        queue_page = (await js.get("/review", headers=HTML)).text
        row = queue_page.split(f'data-submission="{item_id}"')[1].split("</tr>")[0]
        assert "经苏州市科学技术协会择优上报" in row and "汇总" not in row
        item_page = (await js.get(f"/submissions/{item_id}", headers=HTML)).text
        assert "来自：吴江区科学技术协会" in item_page and "汇总报告" not in item_page and "汇总自" not in item_page
