"""The notice editor in headless Chromium: what is chosen on the 拟稿 and 转发 pages reaches the notice.

- 须报送的单位类别 of every inherited ask of a 转发 (not only the first ask's first box);
- a form field's 文件类型 (``accept``), on 拟稿 and on 转发, kept when a refused form is shown again;
- an ask with everything but its name is refused naming the name, not dropped while the notice is issued.
"""

from playwright.async_api import expect

from shared.clock import FixedClock
from shared.schemas import Role

from ..fixtures import DIRECTORY, SEED000_NOW, directory_order, seed000_national, unit_json
from ..harness import running
from .serving import served_gateway
from .test_notice_flow import PASSWORD, log_in


async def _setup(app, admin) -> str:
    """The directory, an issuer at 中国科协 and one at 广东省科协; the national notice (two asks) issued to the
    province. Returns the national notice's id."""
    for unit in directory_order(DIRECTORY):
        assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))).status_code == 200
    for username, unit_id in [("cast-issuer", "cast"), ("gd-issuer", "gd-kx")]:
        await app.state.accounts.create(
            None,
            username=username,
            display_name=username,
            unit_id=unit_id,
            roles=["issuer"],
            password=PASSWORD,
            must_change_password=False,
        )
    _, token = await app.state.tokens.create(
        name="cast", unit_id="cast", roles=[Role.issuer], created_by="test", now=app.state.clock.now()
    )
    body = {**seed000_national(), "issuer_unit_ids": ["cast"]}
    r = await admin.post("/api/notices", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text
    return r.json()["notice_id"]


async def test_forward_keeps_the_kinds_of_every_inherited_ask_and_file_types(node, browser):
    async with running(node, clock=FixedClock(SEED000_NOW)), served_gateway(node) as (app, admin, base):
        national = await _setup(app, admin)
        page = await log_in(browser, base, "gd-issuer")
        await page.goto(f"/notices/{national}/forward")
        await page.check("input[name=recipients][value=sz-kx]")
        # The second inherited ask (影像资料): only 学会/协会/研究会 and 高校科协 owe it here.
        media = page.locator("fieldset.inherited[data-ask-id=media]")
        await media.locator("input[type=checkbox][value='学会/协会/研究会']").check()
        await media.locator("input[type=checkbox][value='高校科协']").check()
        # A new ask of this level with a file field taking PDF and Word only.
        await page.fill("input[name='extra-0-title']", "盖章回执")
        await page.fill("input[name='extra-0-deadline']", "2020-06-05")
        await page.fill("input[name='extra-0-fields-0-label']", "盖章回执")
        await page.select_option("select[name='extra-0-fields-0-type']", "file")
        await page.fill("input[name='extra-0-fields-0-accept']", "pdf, docx")
        # Refused once (a deadline past the upstream's): the form comes back with everything still chosen.
        summary = page.locator("input[name='inherit-0-deadline']")
        await summary.evaluate("el => el.removeAttribute('max')")
        await summary.fill("2020-06-25")
        await page.click("form#compose button[type=submit]")
        await expect(page.locator("#errors")).to_contain_text("晚于上级要求的截止时间")
        await expect(page.locator("input[name='extra-0-fields-0-accept']")).to_have_value("pdf, docx")
        await expect(media.locator("input[type=checkbox][value='高校科协']")).to_be_checked()
        await expect(media.locator("input[type=checkbox][value='科协']")).not_to_be_checked()
        await page.locator("input[name='inherit-0-deadline']").fill("2020-06-10")
        await page.click("form#compose button[type=submit]")
        await expect(page.locator("#doc-number")).to_have_text("粤科协联〔2020〕1号")

        forwarded = (await admin.get(f"/api/notices/{page.url.rsplit('/', 1)[-1]}")).json()
        asks = {a["ask_id"]: a for a in forwarded["asks"]}
        assert asks["summary"]["unit_kinds"] == []  # nothing chosen: every recipient, as upstream
        assert asks["media"]["unit_kinds"] == ["学会/协会/研究会", "高校科协"]
        extra = next(a for a in forwarded["asks"] if a["title"] == "盖章回执")
        assert extra["fields"][0]["type"] == "file"
        assert extra["fields"][0]["accept"] == ["pdf", "docx"]
        await expect(page.locator("main")).to_contain_text("pdf、docx")


async def test_compose_keeps_file_types_and_refuses_an_ask_without_a_name(node, browser):
    async with running(node, clock=FixedClock(SEED000_NOW)), served_gateway(node) as (app, admin, base):
        await _setup(app, admin)
        page = await log_in(browser, base, "cast-issuer")
        await page.goto("/notices/new")
        await page.fill("input[name=title]", "关于报送活动方案的通知")
        await page.check("input[name=recipients][value=gd-kx]")
        await page.fill("textarea[name=body]", "请报送活动方案。")
        # Everything of the ask but its name.
        await page.fill("input[name='asks-0-deadline']", "2020-06-20")
        await page.fill("input[name='asks-0-fields-0-label']", "活动方案")
        await page.select_option("select[name='asks-0-fields-0-type']", "file")
        await page.fill("input[name='asks-0-fields-0-accept']", ".PDF,docx")
        await page.click("form#compose button[type=submit]")
        errors = page.locator("#errors li[data-field='asks.0.title']")
        await expect(errors).to_contain_text("报送要求 1 · 名称")
        await expect(page.locator("input[name='asks-0-fields-0-accept']")).to_have_value(".PDF,docx")
        await page.fill("input[name='asks-0-title']", "活动方案")
        await page.click("form#compose button[type=submit]")
        await expect(page.locator("#doc-number")).to_be_visible()

        issued = (await admin.get(f"/api/notices/{page.url.rsplit('/', 1)[-1]}")).json()
        assert [a["title"] for a in issued["asks"]] == ["活动方案"]
        assert issued["asks"][0]["fields"][0]["accept"] == ["pdf", "docx"]


async def test_a_form_with_three_mistakes_shows_all_three(node, browser):
    async with running(node, clock=FixedClock(SEED000_NOW)), served_gateway(node) as (app, admin, base):
        await _setup(app, admin)
        page = await log_in(browser, base, "cast-issuer")
        await page.goto("/notices/new")
        await page.fill("input[name=title]", "关于报送<b>活动方案</b>的通知")  # markup in a title
        await page.check("input[name=recipients][value=gd-kx]")
        await page.fill("input[name='asks-0-title']", "活动方案")
        await page.fill("input[name='asks-0-deadline']", "2020-05-01")  # already past
        await page.fill("input[name='asks-0-min_items']", "3")  # more than at most
        await page.fill("input[name='asks-0-max_items']", "2")
        await page.click("form#compose button[type=submit]")
        mistakes = page.locator("#errors li")
        await expect(mistakes).to_have_count(3)
        fields = [await li.get_attribute("data-field") for li in await mistakes.all()]
        assert fields == ["title", "asks.0.deadline", "asks.0.min_items"]
        await expect(mistakes.nth(0)).to_contain_text("HTML 标记")
        await expect(mistakes.nth(1)).to_contain_text("截止时间已过")
        await expect(mistakes.nth(2)).to_contain_text("最少份数不能大于最多份数")

        await page.fill("input[name=title]", "关于报送活动方案的通知")
        await page.fill("input[name='asks-0-deadline']", "2020-06-20")
        await page.fill("input[name='asks-0-min_items']", "1")
        await page.click("form#compose button[type=submit]")
        await expect(page.locator("#doc-number")).to_be_visible()
