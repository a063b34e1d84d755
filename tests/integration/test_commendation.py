"""评选 and 通报表扬 (seeds 002, 003: “评选优秀组织单位和优秀活动案例，予以通报表扬”).

The unit the submissions are routed to commends accepted ones by category;
the notice page lists the 评选结果; the compose form drafts the 通报表扬 from
them, to the same recipients.
"""

import html

from ..fixtures import load_directory, seed000_notice
from ..harness import as_role, create_user, eventually, gateway, issue, login, running

XSS = "<img src=x onerror=alert(1)>"


async def ok(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()


async def owes(client, notice_id) -> bool:
    return any(r["notice_id"] == notice_id for r in (await client.get("/api/submissions")).json()["items"])


async def submit(client, notice_id: str, text: str) -> str:
    await eventually(lambda: owes(client, notice_id))
    return (
        await ok(
            await client.post(f"/api/notices/{notice_id}/asks/summary/submission", json={"items": [{"text": text}]}),
            201,
        )
    )["id"]


async def test_reviewers_commend_accepted_submissions_and_the_issuer_drafts_the_commendation(node):
    async with running(node), gateway(node) as http:
        await load_directory(http)
        gd = await as_role(http, "gd-kx", "issuer", "reviewer")
        nid = (await ok(await issue(gd, seed000_notice()), 201))["notice_id"]
        sz = await submit(await as_role(http, "sz-kx", "submitter"), nid, "深圳市活动总结")
        jx = await submit(await as_role(http, "gd-jxxh", "submitter"), nid, "学会活动总结")
        kjj = await submit(await as_role(http, "sz-kjj", "submitter"), nid, "科技局活动总结")  # routed to 科技厅

        # Only what was accepted, by the unit it is routed to, in a known category.
        r = await gd.post(f"/api/submissions/{sz}/commend", json={"category": "优秀组织单位"})
        assert r.status_code == 409 and r.json()["detail"][0]["type"] == "not_accepted"
        for sid in (sz, jx):
            await ok(await gd.post(f"/api/submissions/{sid}/accept", json={"revision": 1}))
        kjt = await as_role(http, "gd-kjt", "reviewer")
        await ok(await kjt.post(f"/api/submissions/{kjj}/accept", json={"revision": 1}))
        assert (await kjt.post(f"/api/submissions/{sz}/commend", json={"category": "优秀组织单位"})).status_code == 404
        submitter = await as_role(http, "gd-kx", "submitter")
        assert (
            await submitter.post(f"/api/submissions/{sz}/commend", json={"category": "优秀组织单位"})
        ).status_code == 403
        r = await gd.post(f"/api/submissions/{sz}/commend", json={"category": "最佳单位"})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "category"

        done = await ok(await gd.post(f"/api/submissions/{sz}/commend", json={"category": "优秀组织单位"}))
        assert done["commendation"]["category"] == "优秀组织单位" and done["commendation"]["by"]
        await ok(
            await gd.post(
                f"/api/submissions/{jx}/commend", json={"category": "优秀活动案例", "note": "机械工程科普日" + XSS}
            )
        )
        await ok(await kjt.post(f"/api/submissions/{kjj}/commend", json={"category": "积极贡献单位"}))
        [entry, *_] = await http.app.state.audit.query(action="submissions.commend")
        assert entry["target"]

        # The 汇总表 says it too.
        table = (await gd.get(f"/api/notices/{nid}/asks/summary/table.csv")).content.decode()
        assert "优秀组织单位" in table and "优秀活动案例（机械工程科普日" in table

        # The notice page lists them by category, escaped, with the way to the 通报表扬.
        await create_user(http, "leijing", "gd-kx", "issuer", "reviewer")
        browser = await login(http, "leijing")
        page = (await browser.get(f"/notices/{nid}")).text
        assert 'id="commended"' in page and 'id="commend-draft"' in page
        assert page.index("优秀组织单位") < page.index("优秀活动案例") < page.index("积极贡献单位")
        assert XSS not in page and html.escape(XSS) in page

        # The draft: its title from the notice's, the results by category, the same recipients.
        draft = (await browser.get(f"/notices/new?commend={nid}")).text
        assert "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》评选结果的通报" in html.unescape(
            draft
        )
        body = html.unescape(draft.split('name="body"', 1)[1].split("</textarea>", 1)[0])
        assert "一、优秀组织单位\n深圳市科学技术协会" in body
        assert "二、优秀活动案例\n广东省机械工程学会（机械工程科普日" in body
        assert "三、积极贡献单位\n深圳市科技创新局" in body
        for unit in seed000_notice()["recipient_unit_ids"]:
            assert f'value="{unit}" checked' in draft

        # Taken back: gone from the page; the page form works with the session and its CSRF token.
        r = await browser.post(f"/submissions/{jx}/commend", data={"csrf_token": browser.csrf, "category": ""})
        assert r.status_code == 303
        assert "机械工程科普日" not in (await browser.get(f"/notices/{nid}")).text
        assert (await browser.post(f"/submissions/{jx}/commend", data={"category": "优秀活动案例"})).status_code == 403

        # A notice of another unit cannot be drafted from.
        other = await as_role(http, "sz-kx", "issuer")
        assert (await other.get(f"/notices/new?commend={nid}", headers={"Accept": "text/html"})).status_code == 404
