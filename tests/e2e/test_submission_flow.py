"""报送 → 退回 → 重报 → 采用 → 汇总 in headless Chromium, seed 000 (the notices are issued over the API).

A city 科协's clerk fills the form built from the ask's template; the
province's reviewer returns it with a reason, accepts the second revision
and compiles it into the province's answer to the national notice.
"""

import httpx
from playwright.async_api import expect

from shared.clock import FixedClock
from shared.schemas import Role

from ..fixtures import DIRECTORY, SEED000_NOW, directory_order, seed000_forward, seed000_national, unit_json
from ..harness import eventually, forward, issue, running
from .serving import served_gateway
from .test_notice_flow import PASSWORD, log_in


async def api_as(app, base: str, unit_id: str, *roles: Role) -> httpx.AsyncClient:
    _, token = await app.state.tokens.create(
        name=f"e2e {unit_id}", unit_id=unit_id, roles=list(roles), created_by="test", now=app.state.clock.now()
    )
    return httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"})


async def test_submit_return_resubmit_accept_and_compile(node, tmp_path, browser):
    async with running(node, clock=FixedClock(SEED000_NOW)), served_gateway(node) as (app, admin, base):
        for unit in directory_order(DIRECTORY):
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))).status_code == 200
        for username, unit, roles in [("sz-clerk", "sz-kx", ["submitter"]), ("gd-reviewer", "gd-kx", ["reviewer"])]:
            await app.state.accounts.create(
                None,
                username=username,
                display_name=username,
                unit_id=unit,
                roles=roles,
                password=PASSWORD,
                must_change_password=False,
            )
        async with (
            await api_as(app, base, "cast", Role.issuer) as cast,
            await api_as(app, base, "gd-kx", Role.issuer) as gd,
        ):
            # Joint with 科技部: through a draft, signed by each issuer's 签发人 (issue() in the harness).
            signers = lambda unit: api_as(app, base, unit, Role.signer)  # noqa: E731
            national = (await issue(cast, seed000_national(), signer=signers)).json()["notice_id"]

            async def received():
                return any(e["notice_id"] == national for e in (await gd.get("/api/inbox")).json()["items"])

            await eventually(received)
            r = await forward(gd, national, seed000_forward(), signer=signers)  # with 科技厅: 会签 too
            assert r.status_code == 201, r.text

        # ---- the city fills in the form built from the ask
        clerk = await log_in(browser, base, "sz-clerk")
        await clerk.click("#nav-submissions")
        row = clerk.locator("#owed tr", has_text="粤科协联〔2020〕9号").filter(has_text="总结").first
        await expect(row).to_contain_text("未报送")
        await row.get_by_role("link", name="填报").click()
        await clerk.fill("textarea[name='item-0-summary']", "深圳市科协活动总结（初稿）")
        await clerk.click("form#submit-form button[type=submit]")
        await expect(clerk.locator("#status")).to_contain_text("已报送")
        submission_url = clerk.url

        # ---- the province returns it with a reason
        reviewer = await log_in(browser, base, "gd-reviewer")
        await reviewer.click("#nav-review")
        await reviewer.locator("#queue tr", has_text="深圳市科学技术协会").get_by_role("link").click()
        await reviewer.fill("#return-form textarea[name=reason]", "请补充参加人数")
        await reviewer.click("#return-form button[type=submit]")
        await expect(reviewer.locator("#status")).to_contain_text("已退回")

        # ---- the city sees why and submits again
        await clerk.goto(submission_url)
        await expect(clerk.locator("#return-reason")).to_contain_text("请补充参加人数")
        await clerk.click("#nav-submissions")
        await (
            clerk.locator("#owed tr", has_text="粤科协联〔2020〕9号")
            .filter(has_text="总结")
            .first.get_by_role("link", name="修改重报")
            .click()
        )
        await expect(clerk.locator("#returned")).to_contain_text("请补充参加人数")
        await expect(clerk.locator("textarea[name='item-0-summary']")).to_have_value("深圳市科协活动总结（初稿）")
        await clerk.fill("textarea[name='item-0-summary']", "深圳市科协活动总结：共120人参加。")
        await clerk.click("form#submit-form button[type=submit]")
        await expect(clerk.locator("#status")).to_contain_text("第 2 版")

        # ---- accepted, then compiled into the province's answer upstream
        await reviewer.goto(submission_url)
        await reviewer.get_by_role("button", name="采用").click()
        await expect(reviewer.locator("#accepted")).to_be_visible()
        await reviewer.locator("a", has_text="粤科协联〔2020〕9号").first.click()
        await reviewer.locator("#compile-summary").click()
        await expect(
            reviewer.locator("#accepted tr", has_text="深圳市科学技术协会").locator("input[type=checkbox]")
        ).to_be_checked()
        await reviewer.fill("textarea[name='item-0-summary']", "广东省汇总：全省开展活动36场。")
        await reviewer.click("form#compile-form button[type=submit]")
        await expect(reviewer.locator("#status")).to_contain_text("汇总报告")
        await expect(reviewer.locator(".revision")).to_contain_text("深圳市科协活动总结：共120人参加。")
        await reviewer.screenshot(path=str(tmp_path / "compiled.png"), full_page=True)
