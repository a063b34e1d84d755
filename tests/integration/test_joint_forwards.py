"""Joint forwards: 苏州市科协 forwards the province's notice jointly with 苏州市科技局. Made once: the 科技局 sees it
done (已转发, by whom, 文号), cannot forward it again to the same units, and the province lists both forwarders.
Signed by both: the 科技局's 签发人 must 会签 it (a draft, as a joint notice), on the API and on the 转发 page.
"""

import asyncio

from ..harness import as_role, create_user, eventually, forward_jointly, gateway, issue_jointly, login, running
from .levels import CITY_ROUTES, COUNTY_IDS, PROVINCE, city, county, load, ok, refused, text_ask

JOINT_TO = [u for u in COUNTY_IDS if u != "cs-kx"]
HTML = {"Accept": "text/html"}


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
            await forward_jointly(  # 签发 by 市科协, 会签 by 市科技局
                su,
                top,
                {
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
        joint = await ok(await forward_jointly(su, top, body), 201)
        again = {"unit_id": "su-kjj", "recipient_unit_ids": ["wj-kjj"]}
        refused(await kjj.post(f"/api/notices/{top}/forward", json=again), 422, "recipient_unit_ids.0")
        await ok(await su.post(f"/api/notices/{joint['notice_id']}/withdraw", json={"reason": "改由科技局转发"}))

        async def forwarded_again():
            r = await kjj.post(f"/api/notices/{top}/forward", json=again)
            return r.json() if r.status_code == 201 else None

        assert (await eventually(forwarded_again))["recipients"] == 1


async def person(http, username: str, unit_id: str, *roles: str):
    await create_user(http, username, unit_id, *roles, display_name=username)
    return await login(http, username)


def draft_of(location: str) -> str:
    return location.split("/drafts/")[1].split("?")[0]


async def test_the_forward_page_keeps_a_joint_forward_as_a_draft_the_co_forwarder_cosigns(node):
    """The 转发 page does for a joint 转发 what the compose page does for a joint notice: 转发 keeps it as a draft
    sent for 签发; one refusal (the 科技局's) returns it; edited on the 转发 page (its 上报方式 kept) and sent
    again, it is made once the 科协 has signed and the 科技局 会签."""
    async with running(node), gateway(node) as http:
        top = await province_notice(http)
        su = await as_role(http, "su-kx", "issuer")
        kjj = await as_role(http, "su-kjj", "issuer")
        await eventually(lambda: entry(su, top))
        body = {"unit_id": "su-kx", "co_issuer_unit_ids": ["su-kjj"], "recipient_unit_ids": ["wj-kx", "wj-kjj"]}
        detail = refused(await su.post(f"/api/notices/{top}/forward", json=body), 409, "co_issuer_unit_ids.0")
        assert detail["type"] == "cosign_required" and "苏州市科学技术局" in detail["msg"] and "拟稿" in detail["msg"]

        drafter = await person(http, "su-clerk", "su-kx", "issuer")
        form = {
            "csrf_token": drafter.csrf,
            "co_issuers": "su-kjj",
            "recipients": ["wj-kx", "wj-kjj"],
            "cover_note": "现将通知转发给你们，请认真组织实施。",
            "inherit-0-ask_id": "plan",
            "inherit-0-upward": "direct",
        }
        r = await drafter.post(f"/notices/{top}/forward", data=form, headers=HTML)
        assert r.status_code == 303 and r.headers["location"].endswith("?saved=signing"), r.text
        draft_id = draft_of(r.headers["location"])
        page = await drafter.get(r.headers["location"], headers=HTML)
        assert "已保存为草稿并送签发" in page.text and "联合转发单位" in page.text and "转发草稿" in page.text
        assert (await su.get("/api/notices")).json()["items"] == []  # not forwarded yet
        assert not (await entry(su, top))["forwarded"]

        # The 科技局's 签发人 reads it on the draft's page and refuses it there, with the reason.
        kjj_signer = await person(http, "su-kjj-signer", "su-kjj", "signer")
        page = await kjj_signer.get(f"/drafts/{draft_id}", headers=HTML)
        assert 'id="approve-form"' in page.text and "现将通知转发给你们" in page.text
        r = await kjj_signer.post(
            f"/drafts/{draft_id}/reject",
            data={"reason": "请写明科技局承办的内容", "csrf_token": kjj_signer.csrf},
            headers=HTML,
        )
        assert r.status_code == 303, r.text
        page = await drafter.get(f"/drafts/{draft_id}", headers=HTML)
        assert 'id="returned"' in page.text and "请写明科技局承办的内容" in page.text
        assert (await su.get("/api/notices")).json()["items"] == []

        # Edited on the 转发 page: the co-forwarder and the 上报方式 come back as they were; sent again.
        editor = await drafter.get(f"/notices/{top}/forward?draft={draft_id}", headers=HTML)
        assert editor.status_code == 200 and f'name="draft_id" value="{draft_id}"' in editor.text
        assert 'value="su-kjj" selected' in editor.text and 'value="direct" selected' in editor.text
        version = (await su.get(f"/api/drafts/{draft_id}")).json()["version"]
        r = await drafter.post(
            f"/notices/{top}/forward",
            data={
                **form,
                "cover_note": "现将通知转发给你们，市科技局承办科技人才活动。",
                "draft_id": draft_id,
                "version": str(version),
                "action": "submit",
            },
            headers=HTML,
        )
        assert r.status_code == 303 and r.headers["location"] == f"/drafts/{draft_id}?saved=submitted", r.text

        # 签发 by the 科协, 会签 by the 科技局, each on the draft's page: the 转发 is made, under the draft's id.
        su_signer = await person(http, "su-signer", "su-kx", "signer")
        for signer in (su_signer, kjj_signer):
            r = await signer.post(f"/drafts/{draft_id}/approve", data={"csrf_token": signer.csrf}, headers=HTML)
            assert r.status_code == 303 and r.headers["location"] == f"/drafts/{draft_id}?saved=signed", r.text
        made = await ok(await su.get(f"/api/notices/{draft_id}"))
        assert made["kind"] == "forwarded" and made["cover_note"].endswith("市科技局承办科技人才活动。")
        assert [i["unit_id"] for i in made["issuers"]] == ["su-kx", "su-kjj"]
        assert [(s["unit_id"], s["signed_by"]) for s in made["signatures"]] == [
            ("su-kx", "su-signer"),
            ("su-kjj", "su-kjj-signer"),
        ]
        js = await as_role(http, "js-kx", "issuer")

        async def reported():  # the province sees the 转发, its two forwarders and its 上报方式
            return (await ok(await js.get(f"/api/notices/{top}")))["forwards"].get(draft_id)

        link = await eventually(reported)
        assert link["unit_names"] == ["苏州市科学技术协会", "苏州市科学技术局"]
        assert link["upward"]["plan"]["mode"] == "direct"
        detail_page = await drafter.get(f"/notices/{draft_id}", headers=HTML)
        assert "签发人：su-signer" in detail_page.text and "会签：苏州市科学技术局 su-kjj-signer" in detail_page.text

        # Done for both forwarders; the county units below owe the ask.
        async def done_for_kjj():
            return ((await entry(kjj, top)) or {}).get("forwarded", {}).get(draft_id)

        assert (await eventually(done_for_kjj))["doc_number"] == made["doc_number"]
        wj = await as_role(http, "wj-kx", "submitter")
        await eventually(lambda: entry(wj, draft_id))
