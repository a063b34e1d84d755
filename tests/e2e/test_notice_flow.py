"""A whole notice flow in headless Chromium: compose → 签发 and 会签 (a joint notice is kept as a draft and sent
for signing) → issued → 签收 as a recipient → 转发 with an earlier deadline.

The node's services run in this process on a clock set to seed 000's day
(2020-05-06); the gateway is served by uvicorn on a free loopback port and
driven by Debian's chromium through Playwright (never ``playwright install``;
``tests/browser_setup.py`` installs chromium and the CJK fonts).
"""

from playwright.async_api import Page, expect

from shared.clock import FixedClock

from ..fixtures import DIRECTORY, SEED000_NOW, directory_order, unit_json
from ..harness import running
from .serving import served_gateway

PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


async def log_in(browser, base: str, username: str) -> Page:
    context = await browser.new_context(locale="zh-CN", base_url=base)
    page = await context.new_page()
    await page.goto("/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#me-name")).to_be_visible()
    return page


async def test_compose_issue_sign_and_forward_with_an_earlier_deadline(node, tmp_path, browser):
    async with running(node, clock=FixedClock(SEED000_NOW)), served_gateway(node) as (app, admin, base):
        for unit in directory_order(DIRECTORY):
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))).status_code == 200
        for username, unit, roles in [
            ("cast-issuer", "cast", ["issuer", "reviewer"]),
            ("gd-clerk", "gd-kx", ["submitter"]),
            ("gd-issuer", "gd-kx", ["issuer"]),
            ("cast-signer", "cast", ["signer"]),
            ("most-signer", "most", ["signer"]),
        ]:
            await app.state.accounts.create(
                None,
                username=username,
                display_name=username,
                unit_id=unit,
                roles=roles,
                password=PASSWORD,
                must_change_password=False,
            )
        attachment = tmp_path / "实施方案.pdf"
        attachment.write_bytes(PDF)

        # ---- compose and issue (中国科协, jointly with 科技部)
        nation = await log_in(browser, base, "cast-issuer")
        await nation.click("#nav-compose")
        await nation.fill("input[name=title]", "关于开展2020年“全国科技工作者日”活动的通知")
        await nation.select_option("select[name=co_issuers]", "most")
        for unit in ("gd-kx", "gd-kjt", "cmes"):
            await nation.check(f"input[name=recipients][value={unit}]")
        await nation.fill("textarea[name=body]", "请各有关单位认真总结活动开展情况和工作成效。")
        ask = nation.locator("fieldset.ask").first
        # The form template fills the ask's fields (JS): the summary report with its 3000-character limit.
        await ask.locator("select[data-preset]").select_option("summary_report")
        await expect(ask.locator("input[name='asks-0-fields-0-label']")).to_have_value("总结报告")
        await expect(ask.locator("input[name='asks-0-fields-0-max_chars']")).to_have_value("3000")
        await ask.locator("input[name='asks-0-deadline']").fill("2020-06-20")
        await ask.locator("select[name='asks-0-routes-0-unit_kind']").select_option("科协")
        await ask.locator("select[name='asks-0-routes-0-to_unit_id']").select_option("cast")
        await ask.locator("input[name='asks-0-routes-0-department']").fill("组织人事部")
        await ask.get_by_role("button", name="添加报送对象").click()  # a third route row, added by JS
        await ask.locator("select[name='asks-0-routes-2-unit_kind']").select_option("科技厅/局")
        await ask.locator("select[name='asks-0-routes-2-to_unit_id']").select_option("most")
        await ask.locator("input[name='asks-0-routes-2-department']").fill("引进国外智力管理司")
        await nation.fill("input[name='contacts-0-name']", "马文斌")
        await nation.set_input_files("input[name=files]", str(attachment))
        await nation.click("form#compose button[type=submit]")
        # Joint with 科技部: kept as a draft and sent for 签发 (中国科协) and 会签 (科技部).
        await expect(nation.locator("#saved")).to_contain_text("已保存为草稿并送签发")
        await expect(nation.locator("#draft-status")).to_have_text("待签发")
        await expect(nation.locator("#preview-title")).to_have_text("关于开展2020年“全国科技工作者日”活动的通知")
        draft_url = nation.url.split("?")[0]
        for username in ("cast-signer", "most-signer"):
            signer = await log_in(browser, base, username)
            await expect(signer.locator("#to-sign")).to_contain_text("全国科技工作者日")  # 待签发 on the home page
            await signer.locator("#to-sign tr", has_text="全国科技工作者日").get_by_role("link").click()
            await signer.fill("textarea[name=comment]", "同意")
            await signer.click("#approve")
            await expect(signer.locator("#saved")).to_contain_text("已签发")
        await nation.goto(draft_url)
        await expect(nation.locator("#draft-status")).to_have_text("已发文")
        await nation.click("#issued-notice")
        await expect(nation.locator("#doc-number")).to_have_text("科协发组字〔2020〕1号")
        await expect(nation.locator("#signing")).to_contain_text("签发人：cast-signer")
        await expect(nation.locator("#signing")).to_contain_text("会签：中华人民共和国科学技术部 most-signer")
        notice_url = nation.url
        await expect(nation.locator("#ask-summary_report, section.ask").first).to_contain_text("3000字以内")
        await expect(nation.locator("#attachments")).to_contain_text("实施方案.pdf")
        await expect(nation.locator("#ack-count")).to_have_text("已签收 0 / 3")

        # ---- 签收 by the province's clerk
        clerk = await log_in(browser, base, "gd-clerk")
        await clerk.click("#nav-inbox")
        row = clerk.locator("#inbox tr", has_text="全国科技工作者日")
        await expect(row).to_be_visible()
        await row.get_by_role("button", name="签收").click()
        await expect(clerk.locator("#inbox tr", has_text="全国科技工作者日").locator("td.ack")).to_contain_text(
            "已签收"
        )

        # ---- 转发 by the province's issuer: a later deadline is refused, an earlier one accepted
        province = await log_in(browser, base, "gd-issuer")
        await province.click("#nav-inbox")
        await province.locator("#inbox tr", has_text="全国科技工作者日").get_by_role("link", name="转发").click()
        await expect(province.locator("h1")).to_have_text("转发通知")
        await expect(province.locator("input[name=recipients][value=sz-kx]")).to_be_checked()
        await province.check("input[name=recipients][value=sz-kjj]")
        await province.fill("textarea[name=cover_note]", "现将通知转发给你们，请于6月10日前报送。")
        deadline = province.locator("input[name='inherit-0-deadline']")
        await expect(deadline).to_have_value("2020-06-20")
        # The browser itself would stop a date past max; remove it to see the server refuse.
        await deadline.evaluate("el => el.removeAttribute('max')")
        await deadline.fill("2020-06-25")
        await province.click("form#compose button[type=submit]")
        await expect(province.locator("#errors")).to_contain_text("晚于上级要求的截止时间")
        await province.locator("input[name='inherit-0-deadline']").fill("2020-06-10")
        await province.click("form#compose button[type=submit]")
        await expect(province.locator("#doc-number")).to_have_text("粤科协联〔2020〕1号")
        chain = province.locator("#chain")
        await expect(chain).to_contain_text("科协发组字〔2020〕1号")
        await expect(chain).to_contain_text("粤科协联〔2020〕1号")
        await expect(province.locator("strong.deadline").first).to_have_text("2020-06-10 23:59")
        await expect(province.locator("#attachments")).to_contain_text("原文-科协发组字〔2020〕1号.txt")
        await province.screenshot(path=str(tmp_path / "forwarded.png"), full_page=True)

        # ---- back at the top: the province signed and forwarded
        await nation.goto(notice_url)
        receipt = nation.locator("#receipts tr[data-unit=gd-kx]")
        await expect(receipt).to_contain_text("已签收")
        await expect(receipt).to_contain_text("粤科协联〔2020〕1号")
        await expect(nation.locator("#chain")).to_contain_text("下级转发")
