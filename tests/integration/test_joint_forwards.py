"""Joint forwards done once: 苏州市科协 forwards the province's notice jointly with 苏州市科技局; the 科技局 sees it
done (已转发, by whom, 文号), cannot forward it again to the same units, and the province lists both forwarders.
"""

import asyncio

from ..harness import as_role, eventually, gateway, issue_jointly, running
from .levels import CITY_ROUTES, COUNTY_IDS, PROVINCE, city, county, load, ok, refused, text_ask

JOINT_TO = [u for u in COUNTY_IDS if u != "cs-kx"]


async def province_notice(http) -> str:
    await load(http, [*PROVINCE, *city(), *county()], "js-kx")
    js = await as_role(http, "js-kx", "issuer", "reviewer")
    body = {
        "title": "关于开展2021年“全国科技工作者日”活动的通知",
        "issuer_unit_ids": ["js-kx", "js-kjt"],
        "recipient_unit_ids": ["su-kx", "su-kjj"],
        "asks": [text_ask("plan", "活动方案", 20)],
    }
    return (await ok(await issue_jointly(js, body), 201))["notice_id"]  # 签发 by 省科协, 会签 by 省科技厅


async def entry(client, notice_id: str) -> dict | None:
    rows = (await client.get("/api/inbox")).json()["items"]
    return next((r for r in rows if r["notice_id"] == notice_id), None)


async def inbox_count(client) -> int:
    return len((await client.get("/api/inbox")).json()["items"])


async def sent_count(client) -> int:
    return len((await client.get("/api/notices")).json()["items"])


async def test_a_joint_forward_is_done_for_every_forwarder_and_made_only_once(node):
    async with running(node), gateway(node) as http:
        top = await province_notice(http)
        su = await as_role(http, "su-kx", "issuer")
        kjj = await as_role(http, "su-kjj", "issuer")
        await eventually(lambda: entry(kjj, top))
        joint = await ok(
            await su.post(
                f"/api/notices/{top}/forward",
                json={
                    "unit_id": "su-kx",
                    "co_issuer_unit_ids": ["su-kjj"],
                    "recipient_unit_ids": JOINT_TO,
                    "routes": CITY_ROUTES,
                    "doc_number": "苏科协发〔2021〕8号",
                },
            ),
            201,
        )

        # The co-forwarder's 收文 shows it done: by whom, under which 文号.
        async def done_for_kjj():
            e = await entry(kjj, top)
            return (e or {}).get("forwarded", {}).get(joint["notice_id"])

        link = await eventually(done_for_kjj)
        assert link["doc_number"] == "苏科协发〔2021〕8号"
        assert link["unit_names"] == ["苏州市科学技术协会", "苏州市科学技术局"]
        page = await kjj.get("/inbox")
        assert "已转发 苏科协发〔2021〕8号" in page.text and "联合转发" in page.text

        # No second 转发 to a unit the joint one reached (科技局 nor 科协), naming the recipient; nothing changes.
        wj_kjj = await as_role(http, "wj-kjj", "submitter")
        await eventually(lambda: entry(wj_kjj, joint["notice_id"]))
        sent_before = await sent_count(kjj)
        again = await kjj.post(
            f"/api/notices/{top}/forward", json={"unit_id": "su-kjj", "recipient_unit_ids": ["cs-kx", "wj-kjj"]}
        )
        detail = refused(again, 422, "recipient_unit_ids.1")
        assert "吴江区科学技术局" in detail["msg"] and "苏科协发〔2021〕8号" in detail["msg"]
        assert "联合转发" in detail["msg"]
        refused(
            await su.post(f"/api/notices/{top}/forward", json={"unit_id": "su-kx", "recipient_unit_ids": ["wj-kx"]}),
            422,
            "recipient_unit_ids.0",
        )
        await asyncio.sleep(0.3)
        assert await sent_count(kjj) == sent_before
        assert await inbox_count(wj_kjj) == 1  # the 科技局 below owes the ask once
        cs = await as_role(http, "cs-kx", "submitter")
        assert await inbox_count(cs) == 0

        # A unit the joint 转发 did not reach can still be forwarded it.
        alone = await ok(
            await kjj.post(f"/api/notices/{top}/forward", json={"unit_id": "su-kjj", "recipient_unit_ids": ["cs-kx"]}),
            201,
        )
        await eventually(lambda: entry(cs, alone["notice_id"]))

        # The issuer's 签收 table and 下级转发 list every joint forwarder.
        js = await as_role(http, "js-kx", "issuer", "reviewer")

        async def tracked():
            rows = (await ok(await js.get(f"/api/notices/{top}/tracking")))["page"]["items"]
            by_unit = {r["unit_id"]: {f["notice_id"] for f in r["forwarded"]} for r in rows}
            return by_unit if joint["notice_id"] in by_unit.get("su-kjj", set()) else None

        by_unit = await eventually(tracked)
        assert joint["notice_id"] in by_unit["su-kx"]
        assert by_unit["su-kjj"] == {joint["notice_id"], alone["notice_id"]}
        forwards = (await ok(await js.get(f"/api/notices/{top}")))["forwards"]
        assert forwards[joint["notice_id"]]["unit_names"] == ["苏州市科学技术协会", "苏州市科学技术局"]
        notice_page = await js.get(f"/notices/{top}")
        assert "苏州市科学技术协会、苏州市科学技术局" in notice_page.text


async def test_a_withdrawn_forward_gives_its_recipients_back(node):
    async with running(node), gateway(node) as http:
        top = await province_notice(http)
        su = await as_role(http, "su-kx", "issuer")
        kjj = await as_role(http, "su-kjj", "issuer")
        await eventually(lambda: entry(kjj, top))
        body = {"unit_id": "su-kx", "co_issuer_unit_ids": ["su-kjj"], "recipient_unit_ids": ["wj-kjj"]}
        joint = await ok(await su.post(f"/api/notices/{top}/forward", json=body), 201)
        again = {"unit_id": "su-kjj", "recipient_unit_ids": ["wj-kjj"]}
        refused(await kjj.post(f"/api/notices/{top}/forward", json=again), 422, "recipient_unit_ids.0")
        await ok(await su.post(f"/api/notices/{joint['notice_id']}/withdraw", json={"reason": "改由科技局转发"}))

        async def forwarded_again():
            r = await kjj.post(f"/api/notices/{top}/forward", json=again)
            return r.json() if r.status_code == 201 else None

        assert (await eventually(forwarded_again))["recipients"] == 1
