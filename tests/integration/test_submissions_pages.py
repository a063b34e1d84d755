"""The submission pages with a browser-like session: 报送, 退回, 重报, 采用, 汇总, 催办 (seed 000)."""

import re

from shared.clock import FixedClock

from ..fixtures import SEED000_NOW, seed000_national
from ..harness import create_user, eventually, gateway, login, running
from .test_submissions import FORWARDED_TO, issue_and_forward, owed

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def sid_of(location: str) -> str:
    match = re.fullmatch(r"/submissions/(.+)", location)
    assert match, location
    return match.group(1)


async def test_submit_review_compile_and_chase_on_the_pages(node):
    clock = FixedClock(SEED000_NOW)
    async with running(node, clock=clock), gateway(node, clock=clock) as http:
        national, forwarded = await issue_and_forward(http)
        await create_user(http, "wangmin", "sz-kx", "submitter", display_name="王敏")
        await create_user(http, "leijing", "gd-kx", "issuer", "reviewer", display_name="雷晶")
        city, province = await login(http, "wangmin"), await login(http, "leijing")
        await eventually(lambda: owed(city, forwarded))

        page = await city.get("/submissions")
        assert page.status_code == 200 and "广东省科学技术协会" in page.text
        assert seed000_national()["asks"][0]["title"] in page.text
        form = await city.get(f"/notices/{forwarded}/asks/summary/submit")
        assert form.status_code == 200 and 'name="item-0-summary"' in form.text and "截止时间" in form.text

        url = f"/notices/{forwarded}/asks/summary/submit"
        # Without the CSRF token nothing is taken.
        assert (await city.post(url, data={"item-0-summary": "x"})).status_code == 403
        # Nothing typed: the form comes back with the reason, and nothing is stored.
        r = await city.post(url, data={"csrf_token": city.csrf, "item-0-summary": "  "})
        assert r.status_code == 422 and "应报送1项，实际0项" in r.text
        assert (await owed(city, forwarded))["status"] == "pending"

        r = await city.post(url, data={"csrf_token": city.csrf, "item-0-summary": "初稿" + XSS})
        assert r.status_code == 303, r.text
        sid = sid_of(r.headers["location"])
        detail = await city.get(f"/submissions/{sid}")
        assert "已报送" in detail.text and XSS not in detail.text and "&lt;script&gt;" in detail.text

        # The province reviews: its queue, then 退回 with a reason the city sees.
        queue = await province.get("/review")
        assert queue.status_code == 200 and "深圳市科学技术协会" in queue.text
        r = await province.post(
            f"/submissions/{sid}/return",
            data={"csrf_token": province.csrf, "revision": "1", "reason": "请补充成效" + XSS},
        )
        assert r.status_code == 303
        detail = await city.get(f"/submissions/{sid}")
        assert "已退回" in detail.text and "请补充成效" in detail.text and XSS not in detail.text
        form = await city.get(url)
        assert 'id="returned"' in form.text and "初稿" in form.text  # the last revision, to correct

        r = await city.post(url, data={"csrf_token": city.csrf, "item-0-summary": "深圳市科协活动总结，共120人参加。"})
        assert r.status_code == 303
        # A stale decision is refused on the page with the reason; the current one is taken.
        stale = await province.post(f"/submissions/{sid}/accept", data={"csrf_token": province.csrf, "revision": "1"})
        assert stale.status_code == 409 and "第2版" in stale.text
        r = await province.post(f"/submissions/{sid}/accept", data={"csrf_token": province.csrf, "revision": "2"})
        assert r.status_code == 303
        assert "已采用" in (await city.get(f"/submissions/{sid}")).text

        # The notice page shows the province who has answered, and lets it chase the rest.
        notice = await province.get(f"/notices/{forwarded}")
        silent = len(FORWARDED_TO) - 1
        assert 'id="completeness-summary"' in notice.text and "已采用 1" in notice.text
        assert f"未报 {silent}" in notice.text
        # …and gives it the 汇总表 to download, with the session it is logged in with.
        link = f"/api/notices/{forwarded}/asks/summary/table.csv"
        assert f'href="{link}"' in notice.text
        table = await province.get(link)
        assert table.status_code == 200 and "深圳市科学技术协会" in table.text and "深圳市科协活动总结" in table.text
        r = await province.post(
            f"/notices/{forwarded}/chase", data={"csrf_token": province.csrf, "ask_id": "summary", "note": "请抓紧报送"}
        )
        assert r.status_code == 303 and f"chased={silent}" in r.headers["location"]
        assert f"已向 {silent} 个未报单位发出催办" in (await province.get(r.headers["location"])).text

        # 汇总: the accepted city submission is offered, selected, and goes up as the province's answer.
        page = await province.get(f"/notices/{forwarded}/asks/summary/compile")
        assert page.status_code == 200 and sid in page.text
        r = await province.post(
            f"/notices/{forwarded}/asks/summary/compile",
            data={
                "csrf_token": province.csrf,
                "submission_ids": sid,
                "item-0-summary": "广东省汇总：全省活动36场。",
                "note": "请审阅",
            },
        )
        assert r.status_code == 303, r.text
        report = await province.get(r.headers["location"])
        assert "汇总报告" in report.text and "汇总自：深圳市科学技术协会（第2版，1项）" in report.text
        assert national in r.headers["location"]
