"""The pages a county clerk uses on a phone (issue 15), in headless Chromium at 390 × 844 (a phone's viewport, touch,
the page's own ``width=device-width``): 收文, a notice, 签收, 报送 and the personal link page lay out without
sideways scrolling — ``document.scrollingElement.scrollWidth`` is at most the 390 px of the viewport on each.

Screenshots of each page (full page) are written to ``var/test-output/phone/`` in the checkout (git-ignored;
``CASCADE_TEST_OUTPUT`` names another directory): ``link.png``, ``link-signed.png``, ``inbox.png``, ``notice.png``,
``notice-signed.png``, ``submissions.png``, ``submit.png``, ``submitted.png``. When a page is too wide, the
assertion names the elements that reach past the viewport. What a finger taps (签收, 填报, 报送, the menu, fields) is
at least 44 px high, and lists (收文) are a card per row.
"""

import os
from pathlib import Path

from playwright.async_api import Page, expect
from pymongo import AsyncMongoClient

from cascade.processes import REPO_ROOT
from shared.schemas import Role

from ..fixtures import GD_UNITS, future, unit_json
from ..harness import eventually, running
from .serving import served_gateway
from .test_notice_flow import PASSWORD
from .test_submission_flow import api_as

WIDTH, HEIGHT = 390, 844
OUTPUT = Path(os.environ.get("CASCADE_TEST_OUTPUT") or REPO_ROOT / "var" / "test-output") / "phone"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"

# What a page is too wide for: its width, and the elements reaching past the viewport (the innermost first).
MEASURE = """(width) => {
  const wide = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.right > width + 0.5 && r.width > 0) {
      wide.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + e.className : ''} `
                + `(right ${Math.round(r.right)})`);
    }
  }
  return {scroll: document.scrollingElement.scrollWidth, client: document.documentElement.clientWidth,
          wide: wide.reverse().slice(0, 8)};
}"""


# What a finger taps that is less than 44 px high (buttons, the menu, fields).
SMALL_TARGETS = """() => [...document.querySelectorAll(
    'button, a.button, .top nav.main a, .top .me > a, select, input:not([type=checkbox]):not([type=radio])')]
  .filter((e) => e.offsetParent !== null && e.type !== 'hidden' && e.getBoundingClientRect().height < 43.5)
  .map((e) => `${e.tagName.toLowerCase()} “${(e.textContent || e.name || '').trim().slice(0, 12)}” `
              + `${Math.round(e.getBoundingClientRect().height)} px`)"""


async def fits(page: Page, name: str) -> None:
    """The page lays out within the phone's width, and what a finger taps is big enough for one; its screenshot is
    kept as ``name``.png."""
    await page.wait_for_load_state("networkidle")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    measured = await page.evaluate(MEASURE, WIDTH)
    assert measured["client"] == WIDTH, measured
    assert measured["scroll"] <= WIDTH, f"{name} ({page.url}) scrolls sideways: {measured}"
    assert await page.evaluate(SMALL_TARGETS) == [], f"{name} ({page.url}): too small to tap"


async def phone(browser, base: str) -> Page:
    context = await browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=base,
    )
    return await context.new_page()


def notice(attachment: dict) -> dict:
    """A notice as county offices get them: a long title, a 文号, two asks with deadlines, an attachment with a
    long name, and a body with a long unbroken address in it."""
    return {
        "title": "关于转发《中国科协 科技部关于开展2020年“全国科技工作者日”活动的通知》并做好基层科技工作者服务工作的通知",
        "issuer_unit_ids": ["gd-kx"],
        "recipient_unit_ids": ["sz-kx", "sz-kjj", "gd-jxxh"],
        "body": "请各有关单位认真总结活动开展情况和工作成效，于6月10日前报送文字信息、影像资料等。\n"
        "活动材料下载：https://www.cast.org.cn/art/2020/5/6/art_79_121345_kejigongzuozheri_huodong_fangan.html",
        "asks": [
            {
                "ask_id": "summary",
                "kind": "summary_report",
                "title": "活动总结（文字信息、影像资料）",
                "deadline": future(30),
                "routes": [
                    {"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "科技厅/局", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "学会/协会/研究会", "to_unit_id": "gd-kx", "department": "组织联络部"},
                ],
            },
            {
                "ask_id": "contacts",
                "kind": "liaison_form",
                "title": "联络员回执表",
                "deadline": future(10),
                "routes": [
                    {"unit_kind": "科协", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "科技厅/局", "to_unit_id": "gd-kx", "department": "组织联络部"},
                    {"unit_kind": "学会/协会/研究会", "to_unit_id": "gd-kx", "department": "组织联络部"},
                ],
            },
        ],
        "attachments": [attachment],
    }


async def link_token(node, unit_id: str) -> str:
    client: AsyncMongoClient = AsyncMongoClient(node.servers.mongo_url)
    try:
        links = client[f"{node.node_id}_notifications"]["links"]
        found = await links.find_one({"unit_id": unit_id, "channel": "sms"})
        return found["_id"] if found else ""
    finally:
        await client.close()


async def test_inbox_notice_sign_submit_and_the_link_page_fit_a_phone(node, browser):
    async with running(node), served_gateway(node) as (app, admin, base):
        for unit in GD_UNITS:
            assert (await admin.put(f"/api/units/{unit.unit_id}", json=unit_json(unit))).status_code == 200
        # Links in messages point at this gateway (no mail or SMS server here: the links are made all the same).
        r = await admin.put(
            "/api/admin/channels",
            json={"email": {"enabled": True}, "sms": {"enabled": True}, "chat": {"enabled": False}, "public_url": base},
        )
        assert r.status_code == 200, r.text
        await app.state.accounts.create(
            None,
            username="sz-clerk",
            display_name="王敏",
            unit_id="sz-kx",
            roles=["submitter"],
            password=PASSWORD,
            must_change_password=False,
        )
        async with await api_as(app, base, "gd-kx", Role.issuer) as gd:
            name = "2020年全国科技工作者日活动实施方案及报送材料模板（各地市、各学会、高校科协参考）.pdf"
            plan = (await gd.post("/api/attachments", files={"file": (name, PDF, "application/pdf")})).json()
            r = await gd.post("/api/notices", json=notice(plan))
            assert r.status_code == 201, r.text
            nid = r.json()["notice_id"]

        # ---- the personal link of 深圳市科技创新局's contact, opened on a phone: no login
        token = await eventually(lambda: link_token(node, "sz-kjj"))
        page = await phone(browser, base)
        await page.goto(f"/r/{token}")
        await expect(page.locator("#sign")).to_be_visible()
        await fits(page, "link")
        await page.locator("#sign").tap()
        await expect(page.locator("#signed")).to_contain_text("签收成功")
        await fits(page, "link-signed")

        # ---- 深圳市科协's clerk, logged in on a phone: 收文, the notice, 签收, 报送
        clerk = await phone(browser, base)
        await clerk.goto("/login")
        await clerk.fill("input[name=username]", "sz-clerk")
        await clerk.fill("input[name=password]", PASSWORD)
        await clerk.locator("button[type=submit]").tap()
        await expect(clerk.locator("#me-name")).to_be_visible()
        await clerk.goto("/inbox")
        await expect(clerk.locator(f"#inbox tr[data-notice='{nid}']")).to_be_visible()
        await expect(clerk.locator("#inbox thead")).to_be_hidden()  # a card per notice, not a table's columns
        await fits(clerk, "inbox")
        await clerk.locator(f"#inbox tr[data-notice='{nid}'] td a").first.tap()
        await expect(clerk.locator("#notice-title")).to_contain_text("基层科技工作者服务工作")
        await fits(clerk, "notice")
        await clerk.locator(".actions button.sign").tap()
        await expect(clerk.locator("#signed")).to_contain_text("已签收")
        await fits(clerk, "notice-signed")

        await clerk.goto("/submissions")
        await expect(clerk.locator("#owed")).to_contain_text("活动总结")
        await fits(clerk, "submissions")
        await clerk.goto(f"/notices/{nid}/asks/summary/submit")
        await expect(clerk.locator("form#submit-form")).to_be_visible()
        await fits(clerk, "submit")
        await clerk.locator("form#submit-form textarea").first.fill(
            "深圳市科协：共组织活动12场，参加科技工作者1200人次。"
        )
        await clerk.locator("form#submit-form button[type=submit]").tap()
        await expect(clerk.locator("#status")).to_contain_text("已报送")
        await fits(clerk, "submitted")
