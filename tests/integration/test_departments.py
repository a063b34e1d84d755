"""Departments are real: users belong to one, 审核 shows each department its own queue, and a department nobody
reviews for falls back to the unit's reviewers, visibly; arrivals are told to the department's contacts.

苏州市科协 routes county 科协 to 组织人事部, societies to 学会部 and universities to 组宣部; 组织人事部 and
学会部 each have a reviewer, 组宣部 has none.
"""

from ..harness import as_role, eventually, gateway, login, running
from .levels import CITY_ROUTES, COUNTY_IDS, city, county, load, ok, refused, text_ask

PASSWORD = "correct horse battery"


async def user(admin, username: str, department: str | None, *roles: str) -> dict:
    body = {
        "username": username,
        "display_name": username,
        "unit_id": "su-kx",
        "roles": list(roles or ["reviewer"]),
        "password": PASSWORD,
        **({"department": department} if department else {}),
    }
    made = (await ok(await admin.post("/api/admin/users", json=body), 201))["user"]
    # An admin-set password must be changed at the first login; these people have done so.
    await admin.app.state.accounts.store.update(username, {"must_change_password": False})
    return made


async def issued(http) -> str:
    """苏州市科协 issues to its units with one ask routed by kind to its departments."""
    await load(http, [*city(parent=None), *county()], "su-kx")
    su = await as_role(http, "su-kx", "issuer")
    body = {
        "title": "关于报送2021年“全国科技工作者日”活动方案的通知",
        "issuer_unit_ids": ["su-kx"],
        "recipient_unit_ids": COUNTY_IDS,
        "asks": [text_ask("plan", "活动方案", 20, routes=CITY_ROUTES)],
    }
    return (await ok(await su.post("/api/notices", json=body), 201))["notice_id"]


async def submit(http, unit_id: str, notice_id: str, text: str) -> str:
    client = await as_role(http, unit_id, "submitter")

    async def owed():
        rows = (await client.get("/api/submissions")).json()["items"]
        return any(r["notice_id"] == notice_id for r in rows)

    await eventually(owed)
    r = await client.post(f"/api/notices/{notice_id}/asks/plan/submission", json={"items": [{"text": text}]})
    return (await ok(r, 201))["id"]


def units_of(page: dict) -> set[str]:
    return {r["unit_id"] for r in page["items"]}


async def test_a_users_department_must_be_one_of_its_units_and_travels_with_the_actor(node):
    async with running(node), gateway(node, org_unit_id="su-kx") as http:
        await load(http, [*city(parent=None), *county()], "su-kx")
        admin = await as_role(http, "su-kx", "admin")
        before = (await admin.get("/api/admin/users")).json()["total"]
        r = await admin.post(
            "/api/admin/users",
            json={
                "username": "zhang",
                "display_name": "张敏",
                "unit_id": "su-kx",
                "roles": ["reviewer"],
                "department": "财务部",
                "password": PASSWORD,
            },
        )
        detail = refused(r, 422, "department")
        assert "财务部" in detail["msg"] and "组织人事部" in detail["msg"]
        assert (await admin.get("/api/admin/users")).json()["total"] == before  # nothing made

        made = await user(admin, "zhang", "组织人事部")
        assert made["department"] == "组织人事部"
        change = {"display_name": "张敏", "unit_id": "su-kx", "roles": ["reviewer"], "department": "不存在的部"}
        refused(await admin.put("/api/admin/users/zhang", json=change), 422, "department")
        assert (await admin.get("/api/admin/users/zhang")).json()["department"] == "组织人事部"

        me = await login(http, "zhang", PASSWORD)
        assert (await me.get("/api/me")).json()["department"] == "组织人事部"
        await ok(await admin.put("/api/admin/users/zhang", json={**change, "department": "学会部"}))
        assert (await me.get("/api/me")).json()["department"] == "学会部"  # the next request carries the change

        # The admin pages offer the unit's departments and refuse another the same way.
        page = await admin.get("/admin/users/zhang", headers={"Accept": "text/html"})
        assert '<option value="组宣部"' in page.text
        form = {"display_name": "张敏", "unit_id": "su-kx", "roles": "reviewer", "department": "财务部"}
        r = await admin.post("/admin/users/zhang", data=form, headers={"Accept": "text/html"})
        assert r.status_code == 422 and "没有部门“财务部”" in r.text


async def test_each_department_reviews_its_own_queue_and_the_unstaffed_one_falls_back_visibly(node):
    async with running(node), gateway(node, org_unit_id="su-kx") as http:
        nid = await issued(http)
        admin = await as_role(http, "su-kx", "admin")
        await user(admin, "zr", "组织人事部")
        await user(admin, "xh", "学会部")
        await user(admin, "boss", None)  # a reviewer of the unit, of no department
        zr, xh, boss = [await login(http, name, PASSWORD) for name in ("zr", "xh", "boss")]

        wj = await submit(http, "wj-kx", nid, "吴江区方案")  # 科协 → 组织人事部
        yxh = await submit(http, "su-yxh", nid, "医学会方案")  # 学会 → 学会部
        suda = await submit(http, "suda-kx", nid, "苏大方案")  # 高校科协 → 组宣部: nobody reviews for it

        async def queue(client, **params):
            return await ok(await client.get("/api/review", params=params))

        assert units_of(await eventually(lambda: queue(zr))) == {"wj-kx", "suda-kx"}
        assert units_of(await queue(xh)) == {"su-yxh", "suda-kx"}
        assert units_of(await queue(boss)) == {"wj-kx", "su-yxh", "suda-kx"}  # no department: every queue
        fallback = next(r for r in (await queue(zr))["items"] if r["id"] == suda)
        assert fallback["unassigned"] and fallback["department"] == "组宣部"
        assert not next(r for r in (await queue(zr))["items"] if r["id"] == wj)["unassigned"]

        # On request: another department's queue, all of them, or those routed to no department.
        assert units_of(await queue(zr, department="学会部")) == {"su-yxh"}
        assert units_of(await queue(zr, department="*")) == {"wj-kx", "su-yxh", "suda-kx"}
        assert units_of(await queue(zr, department="-")) == set()
        detail = refused(await zr.get("/api/review", params={"department": "财务部"}), 422, "department")
        assert "财务部" in detail["msg"]

        # The page: the department filter, and the fallback said in words.
        page = await zr.get("/review")
        assert page.status_code == 200
        assert 'name="department"' in page.text and "本部门（组织人事部）" in page.text
        assert "未指定审核人员，由本单位审核人员处理" in page.text
        assert yxh not in page.text and wj in page.text
        other = await zr.get("/review", params={"department": "学会部"})
        assert yxh in other.text and wj not in other.text

        # Once 组宣部 has a reviewer, its submissions leave the others' default queues.
        await user(admin, "zx", "组宣部")
        assert units_of(await queue(zr)) == {"wj-kx"}
        zx = await login(http, "zx", PASSWORD)
        assert units_of(await queue(zx)) == {"suda-kx"}


async def test_an_arrival_is_told_to_the_departments_contacts_or_to_the_whole_unit(node):
    async with running(node), gateway(node, org_unit_id="su-kx") as http:
        nid = await issued(http)
        reviewer = await as_role(http, "su-kx", "reviewer", "issuer")
        await submit(http, "wj-kx", nid, "吴江区方案")  # 组织人事部: 张敏 is its contact
        await submit(http, "suda-kx", nid, "苏大方案")  # 组宣部: no contact of its own

        async def arrivals():
            r = await reviewer.get(
                f"/api/notices/{nid}/deliveries", params={"cause": "submission.arrived", "per_page": 50}
            )
            rows = [x for x in (await ok(r))["items"] if x["channel"] == "email"]
            return rows if len(rows) >= 4 else None

        rows = await eventually(arrivals)
        by_source: dict[str, set[str]] = {}
        for row in rows:
            source = "wj-kx" if "吴江区" in row["body"] else "suda-kx"
            by_source.setdefault(source, set()).add(row["contact_name"])
            assert row["unit_id"] == "su-kx"
        assert by_source["wj-kx"] == {"张敏"}
        assert by_source["suda-kx"] == {"张敏", "李华", "陈静"}  # every contact of the unit
        fallback = next(row for row in rows if "苏州大学" in row["body"])
        assert "未指定审核人员，由本单位审核人员处理" in fallback["body"]
